"""The local runner end to end: executions queued in the database, solved by a worker process.

One supervisor (one worker) serves the whole module; each test queues its own executions the
way the execution endpoints will (rows, then `executions.runs.dispatch`) and waits for them.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pulp
import pytest
from cornflow_client import get_pulp_jsonschema
from jsonschema import Draft7Validator
from orchestrators.runner_support import (
    NULL_HASH,
    claims,
    create_execution,
    create_instance,
    dispatch,
    file_text,
    process_alive,
    read,
    runner_settings,
    stop,
    wait_for_state,
    wait_until,
)

from cornflow_fastapi.apps.discovery import InstalledApp
from cornflow_fastapi.models import Case, DeployedWorkflow, ExecutionState, Instance
from cornflow_fastapi.orchestrators.local import LocalSupervisor
from cornflow_fastapi.orchestrators.local.queue import lock_for_write
from cornflow_fastapi.orchestrators.local.runs import run_id_for
from svckit.db import Database

pytestmark = pytest.mark.slow

LOG_SCHEMA_KEYS = {
    "status", "status_code", "sol_code", "version", "solver", "best_bound", "best_solution",
    "gap", "time", "matrix", "matrix_post", "rootTime", "presolve", "first_relaxed",
    "first_solution", "nodes", "progress", "cut_info",
}  # fmt: skip


@pytest.fixture(scope="module")
async def supervisor(
    runner_url: str, registered_apps: dict[str, InstalledApp]
) -> AsyncIterator[LocalSupervisor]:
    running = LocalSupervisor(runner_settings(runner_url).local_runner)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def db(runner_db: Database, supervisor: LocalSupervisor) -> Database:
    return runner_db


def assignment_model() -> tuple[dict[str, Any], float]:
    """A small assignment MIP as PuLP JSON, and its optimum found by enumeration."""
    cost = [[9, 2, 7, 8], [6, 4, 3, 7], [5, 8, 1, 8], [7, 6, 9, 4]]
    size = len(cost)
    model = pulp.LpProblem("assignment", pulp.LpMinimize)
    x = {
        (i, j): pulp.LpVariable(f"x_{i}_{j}", cat=pulp.LpBinary)
        for i in range(size)
        for j in range(size)
    }
    model += pulp.lpSum(cost[i][j] * x[i, j] for i in range(size) for j in range(size))
    for i in range(size):
        model += pulp.lpSum(x[i, j] for j in range(size)) == 1, f"worker_{i}"
        model += pulp.lpSum(x[j, i] for j in range(size)) == 1, f"task_{i}"
    best = min(sum(cost[i][p[i]] for i in range(size)) for p in itertools.permutations(range(size)))
    return model.to_dict(), float(best)


def objective_of(solution: dict[str, Any]) -> float:
    values = {v["name"]: v["varValue"] for v in solution["variables"]}
    return float(sum(c["value"] * values[c["name"]] for c in solution["objective"]["coefficients"]))


async def solve(
    db: Database, user_id: int, schema: str, data: Any, config: dict[str, Any]
) -> tuple[str, Any]:
    instance = await create_instance(db, user_id=user_id, data=data, schema=schema)
    execution = await create_execution(db, instance, config=config)
    await dispatch(db, execution.id)
    return execution.id, await wait_for_state(db, execution.id)


@pytest.mark.parametrize("solver", ["PULP_CBC_CMD", "HiGHS"])
async def test_solve_model_dag_solves_a_pulp_model(
    db: Database, planner_id: int, solver: str
) -> None:
    model, optimum = assignment_model()

    execution_id, execution = await solve(
        db, planner_id, "solve_model_dag", model, {"solver": solver, "timeLimit": 30}
    )

    assert execution.state == ExecutionState.SOLVED, execution.log_text
    assert execution.state_message == "The execution has been solved correctly."
    assert execution.run_id == run_id_for(execution_id)
    assert not list(Draft7Validator(get_pulp_jsonschema()).iter_errors(execution.data))
    assert objective_of(execution.data) == pytest.approx(optimum)
    log = execution.log_json
    assert set(log) <= LOG_SCHEMA_KEYS
    assert (log["status"], log["status_code"], log["sol_code"]) == ("Optimal", 1, 2)
    assert log["solver"] == solver
    assert log["best_solution"] == pytest.approx(optimum)
    assert log["matrix"] == {"constraints": 8, "variables": 16, "nonzeros": 32}
    assert isinstance(log["time"], float)
    assert execution.log_text
    if solver == "HiGHS":
        assert log["gap"] == pytest.approx(0)
        assert "HiGHS" in execution.log_text
    else:
        assert "Result - Optimal solution found" in execution.log_text
        # The configured time limit reaches CBC.
        assert "seconds was changed from 1e+100 to 30" in execution.log_text
    # cf_solve's write-back: checks and KPIs of the solution, instance checks on the instance.
    assert (execution.checks, execution.kpis) == ({}, {})
    assert execution.data_hash == NULL_HASH
    assert execution.user_id == planner_id
    async with db.sessionmaker() as session:
        instance = await session.get(Instance, execution.instance_id)
        assert instance is not None
        assert instance.checks == {}
    assert await claims(db) == []


async def test_infeasible_model_is_solved_without_a_solution(db: Database, planner_id: int) -> None:
    model = pulp.LpProblem("infeasible", pulp.LpMinimize)
    x = pulp.LpVariable("x", 0, 1)
    model += x
    model += x >= 2, "impossible"

    _, execution = await solve(db, planner_id, "solve_model_dag", model.to_dict(), {})

    assert execution.state == ExecutionState.SOLVED
    assert execution.data is None
    assert (execution.log_json["status"], execution.log_json["status_code"]) == ("Infeasible", -1)
    assert execution.log_json["sol_code"] == 0


def best_knapsack(instance: dict[str, Any]) -> float:
    items, capacity = instance["items"], instance["parameters"]["capacity"]
    best = 0.0
    for size in range(len(items) + 1):
        for subset in itertools.combinations(items, size):
            if sum(item["weight"] for item in subset) <= capacity:
                best = max(best, float(sum(item["value"] for item in subset)))
    return best


@pytest.mark.parametrize("solver", ["dynamic_programming", "mip.highs"])
async def test_knapsack_solves_its_examples(
    db: Database, planner_id: int, registered_apps: dict[str, InstalledApp], solver: str
) -> None:
    for example in registered_apps["knapsack"].examples():
        instance = example["instance"]

        _, execution = await solve(db, planner_id, "knapsack", instance, {"solver": solver})

        assert execution.state == ExecutionState.SOLVED, execution.log_text
        chosen = {item["id"] for item in execution.data["chosen"]}
        items = {item["id"]: item for item in instance["items"]}
        assert sum(items[key]["weight"] for key in chosen) <= instance["parameters"]["capacity"]
        value = sum(items[key]["value"] for key in chosen)
        assert value == best_knapsack(instance)
        assert execution.kpis["summary"][0]["total_value"] == value
        assert execution.checks == {}
        assert execution.log_json["solver"] == solver


async def test_a_crashing_solver_ends_in_error_with_its_log(db: Database, planner_id: int) -> None:
    _, execution = await solve(db, planner_id, "scripted", {"behaviour": "segfault"}, {})

    assert execution.state == ExecutionState.ERROR
    assert execution.state_message == "The execution has found an error."
    assert "about to crash" in execution.log_text
    assert "killed by SIGSEGV" in execution.log_text
    assert await claims(db) == []


async def test_an_exception_ends_in_error_with_the_traceback(db: Database, planner_id: int) -> None:
    _, execution = await solve(db, planner_id, "scripted", {"behaviour": "raise"}, {})

    assert execution.state == ExecutionState.ERROR
    assert "scripted solve started" in execution.log_text
    assert "ValueError: the model is broken on purpose" in execution.log_text


async def test_results_that_cannot_be_saved_end_in_save_failed(
    db: Database, planner_id: int
) -> None:
    _, unserialisable = await solve(db, planner_id, "scripted", {"behaviour": "nan"}, {})

    assert unserialisable.state == ExecutionState.SAVE_FAILED
    assert "cannot be stored as JSON" in unserialisable.log_text

    # A solution the app accepts but the registered solution schema refuses.
    async with db.sessionmaker() as session, session.begin():
        await lock_for_write(session)
        row = await session.get(DeployedWorkflow, "scripted")
        assert row is not None
        original = row.solution_schema
        row.solution_schema = {**original, "required": ["done", "missing"]}
    try:
        _, refused = await solve(db, planner_id, "scripted", {}, {})
    finally:
        async with db.sessionmaker() as session, session.begin():
            await lock_for_write(session)
            row = await session.get(DeployedWorkflow, "scripted")
            assert row is not None
            row.solution_schema = original

    assert refused.state == ExecutionState.SAVE_FAILED
    assert "'missing' is a required property" in refused.log_text
    assert refused.data is None


async def test_the_time_limit_kills_a_solve_that_ignores_it(db: Database, planner_id: int) -> None:
    started = time.monotonic()

    _, execution = await solve(db, planner_id, "scripted", {"seconds": 60}, {"timeLimit": 1})

    assert execution.state == ExecutionState.ERROR
    assert "its time limit is 1.0 s" in execution.log_text
    assert time.monotonic() - started < 30


async def test_stop_kills_the_run(db: Database, planner_id: int, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    instance = await create_instance(
        db, user_id=planner_id, data={"seconds": 60, "pid_file": str(pid_file)}, schema="scripted"
    )
    execution = await create_execution(db, instance)
    await dispatch(db, execution.id)
    await wait_for_state(db, execution.id, {ExecutionState.RUNNING})
    await wait_until(lambda: bool(file_text(pid_file)), what="the solve to start")
    pid = int(file_text(pid_file))

    await stop(db, execution.id)

    await wait_until(lambda: not process_alive(pid), what="the solve to be killed")
    # The worker drops its claim, and stores nothing over the stop.
    remaining = await claims(db)
    for _ in range(100):
        if not remaining:
            break
        await asyncio.sleep(0.1)
        remaining = await claims(db)
    assert remaining == []
    stopped = await read(db, execution.id)
    assert (stopped.state, stopped.state_message) == (-2, "The execution has stopped running.")
    assert (stopped.data, stopped.log_text) == (None, None)


def autogroup_nice(pid: int) -> str | None:
    """The nice of a process's scheduling group, where Linux groups processes by session."""
    group = Path(f"/proc/{pid}/autogroup")
    if not Path("/proc/sys/kernel/sched_autogroup_enabled").exists() or not group.exists():
        return None
    return group.read_text().split()[-1]


