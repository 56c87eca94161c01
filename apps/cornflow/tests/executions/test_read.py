"""GET /execution/, /execution/<idx>/, .../data/ and .../log/."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from executions.conftest import (
    FakeOrchestrator,
    MakeExecution,
    MakeInstance,
    load_execution,
    update_execution,
)
from httpx import AsyncClient

from cornflow_fastapi.executions import runs
from cornflow_fastapi.models import Execution, ExecutionState
from cornflow_fastapi.orchestrators.base import OrchestratorError
from cornflow_fastapi.writeback import results
from cornflow_support import DENIED, NO_TOKEN, pulp_model
from svckit.db import Database

NOT_FOUND = (404, {"error": "The data entity does not exist on the database"})
BASE_KEYS = [
    "id",
    "name",
    "description",
    "created_at",
    "user_id",
    "data_hash",
    "schema",
    "config",
    "instance_id",
    "state",
    "message",
]
OWNER_KEYS = ["updated_at", "username", "first_name", "last_name"]
LOG = {
    "extra": 1,
    "time": 0.5,
    "solver": "cbc",
    "sol_code": 1,
    "status_code": 1,
    "status": "Optimal",
    "matrix": {"constraints": 1, "variables": 2, "nonzeros": 2},
    "progress": {"Node": ["0", "1"]},
}


def everyone(owner: tuple[int, Any], other: tuple[int, Any]) -> dict[str | None, Any]:
    """Expected answers when the object belongs to the planner."""
    return {
        None: NO_TOKEN,
        "service": owner,
        "admin": owner,
        "planner": owner,
        "viewer": other,
        "dummy": DENIED,
        "norole": DENIED,
    }


async def write_back(database: Database, execution_id: str, **values: Any) -> None:
    async with database.sessionmaker() as session, session.begin():
        await results.save_execution_results(session, execution_id, **values)


async def test_list_roles(
    walk_roles: Callable[..., Any],
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
) -> None:
    created = await make_execution("planner")
    listed = (await client.get("/execution/", headers=headers["planner"])).json()
    [item] = listed
    assert item == {
        **created,
        "updated_at": item["updated_at"],
        "username": "planner",
        "first_name": None,
        "last_name": None,
        "log": None,
    }
    await walk_roles(
        "GET",
        "/execution/",
        {
            None: NO_TOKEN,
            "service": (200, listed),
            "admin": (200, listed),
            "planner": (200, listed),
            "viewer": (200, []),
            "dummy": DENIED,
            "norole": DENIED,
        },
    )


async def test_list_content(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    database: Database,
) -> None:
    mine = await make_execution("planner")
    theirs = await make_execution("admin")
    await write_back(database, mine["id"], log_json=LOG, log_text="log")

    planner = (await client.get("/execution/", headers=headers["planner"])).json()
    assert [row["id"] for row in planner] == [mine["id"]]
    [row] = planner
    assert list(row) == [*BASE_KEYS, *OWNER_KEYS, "log"]
    assert row["log"] == {"status": "Optimal", "status_code": 1, "sol_code": 1}
    assert row["state"] == 1
    assert row["username"] == "planner"

    admin = (await client.get("/execution/", headers=headers["admin"])).json()
    assert [row["id"] for row in admin] == [theirs["id"], mine["id"]]
    assert admin[0]["log"] is None


async def test_list_filters(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    make_instance: MakeInstance,
    database: Database,
) -> None:
    first = await make_execution("planner")
    second = await make_execution("planner")
    timer_instance = await make_instance("planner", schema="timer", data={"x": 1})
    timer = await make_execution("planner", instance_id=timer_instance, schema="timer")
    checks = await make_execution("planner")
    await update_execution(database, checks["id"], checks_and_kpis_only=True)
    hidden = await make_execution("planner", config={"checks_only": True})

    async def ids(query: str) -> list[str]:
        response = await client.get(f"/execution/{query}", headers=headers["planner"])
        assert response.status_code == 200, response.text
        return [row["id"] for row in response.json()]

    assert await ids("") == [timer["id"], second["id"], first["id"]]
    assert await ids("?checks_and_kpis=1") == [checks["id"], timer["id"], second["id"], first["id"]]
    assert await ids("?checks_and_kpis=false") == [timer["id"], second["id"], first["id"]]
    assert await ids("?schema=timer") == [timer["id"]]
    # checks_only executions (the newest here) are dropped after paging: pages come out short.
    assert await ids("?limit=1") == []
    assert await ids("?limit=2") == [timer["id"]]
    assert await ids("?limit=1&offset=2") == [second["id"]]
    assert await ids("?limit=2&checks_and_kpis=1") == [checks["id"]]
    assert hidden["id"] not in await ids("?limit=100")
    created = first["created_at"]
    assert await ids(f"?creation_date_lte={created}") == [first["id"]]
    assert first["id"] not in await ids(f"?creation_date_gte={second['created_at']}")

    bad = await client.get("/execution/?checks_and_kpis=maybe", headers=headers["planner"])
    assert bad.status_code == 400
    assert bad.json() == {"error": "{'query': {'checks_and_kpis': ['Not a valid boolean.']}}"}
    bad = await client.get("/execution/?limit=x", headers=headers["planner"])
    assert bad.json() == {"error": "{'query': {'limit': ['Not a valid integer.']}}"}


async def test_list_refreshes_followed_executions(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    database: Database,
    fake_orchestrator: FakeOrchestrator,
) -> None:
    queued = await make_execution("planner")
    no_run = await make_execution("planner")
    broken = await make_execution("planner")
    done = await make_execution("planner")
    await update_execution(database, queued["id"], state=-7, run_id="run-q")
    await update_execution(database, no_run["id"], state=0, run_id=None)
    await update_execution(database, broken["id"], state=-5, run_id="run-b")
    await update_execution(database, done["id"], state=1, run_id="run-d")

    fake_orchestrator.alive = False
    rows = (await client.get("/execution/", headers=headers["planner"])).json()
    assert {row["id"]: row["state"] for row in rows}[queued["id"]] == -7
    assert fake_orchestrator.polled == []

    fake_orchestrator.alive = True
    rows = (await client.get("/execution/", headers=headers["planner"])).json()
    states = {row["id"]: row["state"] for row in rows}
    assert states == {queued["id"]: 1, no_run["id"]: 0, broken["id"]: 1, done["id"]: 1}
    assert sorted(run for _, run in fake_orchestrator.polled) == ["run-b", "run-q"]
    stored = await load_execution(database, queued["id"])
    assert stored is not None
    assert stored.state_message == "The execution has been solved correctly."

    # A run the orchestrator cannot tell about keeps its state; the list still answers.
    await update_execution(database, queued["id"], state=-7)
    fake_orchestrator.status_error = OrchestratorError("boom")
    rows = (await client.get("/execution/", headers=headers["planner"])).json()
    assert {row["id"]: row["state"] for row in rows}[queued["id"]] == -7


async def test_detail(
    walk_roles: Callable[..., Any],
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    database: Database,
) -> None:
    created = await make_execution("planner")
    await write_back(database, created["id"], log_json=LOG)
    await walk_roles("GET", f"/execution/{created['id']}/", everyone((200, ...), NOT_FOUND))
    answer = (await client.get(f"/execution/{created['id']}/", headers=headers["admin"])).json()
    assert list(answer) == [*BASE_KEYS, *OWNER_KEYS]
    assert answer["state"] == 1
    assert answer["message"] == "The execution has been solved correctly."
    missing = await client.get("/execution/nope/", headers=headers["admin"])
    assert missing.status_code == 404


async def test_data_after_write_back(
    walk_roles: Callable[..., Any],
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    database: Database,
) -> None:
    created = await make_execution("planner")
    path = f"/execution/{created['id']}/data/"
    await walk_roles("GET", path, everyone((200, ...), NOT_FOUND))
    empty = (await client.get(path, headers=headers["planner"])).json()
    assert list(empty) == [*BASE_KEYS, "data", "checks", "kpis", "log"]
    assert (empty["data"], empty["checks"], empty["kpis"], empty["log"]) == (None,) * 4

    solution = pulp_model("solved")
    await write_back(
        database,
        created["id"],
        data=solution,
        log_json=LOG,
        log_text="log",
        checks={"c": []},
        kpis={"k": 1},
    )
    answer = (await client.get(path, headers=headers["planner"])).json()
    assert answer["data"] == solution
    assert answer["checks"] == {"c": []}
    assert answer["kpis"] == {"k": 1}
    assert answer["log"] == {"status": "Optimal", "status_code": 1, "sol_code": 1}
    assert list(answer["log"]) == ["status", "status_code", "sol_code"]
    # data_hash stays the one of the data sent at creation.
    assert answer["data_hash"] == created["data_hash"]


async def test_log_after_write_back(
    walk_roles: Callable[..., Any],
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    make_instance: MakeInstance,
    database: Database,
) -> None:
    # A workflow whose solution schema accepts indicators.
    instance_id = await make_instance("planner", schema="timer", data={"x": 1})
    created = await make_execution("planner", instance_id=instance_id, schema="timer")
    path = f"/execution/{created['id']}/log/"
    await walk_roles("GET", path, everyone((200, ...), NOT_FOUND))
    empty = (await client.get(path, headers=headers["planner"])).json()
    assert list(empty) == [*BASE_KEYS, "indicators", *OWNER_KEYS, "log", "log_text"]
    assert (empty["indicators"], empty["log"], empty["log_text"]) == ("", None, None)

    await write_back(
        database,
        created["id"],
        data={"indicators": {"obj": 4.0, "gap": 0, "flag": True}},
        log_json=LOG,
        log_text="the solver's log",
    )
    answer = (await client.get(path, headers=headers["planner"])).json()
    assert answer["indicators"] == "flag: True; gap: 0; obj: 4.0"
    assert answer["log_text"] == "the solver's log"
    assert answer["log"] == {
        "status": "Optimal",
        "status_code": 1,
        "sol_code": 1,
        "solver": "cbc",
        "time": 0.5,
        "matrix": {"constraints": 1, "variables": 2, "nonzeros": 2},
        "progress": {"Node": ["0", "1"]},
    }
    assert list(answer["log"]) == [
        "status",
        "status_code",
        "sol_code",
        "solver",
        "time",
        "matrix",
        "progress",
    ]


async def test_log_of_a_log_stored_elsewhere(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    database: Database,
) -> None:
    """A log written straight to the table is shown the way marshmallow dumps it."""
    created = await make_execution("planner")
    await update_execution(
        database,
        created["id"],
        log_json={"gap": 1, "status_code": "2", "nodes": None, "unknown": 3},
        data={"indicators": "not a mapping"},
    )
    answer = await client.get(f"/execution/{created['id']}/log/", headers=headers["planner"])
    assert answer.json()["log"] == {"status_code": 2, "gap": 1.0, "nodes": None}
    assert answer.json()["indicators"] == ""


async def test_other_users_executions_are_missing(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    build_client: Callable[..., Any],
) -> None:
    theirs = await make_execution("admin")
    for suffix in ("", "data/", "log/", "status/"):
        response = await client.get(
            f"/execution/{theirs['id']}/{suffix}", headers=headers["planner"]
        )
        assert response.status_code == 404, suffix
        assert response.json() == NOT_FOUND[1]
    async with build_client(user_access_all_objects=1) as shared:
        response = await shared.get(f"/execution/{theirs['id']}/", headers=headers["viewer"])
        assert response.status_code == 200
        listed = await shared.get("/execution/", headers=headers["viewer"])
        assert [row["id"] for row in listed.json()] == [theirs["id"]]


async def test_states_refreshed_in_the_list_are_stored(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    database: Database,
    fake_orchestrator: FakeOrchestrator,
) -> None:
    created = await make_execution("planner")
    await update_execution(database, created["id"], state=0, run_id="r")
    fake_orchestrator.status_answer = ExecutionState.ERROR
    await client.get("/execution/", headers=headers["planner"])
    stored = await load_execution(database, created["id"])
    assert stored is not None
    assert (stored.state, stored.state_message) == (-1, "The execution has found an error.")


async def test_list_refresh_is_bounded_in_time(
    make_execution: MakeExecution, database: Database
) -> None:
    """A run the orchestrator is slow to tell about keeps its state; the others are refreshed."""

    class Slow(FakeOrchestrator):
        async def status(self, workflow: str, run_id: str) -> ExecutionState:
            if run_id == "slow":
                await asyncio.sleep(5)
            return ExecutionState.SOLVED

    slow = await make_execution("planner")
    quick = await make_execution("planner")
    await update_execution(database, slow["id"], state=-7, run_id="slow")
    await update_execution(database, quick["id"], state=-7, run_id="quick")
    async with database.sessionmaker() as session:
        rows = [await session.get(Execution, slow["id"]), await session.get(Execution, quick["id"])]
        executions = [row for row in rows if row is not None]
        await runs.refresh_states(session, Slow(), executions, budget=0.2)
        assert [execution.state for execution in executions] == [-7, 1]
