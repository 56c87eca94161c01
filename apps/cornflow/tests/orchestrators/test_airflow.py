"""The Airflow orchestrator against a real Apache Airflow (3.3.2; 2.11.2 with `make airflow2-test`).

Most DAGs triggered here (tools/airflow/dags/cornflow_test_dags.py) never call Cornflow. The last
tests run the model DAGs (`solve_model_dag`, the knapsack example app) for a Flask Cornflow 1.3.9
(`make reference`): the DAG folder, the `CF_URI` connection and cf_solve's write-back through
`/dag/` doing their whole job. Those end-to-end tests run twice: against the Flask server, and
against ours started with CORNFLOW_BACKEND=airflow and the same Airflow, so both are seen
doing the same thing with the unmodified cornflow-client.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pulp
import pytest
from airflow_support import AirflowServer, airflow_for_tests, free_port
from cornflow_client import CornFlow, get_empty_schema, get_pulp_jsonschema
from cornflow_knapsack import Knapsack

from cornflow_fastapi.models import ExecutionState
from cornflow_fastapi.orchestrators.airflow import (
    NOT_ACCESSIBLE,
    RESPONDED_WITH_ERROR,
    AirflowOrchestrator,
    AirflowResponseError,
    AirflowUnreachable,
)
from cornflow_fastapi.orchestrators.base import RunRequest
from cutover import servers
from cutover.process import ServerProcess
from cutover.reference import FlaskCornflow, reference_available, run_cli

pytestmark = pytest.mark.slow

SUCCESS = "cornflow_test_success"
SLEEP = "cornflow_test_sleep"
FAIL = "cornflow_test_fail"
PAUSED = "cornflow_test_paused"
CONNECTION = "cornflow_test_connection"
SCHEMAS = {
    "instance": {"type": "object", "properties": {"items": {"type": "array"}}},
    "solution": {"type": "object"},
    "config": {"type": "object", "properties": {"solver": {"type": "string"}}},
    "instance_checks": {"type": "object"},
    "solution_checks": {"type": "object"},
    "kpis": {"type": "object"},
}
EXAMPLES = [
    {"name": "tiny", "description": "One item", "instance": {"items": [1]}, "solution": None},
]


class FaultyTransport(httpx.AsyncBaseTransport):
    """Real HTTP, except that the first `times` requests `matching` meet `fault`:
    "lost-answer" reaches Airflow but its answer never comes back; "503" never reaches it."""

    def __init__(
        self, matching: Callable[[httpx.Request], bool], fault: str, times: int = 1
    ) -> None:
        self.matching = matching
        self.fault = fault
        self.remaining = times
        self.requests: list[httpx.Request] = []
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.remaining > 0 and self.matching(request):
            self.remaining -= 1
            if self.fault == "503":
                return httpx.Response(503, text="Service Unavailable")
            response = await self.inner.handle_async_request(request)
            await response.aread()
            await response.aclose()
            raise httpx.ReadTimeout("answer lost", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def count(self, method: str, path_end: str) -> int:
        return sum(
            1
            for request in self.requests
            if request.method == method and request.url.path.endswith(path_end)
        )


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowServer]:
    with airflow_for_tests(tmp_path_factory) as server:
        yield server


def make_orchestrator(airflow: AirflowServer, **options: Any) -> AirflowOrchestrator:
    return AirflowOrchestrator(airflow.url, airflow.user, airflow.password, **options)


@pytest.fixture
async def orchestrator(airflow: AirflowServer) -> AsyncIterator[AirflowOrchestrator]:
    async with make_orchestrator(airflow) as client:
        yield client


def new_execution_id() -> str:
    return uuid.uuid4().hex


async def wait_for(
    orchestrator: AirflowOrchestrator,
    workflow: str,
    run_id: str,
    until: set[ExecutionState],
    seconds: float = 120,
) -> list[ExecutionState]:
    """Poll the run until its state is one of `until`; the distinct states seen, in order."""
    seen: list[ExecutionState] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = await orchestrator.status(workflow, run_id)
        if not seen or seen[-1] != state:
            seen.append(state)
        if state in until:
            return seen
        await asyncio.sleep(0.5)
    raise AssertionError(f"run {run_id} of {workflow} still in {seen} after {seconds} s")


async def runs_of(airflow: AirflowServer, workflow: str, execution_id: str) -> list[str]:
    return [
        run["dag_run_id"]
        for run in await airflow.dag_runs(workflow)
        if execution_id in run["dag_run_id"]
    ]


# Health


async def test_is_alive_detects_the_api_version(
    airflow: AirflowServer, orchestrator: AirflowOrchestrator
) -> None:
    assert await orchestrator.is_alive() is True
    assert orchestrator.api_version == ("v2" if airflow.major == 3 else "v1")


async def test_is_alive_is_false_without_an_airflow() -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    for url in (nowhere, None):
        async with AirflowOrchestrator(url, "admin", "admin") as unreachable:
            assert await unreachable.is_alive() is False


async def test_calls_to_an_unreachable_airflow_fail_as_not_accessible() -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    async with AirflowOrchestrator(nowhere, "admin", "admin", backoff=0.01) as orchestrator:
        with pytest.raises(AirflowUnreachable) as raised:
            await orchestrator.run(RunRequest(new_execution_id(), SUCCESS))
        assert (raised.value.message, raised.value.status_code) == (NOT_ACCESSIBLE, 400)
        with pytest.raises(AirflowUnreachable):
            await orchestrator.workflow_info(SUCCESS)


# Workflow information


async def test_workflow_info_of_a_known_and_a_paused_dag(
    orchestrator: AirflowOrchestrator,
) -> None:
    info = await orchestrator.workflow_info(SUCCESS)
    assert (info.name, info.is_paused) == (SUCCESS, False)
    paused = await orchestrator.workflow_info(PAUSED)
    assert (paused.name, paused.is_paused) == (PAUSED, True)


async def test_workflow_info_of_an_unknown_dag_passes_on_airflows_404(
    orchestrator: AirflowOrchestrator,
) -> None:
    with pytest.raises(AirflowResponseError) as raised:
        await orchestrator.workflow_info("no_such_dag")
    assert raised.value.status_code == 404
    assert "no_such_dag" in raised.value.message
    assert raised.value.message == raised.value.detail


async def test_wrong_credentials_pass_on_airflows_refusal(airflow: AirflowServer) -> None:
    async with AirflowOrchestrator(airflow.url, airflow.user, "wrong") as orchestrator:
        with pytest.raises(AirflowResponseError) as raised:
            await orchestrator.workflow_info(SUCCESS)
    # Airflow 3 refuses the token request (401); Airflow 2's basic auth answers 403.
    assert raised.value.status_code == raised.value.airflow_status
    assert raised.value.status_code in {401, 403}


async def test_model_workflows_are_the_dags_tagged_model(
    orchestrator: AirflowOrchestrator,
) -> None:
    workflows = await orchestrator.model_workflows()
    assert "solve_model_dag" in workflows
    assert not [workflow for workflow in workflows if workflow.startswith("cornflow_test_")]


# Runs


async def test_run_starts_a_dag_run_that_succeeds(
    airflow: AirflowServer, orchestrator: AirflowOrchestrator
) -> None:
    execution_id = new_execution_id()
    run_id = await orchestrator.run(RunRequest(execution_id, SUCCESS))
    assert run_id == f"cornflow-{execution_id}"
    response = await airflow.request("GET", f"/dags/{SUCCESS}/dagRuns/{run_id}")
    assert response.json()["conf"] == {"exec_id": execution_id, "checks_and_kpis_only": False}
    seen = await wait_for(orchestrator, SUCCESS, run_id, {ExecutionState.SOLVED})
    assert set(seen) <= {ExecutionState.QUEUED, ExecutionState.RUNNING, ExecutionState.SOLVED}


async def test_a_failing_workflow_ends_in_error(orchestrator: AirflowOrchestrator) -> None:
    run_id = await orchestrator.run(RunRequest(new_execution_id(), FAIL))
    seen = await wait_for(orchestrator, FAIL, run_id, {ExecutionState.ERROR, ExecutionState.SOLVED})
    assert seen[-1] == ExecutionState.ERROR


async def test_a_checks_run_goes_to_the_check_kpis_dag(
    airflow: AirflowServer, orchestrator: AirflowOrchestrator
) -> None:
    execution_id = new_execution_id()
    request = RunRequest(execution_id, SUCCESS, checks_and_kpis_only=True, case_id=7)
    run_id = await orchestrator.run(request)
    assert run_id == f"cornflow-checks-{execution_id}"
    response = await airflow.request("GET", f"/dags/{SUCCESS}_check_kpis/dagRuns/{run_id}")
    assert response.json()["conf"] == {
        "exec_id": execution_id,
        "checks_and_kpis_only": True,
        "case_id": 7,
    }
    # Cornflow asks with the execution's schema; the run id tells which DAG holds the run.
    await wait_for(orchestrator, SUCCESS, run_id, {ExecutionState.SOLVED})
    assert await runs_of(airflow, SUCCESS, execution_id) == []


async def test_a_dispatch_retried_after_a_lost_answer_starts_one_run(
    airflow: AirflowServer,
) -> None:
    execution_id = new_execution_id()
    transport = FaultyTransport(
        lambda request: request.method == "POST" and request.url.path.endswith("/dagRuns"),
        fault="lost-answer",
    )
    async with make_orchestrator(airflow, transport=transport, backoff=0.05) as orchestrator:
        request = RunRequest(execution_id, SLEEP)
        try:
            run_id = await orchestrator.run(request)
            # The first POST started the run; its retry met the 409 of the same run id.
            assert transport.count("POST", "/dagRuns") == 2
            assert run_id == f"cornflow-{execution_id}"
            assert await orchestrator.run(request) == run_id
            assert await runs_of(airflow, SLEEP, execution_id) == [run_id]
        finally:
            await orchestrator.stop(SLEEP, f"cornflow-{execution_id}")


async def test_stop_fails_a_running_run_and_a_relaunch_starts_a_new_one(
    airflow: AirflowServer, orchestrator: AirflowOrchestrator
) -> None:
    execution_id = new_execution_id()
    request = RunRequest(execution_id, SLEEP)
    run_id = await orchestrator.run(request)
    await wait_for(orchestrator, SLEEP, run_id, {ExecutionState.RUNNING})

    await orchestrator.stop(SLEEP, run_id)

    assert await orchestrator.status(SLEEP, run_id) == ExecutionState.ERROR
    task = await airflow.task_instance(SLEEP, run_id)
    assert task["state"] == "failed"
    relaunched = await orchestrator.run(request)
    try:
        assert relaunched == f"cornflow-{execution_id}-2"
        assert sorted(await runs_of(airflow, SLEEP, execution_id)) == [run_id, relaunched]
    finally:
        await orchestrator.stop(SLEEP, relaunched)


async def test_run_of_an_unknown_workflow_is_an_airflow_error(
    orchestrator: AirflowOrchestrator,
) -> None:
    with pytest.raises(AirflowResponseError) as raised:
        await orchestrator.run(RunRequest(new_execution_id(), "no_such_dag"))
    assert raised.value.status_code == 400
    assert raised.value.message.startswith(f"{RESPONDED_WITH_ERROR} ")
    assert raised.value.airflow_status == 404


async def test_status_of_an_unknown_run_is_an_airflow_error(
    orchestrator: AirflowOrchestrator,
) -> None:
    with pytest.raises(AirflowResponseError) as raised:
        await orchestrator.status(SUCCESS, "cornflow-unknown")
    assert raised.value.status_code == 400
    assert raised.value.message == f"{RESPONDED_WITH_ERROR} {raised.value.detail}"


async def test_stop_of_an_unknown_run_passes_on_airflows_404(
    orchestrator: AirflowOrchestrator,
) -> None:
    with pytest.raises(AirflowResponseError) as raised:
        await orchestrator.stop(SUCCESS, "cornflow-unknown")
    assert raised.value.status_code == 404


# Retries


async def test_server_errors_are_retried(airflow: AirflowServer) -> None:
    transport = FaultyTransport(
        lambda request: request.url.path.endswith(f"/dags/{SUCCESS}"), fault="503", times=2
    )
    async with make_orchestrator(airflow, transport=transport, backoff=0.01) as orchestrator:
        info = await orchestrator.workflow_info(SUCCESS)
    assert info.name == SUCCESS
    assert transport.count("GET", f"/dags/{SUCCESS}") == 3


async def test_retries_are_bounded(airflow: AirflowServer) -> None:
    transport = FaultyTransport(
        lambda request: request.url.path.endswith(f"/dags/{SUCCESS}"), fault="503", times=99
    )
    async with make_orchestrator(
        airflow, transport=transport, backoff=0.01, retries=2
    ) as orchestrator:
        with pytest.raises(AirflowResponseError) as raised:
            await orchestrator.workflow_info(SUCCESS)
    assert raised.value.status_code == 503
    assert transport.count("GET", f"/dags/{SUCCESS}") == 3


async def test_client_errors_are_not_retried(airflow: AirflowServer) -> None:
    transport = FaultyTransport(lambda _: False, fault="503")
    async with make_orchestrator(airflow, transport=transport, backoff=0.01) as orchestrator:
        with pytest.raises(AirflowResponseError):
            await orchestrator.workflow_info("no_such_dag")
    assert transport.count("GET", "/dags/no_such_dag") == 1


async def test_an_expired_or_rejected_token_is_replaced(airflow: AirflowServer) -> None:
    if airflow.major != 3:
        pytest.skip("Airflow 2 authenticates every call with basic auth")
    transport = FaultyTransport(lambda _: False, fault="503")
    async with make_orchestrator(airflow, transport=transport) as orchestrator:
        await orchestrator.workflow_info(SUCCESS)
        assert transport.count("POST", "/auth/token") == 1

        # Expired by its own claim: replaced before it is sent.
        orchestrator._token = jwt.encode({"exp": int(time.time()) - 5}, "k" * 64)
        orchestrator._token_expires_at = time.time() - 5
        await orchestrator.workflow_info(SUCCESS)
        assert transport.count("POST", "/auth/token") == 2

        # Valid-looking but refused by Airflow (a key change): replaced once and retried.
        orchestrator._token = jwt.encode({"exp": int(time.time()) + 3600}, "k" * 64)
        orchestrator._token_expires_at = time.time() + 3600
        assert (await orchestrator.workflow_info(SUCCESS)).name == SUCCESS
        assert transport.count("POST", "/auth/token") == 3
        assert transport.count("GET", f"/dags/{SUCCESS}") == 4


# Schemas and examples


async def test_schemas_and_examples_come_from_airflow_variables(
    airflow: AirflowServer, orchestrator: AirflowOrchestrator
) -> None:
    await airflow.set_variable(SUCCESS, SCHEMAS)
    await airflow.set_variable(f"z_{SUCCESS}_examples", EXAMPLES)

    assert await orchestrator.schemas(SUCCESS) == SCHEMAS
    assert await orchestrator.examples(SUCCESS) == EXAMPLES


async def test_schemas_of_a_workflow_without_a_variable_are_none(
    orchestrator: AirflowOrchestrator,
) -> None:
    assert await orchestrator.schemas(FAIL) is None


async def test_examples_need_the_dag_then_the_variable(
    orchestrator: AirflowOrchestrator,
) -> None:
    with pytest.raises(AirflowResponseError) as unknown_dag:
        await orchestrator.examples("no_such_dag")
    assert unknown_dag.value.status_code == 404
    assert "no_such_dag" in unknown_dag.value.message
    with pytest.raises(AirflowResponseError) as no_variable:
        await orchestrator.examples(FAIL)
    assert no_variable.value.status_code == 404
    assert "Variable" in no_variable.value.message


async def test_update_all_schemas_publishes_the_model_dags(
    orchestrator: AirflowOrchestrator,
) -> None:
    run_id = await orchestrator.update_schemas()
    seen = await wait_for(
        orchestrator,
        "update_all_schemas",
        run_id,
        {ExecutionState.SOLVED, ExecutionState.ERROR},
    )
    assert seen[-1] == ExecutionState.SOLVED
    schemas = await orchestrator.schemas("solve_model_dag")
    assert schemas is not None
    assert schemas["instance"] == get_pulp_jsonschema()
    assert set(schemas) == set(SCHEMAS)
    examples = await orchestrator.examples("solve_model_dag")
    assert [example["name"] for example in examples] == ["small_mip"]


# What the model DAGs need to reach Cornflow


async def test_dags_read_the_cornflow_connection_set_at_run_time(
    airflow: AirflowServer, orchestrator: AirflowOrchestrator
) -> None:
    await airflow.set_connection("CF_URI", "cornflow://service_user:secret@127.0.0.1:5999")
    run_id = await orchestrator.run(RunRequest(new_execution_id(), CONNECTION))
    seen = await wait_for(
        orchestrator, CONNECTION, run_id, {ExecutionState.SOLVED, ExecutionState.ERROR}
    )
    assert seen[-1] == ExecutionState.SOLVED


# Model DAGs solving for a real Cornflow


SERVICE_USER = ("service_user", "Service_user1234", "service_user@cornflow.test")
PLANNER = ("planner", "Planner_user1234", "planner@cornflow.test")


@dataclass
class Cornflow:
    server: ServerProcess
    planner: CornFlow


@pytest.fixture(scope="module", params=["flask", "ours"])
async def cornflow(
    request: pytest.FixtureRequest,
    airflow: AirflowServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Cornflow]:
    """A Cornflow (Flask's, then ours) using this Airflow, which reaches it through CF_URI; with
    a planner."""
    if not reference_available():
        pytest.fail("`make reference` installs the Flask Cornflow these tests compare with")
    home = tmp_path_factory.mktemp(f"{request.param}-cornflow")
    environment = {
        "AIRFLOW_URL": airflow.url,
        "AIRFLOW_USER": airflow.user,
        "AIRFLOW_PWD": airflow.password,
    }
    server: FlaskCornflow | servers.CornflowServer
    if request.param == "flask":
        server = FlaskCornflow(
            database_url=f"sqlite:///{home / 'cornflow.db'}",
            secret_key=secrets.token_hex(32),
            workers=1,
            log_path=home / "server.log",
            environment=environment,
        )
        cli = run_cli
    else:
        server = servers.CornflowServer(
            database_url=f"sqlite:///{home / 'cornflow.db'}",
            secret_key=secrets.token_hex(32),
            workers=1,
            log_path=home / "server.log",
            environment={**environment, "CORNFLOW_BACKEND": "airflow"},
        )
        cli = servers.run_cli
    username, password, email = SERVICE_USER

    def start() -> CornFlow:
        server.init_database()
        cli(server.env, "users", "create", "service", "-u", username, "-p", password, "-e", email)
        server.start()
        planner = CornFlow(url=server.base_url)
        planner.sign_up(PLANNER[0], PLANNER[2], PLANNER[1])
        planner.login(PLANNER[0], PLANNER[1])
        return planner

    planner = await asyncio.to_thread(start)
    try:
        await airflow.set_connection(
            "CF_URI", f"cornflow://{username}:{password}@127.0.0.1:{server.port}"
        )
        yield Cornflow(server, planner)
    finally:
        server.stop()


def deploy(cornflow: Cornflow, name: str, schemas: dict[str, Any]) -> None:
    """Register a workflow's schemas, as `cornflow service init` does from Airflow."""
    service = CornFlow(url=cornflow.server.base_url)
    service.login(SERVICE_USER[0], SERVICE_USER[1])
    service.create_deployed_dag(
        name=name,
        description=name,
        instance_schema=schemas["instance"],
        solution_schema=schemas["solution"],
        config_schema=schemas["config"],
        instance_checks_schema=schemas["instance_checks"],
        solution_checks_schema=schemas["solution_checks"],
        kpis_schema=schemas["kpis"],
    )


def solve(cornflow: Cornflow, schema: str, data: Any, config: dict[str, Any]) -> dict[str, Any]:
    """Instance, execution (run by Airflow), polling until it ends: its status, data and log."""
    planner = cornflow.planner
    instance = planner.create_instance(data, "instance", schema=schema)
    execution = planner.create_execution(instance["id"], config, "run", schema=schema)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        status = planner.get_status(execution["id"])
        if status["state"] not in {0, -7, -5}:
            return {
                "status": status,
                "data": planner.get_solution(execution["id"]),
                "log": planner.get_log(execution["id"]),
            }
        time.sleep(0.5)
    raise AssertionError(f"execution {execution['id']} unfinished after 180 s")


def small_model() -> dict[str, Any]:
    x = pulp.LpVariable("x", lowBound=0, upBound=4, cat="Integer")
    y = pulp.LpVariable("y", lowBound=0, upBound=3, cat="Integer")
    model = pulp.LpProblem("small_mip", pulp.LpMaximize)
    model += 3 * x + 2 * y
    model += x + y <= 5, "capacity"
    return dict(model.to_dict())


async def test_solve_model_dag_solves_an_execution_and_writes_it_back(
    cornflow: Cornflow,
) -> None:
    pulp_schema = get_pulp_jsonschema()
    schemas = {
        "instance": pulp_schema,
        "solution": pulp_schema,
        "config": get_empty_schema(solvers=["cbc", "PULP_CBC_CMD"]),
        "instance_checks": {},
        "solution_checks": {},
        "kpis": {},
    }
    await asyncio.to_thread(deploy, cornflow, "solve_model_dag", schemas)

    # cornflow-client is synchronous; its polling stays off the event loop.
    result = await asyncio.to_thread(
        solve,
        cornflow,
        "solve_model_dag",
        small_model(),
        {"solver": "PULP_CBC_CMD", "timeLimit": 10},
    )

    assert result["status"]["state"] == 1
    variables = result["data"]["data"]["variables"]
    assert {variable["name"]: variable["varValue"] for variable in variables} == {
        "x": 4.0,
        "y": 1.0,
    }
    assert result["data"]["log"]["status"] == "Optimal"
    assert "Cbc" in result["log"]["log_text"]


async def test_an_installed_app_runs_as_its_own_dag(cornflow: Cornflow) -> None:
    app = Knapsack()
    await asyncio.to_thread(deploy, cornflow, app.name, app.get_schemas())

    result = await asyncio.to_thread(
        solve, cornflow, app.name, app.test_cases[0]["instance"], {"solver": "mip.cbc"}
    )

    assert result["status"]["state"] == 1
    assert result["data"]["data"]
    assert result["data"]["kpis"]
    assert result["data"]["log"]["status"] == "Optimal"


def wait_for_state(planner: CornFlow, execution_id: str, until: set[int]) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = planner.get_status(execution_id)
        if status["state"] in until:
            return dict(status)
        time.sleep(0.5)
    raise AssertionError(f"execution {execution_id} not in {until} after 120 s")


async def test_a_running_execution_is_stopped_through_cornflow(cornflow: Cornflow) -> None:
    await asyncio.to_thread(deploy, cornflow, SLEEP, SCHEMAS)
    planner = cornflow.planner

    def run_then_stop() -> tuple[dict[str, Any], dict[str, Any]]:
        instance = planner.create_instance({"items": [1]}, "sleepy", schema=SLEEP)
        execution = planner.create_execution(instance["id"], {}, "sleep", schema=SLEEP)
        running = wait_for_state(planner, execution["id"], {0})
        stopped = planner.stop_execution(execution["id"])
        return running, {"answer": stopped, "status": planner.get_status(execution["id"])}

    running, stopped = await asyncio.to_thread(run_then_stop)

    assert running["message"] == "The execution is currently running."
    assert stopped["answer"] == {"message": "The execution has been stopped"}
    assert stopped["status"]["state"] == -2


async def test_a_failing_solve_ends_in_error(cornflow: Cornflow) -> None:
    await asyncio.to_thread(deploy, cornflow, FAIL, SCHEMAS)
    planner = cornflow.planner

    def run() -> dict[str, Any]:
        instance = planner.create_instance({"items": [2]}, "doomed", schema=FAIL)
        execution = planner.create_execution(instance["id"], {}, "fail", schema=FAIL)
        return wait_for_state(planner, execution["id"], {-1, 1})

    status = await asyncio.to_thread(run)

    assert (status["state"], status["message"]) == (-1, "The execution has found an error.")