async def test_solves_run_nicer_than_the_server(
    db: Database, planner_id: int, tmp_path: Path
) -> None:
    pid_file = tmp_path / "pid"
    instance = await create_instance(
        db, user_id=planner_id, data={"seconds": 60, "pid_file": str(pid_file)}, schema="scripted"
    )
    execution = await create_execution(db, instance)
    await dispatch(db, execution.id)
    await wait_until(lambda: bool(file_text(pid_file)), what="the solve to start")
    pid = int(file_text(pid_file))
    try:
        niceness = os.getpriority(os.PRIO_PROCESS, pid) - os.getpriority(os.PRIO_PROCESS, 0)
        group_nice = autogroup_nice(pid)
    finally:
        await stop(db, execution.id)

    assert niceness == runner_settings("sqlite://").local_solve_niceness == 10
    # Its session's scheduling group too, else the nice only orders it within that group.
    if group_nice is not None:
        assert group_nice == "10"


async def test_dispatch_is_idempotent(db: Database, planner_id: int, tmp_path: Path) -> None:
    trace = tmp_path / "starts"
    instance = await create_instance(
        db, user_id=planner_id, data={"seconds": 1.5, "trace": str(trace)}, schema="scripted"
    )
    execution = await create_execution(db, instance)

    first = await dispatch(db, execution.id)
    again = await dispatch(db, execution.id)
    await wait_for_state(db, execution.id, {ExecutionState.RUNNING})
    while_running = await dispatch(db, execution.id)
    assert (await read(db, execution.id)).state == ExecutionState.RUNNING
    solved = await wait_for_state(db, execution.id)

    assert first == again == while_running == f"local:{execution.id}"
    assert solved.state == ExecutionState.SOLVED
    assert len(file_text(trace).splitlines()) == 1


