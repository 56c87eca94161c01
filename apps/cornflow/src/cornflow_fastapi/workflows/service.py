"""Deployed workflows, the worker's reads and write-backs, schemas and examples.

Services flush and never commit: the request's session owns the transaction, so a failure
leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.apps.registration import register_dag_permissions
from cornflow_fastapi.callers.guard import Caller
from cornflow_fastapi.config import CornflowSettings
from cornflow_fastapi.errors import InvalidData, InvalidUsage, NoPermission, ObjectDoesNotExist
from cornflow_fastapi.jsonschemas.validation import (
    SchemaKind,
    SchemaSource,
    get_workflow,
    raise_if_invalid,
    schema_of,
)
from cornflow_fastapi.models import (
    STATE_MESSAGES,
    Case,
    DeployedWorkflow,
    Execution,
    ExecutionState,
    Instance,
    PermissionDag,
    is_row_id,
    utcnow,
)
from cornflow_fastapi.orchestrators.airflow import NOT_REACHABLE
from cornflow_fastapi.orchestrators.base import Orchestrator, OrchestratorError
from cornflow_fastapi.records.identifiers import aware_now, data_hash, new_execution_id
from cornflow_fastapi.records.ownership import get_visible, sees_everything
from cornflow_fastapi.records.persistence import flush_or_refuse
from cornflow_fastapi.workflows.schemas import DeployedDagCreate, ManualExecution
from cornflow_fastapi.writeback import results

INSTANCE_NOT_FOUND = "The instance does not exist."
EXAMPLE_NOT_FOUND = "The example does not exist"
NO_SCHEMA_PERMISSION = "User does not have permission to access this dag"
# The example endpoints end their refusal with a full stop; the schema endpoint does not.
NO_EXAMPLE_PERMISSION = "User does not have permission to access this dag."


# --- deployed workflows ---------------------------------------------------------------------


async def list_deployed(session: AsyncSession) -> list[DeployedWorkflow]:
    statement = (
        select(DeployedWorkflow)
        .where(DeployedWorkflow.deleted_at.is_(None))
        .order_by(DeployedWorkflow.created_at, DeployedWorkflow.id)
    )
    return list((await session.execute(statement)).scalars())


async def create_deployed(
    session: AsyncSession, body: DeployedDagCreate, *, open_deployment: int
) -> DeployedWorkflow:
    """Register a workflow, then let users use it (Cornflow 1.3.9 grants DAG permissions)."""
    subject = f"<DAG {body.id}>"
    # A soft-deleted row still holds the key, as it does for the Flask server's insert.
    if await session.get(DeployedWorkflow, body.id) is not None:
        raise InvalidData(f"Integrity error on saving with data {subject}")
    row = DeployedWorkflow(**body.model_dump())
    session.add(row)
    await flush_or_refuse(session, "saving", subject)
    await register_dag_permissions(session, open_deployment=open_deployment)
    return row


async def update_deployed(
    session: AsyncSession, workflow: str, changes: Mapping[str, Any], *, open_deployment: int
) -> None:
    row = await session.get(DeployedWorkflow, workflow)
    if row is None or row.deleted_at is not None:
        raise ObjectDoesNotExist()
    for column, value in changes.items():
        setattr(row, column, value)
    row.updated_at = utcnow()
    await session.flush()
    await register_dag_permissions(session, open_deployment=open_deployment)


# --- executions written by hand or by the worker ---------------------------------------------


async def create_manual_execution(
    session: AsyncSession,
    caller: Caller,
    settings: CornflowSettings,
    body: ManualExecution,
    log: dict[str, Any] | None,
) -> Execution:
    """An execution whose solution was computed elsewhere (state 2, never run)."""
    created = aware_now()
    execution_id = new_execution_id(created, caller.id, body.instance_id)
    instance = await session.get(Instance, body.instance_id)
    if instance is None:
        # What the Flask server answers when the instance foreign key fails.
        raise InvalidData(f"Integrity error on saving with data <Execution {execution_id}>")
    if instance.user_id != caller.id and not sees_everything(caller, settings):
        raise NoPermission()
    data = body.data
    state = ExecutionState.LOADED_MANUALLY
    now = created.replace(tzinfo=None)
    execution = Execution(
        id=execution_id,
        instance_id=body.instance_id,
        name=body.name,
        description=body.description,
        config=body.config,
        run_id=None,
        log_text=body.log_text,
        log_json=log,
        user_id=caller.id,
        state=int(state),
        state_message=STATE_MESSAGES[state],
        data=data,
        data_hash=data_hash(data),
        schema=body.schema_,
        checks=body.checks,
        kpis=body.kpis,
        last_run_checks_and_kpis=False,
        checks_and_kpis_only=False,
        execution_files_status=0,
        created_at=now,
        updated_at=now,
    )
    session.add(execution)
    await flush_or_refuse(session, "saving", f"<Execution {execution_id}>")
    return execution


async def get_run_input(
    session: AsyncSession, caller: Caller, settings: CornflowSettings, execution_id: str
) -> dict[str, Any]:
    """What a worker needs to solve an execution: its instance's data and its own config."""
    execution = await get_visible(
        session, Execution, execution_id, caller, settings, message=results.EXECUTION_NOT_FOUND
    )
    instance = await get_visible(
        session, Instance, execution.instance_id, caller, settings, message=INSTANCE_NOT_FOUND
    )
    return {
        "id": instance.id,
        "data": instance.data,
        "solution_data": execution.data,
        "config": execution.config,
    }


