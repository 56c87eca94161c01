"""/data-check[-kpis]/execution/<idx>/, .../instance/<idx>/ and .../case/<idx>/."""

from collections.abc import Callable
from typing import Any

import pytest
from datachecks.conftest import FakeOrchestrator, MakeRow, load
from httpx import AsyncClient
from sqlalchemy import func, select

from cornflow_fastapi.models import Case, Execution, Instance, PermissionDag
from cornflow_fastapi.orchestrators.base import OrchestratorError
from cornflow_fastapi.records.identifiers import NULL_HASH, data_hash
from cornflow_support import DENIED, NO_TOKEN, Account, pulp_model
from svckit.db import Database

PREFIXES = ("/data-check-kpis", "/data-check")
KEYS = [
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
NOT_RUN = "The execution wasn't run by user choice."
NO_OBJECT_PERMISSION = (403, {"error": "You have no permission to access the required object"})
UNREACHABLE = {
    "message": "The execution couldn't start running.",
    "state": -3,
    "error": "Airflow is not reachable",
}
HUGE = "99999999999999999999"


def planners_and_admins(admin: tuple[int, Any]) -> dict[Any, Any]:
    return {
        None: NO_TOKEN,
        "service": DENIED,
        "admin": admin,
        "planner": (201, ...),
        "viewer": DENIED,
        "dummy": DENIED,
        "norole": DENIED,
    }


async def count(database: Database, model: type[Any]) -> int:
    async with database.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


# --- access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_execution_check_access(
    prefix: str, walk_roles: Callable[..., Any], make_execution: MakeRow
) -> None:
    execution = await make_execution()
    # Admins re-run checks on anyone's execution.
    await walk_roles(
        "POST", f"{prefix}/execution/{execution}/?run=0", planners_and_admins((201, ...))
    )


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_instance_check_access(
    prefix: str, walk_roles: Callable[..., Any], make_instance: MakeRow
) -> None:
    instance = await make_instance()
    # Admins see the instance, but a new execution only goes on one's own instance.
    await walk_roles(
        "POST", f"{prefix}/instance/{instance}/?run=0", planners_and_admins(NO_OBJECT_PERMISSION)
    )


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_case_check_access(
    prefix: str, walk_roles: Callable[..., Any], make_case: MakeRow
) -> None:
    case = await make_case()
    await walk_roles("POST", f"{prefix}/case/{case}/?run=0", planners_and_admins((201, ...)))


# --- ?run=0 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_execution_check_not_run(
    prefix: str,
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    make_execution: MakeRow,
) -> None:
    execution_id = await make_execution(state=1)
    before = await load(database, Execution, execution_id)
    response = await client.post(
        f"{prefix}/execution/{execution_id}/?run=0", headers=headers["planner"]
    )
    assert response.status_code == 201
    body = response.json()
    assert list(body) == KEYS
    assert body["id"] == execution_id
    assert body["name"] == "exec"
    assert (body["state"], body["message"]) == (-4, NOT_RUN)
    assert body["config"] == {"solver": "cbc"}
    stored = await load(database, Execution, execution_id)
    assert stored.state == -4
    assert stored.updated_at >= before.updated_at
    assert await count(database, Execution) == 1


@pytest.mark.parametrize("state", [0, -7])
async def test_execution_still_running(
    state: int,
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    make_execution: MakeRow,
) -> None:
    execution_id = await make_execution(state=state)
    for query in ("?run=0", ""):
        response = await client.post(
            f"/data-check/execution/{execution_id}/{query}", headers=headers["planner"]
        )
        assert (response.status_code, response.json()) == (
            400,
            {"error": "The execution is still running"},
        )
    assert (await load(database, Execution, execution_id)).state == state


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_instance_check_not_run(
    prefix: str,
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    make_instance: MakeRow,
    accounts: dict[str, Account],
) -> None:
    instance_id = await make_instance()
    response = await client.post(
        f"{prefix}/instance/{instance_id}/?run=0", headers=headers["planner"]
    )
    assert response.status_code == 201
    body = response.json()
    assert list(body) == KEYS
    assert body == {
        "id": body["id"],
        "name": "data_check_instance_inst",
        "description": None,
        "created_at": body["created_at"],
        "user_id": accounts["planner"].id,
        "data_hash": NULL_HASH,
        "schema": "solve_model_dag",
        "config": {"checks_and_kpis_only": True},
        "instance_id": instance_id,
        "state": -4,
        "message": NOT_RUN,
    }
    stored = await load(database, Execution, body["id"])
    assert stored.checks_and_kpis_only is True
    assert stored.last_run_checks_and_kpis is False
    assert stored.execution_files_status == 0
    assert stored.run_id is None


