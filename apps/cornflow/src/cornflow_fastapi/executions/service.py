"""Executions: creating and (re)launching them, following their state, edits and deletion.

The steps and messages of Cornflow's execution endpoints (spec §4.1). Functions only flush; the
request commits. A failure to start or follow a run is not a rollback on the Flask server: the
state it leads to (-3 couldn't start, -1 error, -5 unknown...) and what was changed before it
are stored, then the error is answered. Those failures are raised as RecordedFailure, whose
changes the request commits before answering it.
"""

from __future__ import annotations

from typing import Any, cast

import anyio
from sqlalchemy import Select, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.callers.guard import Caller
from cornflow_fastapi.config import CornflowBackend, CornflowSettings
from cornflow_fastapi.errors import (
    EndpointNotImplemented,
    InvalidData,
    InvalidUsage,
    NoPermission,
    ObjectDoesNotExist,
    RawBodyError,
    RecordedFailure,
)
from cornflow_fastapi.executions import runs
from cornflow_fastapi.executions.schemas import ExecutionQuery, ExecutionRequest
from cornflow_fastapi.jsonschemas.validation import (
    SOLVE_MODEL_DAG,
    SchemaKind,
    extend_and_validate,
    jsonschema_errors,
    raise_if_invalid,
    schema_of,
)
from cornflow_fastapi.models import (
    STATE_MESSAGES,
    Execution,
    ExecutionState,
    Instance,
    User,
    utcnow,
)
from cornflow_fastapi.orchestrators.base import Orchestrator, OrchestratorError
from cornflow_fastapi.records import ownership
from cornflow_fastapi.records.identifiers import aware_now, data_hash, new_execution_id
from cornflow_fastapi.records.listing import apply_filters
from cornflow_fastapi.records.values import all_finite
from cornflow_fastapi.writeback.results import FILES_NOT_UP_TO_DATE, FILES_OK, execution_state
from svckit.errors import AppError

DATABRICKS_DEFAULT_WORKFLOW = "979073949072767"

SCHEMA_MISMATCH = "Instance and execution schema mismatch"
NO_RUN_ID = "The execution has no run_id associated"
DAG_PAUSED = "The dag exists but it is paused in airflow"
STILL_RUNNING = "This execution is still running"
STOP_NOT_AVAILABLE = "This feature is not available for Databricks"
CONFIG_REJECTED = (
    "The execution could not be run because the config does not comply with the json schema. "
    "Check the log for more details"
)
INSTANCE_REJECTED = (
    "The execution could not be run because the instance data does not comply with the json "
    "schema. Check the log for more details"
)
SOLUTION_REJECTED = (
    "The execution could not be run because the solution data does not comply with the json "
    "schema. Check the log for more details"
)
RELAUNCHED = "The execution was relaunched correctly"
RELAUNCH_NOT_RUN = "The execution was set for relaunch but was not launched"

# The names the Flask server gives its backends in messages ("Airflow is not accessible").
_BACKEND_NAMES = {"airflow": "Airflow", "databricks": "Databricks"}


def backend_name(orchestrator: Orchestrator) -> str:
    return _BACKEND_NAMES.get(orchestrator.name, orchestrator.name)


def require_orchestrator(orchestrator: Orchestrator | None) -> Orchestrator:
    if orchestrator is None:
        raise EndpointNotImplemented()
    return orchestrator


def _record(execution: Execution, state: ExecutionState, message: str | None = None) -> None:
    execution.state = int(state)
    execution.state_message = STATE_MESSAGES[state] if message is None else message


def _failure(message: str, state: ExecutionState) -> RecordedFailure:
    """A 400 whose body also says the state the execution was left in."""
    payload = {"message": STATE_MESSAGES[state], "state": int(state)}
    return RecordedFailure(InvalidUsage(message, extra=payload))


def _app_error(error: OrchestratorError | AppError) -> AppError:
    """The orchestrator's refusal with its status (Airflow's own, as the Flask server passes on)."""
    if isinstance(error, OrchestratorError):
        return InvalidUsage(error.message, status_code=error.status_code)
    return error


def _select_with_owner() -> Select[Any]:
    """Executions with their owner, as one select the shared record filters accept."""
    statement = select(Execution, User).outerjoin(User, User.id == Execution.user_id)
    return cast("Select[Any]", statement)


# Reads


