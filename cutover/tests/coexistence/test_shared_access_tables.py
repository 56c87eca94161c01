"""`cornflow permissions init` of either server leaves the permission tables as the other would.

Every start of the Flask service runs its `access_init`, which deletes each view and grant it
does not know; ours runs the same step. If the two disagreed on a single row, each restart of
one server would rewrite what the other relies on. So both orders, on fresh databases, must
end in the same rows (ids included) and, on PostgreSQL, with the id sequences at the same place;
and a grant made by hand in between is deleted by the second server whichever one it is.
"""

from __future__ import annotations

import asyncio
import pprint
from typing import Any

import pytest

from coexistence.support import NewDatabase, Side, access_tables, cli, execute, fetch, other
from cornflow_fastapi import schema_migrations

pytestmark = pytest.mark.slow

# The launchers' setting (open sign-up), and one with more views: alarms on, sign-up for admins.
ENVIRONMENTS = {
    "open-signup": {"SIGNUP_ACTIVATED": "1"},
    "alarms-admin-signup": {"SIGNUP_ACTIVATED": "2", "CF_ALARMS_ENDPOINT": "1"},
}

Tables = dict[str, list[tuple[Any, ...]]]


def differences(expected: Tables, actual: Tables) -> str:
    changed = {
        name: {
            "missing": [row for row in rows if row not in actual.get(name, [])],
            "extra": [row for row in actual.get(name, []) if row not in rows],
        }
        for name, rows in expected.items()
        if actual.get(name) != rows
    }
    return pprint.pformat(changed)


# A grant no default set holds (viewers deleting users), as an admin could add with
# `POST /permission/`: every `permissions init` deletes it, whichever server runs it.
STRAY_GRANT = (
    "INSERT INTO permission_view (created_at, updated_at, action_id, api_view_id, role_id)"
    " SELECT CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 5, id, 1 FROM api_view WHERE url_rule = '/user/'"
)


async def init_in_turn(first: Side, url: str, environment: dict[str, str]) -> list[Tables]:
    """The tables after `permissions init` by first, then (after a stray grant) by the other."""
    await asyncio.to_thread(cli, first, url, "permissions", "init", **environment)
    snapshots = [await access_tables(url)]
    await execute(url, STRAY_GRANT)
    stray = await fetch(url, "SELECT COUNT(*) FROM permission_view")
    assert stray == [(len(snapshots[0]["permission_view"]) + 1,)]
    await asyncio.to_thread(cli, other(first), url, "permissions", "init", **environment)
    snapshots.append(await access_tables(url))
    return snapshots


@pytest.mark.parametrize("environment", ENVIRONMENTS.values(), ids=ENVIRONMENTS.keys())
async def test_permissions_init_of_one_server_is_a_no_op_for_the_other(
    new_database: NewDatabase, environment: dict[str, str]
) -> None:
    urls = [await new_database("access_flask"), await new_database("access_ours")]
    for url in urls:
        # One after the other: Alembic keeps the migration context in a module global.
        await asyncio.to_thread(schema_migrations.upgrade, url)
    flask_first, ours_first = await asyncio.gather(
        init_in_turn("flask", urls[0], environment), init_in_turn("ours", urls[1], environment)
    )

    reference = flask_first[0]
    assert len(reference["permission_view"]) > 500, "Flask's access_init granted nothing"
    for label, tables in [
        ("Flask's init, then ours", flask_first[1]),
        ("our init", ours_first[0]),
        ("our init, then Flask's", ours_first[1]),
    ]:
        assert tables == reference, f"{label}:\n{differences(reference, tables)}"
