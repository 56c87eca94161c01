"""Helpers of the local runner's tests: rows made directly in the database, and waiting."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestrators.local_runner_apps import SPEC
from sqlalchemy import delete, select

from cornflow_fastapi.config import CornflowSettings
from cornflow_fastapi.executions import runs
from cornflow_fastapi.models import Case, Execution, ExecutionState, Instance
from cornflow_fastapi.models.local_runner import run_claims
from cornflow_fastapi.orchestrators.local import LocalOrchestrator
from cornflow_fastapi.orchestrators.local.queue import lock_for_write
from cornflow_support import make_settings
from svckit.db import Database

NULL_HASH = "74234e98afe7498fb5daf1f36ac2d78acc339464f950703b8c019892f982b90b"
FINAL_STATES = {
    ExecutionState.SOLVED,
    ExecutionState.ERROR,
    ExecutionState.STOPPED,
    ExecutionState.SAVE_FAILED,
}


# Transactions here that read before they write take SQLite's write lock first, as the workers'
# do: with svckit's explicit BEGIN, a SQLite transaction that read and then writes is refused
# (SQLITE_BUSY, without waiting) when a worker wrote in between.


def runner_settings(url: str, **overrides: Any) -> CornflowSettings:
    values: dict[str, Any] = {
        "database_url": url,
        "cornflow_apps": SPEC,
        "local_workers": 1,
        "local_poll_interval": 0.2,
        "local_heartbeat_interval": 0.5,
        "local_lease_seconds": 30.0,
        "local_time_limit_grace": 1.0,
        "local_stop_grace": 3.0,
    }
    values.update(overrides)
    return make_settings(**values)


def data_hash(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


async def clear(database: Database) -> None:
    """Leave no run behind for the next test."""
    async with database.sessionmaker() as session, session.begin():
        await session.execute(delete(run_claims))
        await session.execute(delete(Execution))
        await session.execute(delete(Case))
        await session.execute(delete(Instance))


async def create_instance(
    database: Database, *, user_id: int, data: Any, schema: str, name: str = "instance"
) -> Instance:
    created = datetime.now(UTC)
    instance = Instance(
        id=hashlib.sha1(f"{created} {user_id}".encode()).hexdigest(),
        data=data,
        name=name,
        user_id=user_id,
        data_hash=data_hash(data),
        schema=schema,
        created_at=created.replace(tzinfo=None),
        updated_at=created.replace(tzinfo=None),
    )
    async with database.sessionmaker() as session, session.begin():
        session.add(instance)
    return instance


async def create_execution(
    database: Database,
    instance: Instance,
    *,
    config: dict[str, Any] | None = None,
    data: Any = None,
    name: str = "execution",
) -> Execution:
    created = datetime.now(UTC)
    key = f"{created} {instance.user_id} {instance.id}"
    execution = Execution(
        id=hashlib.sha1(key.encode()).hexdigest(),
        instance_id=instance.id,
        name=name,
        config=config or {},
        user_id=instance.user_id,
        state=int(ExecutionState.NOT_RUN),
        state_message="The execution wasn't run by user choice.",
        data=data,
        data_hash=NULL_HASH,
        schema=instance.schema,
        last_run_checks_and_kpis=False,
        checks_and_kpis_only=False,
        execution_files_status=0,
        created_at=created.replace(tzinfo=None),
        updated_at=created.replace(tzinfo=None),
    )
    async with database.sessionmaker() as session, session.begin():
        session.add(execution)
    return execution


async def dispatch(database: Database, execution_id: str, **options: Any) -> str:
    """What POST /execution/ does once validated: start the run in the request's transaction."""
    orchestrator = LocalOrchestrator(database, app_specs=(SPEC,))
    async with database.sessionmaker() as session, session.begin():
        await lock_for_write(session)
        execution = await session.get(Execution, execution_id)
        assert execution is not None
        return await runs.dispatch(session, orchestrator, execution, **options)


async def stop(database: Database, execution_id: str) -> None:
    orchestrator = LocalOrchestrator(database, app_specs=(SPEC,))
    async with database.sessionmaker() as session, session.begin():
        await lock_for_write(session)
        execution = await session.get(Execution, execution_id)
        assert execution is not None
        await runs.stop(session, orchestrator, execution)


async def read(database: Database, execution_id: str) -> Execution:
    async with database.sessionmaker() as session:
        execution = await session.get(Execution, execution_id)
        assert execution is not None
        return execution


async def claims(database: Database) -> list[dict[str, Any]]:
    async with database.sessionmaker() as session:
        rows = await session.execute(select(run_claims).order_by(run_claims.c.execution_id))
        return [dict(row._mapping) for row in rows]


async def wait_for_state(
    database: Database,
    execution_id: str,
    states: set[ExecutionState] | None = None,
    *,
    within: float = 90.0,
) -> Execution:
    """The execution once its state is one of states (default: a final one)."""
    wanted = states or FINAL_STATES
    deadline = time.monotonic() + within
    while True:
        execution = await read(database, execution_id)
        if execution.state in wanted:
            return execution
        assert time.monotonic() < deadline, f"state still {execution.state}"
        await asyncio.sleep(0.2)


async def wait_until(
    condition: Callable[[], bool], *, within: float = 30.0, what: str = ""
) -> None:
    deadline = time.monotonic() + within
    while True:
        if condition():
            return
        assert time.monotonic() < deadline, f"still waiting: {what}"
        await asyncio.sleep(0.05)


def file_text(path: Path) -> str:
    """What a solve process wrote there so far ("" before it did)."""
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