async def list_executions(
    session: AsyncSession,
    caller: Caller,
    settings: CornflowSettings,
    orchestrator: Orchestrator | None,
    filters: ExecutionQuery,
) -> list[tuple[Execution, User | None]]:
    """The caller's executions (everyone's for admins), newest first, states refreshed."""
    statement = _select_with_owner()
    statement = ownership.visible(statement, Execution, caller, settings)
    if not filters.checks_and_kpis:
        statement = statement.where(
            or_(Execution.checks_and_kpis_only == false(), Execution.checks_and_kpis_only.is_(None))
        )
    statement = apply_filters(statement, Execution, filters)
    rows = [(row[0], row[1]) for row in (await session.execute(statement)).all()]
    # Dropped after paging, as on the Flask server: a page may come out shorter than `limit`.
    rows = [
        (execution, owner)
        for execution, owner in rows
        if not (isinstance(execution.config, dict) and execution.config.get("checks_only", False))
    ]
    if orchestrator is not None:
        await runs.refresh_states(session, orchestrator, [execution for execution, _ in rows])
    return rows


async def get_execution(
    session: AsyncSession, caller: Caller, settings: CornflowSettings, idx: str
) -> Execution:
    return await ownership.get_visible(session, Execution, idx, caller, settings)


async def get_with_owner(
    session: AsyncSession, caller: Caller, settings: CornflowSettings, idx: str
) -> tuple[Execution, User | None]:
    statement = ownership.visible(_select_with_owner(), Execution, caller, settings)
    row = (await session.execute(statement.where(Execution.id == idx))).first()
    if row is None:
        raise ObjectDoesNotExist()
    return row[0], row[1]


# Creation and launch


def default_workflow(settings: CornflowSettings) -> str:
    if settings.cornflow_backend is CornflowBackend.DATABRICKS:
        return DATABRICKS_DEFAULT_WORKFLOW
    return SOLVE_MODEL_DAG


async def _refuse_unstorable(execution_id: str, action: str, *values: Any) -> None:
    """The Flask server's answer on PostgreSQL, which cannot store NaN or infinity in JSON.

    (SQLite stores them, and every later read of the row answers invalid JSON.)
    """
    if not await anyio.to_thread.run_sync(lambda: all_finite(*values)):
        raise InvalidData(
            f"Unknown database error on {action} with data <Execution {execution_id}>"
        )


async def create_execution(
    session: AsyncSession,
    caller: Caller,
    settings: CornflowSettings,
    orchestrator: Orchestrator | None,
    body: ExecutionRequest,
    *,
    run: bool,
) -> Execution:
    """Create an execution of an instance and, unless run is False, start it (spec §4.1)."""
    workflow = body.schema_ if body.schema_ is not None else default_workflow(settings)
    instance = await session.get(Instance, body.instance_id)
    if instance is None or instance.deleted_at is not None:
        raise ObjectDoesNotExist()
    # No admin exception: an execution is only created on one's own instance (Flask's post_list).
    if not settings.user_access_all_objects and instance.user_id != caller.id:
        raise NoPermission()
    created = aware_now()
    execution_id = new_execution_id(created, caller.id, instance.id)
    await _refuse_unstorable(execution_id, "saving", body.config, body.data)
    if workflow != instance.schema:
        raise InvalidData(SCHEMA_MISMATCH)

    execution = Execution(
        id=execution_id,
        instance_id=instance.id,
        name=body.name,
        description=body.description,
        config=body.config,
        run_id=None,
        log_text=None,
        log_json=None,
        user_id=caller.id,
        data=body.data,
        data_hash=data_hash(body.data),
        schema=workflow,
        checks=None,
        kpis=None,
        last_run_checks_and_kpis=False,
        checks_and_kpis_only=False,
        execution_files_status=0,
        created_at=created.replace(tzinfo=None),
        updated_at=created.replace(tzinfo=None),
    )
    _record(execution, ExecutionState.RUNNING if run else ExecutionState.NOT_RUN)
    session.add(execution)
    await session.flush()
    if not run:
        return execution

    live = require_orchestrator(orchestrator)
    await _require_alive(session, live, execution)
    try:
        info = await live.workflow_info(workflow)
        config_schema = await schema_of(session, workflow, SchemaKind.CONFIG, source=live)
    except (OrchestratorError, AppError) as error:
        raise await _not_started(session, execution, error) from error

    config, errors = await extend_and_validate(
        config_schema, body.config, workflow=workflow, kind=SchemaKind.CONFIG
    )
    if errors:
        await _reject(session, execution, CONFIG_REJECTED, errors)
    if config != body.config:
        execution.config = config

    checks = (
        (SchemaKind.INSTANCE, instance.data, INSTANCE_REJECTED),
        (SchemaKind.SOLUTION, body.data, SOLUTION_REJECTED),
    )
    for kind, data, rejection in checks:
        if kind is SchemaKind.SOLUTION and data is None:
            continue
        try:
            schema = await schema_of(session, workflow, kind, source=live)
        except (OrchestratorError, AppError) as error:
            raise await _not_started(session, execution, error) from error
        errors = await jsonschema_errors(schema, data, workflow=workflow, kind=kind)
        if errors:
            await _reject(session, execution, rejection, errors)

    if info.is_paused:
        _record(execution, ExecutionState.NOT_STARTED)
        await session.flush()
        raise _failure(DAG_PAUSED, ExecutionState.NOT_STARTED)
    await _dispatch(session, live, execution)
    return execution


