"""Seeding the access tables leaves exactly the rows Flask's `access_init` leaves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from cornflow_fastapi.access import catalog, seed
from cornflow_fastapi.config import AuthType, CornflowSettings, SignupMode
from cornflow_fastapi.models import ApiView, PermissionView, Role
from svckit.db import Database

Tables = dict[str, list[list[Any]]]
FlaskTables = Callable[[str], tuple[CornflowSettings, Tables]]
ReadTables = Callable[[Database], Awaitable[Tables]]

# Applied to a `default` database before Flask initialised it again to make transition.json.
TRANSITION_SQL = (
    "INSERT INTO api_view (name, url_rule, description) VALUES ('legacy-view', '/legacy/', 'gone')",
    "INSERT INTO permission_view (created_at, updated_at, action_id, api_view_id, role_id)"
    " VALUES (CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1, 55, 3)",
    "INSERT INTO permission_view (created_at, updated_at, action_id, api_view_id, role_id)"
    " VALUES (CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 5, 1, 1)",
    "UPDATE api_view SET description = 'old' WHERE name = 'health'",
    "UPDATE api_view SET url_rule = '/old-token/' WHERE name = 'token'",
)


async def init_access(database: Database, settings: CornflowSettings) -> seed.AccessChanges:
    async with database.sessionmaker() as session, session.begin():
        return await seed.init_access(session, settings)


async def execute(database: Database, *statements: str) -> None:
    async with database.sessionmaker() as session, session.begin():
        for statement in statements:
            await session.execute(text(statement))


@pytest.mark.parametrize("fixture", ["default", "alarms", "no_signup_alarms", "ldap"])
async def test_fresh_database_gets_flask_rows(
    blank_database: Database, flask_tables: FlaskTables, read_tables: ReadTables, fixture: str
) -> None:
    settings, expected = flask_tables(fixture)

    changes = await init_access(blank_database, settings)

    assert await read_tables(blank_database) == expected
    assert changes.actions == [name for _, name in expected["actions"]]
    assert changes.roles == [name for _, name in expected["roles"]]
    assert changes.views.inserted == [row[1] for row in expected["api_view"]]
    assert len(changes.permissions.inserted) == len(expected["permission_view"])


async def test_default_configuration_has_584_grants_on_54_views(
    blank_database: Database, flask_tables: FlaskTables, read_tables: ReadTables
) -> None:
    settings, _ = flask_tables("default")

    await init_access(blank_database, settings)

    tables = await read_tables(blank_database)
    assert (len(tables["api_view"]), len(tables["permission_view"])) == (54, 584)


async def test_second_run_changes_nothing(
    blank_database: Database, flask_tables: FlaskTables, read_tables: ReadTables
) -> None:
    settings, expected = flask_tables("alarms")
    await init_access(blank_database, settings)

    changes = await init_access(blank_database, settings)

    assert changes == seed.AccessChanges(
        actions=[],
        roles=[],
        views=seed.ViewChanges(inserted=[], updated=[], deleted=[]),
        permissions=seed.PermissionChanges(inserted=[], deleted=[], restored=[]),
    )
    assert await read_tables(blank_database) == expected


async def test_reinitialising_with_other_settings_matches_flask(
    blank_database: Database, flask_tables: FlaskTables, read_tables: ReadTables
) -> None:
    before, _ = flask_tables("default")
    after, expected = flask_tables("transition")
    await init_access(blank_database, before)
    await execute(blank_database, *TRANSITION_SQL)

    changes = await init_access(blank_database, after)

    assert await read_tables(blank_database) == expected
    assert changes.views == seed.ViewChanges(
        inserted=["alarms", "alarms-detail", "main-alarms"],
        updated=["token", "health"],
        deleted=["signup", "legacy-view"],
    )
    # Flask's own report for this run: "Permissions registered: 48", "Permissions deleted: 1"
    # (the grant on legacy-view went with the view).
    assert len(changes.permissions.inserted) == 48
    assert changes.permissions.deleted == [seed.Grant(role_id=1, action_id=5, api_view_id=1)]


async def test_hand_made_grant_is_deleted(
    blank_database: Database, flask_tables: FlaskTables, read_tables: ReadTables
) -> None:
    settings, expected = flask_tables("default")
    await init_access(blank_database, settings)
    async with blank_database.sessionmaker() as session, session.begin():
        users = await session.scalar(select(ApiView.id).where(ApiView.name == "user"))
        assert users is not None
        session.add(PermissionView(role_id=2, action_id=1, api_view_id=users))

    changes = await init_access(blank_database, settings)

    assert changes.permissions.deleted == [seed.Grant(role_id=2, action_id=1, api_view_id=users)]
    assert changes.permissions.inserted == []
    assert await read_tables(blank_database) == expected


async def test_revoked_default_grant_is_put_back(
    blank_database: Database, flask_tables: FlaskTables, read_tables: ReadTables
) -> None:
    settings, expected = flask_tables("default")
    await init_access(blank_database, settings)
    await execute(blank_database, "DELETE FROM permission_view WHERE id = 10")

    changes = await init_access(blank_database, settings)

    assert changes.permissions.inserted == [seed.Grant(role_id=4, action_id=3, api_view_id=29)]
    tables = await read_tables(blank_database)
    # The new row's id comes from SQLite's max + 1 or from PostgreSQL's sequence.
    assert [row for row in tables["permission_view"] if row[0] != 10][:-1] == [
        row for row in expected["permission_view"] if row[0] != 10
    ]
    assert tables["permission_view"][-1][1:] == [3, 29, 4]


async def test_soft_deleted_default_grant_is_restored(
    blank_database: Database, flask_tables: FlaskTables, read_tables: ReadTables
) -> None:
    settings, expected = flask_tables("default")
    await init_access(blank_database, settings)
    async with blank_database.sessionmaker() as session, session.begin():
        await session.execute(
            update(PermissionView).where(PermissionView.id == 10).values(deleted_at=func.now())
        )

    changes = await init_access(blank_database, settings)

    assert changes.permissions.restored == [seed.Grant(role_id=4, action_id=3, api_view_id=29)]
    assert changes.permissions.inserted == changes.permissions.deleted == []
    assert await read_tables(blank_database) == expected


async def test_stale_view_is_removed_with_its_grants(
    blank_database: Database, flask_tables: FlaskTables, read_tables: ReadTables
) -> None:
    settings, expected = flask_tables("default")
    await init_access(blank_database, settings)
    async with blank_database.sessionmaker() as session, session.begin():
        stale = ApiView(name="old-endpoint", url_rule="/old/", description="")
        session.add(stale)
        await session.flush()
        session.add(PermissionView(role_id=3, action_id=1, api_view_id=stale.id))

    changes = await init_access(blank_database, settings)

    assert changes.views.deleted == ["old-endpoint"]
    assert changes.permissions.deleted == []
    assert await read_tables(blank_database) == expected


async def test_changed_url_rule_and_description_are_restored(
    blank_database: Database, flask_tables: FlaskTables, read_tables: ReadTables
) -> None:
    settings, expected = flask_tables("default")
    await init_access(blank_database, settings)
    await execute(
        blank_database,
        "UPDATE api_view SET url_rule = '/instances/' WHERE name = 'instance'",
        "UPDATE api_view SET description = NULL WHERE name = 'roles'",
    )

    changes = await init_access(blank_database, settings)

    assert changes.views.updated == ["instance", "roles"]
    assert await read_tables(blank_database) == expected


async def test_new_rows_after_seeding_continue_the_ids(
    blank_database: Database, flask_tables: FlaskTables
) -> None:
    # Explicit ids leave PostgreSQL sequences behind unless they are moved on, as Flask does.
    settings, _ = flask_tables("default")
    await init_access(blank_database, settings)
    async with blank_database.sessionmaker() as session, session.begin():
        role = Role(name="custom")
        view = ApiView(name="custom-view", url_rule="/custom/", description="")
        session.add_all([role, view])
        await session.flush()
        grant = PermissionView(role_id=role.id, action_id=1, api_view_id=view.id)
        session.add(grant)
        await session.flush()

        assert (role.id, view.id, grant.id) == (5, 55, 585)


async def test_steps_one_by_one_give_the_same_rows(
    blank_database: Database, flask_tables: FlaskTables, read_tables: ReadTables
) -> None:
    settings, expected = flask_tables("alarms")
    views = catalog.exposed_views(settings)
    async with blank_database.sessionmaker() as session, session.begin():
        await seed.insert_missing_actions(session)
    async with blank_database.sessionmaker() as session, session.begin():
        await seed.insert_missing_roles(session)
    async with blank_database.sessionmaker() as session, session.begin():
        await seed.sync_views(session, views)
    async with blank_database.sessionmaker() as session, session.begin():
        await seed.sync_permissions(session, views)

    assert await read_tables(blank_database) == expected


async def test_permissions_need_their_views(blank_database: Database) -> None:
    async with blank_database.sessionmaker() as session, session.begin():
        await seed.insert_missing_actions(session)
        await seed.insert_missing_roles(session)
        with pytest.raises(seed.MissingViewsError) as raised:
            await seed.sync_permissions(session, catalog.CORE_VIEWS)

    assert raised.value.names == tuple(view.name for view in catalog.CORE_VIEWS)


@pytest.mark.parametrize(
    ("auth_type", "signup", "alarms", "tail"),
    [
        (AuthType.DB, SignupMode.OPEN, 0, ["signup", "login"]),
        (AuthType.DB, SignupMode.ADMIN_ONLY, 0, ["signup", "login"]),
        (AuthType.DB, SignupMode.OFF, 0, ["login"]),
        (AuthType.LDAP, SignupMode.OPEN, 0, ["login"]),
        (AuthType.OID, SignupMode.ADMIN_ONLY, 0, ["login"]),
        (
            AuthType.DB,
            SignupMode.OPEN,
            1,
            ["signup", "login", "alarms", "alarms-detail", "main-alarms"],
        ),
        (AuthType.OID, SignupMode.OFF, 1, ["login", "alarms", "alarms-detail", "main-alarms"]),
    ],
)
def test_exposed_views_follow_flask_registration(
    settings_for: Callable[..., CornflowSettings],
    auth_type: AuthType,
    signup: SignupMode,
    alarms: int,
    tail: list[str],
) -> None:
    settings = settings_for(
        auth_type=auth_type, signup_activated=signup, cf_alarms_endpoint="1" if alarms else None
    )

    views = catalog.exposed_views(settings)

    assert views[: len(catalog.CORE_VIEWS)] == catalog.CORE_VIEWS
    assert [view.name for view in views[len(catalog.CORE_VIEWS) :]] == tail
    assert catalog.signup_exposed(settings) is ("signup" in tail)


def test_any_alarms_value_turns_alarms_on_like_flask(
    settings_for: Callable[..., CornflowSettings],
) -> None:
    for value, enabled in (("0", True), ("1", True), ("", False), (None, False)):
        settings = settings_for(cf_alarms_endpoint=value)
        assert (catalog.ALARMS in catalog.exposed_views(settings)) is enabled, value
