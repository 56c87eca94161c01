"""The queue of the local runner: executions in state -7 whose run id is a local one.

A worker takes one by moving it to state 0 and holding a row in `local_run_claims` (its worker
id, a heartbeat). Taking is atomic whatever the number of workers and servers:
- PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED` on the queued execution, then the UPDATE;
- SQLite: the transaction starts by writing, which takes SQLite's single write lock before
  anything is read (what `BEGIN IMMEDIATE` does), so two takers are serialised and the second
  one no longer sees the execution as queued.

Every writing transaction here starts with `lock_for_write` for the second reason too: a SQLite
transaction that reads and then writes can be refused (SQLITE_BUSY, without waiting) when another
connection wrote in between.

A run ends by deleting its claim. A claim whose worker is gone (its process died, or it has not
reported for the lease time) is recovered: the execution goes back to the queue, or fails once
it was started `max_attempts` times.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Result,
    and_,
    case,
    delete,
    exists,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.models import STATE_MESSAGES, Execution, ExecutionState
from cornflow_fastapi.models.local_runner import run_claims
from cornflow_fastapi.orchestrators.local.runs import RUN_ID_PREFIX

QUEUED = ExecutionState.QUEUED
RUNNING = ExecutionState.RUNNING


@dataclass(frozen=True)
class Claim:
    execution_id: str
    run_id: str
    attempts: int


@dataclass
class Recovery:
    """What recover_claims did, by execution id."""

    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _rowcount(result: Result[Any]) -> int:
    # UPDATE and DELETE give a CursorResult; the session's signature only promises a Result.
    return int(cast(CursorResult[Any], result).rowcount)


async def lock_for_write(session: AsyncSession) -> None:
    """Take SQLite's write lock now (a no-op write); PostgreSQL locks rows as it goes."""
    if _dialect(session) == "sqlite":
        await session.execute(
            update(run_claims)
            .where(run_claims.c.attempts < 0)
            .values(attempts=run_claims.c.attempts)
        )


def _claimable(workflows: Collection[str]) -> ColumnElement[bool]:
    held = exists().where(
        run_claims.c.execution_id == Execution.id, run_claims.c.worker_id.is_not(None)
    )
    return and_(
        Execution.state == QUEUED,
        Execution.run_id.startswith(RUN_ID_PREFIX, autoescape=True),
        Execution.schema.in_(sorted(workflows)),
        Execution.deleted_at.is_(None),
        ~held,
    )


async def has_queued(session: AsyncSession, *, workflows: Collection[str]) -> bool:
    """Whether a run waits, read without locking: idle workers poll with this, so that on
    SQLite they take the write lock only to actually claim something."""
    if not workflows:
        return False
    found = await session.scalar(select(Execution.id).where(_claimable(workflows)).limit(1))
    return found is not None


async def claim_next(
    session: AsyncSession, *, worker_id: str, workflows: Collection[str], now: datetime
) -> Claim | None:
    """Take the oldest queued local execution of one of workflows, or None."""
    if not workflows:
        return None
    await lock_for_write(session)
    candidates = (
        select(Execution.id, Execution.run_id)
        .where(_claimable(workflows))
        .order_by(Execution.updated_at, Execution.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=Execution)
    )
    row = (await session.execute(candidates)).first()
    if row is None:
        return None
    execution_id, run_id = row
    assert run_id is not None
    await session.execute(
        update(Execution)
        .where(Execution.id == execution_id)
        .values(state=RUNNING, state_message=STATE_MESSAGES[RUNNING], updated_at=now)
        .execution_options(synchronize_session=False)
    )
    attempts = await _hold(
        session, execution_id=execution_id, run_id=run_id, worker_id=worker_id, now=now
    )
    return Claim(execution_id=execution_id, run_id=run_id, attempts=attempts)


async def _hold(
    session: AsyncSession, *, execution_id: str, run_id: str, worker_id: str, now: datetime
) -> int:
    # A released claim of the same run keeps counting its starts; any other run starts at 1.
    insert = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
    values = insert(run_claims).values(
        execution_id=execution_id,
        run_id=run_id,
        worker_id=worker_id,
        attempts=1,
        claimed_at=now,
        heartbeat_at=now,
    )
    excluded = values.excluded
    statement = values.on_conflict_do_update(
        index_elements=[run_claims.c.execution_id],
        set_={
            "attempts": case(
                (run_claims.c.run_id == excluded.run_id, run_claims.c.attempts + 1),
                else_=1,
            ),
            "run_id": excluded.run_id,
            "worker_id": excluded.worker_id,
            "claimed_at": excluded.claimed_at,
            "heartbeat_at": excluded.heartbeat_at,
        },
    ).returning(run_claims.c.attempts)
    attempts = (await session.execute(statement)).scalar_one()
    return int(attempts)