async def test_a_data_check_run_writes_checks_to_execution_instance_and_case(
    db: Database, planner_id: int, registered_apps: dict[str, InstalledApp]
) -> None:
    example = registered_apps["knapsack"].examples()[0]
    heavy = {"chosen": [{"id": "A"}, {"id": "B"}, {"id": "E"}, {"id": "Z"}]}
    instance = await create_instance(
        db, user_id=planner_id, data=example["instance"], schema="knapsack"
    )
    execution = await create_execution(
        db, instance, config={"checks_and_kpis_only": True}, data=heavy
    )
    async with db.sessionmaker() as session, session.begin():
        case = Case(
            name="case", path="", user_id=planner_id, data=example["instance"],
            data_hash="x", solution=heavy, solution_hash="y", schema="knapsack",
        )  # fmt: skip
        session.add(case)
        await session.flush()
        case_id = case.id

    run_id = await dispatch(db, execution.id, checks_and_kpis_only=True, case_id=case_id)
    checked = await wait_for_state(db, execution.id)

    assert run_id == f"local:{execution.id}:checks:{case_id}"
    assert checked.state == ExecutionState.SOLVED, checked.log_text
    assert checked.last_run_checks_and_kpis is True
    assert checked.log_text == "Data checked."
    assert checked.data == heavy
    assert checked.checks == {
        "capacity_exceeded": [{"total_weight": 18, "capacity": 15}],
        "unknown_items": [{"id": "Z"}],
    }
    async with db.sessionmaker() as session:
        stored_case = await session.get(Case, case_id)
        stored_instance = await session.get(Instance, instance.id)
    assert stored_instance is not None
    assert stored_case is not None
    assert stored_instance.checks == {}
    assert (stored_case.checks, stored_case.solution_checks) == ({}, checked.checks)