def _known_state(state: int) -> bool:
    try:
        ExecutionState(state)
    except ValueError:
        return False
    return True


async def save_run_results(
    session: AsyncSession,
    caller: Caller,
    settings: CornflowSettings,
    execution_id: str,
    *,
    values: Mapping[str, Any],
    log: dict[str, Any] | None,
    schemas: SchemaSource | None,
) -> None:
    """The worker's write-back (`PUT /dag/<id>/`); `values` holds only the fields sent."""
    execution = await get_visible(
        session, Execution, execution_id, caller, settings, message=results.EXECUTION_NOT_FOUND
    )
    state = values.get("state")
    if state is None:
        state = int(ExecutionState.SOLVED)
    data = values.get("data", results.UNSET)
    optional: dict[str, Any] = {
        key: values[key] for key in ("log_text", "checks", "kpis") if key in values
    }
    if log is not None:
        optional["log_json"] = log
    try:
        if not _known_state(state) and data is not results.UNSET and execution.schema is not None:
            # The Flask server validates the data before it looks the state up.
            schema = await schema_of(session, execution.schema, SchemaKind.SOLUTION, source=schemas)
            await raise_if_invalid(
                schema, data, workflow=execution.schema, kind=SchemaKind.SOLUTION
            )
        await results.save_execution_results(
            session, execution.id, state=state, data=data, schemas=schemas, **optional
        )
    except OrchestratorError as error:
        raise InvalidUsage(error.message, status_code=error.status_code) from None
    execution.updated_at = utcnow()
    await session.flush()


async def save_instance_checks(
    session: AsyncSession,
    caller: Caller,
    settings: CornflowSettings,
    instance_id: str,
    changes: Mapping[str, Any],
) -> None:
    instance = await get_visible(session, Instance, instance_id, caller, settings)
    await results.save_instance_checks(session, instance.id, **changes)
    instance.updated_at = utcnow()
    await session.flush()


async def save_case_checks(
    session: AsyncSession,
    caller: Caller,
    settings: CornflowSettings,
    case_id: int,
    changes: Mapping[str, Any],
) -> None:
    if not is_row_id(case_id):
        raise ObjectDoesNotExist()
    case = await get_visible(session, Case, case_id, caller, settings)
    await results.save_case_checks(session, case.id, **changes)
    case.updated_at = utcnow()
    await session.flush()


# --- schemas and examples -------------------------------------------------------------------


async def _may_use(session: AsyncSession, user_id: int, workflow: str) -> bool:
    # Like the Flask server, any permission_dag row for the pair grants access.
    statement = (
        exists().where(PermissionDag.user_id == user_id, PermissionDag.dag_id == workflow).select()
    )
    return bool(await session.scalar(statement))


async def usable_workflows(session: AsyncSession, user_id: int) -> list[str]:
    statement = (
        select(PermissionDag.dag_id)
        .where(PermissionDag.user_id == user_id)
        .order_by(PermissionDag.id)
    )
    return list((await session.execute(statement)).scalars())


async def workflow_schemas(session: AsyncSession, user_id: int, workflow: str) -> DeployedWorkflow:
    if not await _may_use(session, user_id, workflow):
        raise NoPermission(NO_SCHEMA_PERMISSION)
    return await get_workflow(session, workflow)


async def examples(
    session: AsyncSession, orchestrator: Orchestrator | None, user_id: int, workflow: str
) -> list[Any]:
    """The workflow's example data sets, as its orchestrator publishes them."""
    if not await _may_use(session, user_id, workflow):
        raise NoPermission(NO_EXAMPLE_PERMISSION)
    if orchestrator is None or not await orchestrator.is_alive():
        raise InvalidUsage(NOT_REACHABLE)
    try:
        return list(await orchestrator.examples(workflow))
    except OrchestratorError as error:
        raise InvalidUsage(error.message, status_code=error.status_code) from None


async def example(
    session: AsyncSession,
    orchestrator: Orchestrator | None,
    user_id: int,
    workflow: str,
    name: str,
) -> Mapping[str, Any]:
    for item in await examples(session, orchestrator, user_id, workflow):
        if isinstance(item, Mapping) and item.get("name") == name:
            return item
    raise ObjectDoesNotExist(EXAMPLE_NOT_FOUND)
