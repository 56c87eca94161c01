"""/dag/ (manual executions), /dag/<idx>/ (the worker's read and write-back),
/dag/instance/<idx>/ and /dag/case/<idx>/ (checks written by a run)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from workflows.conftest import (
    expect_roles,
    insert_case,
    insert_execution,
    insert_instance,
    read_case,
    read_execution,
    read_instance,
)

from cornflow_fastapi.models import DeployedWorkflow, Execution
from cornflow_fastapi.records.identifiers import NULL_HASH, data_hash
from cornflow_support import pulp_model
from svckit.db import Database

WORKERS = ("service", "admin")
MANUAL = ("service", "admin", "planner")
SAVED = (200, {"message": "results successfully saved"})
UPDATED = (200, {"message": "Updated correctly"})
NOT_FOUND = (404, {"error": "The data entity does not exist on the database"})
EXECUTION_NOT_FOUND = (404, {"error": "The execution does not exist."})
ROUTE_NOT_FOUND = "404 Not Found"
CONFIG = {"solver": "PULP_CBC_CMD", "timeLimit": 10}
EXECUTION_BASE_KEYS = [
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

pytestmark = pytest.mark.usefixtures("workflows")


def invalid_body(messages: dict[str, Any]) -> tuple[int, dict[str, str]]:
    return 400, {"error": str({"json": messages})}


@pytest.fixture
async def planner_instance(database: Database, accounts: dict[str, Any]) -> Any:
    return await insert_instance(database, accounts["planner"].id)


@pytest.fixture
async def planner_execution(database: Database, planner_instance: Any) -> Execution:
    return await insert_execution(database, planner_instance)


async def executions_of(database: Database, instance_id: str) -> list[Execution]:
    async with database.sessionmaker() as session:
        statement = select(Execution).where(Execution.instance_id == instance_id)
        return list((await session.execute(statement)).scalars())


# --- POST /dag/ -----------------------------------------------------------------------------


def manual_body(instance_id: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "config": CONFIG,
        "name": "manual",
        "instance_id": instance_id,
        "schema": "solve_model_dag",
    }
    body.update(fields)
    return body


async def test_manual_execution_access(
    walk_roles: Callable[..., Any], planner_instance: Any, database: Database
) -> None:
    await walk_roles(
        "POST", "/dag/", expect_roles(MANUAL, (201, ...)), json=manual_body(planner_instance.id)
    )
    assert len(await executions_of(database, planner_instance.id)) == len(MANUAL)


async def test_manual_execution_stores_what_was_sent_with_state_2(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    planner_instance: Any,
    database: Database,
    accounts: dict[str, Any],
) -> None:
    solution = pulp_model("solved")
    body = manual_body(
        planner_instance.id,
        description="computed elsewhere",
        data=solution,
        state=-1,
        log_text="log",
        log_json={"status": "Optimal", "time": 2, "unknown": 1},
        checks={"c": []},
        kpis={"k": 1},
        solution_schema="ignored",
    )
    response = await client.post("/dag/", json=body, headers=headers["planner"])

    assert response.status_code == 201
    answer = response.json()
    assert list(answer) == EXECUTION_BASE_KEYS
    assert re.fullmatch(r"[0-9a-f]{40}", answer["id"])
    assert answer | {"id": None, "created_at": None} == {
        "id": None,
        "name": "manual",
        "description": "computed elsewhere",
        "created_at": None,
        "user_id": accounts["planner"].id,
        "data_hash": data_hash(solution),
        "schema": "solve_model_dag",
        "config": CONFIG,
        "instance_id": planner_instance.id,
        "state": 2,
        "message": "The execution was loaded manually.",
    }
    stored = await read_execution(database, answer["id"])
    assert stored is not None
    assert stored.data == solution
    assert (stored.log_text, stored.log_json) == ("log", {"status": "Optimal", "time": 2.0})
    assert (stored.checks, stored.kpis, stored.run_id) == ({"c": []}, {"k": 1}, None)
    assert stored.created_at.isoformat() == answer["created_at"]


async def test_manual_execution_without_data_or_schema(
    client: AsyncClient, headers: dict[str, dict[str, str]], planner_instance: Any
) -> None:
    body = {"config": {}, "name": "bare", "instance_id": planner_instance.id}
    response = await client.post("/dag/", json=body, headers=headers["admin"])
    assert response.status_code == 201
    assert (response.json()["data_hash"], response.json()["schema"]) == (NULL_HASH, None)


async def test_manual_execution_data_is_not_validated_like_flask(
    client: AsyncClient, headers: dict[str, dict[str, str]], planner_instance: Any
) -> None:
    # Flask looks for a `dag_name` field its schema does not declare, so it never validates.
    body = manual_body(planner_instance.id, data={"not": "a pulp solution"})
    response = await client.post("/dag/", json=body, headers=headers["planner"])
    assert response.status_code == 201


async def test_manual_execution_on_an_unknown_instance_is_an_integrity_error(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    response = await client.post("/dag/", json=manual_body("f" * 40), headers=headers["admin"])
    assert response.status_code == 400
    assert re.fullmatch(
        r"Integrity error on saving with data <Execution [0-9a-f]{40}>", response.json()["error"]
    )
    assert await executions_of(database, "f" * 40) == []


async def test_manual_execution_on_someone_elses_instance(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Any],
    build_client: Callable[..., Any],
) -> None:
    theirs = await insert_instance(database, accounts["admin"].id)
    response = await client.post("/dag/", json=manual_body(theirs.id), headers=headers["planner"])
    assert (response.status_code, response.json()) == (
        403,
        {"error": "You have no permission to access the required object"},
    )
    assert await executions_of(database, theirs.id) == []

    async with build_client(user_access_all_objects=1) as shared:
        response = await shared.post(
            "/dag/", json=manual_body(theirs.id), headers=headers["planner"]
        )
    assert response.status_code == 201


async def test_manual_execution_bad_input_writes_nothing(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    planner_instance: Any,
    database: Database,
) -> None:
    cases: list[tuple[Any, dict[str, Any]]] = [
        (
            {"extra": 1, "state": "x"},
            {
                "state": ["Not a valid integer."],
                "config": ["Missing data for required field."],
                "name": ["Missing data for required field."],
                "instance_id": ["Missing data for required field."],
                "extra": ["Unknown field."],
            },
        ),
        (
            manual_body(planner_instance.id, log_json={"matrix": 3}, data=None, schema=None),
            {
                "data": ["Field may not be null."],
                "log_json": {"matrix": {"_schema": ["Invalid input type."]}},
                "schema": ["Field may not be null."],
            },
        ),
        (
            manual_body(planner_instance.id, log_json=[], config=None, kpis=None),
            {
                "log_json": {"_schema": ["Invalid input type."]},
                "config": ["Field may not be null."],
            },
        ),
        ([manual_body(planner_instance.id)], {"_schema": ["Invalid input type."]}),
    ]
    for body, messages in cases:
        response = await client.post("/dag/", json=body, headers=headers["planner"])
        assert (response.status_code, response.json()) == invalid_body(messages), body
    assert await executions_of(database, planner_instance.id) == []


# --- GET /dag/<idx>/ ------------------------------------------------------------------------


async def test_run_input_access_and_shape(
    walk_roles: Callable[..., Any], database: Database, planner_instance: Any
) -> None:
    execution = await insert_execution(database, planner_instance, data={"partial": 1})
    expected = {
        "id": planner_instance.id,
        "data": planner_instance.data,
        "solution_data": {"partial": 1},
        "config": CONFIG,
    }
    await walk_roles("GET", f"/dag/{execution.id}/", expect_roles(WORKERS, (200, expected)))


async def test_run_input_keeps_flask_key_order_and_null_solution(
    client: AsyncClient, headers: dict[str, dict[str, str]], planner_execution: Execution
) -> None:
    response = await client.get(f"/dag/{planner_execution.id}/", headers=headers["service"])
    assert list(response.json()) == ["id", "data", "solution_data", "config"]
    assert response.json()["solution_data"] is None


async def test_run_input_of_an_unknown_execution(
    client: AsyncClient, headers: dict[str, dict[str, str]]
) -> None:
    response = await client.get(f"/dag/{'a' * 40}/", headers=headers["service"])
    assert (response.status_code, response.json()) == EXECUTION_NOT_FOUND


async def test_run_input_of_a_deleted_execution(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    planner_instance: Any,
) -> None:
    from cornflow_fastapi.models import utcnow

    execution = await insert_execution(database, planner_instance, deleted_at=utcnow())
    response = await client.get(f"/dag/{execution.id}/", headers=headers["admin"])
    assert (response.status_code, response.json()) == EXECUTION_NOT_FOUND


async def test_run_input_of_an_execution_whose_instance_is_deleted(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    from cornflow_fastapi.models import utcnow

    instance = await insert_instance(database, 1)
    execution = await insert_execution(database, instance)
    async with database.sessionmaker() as session, session.begin():
        stored = await session.get(type(instance), instance.id)
        assert stored is not None
        stored.deleted_at = utcnow()
    response = await client.get(f"/dag/{execution.id}/", headers=headers["service"])
    assert (response.status_code, response.json()) == (
        404,
        {"error": "The instance does not exist."},
    )


# --- PUT /dag/<idx>/ ------------------------------------------------------------------------


async def test_write_back_access(
    walk_roles: Callable[..., Any], planner_execution: Execution
) -> None:
    await walk_roles(
        "PUT", f"/dag/{planner_execution.id}/", expect_roles(WORKERS, SAVED), json={"state": 1}
    )


async def test_write_back_stores_a_full_result_and_keeps_the_owner(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    planner_execution: Execution,
    database: Database,
    accounts: dict[str, Any],
) -> None:
    solution = pulp_model("solved")
    body = {
        "data": solution,
        "state": 1,
        "log_text": "log",
        "log_json": {
            "status": "Optimal",
            "status_code": 1,
            "sol_code": 1,
            "time": 0.1,
            "solver": "cbc",
            "extra": 1,
        },
        "solution_schema": "solve_model_dag",
        "checks": {"c": []},
        "kpis": {"k": 1},
    }
    response = await client.put(
        f"/dag/{planner_execution.id}/", json=body, headers=headers["service"]
    )
    assert (response.status_code, response.json()) == SAVED

    stored = await read_execution(database, planner_execution.id)
    assert stored is not None
    assert (stored.state, stored.state_message) == (1, "The execution has been solved correctly.")
    assert stored.data == solution
    assert stored.log_json == {
        "status": "Optimal",
        "status_code": 1,
        "sol_code": 1,
        "solver": "cbc",
        "time": 0.1,
    }
    assert (stored.log_text, stored.checks, stored.kpis) == ("log", {"c": []}, {"k": 1})
    assert stored.user_id == accounts["planner"].id
    assert stored.data_hash == planner_execution.data_hash
    assert stored.updated_at > planner_execution.updated_at


async def test_a_log_only_write_marks_the_execution_solved(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    planner_instance: Any,
) -> None:
    execution = await insert_execution(database, planner_instance, state=-1, kpis={"k": 1})
    response = await client.put(
        f"/dag/{execution.id}/", json={"log_text": "airflow log"}, headers=headers["admin"]
    )
    assert response.status_code == 200
    stored = await read_execution(database, execution.id)
    assert stored is not None
    assert (stored.state, stored.log_text, stored.kpis) == (1, "airflow log", {"k": 1})


async def test_a_failure_state_and_a_null_kpis(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    planner_instance: Any,
) -> None:
    execution = await insert_execution(database, planner_instance, kpis={"k": 1})
    response = await client.put(
        f"/dag/{execution.id}/", json={"state": -6, "kpis": None}, headers=headers["service"]
    )
    assert response.status_code == 200
    stored = await read_execution(database, execution.id)
    assert stored is not None
    assert (stored.state, stored.state_message, stored.kpis) == (
        -6,
        "The execution executed ok but failed while saving it.",
        None,
    )


async def test_new_data_clears_stale_checks_and_kpis(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    planner_instance: Any,
) -> None:
    execution = await insert_execution(
        database, planner_instance, checks={"old": 1}, kpis={"old": 2}
    )
    response = await client.put(
        f"/dag/{execution.id}/",
        json={"data": pulp_model(), "kpis": {"new": 3}},
        headers=headers["service"],
    )
    assert response.status_code == 200
    stored = await read_execution(database, execution.id)
    assert stored is not None
    assert (stored.checks, stored.kpis) == (None, {"new": 3})


async def test_data_failing_the_solution_schema_changes_nothing(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    planner_execution: Execution,
    database: Database,
) -> None:
    response = await client.put(
        f"/dag/{planner_execution.id}/",
        json={"data": {"a": 1}, "log_text": "x", "state": 1},
        headers=headers["service"],
    )
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["jsonschema_errors", "error"]
    assert body["error"] == "The data sent is not valid"
    assert body["jsonschema_errors"][0].startswith("'constraints' is a required property")
    stored = await read_execution(database, planner_execution.id)
    assert stored is not None
    assert (stored.state, stored.data, stored.log_text) == (-4, None, None)


async def test_pulp_is_validated_as_solve_model_dag(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    planner_instance: Any,
) -> None:
    execution = await insert_execution(database, planner_instance, schema="pulp")
    response = await client.put(
        f"/dag/{execution.id}/", json={"data": {"a": 1}}, headers=headers["service"]
    )
    assert response.status_code == 400
    assert "jsonschema_errors" in response.json()


async def test_an_unknown_workflow_is_404_only_when_data_is_sent(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    planner_instance: Any,
) -> None:
    execution = await insert_execution(database, planner_instance, schema="nodag")
    url = f"/dag/{execution.id}/"
    response = await client.put(url, json={"data": {}}, headers=headers["service"])
    assert (response.status_code, response.json()) == (
        404,
        {"error": "The DAG nodag does not exist in the database."},
    )
    response = await client.put(url, json={"log_text": "x"}, headers=headers["service"])
    assert response.status_code == 200


async def test_an_unknown_state_is_refused_after_the_data_is_validated(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    planner_execution: Execution,
    database: Database,
) -> None:
    url = f"/dag/{planner_execution.id}/"
    response = await client.put(url, json={"state": 9}, headers=headers["service"])
    assert (response.status_code, response.json()) == (
        400,
        {"error": "The execution state 9 does not exist"},
    )
    response = await client.put(
        url, json={"state": 9, "data": {"a": 1}}, headers=headers["service"]
    )
    assert response.json()["error"] == "The data sent is not valid"
    stored = await read_execution(database, planner_execution.id)
    assert stored is not None
    assert stored.state == -4


async def test_malformed_bodies_get_marshmallow_messages_and_change_nothing(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    planner_execution: Execution,
    database: Database,
) -> None:
    cases: list[tuple[Any, dict[str, Any]]] = [
        (
            {"log_json": {"progress": {"Node": [None, 1]}, "presolve": {}}, "state": "x"},
            {
                "log_json": {
                    "presolve": {
                        "cols": ["Missing data for required field."],
                        "rows": ["Missing data for required field."],
                        "time": ["Missing data for required field."],
                    },
                    "progress": {
                        "Node": {0: ["Field may not be null."], 1: ["Not a valid string."]}
                    },
                },
                "state": ["Not a valid integer."],
            },
        ),
        (
            {"data": None, "checks": None, "log_text": None, "log_json": None, "x": 1},
            {
                "data": ["Field may not be null."],
                "log_text": ["Field may not be null."],
                "log_json": ["Field may not be null."],
                "checks": ["Field may not be null."],
                "x": ["Unknown field."],
            },
        ),
        (
            {"log_json": "text", "state": True},
            {
                "log_json": {"_schema": ["Invalid input type."]},
                "state": ["Not a valid integer."],
            },
        ),
        ("a string", {"_schema": ["Invalid input type."]}),
    ]
    for body, messages in cases:
        response = await client.put(
            f"/dag/{planner_execution.id}/", json=body, headers=headers["service"]
        )
        assert (response.status_code, response.json()) == invalid_body(messages), body
    stored = await read_execution(database, planner_execution.id)
    assert stored is not None
    assert (stored.state, stored.log_json, stored.updated_at) == (
        -4,
        None,
        planner_execution.updated_at,
    )


async def test_a_malformed_body_is_refused_before_the_execution_is_looked_up(
    client: AsyncClient, headers: dict[str, dict[str, str]]
) -> None:
    response = await client.put(
        f"/dag/{'b' * 40}/", json={"log_json": 1}, headers=headers["service"]
    )
    assert response.status_code == 400
    response = await client.put(f"/dag/{'b' * 40}/", json={}, headers=headers["service"])
    assert (response.status_code, response.json()) == EXECUTION_NOT_FOUND


async def test_a_workflow_without_stored_schemas_asks_the_orchestrator(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    planner_instance: Any,
) -> None:
    # The local orchestrator serves the installed knapsack app's schemas.
    async with database.sessionmaker() as session, session.begin():
        session.add(DeployedWorkflow(id="knapsack", description="no schemas stored"))
    execution = await insert_execution(database, planner_instance, schema="knapsack")
    url = f"/dag/{execution.id}/"

    response = await client.put(url, json={"data": {"x": 1}}, headers=headers["service"])
    assert response.status_code == 400
    [error] = response.json()["jsonschema_errors"]
    assert error.startswith("'chosen' is a required property")
    response = await client.put(url, json={"data": {"chosen": []}}, headers=headers["service"])
    assert response.status_code == 200


async def test_an_unreachable_airflow_for_missing_schemas_is_a_400(
    build_client: Callable[..., Any],
    headers: dict[str, dict[str, str]],
    database: Database,
    planner_instance: Any,
) -> None:
    async with database.sessionmaker() as session, session.begin():
        session.add(DeployedWorkflow(id="remote", description="schemas only in Airflow"))
    execution = await insert_execution(database, planner_instance, schema="remote")
    async with build_client(cornflow_backend="airflow") as airflow_client:
        response = await airflow_client.put(
            f"/dag/{execution.id}/", json={"data": {}}, headers=headers["service"]
        )
    assert (response.status_code, response.json()) == (
        400,
        {"error": "Airflow is not accessible"},
    )


async def test_write_back_to_someone_elses_execution_with_a_granted_planner(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    planner_execution: Execution,
    database: Database,
    accounts: dict[str, Any],
) -> None:
    # Owners only, like the Flask server, once a custom grant lets a planner in.
    from cornflow_fastapi.access.catalog import DAG, ActionId, RoleId
    from cornflow_fastapi.models import ApiView, PermissionView, utcnow

    theirs = await insert_execution(database, await insert_instance(database, accounts["admin"].id))
    async with database.sessionmaker() as session, session.begin():
        view_id = await session.scalar(select(ApiView.id).where(ApiView.url_rule == DAG.url_rule))
        for action in (ActionId.GET, ActionId.PUT):
            session.add(
                PermissionView(
                    action_id=action,
                    api_view_id=view_id,
                    role_id=RoleId.PLANNER,
                    created_at=utcnow(),
                    updated_at=utcnow(),
                )
            )
    for method, extra in (("GET", {}), ("PUT", {"json": {}})):
        response = await client.request(
            method, f"/dag/{theirs.id}/", headers=headers["planner"], **extra
        )
        assert (response.status_code, response.json()) == EXECUTION_NOT_FOUND
        response = await client.request(
            method, f"/dag/{planner_execution.id}/", headers=headers["planner"], **extra
        )
        assert response.status_code == 200


# --- PUT /dag/instance/<idx>/ and /dag/case/<idx>/ ------------------------------------------


async def test_instance_checks_access(
    walk_roles: Callable[..., Any], planner_instance: Any, database: Database
) -> None:
    await walk_roles(
        "PUT",
        f"/dag/instance/{planner_instance.id}/",
        expect_roles(WORKERS, UPDATED),
        json={"checks": {"x": []}},
    )
    stored = await read_instance(database, planner_instance.id)
    assert stored is not None
    assert stored.checks == {"x": []}
    assert stored.user_id == planner_instance.user_id
    assert stored.updated_at > planner_instance.updated_at


async def test_instance_checks_errors(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    planner_instance: Any,
    database: Database,
) -> None:
    url = f"/dag/instance/{planner_instance.id}/"
    response = await client.put(url, json={"checks": None}, headers=headers["service"])
    assert (response.status_code, response.json()) == invalid_body(
        {"checks": ["Field may not be null."]}
    )
    response = await client.put(url, json={"checks": 1, "data": 2}, headers=headers["service"])
    assert (response.status_code, response.json()) == invalid_body({"data": ["Unknown field."]})
    response = await client.put(
        f"/dag/instance/{'c' * 40}/", json={"checks": {}}, headers=headers["service"]
    )
    assert (response.status_code, response.json()) == NOT_FOUND
    response = await client.put(url, json={}, headers=headers["service"])
    assert (response.status_code, response.json()) == UPDATED
    stored = await read_instance(database, planner_instance.id)
    assert stored is not None
    assert stored.checks is None


async def test_case_checks_access(
    walk_roles: Callable[..., Any], database: Database, accounts: dict[str, Any]
) -> None:
    case = await insert_case(database, accounts["planner"].id, kpis={"old": 1})
    await walk_roles(
        "PUT",
        f"/dag/case/{case.id}/",
        expect_roles(WORKERS, UPDATED),
        json={"checks": {"c": 1}, "solution_checks": {"s": 2}},
    )
    stored = await read_case(database, case.id)
    assert stored is not None
    assert (stored.checks, stored.solution_checks, stored.kpis) == (
        {"c": 1},
        {"s": 2},
        {"old": 1},
    )
    assert stored.updated_at > case.updated_at


async def test_case_checks_errors(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Any],
) -> None:
    case = await insert_case(database, accounts["planner"].id)
    url = f"/dag/case/{case.id}/"
    response = await client.put(url, json={"kpis": None, "solution": 1}, headers=headers["admin"])
    assert (response.status_code, response.json()) == invalid_body(
        {"kpis": ["Field may not be null."], "solution": ["Unknown field."]}
    )
    response = await client.put(url, json={"kpis": {"k": 1}}, headers=headers["admin"])
    assert (response.status_code, response.json()) == UPDATED
    for missing in ("999999", "99999999999999999999"):
        response = await client.put(f"/dag/case/{missing}/", json={}, headers=headers["service"])
        assert (response.status_code, response.json()) == NOT_FOUND
    response = await client.put("/dag/case/abc/", json={}, headers=headers["service"])
    assert (response.status_code, response.json()["message"]) == (404, ROUTE_NOT_FOUND)
    stored = await read_case(database, case.id)
    assert stored is not None
    assert stored.kpis == {"k": 1}
