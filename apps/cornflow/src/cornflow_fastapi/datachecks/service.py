"""Checks-and-KPIs runs on an execution, an instance or a case (/data-check[-kpis]/...).

An execution's checks run on the execution itself; an instance's on a new execution of it
(`data_check_instance_<name>`), and a case's on a new instance and execution made from the
case's data and solution (`data_check_case_<name>`). The new executions carry the config
`{"checks_and_kpis_only": true}` and are left out of the execution list by default.

As with executions, a run that cannot start is not a rollback: the rows created and the state
they were left in are kept, and the error is answered (RecordedFailure).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.callers.guard import Caller
from cornflow_fastapi.config import CornflowSettings
from cornflow_fastapi.errors import (
    InvalidUsage,
    NoPermission,
    ObjectDoesNotExist,
    RecordedFailure,
)
from cornflow_fastapi.executions import runs
from cornflow_fastapi.jsonschemas.validation import (
    SOLVE_MODEL_DAG,
    SchemaKind,
    raise_if_invalid,
    schema_of,
)
from cornflow_fastapi.models import (
    STATE_MESSAGES,
    Case,
    Execution,
    ExecutionState,
    Instance,
    is_row_id,
    utcnow,
)
from cornflow_fastapi.orchestrators import airflow
from cornflow_fastapi.orchestrators.base import Orchestrator, OrchestratorError
from cornflow_fastapi.records.identifiers import (
    aware_now,
    data_hash,
    new_execution_id,
    new_instance_id,
)
from cornflow_fastapi.records.ownership import get_visible
from cornflow_fastapi.records.persistence import flush_or_refuse

CHECKS_CONFIG = {"checks_and_kpis_only": True}
STILL_RUNNING = "The execution is still running"
EXECUTION_NOT_FOUND = "The execution to check does not exist"
INSTANCE_NOT_FOUND = "The instance to check does not exist"
CASE_NOT_FOUND = "The case to check does not exist"
IN_FLIGHT = (int(ExecutionState.RUNNING), int(ExecutionState.QUEUED))


def _failure(message: str, state: ExecutionState) -> RecordedFailure:
    """An error whose body also says the state the execution was left in."""
    payload = {"message": STATE_MESSAGES[state], "state": int(state)}
    return RecordedFailure(InvalidUsage(message, extra=payload))


def _checks_workflow(orchestrator: Orchestrator, workflow: str) -> str:
    # On Airflow the checks run on a DAG of their own, and it is that DAG's pause that counts.
    if orchestrator.name == airflow.AirflowOrchestrator.name:
        return airflow.checks_workflow(workflow)
    return workflow


async def _start(
    session: AsyncSession,
    orchestrator: Orchestrator | None,
    execution: Execution,
    *,
    created: bool,
    case_id: int | None = None,
) -> None:
    """Queue the checks run of execution, or record why it could not start."""
    workflow = execution.schema or ""
    if orchestrator is None or not await orchestrator.is_alive():
        runs.set_state(execution, ExecutionState.NOT_STARTED)
        await session.flush()
        raise _failure(airflow.NOT_REACHABLE, ExecutionState.NOT_STARTED)
    try:
        info = await orchestrator.workflow_info(_checks_workflow(orchestrator, workflow))
    except OrchestratorError as error:
        if created:
            # Flask leaves a new execution "running" with no run to follow; it never started.
            # An existing execution keeps the state of its last run.
            runs.set_state(execution, ExecutionState.NOT_STARTED)
            await session.flush()
        raise RecordedFailure(InvalidUsage(error.message, status_code=error.status_code)) from error
    if info.is_paused:
        runs.set_state(execution, ExecutionState.NOT_STARTED)
        await session.flush()
        raise _failure(airflow.DAG_PAUSED, ExecutionState.NOT_STARTED)
    try:
        await runs.dispatch(
            session, orchestrator, execution, checks_and_kpis_only=True, case_id=case_id
        )
    except OrchestratorError as error:
        # runs.dispatch has marked the execution -1 (error).
        raise _failure(error.message, ExecutionState.ERROR) from error


async def _finish(
    session: AsyncSession,
    orchestrator: Orchestrator | None,
    execution: Execution,
    *,
    run: bool,
    created: bool = True,
    case_id: int | None = None,
) -> Execution:
    """Start the run (unless run is False: state -4), or record why it could not start."""
    # Every outcome counts as an update of the execution, even to the state it already had.
    execution.updated_at = utcnow()
    if run:
        await _start(session, orchestrator, execution, created=created, case_id=case_id)
    else:
        runs.set_state(execution, ExecutionState.NOT_RUN)
        await session.flush()
    return execution


async def _save(session: AsyncSession, row: Instance | Execution) -> None:
    session.add(row)
    # A value the database cannot hold (a name too long for PostgreSQL's column) is a 400.
    await flush_or_refuse(session, "saving", f"<{type(row).__name__} {row.id}>")


async def _new_execution(
    session: AsyncSession,
    caller: Caller,
    instance: Instance,
    *,
    name: str,
    schema: str | None,
    data: Any = None,
) -> Execution:
    created = aware_now()
    moment = created.replace(tzinfo=None)
    execution = Execution(
        id=new_execution_id(created, caller.id, instance.id),
        instance_id=instance.id,
        name=name,
        description=None,
        config=dict(CHECKS_CONFIG),
        run_id=None,
        log_text=None,
        log_json=None,
        user_id=caller.id,
        data=data,
        data_hash=data_hash(data),
        schema=schema,
        checks=None,
        kpis=None,
        last_run_checks_and_kpis=False,
        checks_and_kpis_only=True,
        execution_files_status=0,
        created_at=moment,
        updated_at=moment,
    )
    runs.set_state(execution, ExecutionState.RUNNING)
    await _save(session, execution)
    return execution


async def check_execution(
    session: AsyncSession,
    caller: Caller,
    settings: CornflowSettings,
    orchestrator: Orchestrator | None,
    idx: str,
    *,
    run: bool,
) -> Execution:
    """Run the checks of an execution again, on the execution itself."""
    execution = await get_visible(
        session, Execution, idx, caller, settings, message=EXECUTION_NOT_FOUND
    )
    if execution.state in IN_FLIGHT:
        raise InvalidUsage(STILL_RUNNING)
    return await _finish(session, orchestrator, execution, run=run, created=False)


async def check_instance(
    session: AsyncSession,
    caller: Caller,
    settings: CornflowSettings,
    orchestrator: Orchestrator | None,
    idx: str,
    *,
    run: bool,
) -> Execution:
    """A new checks-only execution of an instance."""
    instance = await get_visible(
        session, Instance, idx, caller, settings, message=INSTANCE_NOT_FOUND
    )
    # No admin exception: a new execution goes on one's own instance only (Flask's post_list).
    if not settings.user_access_all_objects and instance.user_id != caller.id:
        raise NoPermission()
    execution = await _new_execution(
        session,
        caller,
        instance,
        name=f"data_check_instance_{instance.name}",
        schema=instance.schema,
    )
    return await _finish(session, orchestrator, execution, run=run)


async def _validated(
    session: AsyncSession,
    orchestrator: Orchestrator | None,
    workflow: str,
    kind: SchemaKind,
    data: Any,
) -> None:
    schema = await schema_of(session, workflow, kind, source=orchestrator)
    await raise_if_invalid(schema, data, workflow=workflow, kind=kind)


async def check_case(
    session: AsyncSession,
    caller: Caller,
    settings: CornflowSettings,
    orchestrator: Orchestrator | None,
    idx: int,
    *,
    run: bool,
) -> Execution:
    """A new instance and checks-only execution made from a case's data and solution.

    Both are validated against the workflow's schemas before anything is written.
    """
    if not is_row_id(idx):
        raise ObjectDoesNotExist(CASE_NOT_FOUND)
    case = await get_visible(session, Case, idx, caller, settings, message=CASE_NOT_FOUND)
    workflow = case.schema or SOLVE_MODEL_DAG
    name = f"data_check_case_{case.name}"
    await _validated(session, orchestrator, workflow, SchemaKind.INSTANCE, case.data)
    if case.solution is not None:
        await _validated(session, orchestrator, workflow, SchemaKind.SOLUTION, case.solution)

    created = aware_now()
    moment = created.replace(tzinfo=None)
    instance = Instance(
        id=new_instance_id(created, caller.id),
        data=case.data,
        name=name,
        description=None,
        user_id=caller.id,
        data_hash=data_hash(case.data),
        schema=workflow,
        checks=None,
        created_at=moment,
        updated_at=moment,
    )
    await _save(session, instance)
    execution = await _new_execution(
        session, caller, instance, name=name, schema=workflow, data=case.solution
    )
    return await _finish(session, orchestrator, execution, run=run, case_id=case.id)
