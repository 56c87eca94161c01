"""Either server's migrations make the database the other expects, and the other then adds nothing.

Each server runs `cornflow migrations upgrade` on its own start (Flask's `service init` does), so
a database migrated by one and then handed to the other must come through the second run with
the same `alembic_version` row and Cornflow's tables untouched. The Flask server's run changes
nothing at all; ours may only add tables of its own (tracked in a version table of their own,
never referring to Cornflow's tables). Both paths end in the same schema, compared as
`pg_dump --schema-only` on PostgreSQL and as SQLite's stored DDL otherwise.
"""

from __future__ import annotations

import asyncio
import difflib
import re
from dataclasses import dataclass

import pytest

from coexistence.support import HEAD_REVISION, NewDatabase, Side, cli, fetch, other
from cutover.schema import schema_snapshot

pytestmark = pytest.mark.slow

CORNFLOW_TABLES = frozenset(
    {
        "actions",
        "alarms",
        "alembic_version",
        "api_view",
        "cases",
        "deployed_workflows",
        "executions",
        "instances",
        "main_alarms",
        "permission_dag",
        "permission_view",
        "roles",
        "user_role",
        "users",
    }
)


@dataclass(frozen=True)
class HandOver:
    before: list[str]  # the schema the first server's migrations made
    after: list[str]  # the schema once the other server's migrations ran too
    added: frozenset[str]  # tables the other server's migrations created


async def table_names(url: str) -> frozenset[str]:
    if url.startswith("sqlite"):
        query = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        query = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    return frozenset(name for (name,) in await fetch(url, query))


def mentioning(snapshot: list[str], tables: frozenset[str]) -> list[str]:
    if not tables:
        return []
    names = re.compile(r"\b(" + "|".join(sorted(map(re.escape, tables))) + r")\b")
    return [statement for statement in snapshot if names.search(statement)]


def without(snapshot: list[str], tables: frozenset[str]) -> list[str]:
    dropped = set(mentioning(snapshot, tables))
    return [statement for statement in snapshot if statement not in dropped]


def referenced_tables(statement: str) -> set[str]:
    return set(re.findall(r"REFERENCES (?:public\.)?\"?(\w+)", statement))


def schema_diff(first: list[str], second: list[str]) -> str:
    return "\n".join(difflib.unified_diff(first, second, "first", "second", lineterm=""))


async def migrate_then_hand_over(first: Side, url: str) -> HandOver:
    await asyncio.to_thread(cli, first, url, "migrations", "upgrade")
    version = await fetch(url, "SELECT version_num FROM alembic_version")
    assert version == [(HEAD_REVISION,)]
    tables = await table_names(url)
    assert tables >= CORNFLOW_TABLES
    before = await asyncio.to_thread(schema_snapshot, url)

    await asyncio.to_thread(cli, other(first), url, "migrations", "upgrade")
    assert await fetch(url, "SELECT version_num FROM alembic_version") == version
    added = await table_names(url) - tables
    after = await asyncio.to_thread(schema_snapshot, url)

    # Nothing the first server made was changed or removed.
    assert without(after, added) == before, schema_diff(before, without(after, added))
    # What was added refers to nothing else: Flask stays free to alter or drop its tables.
    foreign = {
        statement: referenced_tables(statement) - added
        for statement in mentioning(after, added)
        if referenced_tables(statement) - added
    }
    assert foreign == {}
    return HandOver(before, after, frozenset(added))


async def test_each_server_upgrades_the_others_database_without_touching_cornflows_schema(
    new_database: NewDatabase,
) -> None:
    urls = [await new_database("mig_ours"), await new_database("mig_flask")]
    ours_first, flask_first = await asyncio.gather(
        migrate_then_hand_over("ours", urls[0]), migrate_then_hand_over("flask", urls[1])
    )

    # The Flask server's upgrade is a no-op on a database ours created.
    assert ours_first.added == frozenset()
    assert ours_first.after == ours_first.before
    # Whichever server came first, the database ends the same...
    assert ours_first.after == flask_first.after, schema_diff(ours_first.after, flask_first.after)
    # ...and our migrations made exactly Flask's schema, plus tables of our own.
    ours_alone = without(ours_first.before, flask_first.added)
    assert ours_alone == flask_first.before, schema_diff(flask_first.before, ours_alone)
    assert flask_first.added.isdisjoint(CORNFLOW_TABLES)
