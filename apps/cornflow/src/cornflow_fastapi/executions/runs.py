"""Starting, stopping and following an execution's run, whatever orchestrator runs it.

The steps of Cornflow's execution endpoints that talk to the orchestrator (spec §4.1 step 10,
stop, the status refresh), as service functions: they change the execution and flush; the
caller validates, renders errors and owns the transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.models import STATE_MESSAGES, Execution, ExecutionState
from cornflow_fastapi.orchestrators.base import Orchestrator, OrchestratorError, RunRequest

# States in which Cornflow asks the orchestrator how the run is doing.
FOLLOWED_STATES = frozenset({ExecutionState.RUNNING, ExecutionState.QUEUED, ExecutionState.UNKNOWN})
IN_FLIGHT = frozenset({ExecutionState.RUNNING, ExecutionState.QUEUED})

# How many runs a list asks about at once, and for how long in all: a list of many followed
# executions must not hold its request for one orchestrator round trip per row.
POLL_CONCURRENCY = 8
POLL_BUDGET_SECONDS = 10.0


def set_state(execution: Execution, state: ExecutionState) -> None:
    execution.state = int(state)
    execution.state_message = STATE_MESSAGES[state]


async def dispatch(
    session: AsyncSession,
    orchestrator: Orchestrator,
    execution: Execution,
    *,
    checks_and_kpis_only: bool = False,
    case_id: int | None = None,
) -> str:
    """Start the execution's run and mark it queued (-7); returns the run id.

    Idempotent: the run id comes from the execution id, and an execution already queued or
    running under that run id is left as it is, never queued twice. When the orchestrator
    refuses, the execution is marked -1 and the OrchestratorError goes up to the caller.
    """
    request = RunRequest(
        execution_id=execution.id,
        workflow=execution.schema or "",
        checks_and_kpis_only=checks_and_kpis_only,
        case_id=case_id,
    )
    try:
        run_id = await orchestrator.run(request)
    except OrchestratorError:
        set_state(execution, ExecutionState.ERROR)
        await session.flush()
        raise
    if execution.run_id == run_id and execution.state in IN_FLIGHT:
        return run_id
    execution.run_id = run_id
    if checks_and_kpis_only or case_id is not None:
        execution.last_run_checks_and_kpis = True
    set_state(execution, ExecutionState.QUEUED)
    await session.flush()
    return run_id


async def stop(session: AsyncSession, orchestrator: Orchestrator, execution: Execution) -> None:
    """Stop the execution's run and mark it stopped (-2), as Cornflow's stop endpoint does."""
    await orchestrator.stop(execution.schema or "", execution.run_id or "")
    set_state(execution, ExecutionState.STOPPED)
    await session.flush()


async def refresh_state(
    session: AsyncSession, orchestrator: Orchestrator, execution: Execution
) -> ExecutionState:
    """Ask the orchestrator for a queued, running or unknown run's state and store it."""
    current = ExecutionState(execution.state)
    if current not in FOLLOWED_STATES or not execution.run_id:
        return current
    state = await orchestrator.status(execution.schema or "", execution.run_id)
    if state != current:
        set_state(execution, state)
        await session.flush()
    return state


async def refresh_states(
    session: AsyncSession,
    orchestrator: Orchestrator,
    executions: Sequence[Execution],
    *,
    concurrency: int = POLL_CONCURRENCY,
    budget: float = POLL_BUDGET_SECONDS,
) -> None:
    """Refresh the followed executions with a run id, as a list does: best effort.

    One liveness check for all of them (none is refreshed when the orchestrator is down), a
    bounded number of polls at a time, a time budget for all of them; a run the orchestrator
    cannot tell about, or does not tell about in time, keeps its stored state.
    """
    followed = [
        execution
        for execution in executions
        if execution.run_id and execution.state in FOLLOWED_STATES
    ]
    if not followed or not await orchestrator.is_alive():
        return
    limiter = asyncio.Semaphore(concurrency)
    answers: dict[str, ExecutionState] = {}

    async def poll(execution: Execution) -> None:
        async with limiter:
            try:
                state = await orchestrator.status(execution.schema or "", execution.run_id or "")
            except OrchestratorError:
                return
            answers[execution.id] = state

    try:
        async with asyncio.timeout(budget):
            await asyncio.gather(*(poll(execution) for execution in followed))
    except TimeoutError:
        pass
    changed = False
    for execution in followed:
        state = answers.get(execution.id)
        if state is not None and state != execution.state:
            set_state(execution, state)
            changed = True
    if changed:
        await session.flush()
