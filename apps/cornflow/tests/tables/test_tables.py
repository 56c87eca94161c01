"""/table/<table_name>/ and /table/<table_name>/<idx>/ (service users only)."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from httpx import AsyncClient
from sqlalchemy import select, update

from cornflow_fastapi.models import Alarm, Case, Execution, Instance, Role, User, utcnow
from cornflow_fastapi.records.identifiers import NULL_HASH, data_hash
from cornflow_fastapi.tables.service import http_date
from cornflow_support import DENIED, NO_TOKEN, Account
from svckit.db import Database

HUGE = "99999999999999999999"
NOT_FOUND = (404, {"error": "The data entity does not exist on the database"})
USER_KEYS = [
    "created_at",
    "updated_at",
    "deleted_at",
    "id",
    "first_name",
    "last_name",
    "username",
    "pwd_last_change",
    "email",
]
TRACE = ["created_at", "updated_at", "deleted_at"]
DATA = [*TRACE, "data", "checks", "name", "description", "data_hash", "schema"]


def service_only(success: tuple[int, Any]) -> dict[Any, Any]:
    return {
        None: NO_TOKEN,
        "service": success,
        "admin": DENIED,
        "planner": DENIED,
        "viewer": DENIED,
        "dummy": DENIED,
        "norole": DENIED,
    }


async def add_instance(
    database: Database,
    owner: Account,
    idx: str,
    *,
    created_at: datetime | None = None,
    **fields: Any,
) -> None:
    moment = created_at or utcnow()
    values: dict[str, Any] = {
        "id": idx,
        "name": f"instance {idx}",
        "description": None,
        "data": {"n": 1},
        "data_hash": data_hash({"n": 1}),
        "schema": "solve_model_dag",
        "checks": None,
        "user_id": owner.id,
        "created_at": moment,
        "updated_at": moment,
        **fields,
    }
    async with database.sessionmaker() as session, session.begin():
        session.add(Instance(**values))


async def add_execution(
    database: Database, owner: Account, instance_id: str, idx: str, **fields: Any
) -> None:
    now = utcnow()
    values: dict[str, Any] = {
        "id": idx,
        "instance_id": instance_id,
        "name": f"execution {idx}",
        "config": {"solver": "cbc"},
        "user_id": owner.id,
        "state": 1,
        "state_message": "The execution has been solved correctly.",
        "data_hash": NULL_HASH,
        "schema": "solve_model_dag",
        "checks_and_kpis_only": False,
        "last_run_checks_and_kpis": False,
        "execution_files_status": 0,
        "created_at": now,
        "updated_at": now,
        **fields,
    }
    async with database.sessionmaker() as session, session.begin():
        session.add(Execution(**values))


async def fetch(
    client: AsyncClient, headers: dict[str, dict[str, str]], path: str, role: str = "service"
) -> Any:
    response = await client.get(path, headers=headers[role])
    assert response.status_code == 200, response.text
    return response.json()


# --- access -----------------------------------------------------------------------------------


async def test_tables_access(walk_roles: Callable[..., Any]) -> None:
    await walk_roles("GET", "/table/roles/", service_only((200, ...)))
    await walk_roles("GET", "/table/roles/2/", service_only((200, ...)))
    # Authentication comes first, even for a table that does not exist.
    await walk_roles(
        "GET",
        "/table/nothing/",
        service_only((404, {"error": "The table nothing does not exist."})),
    )


# --- users: no password hash ------------------------------------------------------------------


async def test_users_rows_never_show_password_hashes(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    rows = await fetch(client, headers, "/table/users/")
    assert [row["username"] for row in rows] == [a.username for a in accounts.values()]
    assert all(list(row) == USER_KEYS for row in rows)
    assert "password" not in str(rows)
    assert "$2b$" not in str(rows)
    async with database.sessionmaker() as session:
        user = await session.get(User, accounts["planner"].id)
    assert user is not None
    row = await fetch(client, headers, f"/table/users/{user.id}/")
    assert list(row) == USER_KEYS
    assert row["created_at"] == http_date(user.created_at)
    assert row["deleted_at"] is None
    assert row["email"] == "planner@cornflow.com"


def test_http_date_is_flask_default_format() -> None:
    assert http_date(datetime(2026, 11, 23, 0, 6, 23, 50997)) == "Mon, 23 Nov 2026 00:06:23 GMT"


# --- tables with trace columns ----------------------------------------------------------------


async def test_trace_tables_list_every_row_in_id_order(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    rows = await fetch(client, headers, "/table/roles/")
    assert [(row["id"], row["name"]) for row in rows] == [
        (0, "dummy"),
        (1, "viewer"),
        (2, "planner"),
        (3, "admin"),
        (4, "service"),
    ]
    assert all(list(row) == [*TRACE, "id", "name"] for row in rows)
    # More than ten rows: no default limit; limit=0 means no limit either.
    views = await fetch(client, headers, "/table/permission_view/")
    assert len(views) > 10
    assert await fetch(client, headers, "/table/permission_view/?limit=0") == views
    assert await fetch(client, headers, "/table/permission_view/?limit=3&offset=2") == views[2:5]
    assert await fetch(client, headers, "/table/roles/?name=admin") == [rows[3]]
    assert await fetch(client, headers, "/table/roles/?id=2") == [rows[2]]
    assert await fetch(client, headers, "/table/roles/?id=two") == []
    assert await fetch(client, headers, f"/table/roles/?id={HUGE}") == []
    # Filters naming columns the table lacks are ignored; `schema` is never applied.
    assert await fetch(client, headers, "/table/roles/?email=x&schema=y") == rows


async def test_trace_tables_deleted_rows(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    now = utcnow()
    async with database.sessionmaker() as session, session.begin():
        session.add_all(
            [
                Alarm(name="on", criticality=1, description="d", created_at=now, updated_at=now),
                Alarm(
                    name="off",
                    criticality=2,
                    description="d",
                    created_at=now,
                    updated_at=now,
                    deleted_at=now,
                ),
            ]
        )
    alarms = await fetch(client, headers, "/table/alarms/")
    assert [row["name"] for row in alarms] == ["on"]
    assert list(alarms[0]) == [*TRACE, "id", "name", "criticality", "description", "schema"]
    assert alarms[0]["criticality"] == 1.0
    # A deletion-date filter lists the deleted rows of its range.
    since = (now - timedelta(minutes=1)).isoformat(timespec="seconds")
    deleted = await fetch(client, headers, f"/table/alarms/?deletion_date_gte={since}")
    assert [row["name"] for row in deleted] == ["off"]
    off = deleted[0]
    assert off["deleted_at"] == http_date(now)
    response = await client.get(f"/table/alarms/{off['id']}/", headers=headers["service"])
    assert (response.status_code, response.json()) == NOT_FOUND
    later = (now + timedelta(days=1)).isoformat(timespec="seconds")
    assert await fetch(client, headers, f"/table/alarms/?creation_date_gte={later}") == []


async def test_deployed_workflows_are_keyed_by_name(
    client: AsyncClient, headers: dict[str, dict[str, str]], workflows: list[str]
) -> None:
    rows = await fetch(client, headers, "/table/deployed_workflows/")
    assert sorted(row["id"] for row in rows) == sorted(workflows)
    row = await fetch(client, headers, "/table/deployed_workflows/timer/")
    assert row["instance_schema"] == {}
    assert row["id"] == "timer"
    response = await client.get("/table/deployed_workflows/nope/", headers=headers["service"])
    assert (response.status_code, response.json()) == NOT_FOUND


async def test_tables_without_trace_columns(
    client: AsyncClient, headers: dict[str, dict[str, str]]
) -> None:
    actions = await fetch(client, headers, "/table/actions/")
    assert actions == [
        {"id": 1, "name": "can_get"},
        {"id": 2, "name": "can_patch"},
        {"id": 3, "name": "can_post"},
        {"id": 4, "name": "can_put"},
        {"id": 5, "name": "can_delete"},
    ]
    assert await fetch(client, headers, "/table/actions/?limit=2") == actions[:2]
    assert (
        await fetch(client, headers, "/table/actions/?creation_date_gte=2000-01-01T00:00:00")
        == actions
    )
    view = await fetch(client, headers, "/table/api_view/?url_rule=/licences/")
    assert [row["name"] for row in view] == ["licences"]
    assert list(view[0]) == ["id", "name", "url_rule", "description"]
    assert await fetch(client, headers, "/table/actions/3/") == actions[2]


# --- data tables ------------------------------------------------------------------------------


async def test_data_tables_use_the_data_list_filters(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    start = utcnow() - timedelta(hours=1)
    ids = [f"{n:040x}" for n in range(12)]
    for n, idx in enumerate(ids):
        await add_instance(
            database, accounts["planner"], idx, created_at=start + timedelta(minutes=n)
        )
    rows = await fetch(client, headers, "/table/instances/")
    # Ten by default, newest first.
    assert [row["id"] for row in rows] == ids[::-1][:10]
    assert list(rows[0]) == [*DATA, "id", "user_id"]
    assert rows[0]["data"] == {"n": 1}
    every = await fetch(client, headers, "/table/instances/?limit=100")
    assert len(every) == 12
    assert await fetch(client, headers, "/table/instances/?limit=0") == []
    assert await fetch(client, headers, "/table/instances/?schema=gc") == []
    response = await client.get("/table/instances/?limit=x", headers=headers["service"])
    assert response.status_code == 400
    assert response.json() == {"error": "{'query': {'limit': ['Not a valid integer.']}}"}


async def test_checks_only_executions_are_left_out(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    instance = "a" * 40
    await add_instance(database, accounts["planner"], instance)
    await add_execution(database, accounts["planner"], instance, "b" * 40)
    await add_execution(
        database, accounts["planner"], instance, "c" * 40, checks_and_kpis_only=True
    )
    rows = await fetch(client, headers, "/table/executions/")
    assert [row["id"] for row in rows] == ["b" * 40]
    assert list(rows[0]) == [
        *DATA,
        "id",
        "instance_id",
        "config",
        "run_id",
        "log_text",
        "log_json",
        "state",
        "state_message",
        "kpis",
        "last_run_checks_and_kpis",
        "checks_and_kpis_only",
        "execution_files_status",
        "user_id",
    ]
    # The detail finds any execution by id.
    row = await fetch(client, headers, f"/table/executions/{'c' * 40}/")
    assert row["checks_and_kpis_only"] is True
    assert row["config"] == {"solver": "cbc"}


async def test_cases_rows(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    now = utcnow()
    async with database.sessionmaker() as session, session.begin():
        case = Case(
            name="c",
            path="",
            user_id=accounts["planner"].id,
            data=None,
            data_hash=NULL_HASH,
            solution_hash=NULL_HASH,
            schema="solve_model_dag",
            created_at=now,
            updated_at=now,
        )
        session.add(case)
        await session.flush()
        case_id = case.id
    row = await fetch(client, headers, f"/table/cases/{case_id}/")
    assert list(row) == [
        *DATA,
        "id",
        "path",
        "solution",
        "solution_hash",
        "solution_checks",
        "kpis",
        "user_id",
    ]
    assert row["id"] == case_id
    assert row["path"] == ""


# --- identifiers ------------------------------------------------------------------------------


async def test_detail_identifiers(client: AsyncClient, headers: dict[str, dict[str, str]]) -> None:
    service = headers["service"]
    for path in ("/table/roles/x/", "/table/users/1.5/", "/table/actions/%20/"):
        response = await client.get(path, headers=service)
        assert (response.status_code, response.json()) == (400, {"error": "Invalid identifier."})
    for path in ("/table/roles/999/", f"/table/roles/{HUGE}/", "/table/instances/x/"):
        response = await client.get(path, headers=service)
        assert (response.status_code, response.json()) == NOT_FOUND, path
    # Python's int() reading, as on the Flask server.
    assert (await fetch(client, headers, "/table/roles/%2B2/"))["name"] == "planner"
    response = await client.get("/table/nothing/1/", headers=service)
    assert (response.status_code, response.json()) == (
        404,
        {"error": "The table nothing does not exist."},
    )
    response = await client.get("/table/alembic_version/", headers=service)
    assert response.status_code == 404


async def test_disabled_role_row_is_hidden(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    async with database.sessionmaker() as session, session.begin():
        await session.execute(update(Role).where(Role.id == 0).values(deleted_at=utcnow()))
    rows = await fetch(client, headers, "/table/roles/")
    assert [row["id"] for row in rows] == [1, 2, 3, 4]
    response = await client.get("/table/roles/0/", headers=headers["service"])
    assert response.status_code == 404
    async with database.sessionmaker() as session:
        assert (await session.execute(select(Role.id).where(Role.id == 0))).scalar() == 0