async def _require_alive(
    session: AsyncSession, orchestrator: Orchestrator, execution: Execution
) -> None:
    if await orchestrator.is_alive():
        return
    _record(execution, ExecutionState.NOT_STARTED)
    await session.flush()
    raise _failure(f"{backend_name(orchestrator)} is not accessible", ExecutionState.NOT_STARTED)


async def _not_started(
    session: AsyncSession, execution: Execution, error: OrchestratorError | AppError
) -> RecordedFailure:
    """The workflow could not be looked at: the execution did not start (-3).

    The Flask server leaves it in state 0 ("running") here, with no run to follow.
    """
    _record(execution, ExecutionState.NOT_STARTED)
    await session.flush()
    return RecordedFailure(_app_error(error))


async def _reject(
    session: AsyncSession, execution: Execution, message: str, errors: list[str]
) -> None:
    """The execution cannot start: its data does not fit the workflow's schemas."""
    _record(execution, ExecutionState.NOT_STARTED, message)
    execution.log_text = str(errors)
    await session.flush()
    raise RecordedFailure(InvalidData(extra={"jsonschema_errors": errors}))


async def _dispatch(
    session: AsyncSession, orchestrator: Orchestrator, execution: Execution
) -> None:
    try:
        await runs.dispatch(session, orchestrator, execution)
    except OrchestratorError as error:
        # runs.dispatch has marked the execution -1 (error).
        raise _failure(error.message, ExecutionState.ERROR) from error


async def relaunch_execution(
    session: AsyncSession,
    caller: Caller,
    settings: CornflowSettings,
    orchestrator: Orchestrator | None,
    idx: str,
    config: dict[str, Any],
    *,
    run: bool,
) -> str:
    """Store a new config, forget the last checks and KPIs, and start the execution again.

    The config, the new owner and the cleared results are kept whatever happens next, as on
    the Flask server, which stores them before looking at the execution's state.
    """
    execution = await get_execution(session, caller, settings, idx)
    execution.config = config
    execution.user_id = caller.id
    execution.checks = None
    execution.kpis = None
    execution.last_run_checks_and_kpis = False
    await session.flush()
    if execution.state in runs.IN_FLIGHT:
        raise RecordedFailure(RawBodyError(400, {"message": STILL_RUNNING}))
    if not run:
        _record(execution, ExecutionState.NOT_RUN)
        await session.flush()
        return RELAUNCH_NOT_RUN

    live = require_orchestrator(orchestrator)
    workflow = execution.schema or ""
    try:
        config_schema = await schema_of(session, workflow, SchemaKind.CONFIG, source=live)
    except (OrchestratorError, AppError) as error:
        raise RecordedFailure(_app_error(error)) from error
    errors = await jsonschema_errors(
        config_schema, config, workflow=workflow, kind=SchemaKind.CONFIG
    )
    if errors:
        raise RecordedFailure(InvalidData(extra={"jsonschema_errors": errors}))

    await _require_alive(session, live, execution)
    try:
        info = await live.workflow_info(workflow)
    except OrchestratorError as error:
        raise RecordedFailure(_app_error(error)) from error
    if info.is_paused:
        # The Flask server answers the not-reachable message here, not the paused one.
        _record(execution, ExecutionState.NOT_STARTED)
        await session.flush()
        raise _failure(f"{backend_name(live)} is not reachable", ExecutionState.NOT_STARTED)
    await _dispatch(session, live, execution)
    return RELAUNCHED


