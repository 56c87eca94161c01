"""An execution's state: GET/PUT .../status/, stop (POST .../<idx>/) and .../relaunch/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from executions.conftest import (
    FakeOrchestrator,
    MakeExecution,
    load_execution,
    update_execution,
)
from httpx import AsyncClient

from cornflow_fastapi.models import ExecutionState
from cornflow_fastapi.orchestrators.base import OrchestratorError
from cornflow_support import DENIED, NO_TOKEN
from svckit.db import Database

NOT_FOUND = {"error": "The data entity does not exist on the database"}
RELAUNCHED = {"message": "The execution was relaunched correctly"}
NOT_LAUNCHED = {"message": "The execution was set for relaunch but was not launched"}
STATUS_KEYS = ["id", "state", "message", "data_hash"]


def roles(
    owner: tuple[int, Any], viewer: tuple[int, Any] = (403, DENIED[1])
) -> dict[str | None, Any]:
    return {
        None: NO_TOKEN,
        "planner": owner,
        "viewer": viewer,
        "dummy": DENIED,
        "norole": DENIED,
        "admin": owner,
        "service": owner,
    }


# GET status


async def test_status_of_a_finished_execution(
    walk_roles: Callable[..., Any], make_execution: MakeExecution
) -> None:
    created = await make_execution("planner")
    expected = {
        "id": created["id"],
        "state": -4,
        "message": "The execution wasn't run by user choice.",
        "data_hash": created["data_hash"],
    }
    await walk_roles(
        "GET",
        f"/execution/{created['id']}/status/",
        roles((200, expected), viewer=(404, NOT_FOUND)),
    )


async def test_status_without_run_id(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    database: Database,
) -> None:
    created = await make_execution("planner")
    await update_execution(database, created["id"], state=-7)
    response = await client.get(f"/execution/{created['id']}/status/", headers=headers["planner"])
    assert response.status_code == 400
    assert response.json() == {
        "message": "The execution has found an error.",
        "state": -1,
        "error": "The execution has no run_id associated",
    }
    stored = await load_execution(database, created["id"])
    assert stored is not None
    assert stored.state == -1


async def test_status_with_airflow_down(
    build_client: Callable[..., Any],
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    database: Database,
) -> None:
    created = await make_execution("planner")
    await update_execution(database, created["id"], state=0, run_id="r")
    async with build_client(cornflow_backend="airflow") as client:
        response = await client.get(
            f"/execution/{created['id']}/status/", headers=headers["planner"]
        )
    assert response.status_code == 400
    assert response.json() == {
        "message": "The execution couldn't start running.",
        "state": -3,
        "error": "Airflow is not accessible",
    }
    stored = await load_execution(database, created["id"])
    assert stored is not None
    assert stored.state == -3


async def test_status_asks_the_orchestrator(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    database: Database,
    fake_orchestrator: FakeOrchestrator,
) -> None:
    created = await make_execution("planner")
    path = f"/execution/{created['id']}/status/"
    await update_execution(database, created["id"], state=-7, run_id="r")
    fake_orchestrator.status_answer = ExecutionState.RUNNING
    response = await client.get(path, headers=headers["planner"])
    assert list(response.json()) == STATUS_KEYS
    assert response.json()["state"] == 0
    assert response.json()["message"] == "The execution is currently running."

    fake_orchestrator.status_error = OrchestratorError("Airflow responded with an error: gone")
    response = await client.get(path, headers=headers["planner"])
    assert response.status_code == 400
    assert response.json() == {
        "message": "The execution has an unknown error.",
        "state": -5,
        "error": "Airflow responded with an error: gone",
    }
    fake_orchestrator.status_error = None
    fake_orchestrator.status_answer = ExecutionState.SOLVED
    response = await client.get(path, headers=headers["planner"])
    assert response.json()["state"] == 1


# PUT status


async def test_status_update_only_moves_followed_states(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    database: Database,
) -> None:
    created = await make_execution("planner")
    path = f"/execution/{created['id']}/status/"
    message = {"message": f"execution {created['id']} updated correctly"}

    ignored = await client.put(path, json={"status": 1}, headers=headers["service"])
    assert ignored.json() == message
    assert (await load_execution(database, created["id"])).state == -4  # type: ignore[union-attr]
    # Nothing to change, so a missing status does not matter either.
    assert (await client.put(path, json={}, headers=headers["planner"])).json() == message

    for start in (0, -5, -7):
        await update_execution(database, created["id"], state=start)
        response = await client.put(
            path, json={"status": -1, "id": "x"}, headers=headers["service"]
        )
        assert response.json() == message
        stored = await load_execution(database, created["id"])
        assert stored is not None
        assert (stored.state, stored.state_message) == (-1, "The execution has found an error.")

    await update_execution(database, created["id"], state=0)
    missing = await client.put(path, json={}, headers=headers["planner"])
    assert (missing.status_code, missing.json()) == (400, {"error": "status code was missing"})
    unknown = await client.put(path, json={"status": 9}, headers=headers["planner"])
    assert unknown.status_code == 400
    assert unknown.json() == {"error": "The execution state 9 does not exist"}
    bad = await client.put(path, json={"status": "x"}, headers=headers["planner"])
    assert bad.json() == {"error": "{'json': {'status': ['Not a valid integer.']}}"}
    extra = await client.put(path, json={"state": 1}, headers=headers["planner"])
    assert extra.json() == {"error": "{'json': {'state': ['Unknown field.']}}"}


async def test_status_update_roles(
    walk_roles: Callable[..., Any], make_execution: MakeExecution, database: Database
) -> None:
    created = await make_execution("planner")
    await update_execution(database, created["id"], state=0)
    message = {"message": f"execution {created['id']} updated correctly"}
    await walk_roles(
        "PUT", f"/execution/{created['id']}/status/", roles((200, message)), json={"status": 0}
    )
    foreign = await make_execution("admin")
    await walk_roles(
        "PUT",
        f"/execution/{foreign['id']}/status/",
        {**roles((200, ...)), "planner": (404, NOT_FOUND)},
        json={"status": 0},
    )


# Stop


async def test_stop_on_the_local_runner(
    walk_roles: Callable[..., Any],
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    database: Database,
) -> None:
    created = await make_execution("planner")
    stopped = {"message": "The execution has been stopped"}
    await walk_roles("POST", f"/execution/{created['id']}/", roles((200, stopped)))
    stored = await load_execution(database, created["id"])
    assert stored is not None
    assert (stored.state, stored.state_message) == (-2, "The execution has stopped running.")
    foreign = await make_execution("admin")
    hidden = await client.post(f"/execution/{foreign['id']}/", headers=headers["planner"])
    assert (hidden.status_code, hidden.json()) == (404, NOT_FOUND)


async def test_stop_with_airflow_down(
    build_client: Callable[..., Any],
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    database: Database,
) -> None:
    created = await make_execution("planner")
    async with build_client(cornflow_backend="airflow") as client:
        response = await client.post(f"/execution/{created['id']}/", headers=headers["planner"])
        missing = await client.post("/execution/nope/", headers=headers["planner"])
    assert (response.status_code, response.json()) == (400, {"error": "Airflow is not reachable"})
    assert missing.status_code == 404
    stored = await load_execution(database, created["id"])
    assert stored is not None
    assert stored.state == -4


async def test_stop_through_the_orchestrator(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    database: Database,
    fake_orchestrator: FakeOrchestrator,
) -> None:
    created = await make_execution("planner")
    await update_execution(database, created["id"], state=0, run_id="r")
    fake_orchestrator.stop_error = OrchestratorError("no such run", status_code=404)
    refused = await client.post(f"/execution/{created['id']}/", headers=headers["planner"])
    assert (refused.status_code, refused.json()) == (404, {"error": "no such run"})
    assert (await load_execution(database, created["id"])).state == 0  # type: ignore[union-attr]
    fake_orchestrator.stop_error = None
    response = await client.post(f"/execution/{created['id']}/", headers=headers["planner"])
    assert response.status_code == 200
    assert fake_orchestrator.stopped == [("solve_model_dag", "r")]


# Relaunch


async def test_relaunch_not_run(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    database: Database,
    accounts: Any,
) -> None:
    created = await make_execution("planner")
    await update_execution(
        database, created["id"], checks={"c": 1}, kpis={"k": 1}, last_run_checks_and_kpis=True
    )
    path = f"/execution/{created['id']}/relaunch/?run=0"
    response = await client.post(
        path, json={"config": {"timeLimit": "10", "mip": 1, "gapRel": 1}}, headers=headers["admin"]
    )
    assert (response.status_code, response.json()) == (201, NOT_LAUNCHED)
    stored = await load_execution(database, created["id"])
    assert stored is not None
    # marshmallow's load: declared order, the default solver, values of the declared types.
    assert stored.config == {"solver": "PULP_CBC_CMD", "mip": True, "timeLimit": 10, "gapRel": 1.0}
    assert list(stored.config) == ["solver", "mip", "timeLimit", "gapRel"]
    assert (stored.checks, stored.kpis, stored.last_run_checks_and_kpis) == (None, None, False)
    assert stored.state == -4
    assert stored.user_id == accounts["admin"].id


async def test_relaunch_roles(
    walk_roles: Callable[..., Any], make_execution: MakeExecution
) -> None:
    created = await make_execution("planner")
    await walk_roles(
        "POST",
        f"/execution/{created['id']}/relaunch/?run=0",
        roles((201, NOT_LAUNCHED)),
        json={"config": {}},
    )


async def test_relaunch_still_running(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    database: Database,
) -> None:
    created = await make_execution("planner")
    for state in (0, -7):
        await update_execution(database, created["id"], state=state, checks={"c": 1})
        response = await client.post(
            f"/execution/{created['id']}/relaunch/?run=0",
            json={"config": {"solver": "cbc"}},
            headers=headers["planner"],
        )
        assert response.status_code == 400
        assert response.json() == {"message": "This execution is still running"}
        stored = await load_execution(database, created["id"])
        assert stored is not None
        # As on the Flask server, the new config is stored and the checks cleared anyway.
        assert (stored.state, stored.config, stored.checks) == (state, {"solver": "cbc"}, None)


async def test_relaunch_bad_bodies(
    client: AsyncClient, headers: dict[str, dict[str, str]], make_execution: MakeExecution
) -> None:
    created = await make_execution("planner")
    path = f"/execution/{created['id']}/relaunch/?run=0"
    cases: list[tuple[Any, str]] = [
        ({}, "{'json': {'config': ['Missing data for required field.']}}"),
        ({"config": None}, "{'json': {'config': ['Field may not be null.']}}"),
        ({"config": []}, "{'json': {'config': {'_schema': ['Invalid input type.']}}}"),
        (
            {"config": 1, "other": 2},
            "{'json': {'config': {'_schema': ['Invalid input type.']}, 'other': ['Unknown field.']}}",
        ),
        (
            {"config": {"foo": 1, "mip": "x"}},
            "{'json': {'config': {'mip': ['Not a valid boolean.'], 'foo': ['Unknown field.']}}}",
        ),
        ({"config": {"options": "a"}}, "{'json': {'config': {'options': ['Not a valid list.']}}}"),
        (
            {"config": {"options": ["a", 1]}},
            "{'json': {'config': {'options': {1: ['Not a valid string.']}}}}",
        ),
        (
            {"config": {"threads": True}},
            "{'json': {'config': {'threads': ['Not a valid integer.']}}}",
        ),
        (
            {"config": {"gapRel": "nan"}},
            "{'json': {'config': {'gapRel': ['Special numeric values (nan or infinity) are not "
            "permitted.']}}}",
        ),
        (
            {"config": {"solver": None}},
            "{'json': {'config': {'solver': ['Field may not be null.']}}}",
        ),
    ]
    for sent, error in cases:
        response = await client.post(path, json=sent, headers=headers["planner"])
        assert response.status_code == 400, sent
        assert response.json() == {"error": error}, sent


async def test_relaunch_missing(client: AsyncClient, headers: dict[str, dict[str, str]]) -> None:
    response = await client.post(
        "/execution/nope/relaunch/", json={"config": {}}, headers=headers["planner"]
    )
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


async def test_relaunch_runs_on_the_local_runner(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    database: Database,
) -> None:
    created = await make_execution("planner")
    path = f"/execution/{created['id']}/relaunch/"
    response = await client.post(path, json={"config": {}}, headers=headers["planner"])
    assert (response.status_code, response.json()) == (201, RELAUNCHED)
    stored = await load_execution(database, created["id"])
    assert stored is not None
    assert stored.state == -7
    assert stored.run_id
    # Validated without the schema's defaults: the relaunch's default solver is kept.
    assert stored.config == {"solver": "PULP_CBC_CMD"}
    again = await client.post(path, json={"config": {}}, headers=headers["planner"])
    assert (again.status_code, again.json()) == (
        400,
        {"message": "This execution is still running"},
    )


async def test_relaunch_config_failing_the_workflow_schema(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    database: Database,
) -> None:
    created = await make_execution("planner")
    response = await client.post(
        f"/execution/{created['id']}/relaunch/",
        json={"config": {"solver": "gurobi"}},
        headers=headers["planner"],
    )
    assert response.status_code == 400
    assert list(response.json()) == ["jsonschema_errors", "error"]
    stored = await load_execution(database, created["id"])
    assert stored is not None
    # The state is left alone, the new config is kept (the Flask server stores it first).
    assert (stored.state, stored.config) == (-4, {"solver": "gurobi"})


async def test_relaunch_with_airflow_down(
    build_client: Callable[..., Any],
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    database: Database,
) -> None:
    created = await make_execution("planner")
    async with build_client(cornflow_backend="airflow") as client:
        response = await client.post(
            f"/execution/{created['id']}/relaunch/",
            json={"config": {"solver": "cbc"}},
            headers=headers["planner"],
        )
    assert response.status_code == 400
    assert response.json() == {
        "message": "The execution couldn't start running.",
        "state": -3,
        "error": "Airflow is not accessible",
    }
    assert (await load_execution(database, created["id"])).state == -3  # type: ignore[union-attr]


async def test_relaunch_paused_and_refused(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    database: Database,
    fake_orchestrator: FakeOrchestrator,
) -> None:
    created = await make_execution("planner")
    path = f"/execution/{created['id']}/relaunch/"
    config = {"config": {"solver": "cbc"}}
    fake_orchestrator.paused = True
    paused = await client.post(path, json=config, headers=headers["planner"])
    # The Flask server answers a paused workflow with its "not reachable" message here.
    assert paused.json() == {
        "message": "The execution couldn't start running.",
        "state": -3,
        "error": "Airflow is not reachable",
    }
    fake_orchestrator.paused = False
    fake_orchestrator.run_error = OrchestratorError("Airflow responded with an error: no")
    refused = await client.post(path, json=config, headers=headers["planner"])
    assert refused.status_code == 400
    assert refused.json()["state"] == -1
    assert (await load_execution(database, created["id"])).state == -1  # type: ignore[union-attr]
    fake_orchestrator.run_error = None
    response = await client.post(path, json=config, headers=headers["planner"])
    assert response.json() == RELAUNCHED
    assert [run.execution_id for run in fake_orchestrator.runs] == [created["id"]]


async def test_closed_deployment_reads_the_workflow_as_flask_does(
    build_client: Callable[..., Any],
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
) -> None:
    created = await make_execution("admin")
    stop = f"/execution/{created['id']}/"
    relaunch = f"/execution/{created['id']}/relaunch/?run=0"
    auth = headers["admin"]
    as_json = {**auth, "Content-Type": "application/json"}
    # Werkzeug's parser message is what the Flask server answers in development (debug).
    async with build_client(open_deployment=0, flask_env="development") as client:
        no_body = await client.post(stop, headers=auth)
        malformed = await client.post(stop, content="{", headers=as_json)
        array = await client.post(stop, json=[1], headers=auth)
        no_schema = await client.post(relaunch, json={"config": {}}, headers=auth)
        # The permission passes, then the relaunch body refuses the extra field.
        with_schema = await client.post(
            relaunch, json={"config": {}, "schema": "solve_model_dag"}, headers=auth
        )
        planner = await client.post(
            stop, json={"schema": "solve_model_dag"}, headers=headers["planner"]
        )
    assert (no_body.status_code, no_body.json()) == (
        415,
        {
            "message": "Did not attempt to load JSON data because the request Content-Type was "
            "not 'application/json'."
        },
    )
    assert malformed.status_code == 400
    assert malformed.json() == {
        "message": "Failed to decode JSON object: Expecting property name enclosed in double "
        "quotes: line 1 column 2 (char 1)"
    }
    assert array.json() == {"error": "The request does not specify a schema to use"}
    assert no_schema.json() == {"error": "The request does not specify a schema to use"}
    assert with_schema.json() == {"error": "{'json': {'schema': ['Unknown field.']}}"}
    # The workflows fixture grants every workflow to every user.
    assert planner.status_code == 404
    # Outside development Flask hides the parser's message; so does a body nested too deep.
    async with build_client(open_deployment=0, flask_env="production") as client:
        hidden = await client.post(stop, content="{", headers=as_json)
        deep = await client.post(stop, content="[" * 100_000, headers=as_json)
    unreadable = {
        "message": "The browser (or proxy) sent a request that this server could not understand."
    }
    assert (hidden.status_code, hidden.json()) == (400, unreadable)
    assert (deep.status_code, deep.json()) == (400, unreadable)
