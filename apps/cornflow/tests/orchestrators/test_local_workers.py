"""Workers under stress: concurrent claims, lost workers, restarts, a SIGKILL mid-solve."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from httpx import ASGITransport, AsyncClient
from orchestrators.runner_support import (
    claims,
    create_execution,
    create_instance,
    dispatch,
    file_text,
    process_alive,
    read,
    runner_settings,
    wait_for_state,
    wait_until,
)
from sqlalchemy import insert, select, update

from cornflow_fastapi.apps.discovery import InstalledApp
from cornflow_fastapi.main import create_app
from cornflow_fastapi.models import Execution, ExecutionState, utcnow
from cornflow_fastapi.models.local_runner import run_claims
from cornflow_fastapi.orchestrators.local import LocalSupervisor, queue
from svckit.db import Database

WORKFLOWS = {"scripted"}


async def queued_scripted(
    database: Database, user_id: int, count: int, data: dict[str, Any] | None = None
) -> list[str]:
    ids = []
    for position in range(count):
        instance = await create_instance(
            database, user_id=user_id, data=data or {}, schema="scripted", name=f"i{position}"
        )
        execution = await create_execution(database, instance)
        await dispatch(database, execution.id)
        ids.append(execution.id)
    return ids


async def test_concurrent_claims_never_take_an_execution_twice(
    runner_db: Database, planner_id: int, registered_apps: dict[str, InstalledApp]
) -> None:
    """Eight takers on their own connections race for 20 queued runs."""
    queued = await queued_scripted(runner_db, planner_id, 20)
    engines = [Database.from_url(str(runner_db.engine.url)) for _ in range(8)]
    taken: list[str] = []

    async def taker(database: Database, worker_id: str) -> None:
        while True:
            async with database.sessionmaker() as session, session.begin():
                claim = await queue.claim_next(
                    session, worker_id=worker_id, workflows=WORKFLOWS, now=utcnow()
                )
            if claim is None:
                return
            taken.append(claim.execution_id)

    try:
        await asyncio.gather(*(taker(db, f"taker-{n}") for n, db in enumerate(engines)))
    finally:
        for database in engines:
            await database.dispose()

    assert sorted(taken) == sorted(queued)
    held = await claims(runner_db)
    assert len(held) == 20
    assert {row["attempts"] for row in held} == {1}
    for execution_id in queued:
        assert (await read(runner_db, execution_id)).state == ExecutionState.RUNNING


@pytest.mark.slow
async def test_two_workers_solve_twenty_executions_exactly_once(
    runner_url: str,
    runner_db: Database,
    planner_id: int,
    registered_apps: dict[str, InstalledApp],
    tmp_path: Path,
) -> None:
    trace = tmp_path / "starts"
    queued = await queued_scripted(runner_db, planner_id, 20, {"seconds": 0.3, "trace": str(trace)})
    supervisor = LocalSupervisor(runner_settings(runner_url, local_workers=2).local_runner)
    await supervisor.start()
    try:
        solved = [await wait_for_state(runner_db, execution_id) for execution_id in queued]
    finally:
        await supervisor.stop()

    assert {execution.state for execution in solved} == {ExecutionState.SOLVED}
    starts = file_text(trace).splitlines()
    assert len(starts) == 20
    # A solve process's parent is its worker's fork server: both workers took runs.
    assert len(Counter(line.split()[1] for line in starts)) == 2
    assert await claims(runner_db) == []


async def insert_claim(
    database: Database, execution_id: str, *, worker_id: str, attempts: int, age: float
) -> None:
    async with database.sessionmaker() as session, session.begin():
        await queue.lock_for_write(session)
        execution = await session.get(Execution, execution_id)
        assert execution is not None
        execution.state = int(ExecutionState.RUNNING)
        beat = utcnow() - timedelta(seconds=age)
        await session.execute(
            insert(run_claims).values(
                execution_id=execution_id,
                run_id=execution.run_id,
                worker_id=worker_id,
                attempts=attempts,
                claimed_at=beat,
                heartbeat_at=beat,
            )
        )


async def test_recovery_requeues_fails_and_forgets(
    runner_db: Database, planner_id: int, registered_apps: dict[str, InstalledApp]
) -> None:
    lost, worn_out, alive, waiting, finished = await queued_scripted(runner_db, planner_id, 5)
    await insert_claim(runner_db, lost, worker_id="dead", attempts=1, age=1)
    await insert_claim(runner_db, worn_out, worker_id="dead", attempts=2, age=1)
    await insert_claim(runner_db, alive, worker_id="busy", attempts=1, age=1)
    for released, state in ((waiting, ExecutionState.QUEUED), (finished, ExecutionState.SOLVED)):
        await insert_claim(runner_db, released, worker_id="gone", attempts=1, age=1)
        async with runner_db.sessionmaker() as session, session.begin():
            await queue.lock_for_write(session)
            await session.execute(
                update(run_claims)
                .where(run_claims.c.execution_id == released)
                .values(worker_id=None)
            )
            row = await session.get(Execution, released)
            assert row is not None
            row.state = int(state)

    async with runner_db.sessionmaker() as session, session.begin():
        report = await queue.recover_claims(
            session,
            now=utcnow(),
            max_attempts=2,
            worker_ids=["dead"],
            stale_before=utcnow() - timedelta(seconds=60),
        )

    assert (report.requeued, report.failed) == ([lost], [worn_out])
    states = {key: (await read(runner_db, key)).state for key in (lost, worn_out, alive)}
    assert states == {
        lost: ExecutionState.QUEUED,
        worn_out: ExecutionState.ERROR,
        alive: ExecutionState.RUNNING,
    }
    held = {row["execution_id"]: row["worker_id"] for row in await claims(runner_db)}
    assert held == {lost: None, alive: "busy", waiting: None}


@pytest.mark.slow
async def test_runs_left_by_a_server_that_died_are_recovered_on_restart(
    runner_url: str, runner_db: Database, planner_id: int, registered_apps: dict[str, InstalledApp]
) -> None:
    waiting, interrupted, given_up = await queued_scripted(runner_db, planner_id, 3)
    # What a killed server leaves: runs still held by workers that no longer report.
    await insert_claim(runner_db, interrupted, worker_id="gone-1", attempts=1, age=120)
    await insert_claim(runner_db, given_up, worker_id="gone-2", attempts=3, age=120)

    supervisor = LocalSupervisor(runner_settings(runner_url).local_runner)
    await supervisor.start()
    try:
        first = await wait_for_state(runner_db, waiting)
        second = await wait_for_state(runner_db, interrupted)
    finally:
        await supervisor.stop()

    failed = await read(runner_db, given_up)
    assert (first.state, second.state) == (ExecutionState.SOLVED, ExecutionState.SOLVED)
    assert failed.state == ExecutionState.ERROR
    assert "interrupted 3 times" in failed.log_text
    assert await claims(runner_db) == []


@pytest.mark.slow
async def test_a_stopping_server_gives_its_runs_back_and_the_next_one_solves_them(
    runner_url: str,
    runner_db: Database,
    planner_id: int,
    registered_apps: dict[str, InstalledApp],
    tmp_path: Path,
) -> None:
    trace = tmp_path / "starts"
    (execution_id,) = await queued_scripted(
        runner_db, planner_id, 1, {"seconds": 3, "trace": str(trace)}
    )
    first = LocalSupervisor(runner_settings(runner_url).local_runner)
    await first.start()
    try:
        await wait_for_state(runner_db, execution_id, {ExecutionState.RUNNING})
        await wait_until(lambda: bool(file_text(trace)), what="the solve to start")
    finally:
        await first.stop()

    released = await read(runner_db, execution_id)
    assert released.state == ExecutionState.QUEUED
    assert [(row["worker_id"], row["attempts"]) for row in await claims(runner_db)] == [(None, 0)]

    second = LocalSupervisor(runner_settings(runner_url).local_runner)
    await second.start()
    try:
        solved = await wait_for_state(runner_db, execution_id)
    finally:
        await second.stop()

    assert solved.state == ExecutionState.SOLVED
    assert len(file_text(trace).splitlines()) == 2


@pytest.mark.slow
async def test_sigkill_of_a_worker_mid_solve(
    runner_url: str,
    runner_db: Database,
    planner_id: int,
    registered_apps: dict[str, InstalledApp],
    tmp_path: Path,
) -> None:
    """The server keeps answering; the run is taken back, re-run and solved; no solve is left."""
    pid_file, trace = tmp_path / "pid", tmp_path / "starts"
    (execution_id,) = await queued_scripted(
        runner_db,
        planner_id,
        1,
        {"seconds": 2, "pid_file": str(pid_file), "trace": str(trace)},
    )
    app = create_app(runner_settings(runner_url))
    async with LifespanManager(app) as manager:
        transport = ASGITransport(app=manager.app)
        async with AsyncClient(transport=transport, base_url="http://testserver") as client:
            await wait_for_state(runner_db, execution_id, {ExecutionState.RUNNING})
            await wait_until(lambda: bool(file_text(pid_file)), what="the solve to start")
            first_solve = int(file_text(pid_file))
            supervisor = app.state.local_runner.supervisor
            (worker_pid,) = supervisor.worker_pids

            os.kill(worker_pid, signal.SIGKILL)

            health = await client.get("/health/")
            assert health.status_code == 200
            assert health.json()["backend_status"] == "healthy"
            solved = await wait_for_state(runner_db, execution_id)
            assert (await client.get("/livez")).status_code == 200
            assert supervisor.worker_pids
            assert worker_pid not in supervisor.worker_pids

    assert solved.state == ExecutionState.SOLVED
    assert len(file_text(trace).splitlines()) == 2
    await wait_until(lambda: not process_alive(first_solve), what="the orphaned solve to end")
    async with runner_db.sessionmaker() as session:
        rows = (await session.execute(select(run_claims))).all()
    assert rows == []


@pytest.mark.slow
async def test_the_worker_command_solves_and_stops_on_sigterm(
    runner_url: str, runner_db: Database, planner_id: int, registered_apps: dict[str, InstalledApp]
) -> None:
    (execution_id,) = await queued_scripted(runner_db, planner_id, 1)
    env = {
        **os.environ,
        "DATABASE_URL": runner_url,
        "FLASK_ENV": "testing",
        "CORNFLOW_APPS": "orchestrators.local_runner_apps:ScriptedApp",
        "LOCAL_POLL_INTERVAL": "0.2",
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "cornflow_fastapi", "worker", "--workers", "1"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        solved = await wait_for_state(runner_db, execution_id)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 60)

    assert solved.state == ExecutionState.SOLVED
    assert process.returncode == 0, stderr.decode()