# Following and changing the state


async def poll_status(
    session: AsyncSession,
    caller: Caller,
    settings: CornflowSettings,
    orchestrator: Orchestrator | None,
    idx: str,
) -> Execution:
    """The execution, its state asked to the orchestrator first if it is queued or running."""
    execution = await get_execution(session, caller, settings, idx)
    if execution.state not in runs.FOLLOWED_STATES:
        return execution
    if not execution.run_id:
        _record(execution, ExecutionState.ERROR)
        await session.flush()
        raise _failure(NO_RUN_ID, ExecutionState.ERROR)
    live = require_orchestrator(orchestrator)
    await _require_alive(session, live, execution)
    try:
        await runs.refresh_state(session, live, execution)
    except OrchestratorError as error:
        _record(execution, ExecutionState.UNKNOWN)
        await session.flush()
        raise _failure(error.message, ExecutionState.UNKNOWN) from error
    return execution


async def set_status(
    session: AsyncSession,
    caller: Caller,
    settings: CornflowSettings,
    idx: str,
    status: int | None,
) -> None:
    """A worker's report of a run's state; only a queued, running or unknown one changes."""
    execution = await get_execution(session, caller, settings, idx)
    if execution.state not in runs.FOLLOWED_STATES:
        return
    if status is None:
        raise InvalidUsage("status code was missing")
    _record(execution, execution_state(status))
    await session.flush()


async def stop_execution(
    session: AsyncSession,
    caller: Caller,
    settings: CornflowSettings,
    orchestrator: Orchestrator | None,
    idx: str,
) -> None:
    """Stop the execution's run and mark it stopped (-2)."""
    if orchestrator is None:
        raise RawBodyError(501, {"message": STOP_NOT_AVAILABLE})
    execution = await get_execution(session, caller, settings, idx)
    if not await orchestrator.is_alive():
        raise InvalidUsage(f"{backend_name(orchestrator)} is not reachable")
    try:
        await runs.stop(session, orchestrator, execution)
    except OrchestratorError as error:
        raise _app_error(error) from error


# Edits


async def update_execution(
    session: AsyncSession,
    caller: Caller,
    settings: CornflowSettings,
    orchestrator: Orchestrator | None,
    idx: str,
    changes: dict[str, Any],
) -> None:
    """Edit name, description, solution or instance; the editor becomes the owner."""
    execution = await get_execution(session, caller, settings, idx)
    if changes.get("data") is not None and execution.schema is not None:
        try:
            schema = await schema_of(
                session, execution.schema, SchemaKind.SOLUTION, source=orchestrator
            )
        except OrchestratorError as error:
            raise _app_error(error) from error
        await raise_if_invalid(
            schema, changes["data"], workflow=execution.schema, kind=SchemaKind.SOLUTION
        )
    await _refuse_unstorable(execution.id, "updating", changes.get("data"))
    if "instance_id" in changes:
        await _check_new_instance(session, caller, settings, execution, changes["instance_id"])
    if "data" in changes:
        execution.checks = None
        execution.kpis = None
        if execution.execution_files_status == FILES_OK:
            execution.execution_files_status = FILES_NOT_UP_TO_DATE
    for field in ("name", "description", "data", "instance_id"):
        if field in changes:
            setattr(execution, field, changes[field])
    execution.user_id = caller.id
    execution.updated_at = utcnow()
    await session.flush()


async def _check_new_instance(
    session: AsyncSession,
    caller: Caller,
    settings: CornflowSettings,
    execution: Execution,
    instance_id: str,
) -> None:
    instance = await session.get(Instance, instance_id)
    if instance is None or instance.deleted_at is not None:
        # What the Flask server answers when the foreign key refuses the update.
        raise InvalidData(f"Integrity error on updating with data <Execution {execution.id}>")
    if not ownership.sees_everything(caller, settings) and instance.user_id != caller.id:
        raise NoPermission()


async def delete_execution(
    session: AsyncSession, caller: Caller, settings: CornflowSettings, idx: str
) -> None:
    """Delete for good (the Flask server hard-deletes despite `deleted_at`)."""
    execution = await get_execution(session, caller, settings, idx)
    await session.delete(execution)
    await session.flush()