async def heartbeat(
    session: AsyncSession, *, execution_id: str, worker_id: str, now: datetime
) -> bool:
    """Report the run alive; False when the claim is no longer this worker's."""
    result = await session.execute(
        update(run_claims)
        .where(run_claims.c.execution_id == execution_id, run_claims.c.worker_id == worker_id)
        .values(heartbeat_at=now)
    )
    return _rowcount(result) == 1


async def execution_state(session: AsyncSession, execution_id: str) -> int | None:
    """The execution's state as committed now; None once it was deleted."""
    state = await session.scalar(
        select(Execution.state).where(Execution.id == execution_id, Execution.deleted_at.is_(None))
    )
    return None if state is None else int(state)


async def lock_running_execution(
    session: AsyncSession, *, execution_id: str, worker_id: str, now: datetime
) -> Execution | None:
    """The execution, locked, if this worker still holds it and it is still running.

    Opens a write-back: results are stored only when no stop, requeue or other worker got in
    between, and none can until the transaction ends.
    """
    if not await heartbeat(session, execution_id=execution_id, worker_id=worker_id, now=now):
        return None
    execution = (
        await session.execute(
            select(Execution)
            .where(Execution.id == execution_id, Execution.deleted_at.is_(None))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if execution is None or execution.state != RUNNING:
        return None
    return execution


async def finish(session: AsyncSession, *, execution_id: str, worker_id: str) -> None:
    """Drop this worker's claim: the run is over, whatever its outcome."""
    await session.execute(
        delete(run_claims).where(
            run_claims.c.execution_id == execution_id, run_claims.c.worker_id == worker_id
        )
    )


async def release(
    session: AsyncSession, *, execution_id: str, worker_id: str, now: datetime
) -> bool:
    """Give a run back to the queue (the worker is stopping); its start does not count."""
    await lock_for_write(session)
    held = await session.execute(
        update(run_claims)
        .where(run_claims.c.execution_id == execution_id, run_claims.c.worker_id == worker_id)
        .values(worker_id=None, heartbeat_at=None, attempts=run_claims.c.attempts - 1)
    )
    if _rowcount(held) != 1:
        return False
    await session.execute(
        update(Execution)
        .where(Execution.id == execution_id, Execution.state == RUNNING)
        .values(state=QUEUED, state_message=STATE_MESSAGES[QUEUED], updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return True


async def recover_claims(
    session: AsyncSession,
    *,
    now: datetime,
    max_attempts: int,
    worker_ids: Collection[str] = (),
    stale_before: datetime | None = None,
) -> Recovery:
    """Take back the runs of workers that are gone (listed, or silent since stale_before)."""
    report = Recovery()
    gone: list[ColumnElement[bool]] = []
    if worker_ids:
        gone.append(run_claims.c.worker_id.in_(sorted(worker_ids)))
    if stale_before is not None:
        gone.append(
            run_claims.c.worker_id.is_not(None) & (run_claims.c.heartbeat_at < stale_before)
        )
    if not gone:
        return report
    await lock_for_write(session)
    claims = (
        await session.execute(
            select(run_claims.c.execution_id, run_claims.c.run_id, run_claims.c.attempts)
            .where(or_(*gone))
            .order_by(run_claims.c.execution_id)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for execution_id, run_id, attempts in claims:
        execution = (
            await session.execute(
                select(Execution)
                .where(Execution.id == execution_id, Execution.deleted_at.is_(None))
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()
        claim = run_claims.c.execution_id == execution_id
        if execution is not None and execution.state == QUEUED:
            await session.execute(
                update(run_claims).where(claim).values(worker_id=None, heartbeat_at=None)
            )
            report.requeued.append(execution_id)
        elif execution is None or execution.state != RUNNING or execution.run_id != run_id:
            await session.execute(delete(run_claims).where(claim))
            report.dropped.append(execution_id)
        elif attempts >= max_attempts:
            note = (
                f"The run was interrupted {attempts} times (its worker stopped or was lost) "
                "and was not started again."
            )
            execution.log_text = f"{execution.log_text}\n{note}" if execution.log_text else note
            execution.state = int(ExecutionState.ERROR)
            execution.state_message = STATE_MESSAGES[ExecutionState.ERROR]
            execution.updated_at = now
            await session.execute(delete(run_claims).where(claim))
            report.failed.append(execution_id)
        else:
            execution.state = int(QUEUED)
            execution.state_message = STATE_MESSAGES[QUEUED]
            execution.updated_at = now
            await session.execute(
                update(run_claims).where(claim).values(worker_id=None, heartbeat_at=None)
            )
            report.requeued.append(execution_id)
    # The requeued states must be in the database before the sweep below reads them.
    await session.flush()
    if stale_before is not None:
        # Released claims kept only to count starts; once their execution is no longer queued
        # (solved by another server, stopped, deleted) nothing will take them again.
        await session.execute(
            delete(run_claims).where(
                run_claims.c.worker_id.is_(None),
                ~exists().where(
                    Execution.id == run_claims.c.execution_id, Execution.state == QUEUED
                ),
            )
        )
    await session.flush()
    return report
