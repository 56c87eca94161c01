"""POST /execution/: creating an execution and starting its run (spec §4.1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from executions.conftest import FakeOrchestrator, MakeInstance, load_execution
from httpx import AsyncClient
from sqlalchemy import func, select

from cornflow_fastapi.models import Execution
from cornflow_fastapi.orchestrators.base import OrchestratorError
from cornflow_fastapi.records.identifiers import NULL_HASH, data_hash
from cornflow_support import DENIED, NO_TOKEN, Account, pulp_model
from svckit.db import Database

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
NOT_STARTED = "The execution couldn't start running."


def body(instance_id: str, **fields: Any) -> dict[str, Any]:
    return {"config": {"solver": "cbc"}, "name": "run", "instance_id": instance_id, **fields}


async def count_executions(database: Database) -> int:
    async with database.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Execution)) or 0)


async def test_not_run_answers_the_execution(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    accounts: dict[str, Account],
    make_instance: MakeInstance,
) -> None:
    instance_id = await make_instance("planner")
    response = await client.post(
        "/execution/?run=0",
        json=body(instance_id, description="first", config={"timeLimit": 10, "solver": "cbc"}),
        headers=headers["planner"],
    )
    assert response.status_code == 201, response.text
    answer = response.json()
    assert list(answer) == BASE_KEYS
    assert len(answer["id"]) == 40
    assert answer | {"id": None, "created_at": None} == {
        "id": None,
        "name": "run",
        "description": "first",
        "created_at": None,
        "user_id": accounts["planner"].id,
        "data_hash": NULL_HASH,
        "schema": "solve_model_dag",
        "config": {"timeLimit": 10, "solver": "cbc"},
        "instance_id": instance_id,
        "state": -4,
        "message": "The execution wasn't run by user choice.",
    }
    assert "T" in answer["created_at"]


async def test_roles(
    walk_roles: Callable[..., Any], make_instance: MakeInstance, accounts: dict[str, Account]
) -> None:
    instances = {
        role: await make_instance(role) for role in ("service", "admin", "planner", "viewer")
    }

    def path(role: str | None) -> str:
        return "/execution/?run=0"

    for role in ("service", "admin", "planner"):
        expected: dict[str | None, tuple[int, Any]] = {
            None: NO_TOKEN,
            "service": (201 if role == "service" else 403, ...),
            "admin": (201 if role == "admin" else 403, ...),
            "planner": (201 if role == "planner" else 403, ...),
            "viewer": DENIED,
            "dummy": DENIED,
            "norole": DENIED,
        }
        await walk_roles("POST", path, expected, json=body(instances[role]))


async def test_someone_elses_instance_is_forbidden_even_to_admins(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_instance: MakeInstance,
    database: Database,
) -> None:
    instance_id = await make_instance("planner")
    for role in ("admin", "service"):
        response = await client.post(
            "/execution/?run=0", json=body(instance_id), headers=headers[role]
        )
        assert response.status_code == 403
        assert response.json() == {"error": "You have no permission to access the required object"}
    assert await count_executions(database) == 0


async def test_everyone_may_use_any_instance_when_all_objects_are_shared(
    build_client: Callable[..., Any],
    headers: dict[str, dict[str, str]],
    make_instance: MakeInstance,
    accounts: dict[str, Account],
) -> None:
    instance_id = await make_instance("admin")
    async with build_client(user_access_all_objects=1) as client:
        response = await client.post(
            "/execution/?run=0", json=body(instance_id), headers=headers["planner"]
        )
    assert response.status_code == 201
    assert response.json()["user_id"] == accounts["planner"].id


async def test_missing_instance(client: AsyncClient, headers: dict[str, dict[str, str]]) -> None:
    response = await client.post(
        "/execution/?run=0", json=body("f" * 40), headers=headers["planner"]
    )
    assert response.status_code == 404
    assert response.json() == {"error": "The data entity does not exist on the database"}


async def test_schema_mismatch_leaves_nothing(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_instance: MakeInstance,
    database: Database,
) -> None:
    instance_id = await make_instance("planner")
    response = await client.post(
        "/execution/?run=0", json=body(instance_id, schema="timer"), headers=headers["planner"]
    )
    assert response.status_code == 400
    assert response.json() == {"error": "Instance and execution schema mismatch"}
    # An instance stored without a schema never matches the default one.
    no_schema = await make_instance("planner", schema=None)
    response = await client.post(
        "/execution/?run=0", json=body(no_schema), headers=headers["planner"]
    )
    assert response.json() == {"error": "Instance and execution schema mismatch"}
    assert await count_executions(database) == 0


async def test_bad_bodies(
    client: AsyncClient, headers: dict[str, dict[str, str]], make_instance: MakeInstance
) -> None:
    instance_id = await make_instance("planner")
    cases: list[tuple[Any, str]] = [
        (
            {},
            "{'json': {'config': ['Missing data for required field.'], "
            "'name': ['Missing data for required field.'], "
            "'instance_id': ['Missing data for required field.']}}",
        ),
        (
            body(instance_id, extra=1),
            "{'json': {'extra': ['Unknown field.']}}",
        ),
        (
            body(instance_id, config=None),
            "{'json': {'config': ['Field may not be null.']}}",
        ),
        (
            body(instance_id, name=3),
            "{'json': {'name': ['Not a valid string.']}}",
        ),
        (
            body(instance_id, data=None),
            "{'json': {'data': ['Field may not be null.']}}",
        ),
        (
            body(instance_id, schema=None),
            "{'json': {'schema': ['Field may not be null.']}}",
        ),
        (
            body(instance_id, description=None),
            "{'json': {'description': ['Field may not be null.']}}",
        ),
        ([1], "{'json': {'_schema': ['Invalid input type.']}}"),
    ]
    for sent, error in cases:
        response = await client.post("/execution/?run=0", json=sent, headers=headers["planner"])
        assert response.status_code == 400, sent
        assert response.json() == {"error": error}, sent


async def test_initial_solution_gives_the_hash(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_instance: MakeInstance,
    database: Database,
) -> None:
    instance_id = await make_instance("planner")
    solution = pulp_model("solution")
    response = await client.post(
        "/execution/?run=0", json=body(instance_id, data=solution), headers=headers["planner"]
    )
    assert response.json()["data_hash"] == data_hash(solution)
    execution = await load_execution(database, response.json()["id"])
    assert execution is not None
    assert execution.data == solution
    assert execution.execution_files_status == 0
    assert execution.checks_and_kpis_only is False


async def test_run_queues_on_the_local_runner(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_instance: MakeInstance,
    database: Database,
) -> None:
    instance_id = await make_instance("planner")
    response = await client.post(
        "/execution/", json=body(instance_id, config={}), headers=headers["planner"]
    )
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["state"] == -7
    assert answer["message"] == "The execution is currently queued."
    # The config schema's defaults are filled in and stored.
    assert answer["config"] == {"solver": "cbc"}
    execution = await load_execution(database, answer["id"])
    assert execution is not None
    assert execution.run_id
    assert execution.config == {"solver": "cbc"}


async def test_run_of_an_uninstalled_workflow_does_not_start(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_instance: MakeInstance,
    database: Database,
) -> None:
    instance_id = await make_instance("planner", schema="timer", data={"anything": 1})
    response = await client.post(
        "/execution/", json=body(instance_id, schema="timer"), headers=headers["planner"]
    )
    assert response.status_code == 404
    assert response.json() == {"error": "The workflow timer is not installed on this server"}
    [execution] = await list_all(database)
    assert execution.state == -3
    assert execution.run_id is None


async def list_all(database: Database) -> list[Execution]:
    async with database.sessionmaker() as session:
        return list((await session.execute(select(Execution))).scalars())


async def test_unreachable_airflow_keeps_the_execution(
    build_client: Callable[..., Any],
    headers: dict[str, dict[str, str]],
    make_instance: MakeInstance,
    database: Database,
) -> None:
    instance_id = await make_instance("planner")
    async with build_client(cornflow_backend="airflow", airflow_url="http://127.0.0.1:9") as client:
        response = await client.post(
            "/execution/", json=body(instance_id), headers=headers["planner"]
        )
        assert response.status_code == 400
        assert response.json() == {
            "message": NOT_STARTED,
            "state": -3,
            "error": "Airflow is not accessible",
        }
        assert list(response.json()) == ["message", "state", "error"]
        listed = await client.get("/execution/", headers=headers["planner"])
    [execution] = await list_all(database)
    assert execution.state == -3
    assert execution.state_message == NOT_STARTED
    assert [row["id"] for row in listed.json()] == [execution.id]


async def test_config_failing_its_schema(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_instance: MakeInstance,
    database: Database,
    fake_orchestrator: FakeOrchestrator,
) -> None:
    instance_id = await make_instance("planner")
    response = await client.post(
        "/execution/",
        json=body(instance_id, config={"solver": "gurobi"}),
        headers=headers["planner"],
    )
    assert response.status_code == 400
    answer = response.json()
    assert list(answer) == ["jsonschema_errors", "error"]
    assert answer["error"] == "The data sent is not valid"
    assert answer["jsonschema_errors"][0].startswith(
        "'gurobi' is not one of ['cbc', 'PULP_CBC_CMD']"
    )
    [execution] = await list_all(database)
    assert execution.state == -3
    assert execution.state_message.startswith(
        "The execution could not be run because the config does not comply"
    )
    assert execution.log_text == str(answer["jsonschema_errors"])
    assert fake_orchestrator.runs == []


async def test_instance_data_failing_its_schema(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_instance: MakeInstance,
    database: Database,
    fake_orchestrator: FakeOrchestrator,
) -> None:
    instance_id = await make_instance("planner", data={"not": "pulp"})
    response = await client.post("/execution/", json=body(instance_id), headers=headers["planner"])
    assert response.status_code == 400
    assert response.json()["jsonschema_errors"]
    [execution] = await list_all(database)
    assert execution.state == -3
    assert "the instance data does not comply" in (execution.state_message or "")


async def test_solution_failing_its_schema(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_instance: MakeInstance,
    database: Database,
    fake_orchestrator: FakeOrchestrator,
) -> None:
    instance_id = await make_instance("planner")
    response = await client.post(
        "/execution/", json=body(instance_id, data={"a": 1}), headers=headers["planner"]
    )
    assert response.status_code == 400
    assert response.json()["jsonschema_errors"]
    [execution] = await list_all(database)
    assert execution.state == -3
    assert "the solution data does not comply" in (execution.state_message or "")
    assert fake_orchestrator.runs == []


async def test_paused_workflow(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_instance: MakeInstance,
    database: Database,
    fake_orchestrator: FakeOrchestrator,
) -> None:
    fake_orchestrator.paused = True
    instance_id = await make_instance("planner")
    response = await client.post("/execution/", json=body(instance_id), headers=headers["planner"])
    assert response.status_code == 400
    assert response.json() == {
        "message": NOT_STARTED,
        "state": -3,
        "error": "The dag exists but it is paused in airflow",
    }
    [execution] = await list_all(database)
    assert execution.state == -3


async def test_orchestrator_refusing_the_run(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_instance: MakeInstance,
    database: Database,
    fake_orchestrator: FakeOrchestrator,
) -> None:
    fake_orchestrator.run_error = OrchestratorError("Airflow responded with an error: boom")
    instance_id = await make_instance("planner")
    response = await client.post("/execution/", json=body(instance_id), headers=headers["planner"])
    assert response.status_code == 400
    assert response.json() == {
        "message": "The execution has found an error.",
        "state": -1,
        "error": "Airflow responded with an error: boom",
    }
    [execution] = await list_all(database)
    assert execution.state == -1


async def test_unknown_workflow_in_the_orchestrator(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_instance: MakeInstance,
    database: Database,
    fake_orchestrator: FakeOrchestrator,
) -> None:
    fake_orchestrator.info_error = OrchestratorError('{"detail": "no such dag"}', status_code=404)
    instance_id = await make_instance("planner")
    response = await client.post("/execution/", json=body(instance_id), headers=headers["planner"])
    assert response.status_code == 404
    assert response.json() == {"error": '{"detail": "no such dag"}'}
    [execution] = await list_all(database)
    assert execution.state == -3


async def test_run_through_the_orchestrator(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_instance: MakeInstance,
    database: Database,
    fake_orchestrator: FakeOrchestrator,
) -> None:
    instance_id = await make_instance("planner")
    response = await client.post("/execution/", json=body(instance_id), headers=headers["planner"])
    assert response.status_code == 201
    execution_id = response.json()["id"]
    [request] = fake_orchestrator.runs
    assert (request.execution_id, request.workflow) == (execution_id, "solve_model_dag")
    assert request.checks_and_kpis_only is False
    execution = await load_execution(database, execution_id)
    assert execution is not None
    assert (execution.state, execution.run_id) == (-7, f"run-{execution_id}-1")


async def test_closed_deployment_needs_the_workflow(
    build_client: Callable[..., Any],
    headers: dict[str, dict[str, str]],
    make_instance: MakeInstance,
) -> None:
    instance_id = await make_instance("planner")
    async with build_client(open_deployment=0) as client:
        missing = await client.post(
            "/execution/?run=0", json=body(instance_id), headers=headers["planner"]
        )
        granted = await client.post(
            "/execution/?run=0",
            json=body(instance_id, schema="solve_model_dag"),
            headers=headers["planner"],
        )
        # The workflow permission is checked before the body is validated.
        unknown = await client.post(
            "/execution/?run=0",
            json={"schema": "not_a_dag", "extra": 1},
            headers=headers["planner"],
        )
    assert missing.status_code == 400
    assert missing.json() == {"error": "The request does not specify a schema to use"}
    assert granted.status_code == 201
    assert unknown.status_code == 403
    assert unknown.json() == {"error": "You do not have permission to use this DAG"}


async def test_numbers_json_cannot_hold_are_refused(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_instance: MakeInstance,
    database: Database,
) -> None:
    instance_id = await make_instance("planner")
    for sent in ('{"config": {"gap": NaN}}', '{"config": {}, "data": [Infinity]}'):
        text = sent[:-1] + f', "name": "n", "instance_id": "{instance_id}"}}'
        response = await client.post(
            "/execution/?run=0",
            content=text,
            headers={**headers["planner"], "Content-Type": "application/json"},
        )
        assert response.status_code == 400, text
        assert response.json()["error"].startswith("Unknown database error on saving with data")
    assert await count_executions(database) == 0