async def test_instance_without_schema(
    client: AsyncClient, headers: dict[str, dict[str, str]], make_instance: MakeRow
) -> None:
    instance_id = await make_instance(schema=None)
    response = await client.post(
        f"/data-check/instance/{instance_id}/?run=0", headers=headers["planner"]
    )
    assert response.status_code == 201
    assert response.json()["schema"] is None


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_case_check_not_run(
    prefix: str,
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    make_case: MakeRow,
    accounts: dict[str, Account],
) -> None:
    solution = pulp_model("solved")
    case_id = await make_case(solution=solution, name="mycase")
    response = await client.post(f"{prefix}/case/{case_id}/?run=0", headers=headers["planner"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert list(body) == KEYS
    assert body["name"] == "data_check_case_mycase"
    assert body["data_hash"] == data_hash(solution)
    assert (body["config"], body["state"], body["schema"]) == (
        {"checks_and_kpis_only": True},
        -4,
        "solve_model_dag",
    )
    instance = await load(database, Instance, body["instance_id"])
    assert instance.name == "data_check_case_mycase"
    assert instance.description is None
    assert instance.data == pulp_model()
    assert instance.user_id == accounts["planner"].id
    assert instance.schema == "solve_model_dag"
    execution = await load(database, Execution, body["id"])
    assert execution.data == solution
    assert execution.checks_and_kpis_only is True


async def test_case_without_schema_uses_the_default_workflow(
    client: AsyncClient, headers: dict[str, dict[str, str]], make_case: MakeRow
) -> None:
    case_id = await make_case(schema=None)
    response = await client.post(f"/data-check/case/{case_id}/?run=0", headers=headers["planner"])
    assert response.status_code == 201
    assert response.json()["schema"] == "solve_model_dag"


async def test_folder_case_on_an_open_workflow(
    client: AsyncClient, headers: dict[str, dict[str, str]], make_case: MakeRow
) -> None:
    case_id = await make_case(schema="timer", data=None)
    response = await client.post(f"/data-check/case/{case_id}/?run=0", headers=headers["planner"])
    assert response.status_code == 201
    assert response.json()["data_hash"] == NULL_HASH


@pytest.mark.parametrize(
    ("fields", "what"),
    [({"data": {"a": 1}}, "data"), ({"solution": {"a": 1}}, "solution"), ({"data": None}, "data")],
)
async def test_case_data_must_fit_the_workflow(
    fields: dict[str, Any],
    what: str,
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    make_case: MakeRow,
) -> None:
    case_id = await make_case(**fields)
    response = await client.post(f"/data-check/case/{case_id}/?run=0", headers=headers["planner"])
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["jsonschema_errors", "error"]
    assert body["error"] == "The data sent is not valid"
    assert body["jsonschema_errors"]
    # Nothing is written, not even the instance (whose data was valid in the solution case).
    assert await count(database, Instance) == 0
    assert await count(database, Execution) == 0


async def test_case_of_an_unknown_workflow(
    client: AsyncClient, headers: dict[str, dict[str, str]], make_case: MakeRow
) -> None:
    case_id = await make_case(schema="nothing")
    response = await client.post(f"/data-check/case/{case_id}/?run=0", headers=headers["planner"])
    assert (response.status_code, response.json()) == (
        404,
        {"error": "The DAG nothing does not exist in the database."},
    )


# --- someone else's objects, missing objects --------------------------------------------------


async def test_other_users_objects_are_missing(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeRow,
    make_instance: MakeRow,
    make_case: MakeRow,
) -> None:
    targets = {
        "execution": (await make_execution("admin"), "The execution to check does not exist"),
        "instance": (await make_instance("admin"), "The instance to check does not exist"),
        "case": (await make_case("admin"), "The case to check does not exist"),
    }
    for kind, (idx, message) in targets.items():
        for prefix in PREFIXES:
            for path_id in (idx, "0" * 40 if kind != "case" else "999"):
                response = await client.post(
                    f"{prefix}/{kind}/{path_id}/?run=0", headers=headers["planner"]
                )
                assert (response.status_code, response.json()) == (404, {"error": message})


async def test_case_identifiers(client: AsyncClient, headers: dict[str, dict[str, str]]) -> None:
    response = await client.post(f"/data-check/case/{HUGE}/?run=0", headers=headers["planner"])
    assert (response.status_code, response.json()) == (
        404,
        {"error": "The case to check does not exist"},
    )
    response = await client.post("/data-check/case/abc/?run=0", headers=headers["planner"])
    assert response.status_code == 404
    assert response.json()["message"] == "404 Not Found"


async def test_everyone_sees_everything_with_user_access_all_objects(
    build_client: Callable[..., Any],
    headers: dict[str, dict[str, str]],
    make_execution: MakeRow,
    make_instance: MakeRow,
    make_case: MakeRow,
) -> None:
    paths = [
        f"/data-check/execution/{await make_execution('admin')}/?run=0",
        f"/data-check/instance/{await make_instance('admin')}/?run=0",
        f"/data-check/case/{await make_case('admin')}/?run=0",
    ]
    async with build_client(user_access_all_objects=1) as client:
        for path in paths:
            response = await client.post(path, headers=headers["planner"])
            assert response.status_code == 201, (path, response.text)


# --- OPEN_DEPLOYMENT=0 ------------------------------------------------------------------------


async def test_closed_deployment_needs_a_permitted_schema(
    build_client: Callable[..., Any],
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
    make_instance: MakeRow,
) -> None:
    instance_id = await make_instance()
    path = f"/data-check/instance/{instance_id}/?run=0"
    async with build_client(open_deployment=0) as client:
        # The body is read as Flask's `request.json` reads it.
        response = await client.post(path, headers=headers["planner"])
        assert response.status_code == 415
        response = await client.post(path, json={}, headers=headers["planner"])
        assert (response.status_code, response.json()) == (
            400,
            {"error": "The request does not specify a schema to use"},
        )
        response = await client.post(path, json={"schema": "nothing"}, headers=headers["planner"])
        assert (response.status_code, response.json()) == (
            403,
            {"error": "You do not have permission to use this DAG"},
        )
        response = await client.post(
            path, json={"schema": "solve_model_dag"}, headers=headers["planner"]
        )
        assert response.status_code == 201
    async with database.sessionmaker() as session:
        granted = await session.scalar(
            select(func.count())
            .select_from(PermissionDag)
            .where(PermissionDag.user_id == accounts["planner"].id)
        )
    assert granted


# --- starting the run -------------------------------------------------------------------------


async def test_unreachable_airflow_keeps_the_new_rows(
    build_client: Callable[..., Any],
    headers: dict[str, dict[str, str]],
    database: Database,
    make_case: MakeRow,
) -> None:
    case_id = await make_case()
    async with build_client(cornflow_backend=1) as client:
        response = await client.post(
            f"/data-check-kpis/case/{case_id}/", headers=headers["planner"]
        )
    assert (response.status_code, response.json()) == (400, UNREACHABLE)
    assert list(response.json()) == ["message", "state", "error"]
    async with database.sessionmaker() as session:
        execution = (await session.execute(select(Execution))).scalar_one()
        instance = (await session.execute(select(Instance))).scalar_one()
    assert execution.state == -3
    assert execution.instance_id == instance.id
    assert execution.state_message == "The execution couldn't start running."


async def test_unreachable_airflow_marks_an_existing_execution(
    build_client: Callable[..., Any],
    headers: dict[str, dict[str, str]],
    database: Database,
    make_execution: MakeRow,
) -> None:
    execution_id = await make_execution(state=1)
    async with build_client(cornflow_backend=1) as client:
        response = await client.post(
            f"/data-check/execution/{execution_id}/", headers=headers["admin"]
        )
    assert (response.status_code, response.json()) == (400, UNREACHABLE)
    assert (await load(database, Execution, execution_id)).state == -3


async def test_local_runner_queues_the_checks(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    make_instance: MakeRow,
) -> None:
    instance_id = await make_instance()
    response = await client.post(f"/data-check/instance/{instance_id}/", headers=headers["planner"])
    assert response.status_code == 201
    body = response.json()
    assert (body["state"], body["message"]) == (-7, "The execution is currently queued.")
    stored = await load(database, Execution, body["id"])
    assert stored.run_id
    assert stored.last_run_checks_and_kpis is True


async def test_dispatch_queues_a_checks_run(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    fake_orchestrator: FakeOrchestrator,
    make_case: MakeRow,
    make_instance: MakeRow,
    make_execution: MakeRow,
) -> None:
    case_id = await make_case()
    response = await client.post(f"/data-check/case/{case_id}/?run=1", headers=headers["planner"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["state"], body["message"]) == (-7, "The execution is currently queued.")
    run = fake_orchestrator.runs[-1]
    assert (run.execution_id, run.workflow, run.checks_and_kpis_only, run.case_id) == (
        body["id"],
        "solve_model_dag",
        True,
        case_id,
    )
    # Airflow's pause switch that counts is the checks DAG's.
    assert fake_orchestrator.asked == ["solve_model_dag_check_kpis"]
    stored = await load(database, Execution, body["id"])
    assert stored.run_id == "run-1"
    assert stored.last_run_checks_and_kpis is True

    instance_id = await make_instance()
    response = await client.post(f"/data-check/instance/{instance_id}/", headers=headers["planner"])
    assert response.json()["state"] == -7
    assert fake_orchestrator.runs[-1].case_id is None

    execution_id = await make_execution()
    response = await client.post(f"/data-check/execution/{execution_id}/", headers=headers["admin"])
    assert response.status_code == 201
    assert response.json()["state"] == -7
    assert fake_orchestrator.runs[-1].execution_id == execution_id
    assert (await load(database, Execution, execution_id)).last_run_checks_and_kpis is True


async def test_paused_checks_workflow(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    fake_orchestrator: FakeOrchestrator,
    make_instance: MakeRow,
) -> None:
    fake_orchestrator.paused = True
    instance_id = await make_instance()
    response = await client.post(f"/data-check/instance/{instance_id}/", headers=headers["planner"])
    assert (response.status_code, response.json()) == (
        400,
        {
            "message": "The execution couldn't start running.",
            "state": -3,
            "error": "The dag exists but it is paused in airflow",
        },
    )
    assert fake_orchestrator.runs == []
    async with database.sessionmaker() as session:
        assert (await session.execute(select(Execution.state))).scalar_one() == -3


async def test_refused_run(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    fake_orchestrator: FakeOrchestrator,
    make_execution: MakeRow,
) -> None:
    fake_orchestrator.run_error = OrchestratorError("Airflow responded with an error: nope")
    execution_id = await make_execution()
    response = await client.post(
        f"/data-check/execution/{execution_id}/", headers=headers["planner"]
    )
    assert (response.status_code, response.json()) == (
        400,
        {
            "message": "The execution has found an error.",
            "state": -1,
            "error": "Airflow responded with an error: nope",
        },
    )
    assert (await load(database, Execution, execution_id)).state == -1


async def test_unknown_checks_workflow(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    fake_orchestrator: FakeOrchestrator,
    make_execution: MakeRow,
    make_instance: MakeRow,
) -> None:
    fake_orchestrator.info_error = OrchestratorError('{"detail": "missing"}', status_code=404)
    execution_id = await make_execution(state=1)
    response = await client.post(
        f"/data-check/execution/{execution_id}/", headers=headers["planner"]
    )
    assert (response.status_code, response.json()) == (404, {"error": '{"detail": "missing"}'})
    # An existing execution keeps the state of its last run; a new one never started.
    assert (await load(database, Execution, execution_id)).state == 1
    instance_id = await make_instance()
    response = await client.post(f"/data-check/instance/{instance_id}/", headers=headers["planner"])
    assert response.status_code == 404
    async with database.sessionmaker() as session:
        states = (
            (
                await session.execute(
                    select(Execution.state).where(Execution.instance_id == instance_id)
                )
            )
            .scalars()
            .all()
        )
    assert states == [-3]


async def test_case_rows_are_the_callers(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    make_case: MakeRow,
    accounts: dict[str, Account],
) -> None:
    case_id = await make_case("planner")
    response = await client.post(f"/data-check/case/{case_id}/?run=0", headers=headers["admin"])
    assert response.status_code == 201
    assert response.json()["user_id"] == accounts["admin"].id
    assert (await load(database, Case, case_id)).user_id == accounts["planner"].id
