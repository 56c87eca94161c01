"""/execution/...: executions of a workflow on an instance, their state, results and logs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from cornflow_fastapi.access import catalog
from cornflow_fastapi.callers.guard import Caller, requires_caller
from cornflow_fastapi.dependencies import OrchestratorDep, SessionDep, SettingsDep
from cornflow_fastapi.executions import service
from cornflow_fastapi.executions.schemas import (
    ExecutionData,
    ExecutionDetail,
    ExecutionEditRequest,
    ExecutionListItem,
    ExecutionLog,
    ExecutionQuery,
    ExecutionRequest,
    ExecutionStatus,
    ExecutionStatusUpdate,
    RelaunchRequest,
    parse_relaunch,
)
from cornflow_fastapi.records.shapes import ExecutionBase
from cornflow_fastapi.records.workflows import requires_dag_caller
from cornflow_fastapi.request_parsing import (
    body_openapi,
    json_body,
    load_json,
    query_args,
    run_requested,
)
from cornflow_fastapi.responses import DELETED, UPDATED, MessageResponse
from cornflow_fastapi.routing import CornflowRoute

router = APIRouter(route_class=CornflowRoute, tags=["Executions"])

STOPPED = MessageResponse(message="The execution has been stopped")


async def relaunch_body(request: Request) -> RelaunchRequest:
    return parse_relaunch(await load_json(request))


@router.get("/execution/", name=catalog.EXECUTION.name, operation_id="list_executions")
async def list_executions(
    caller: Annotated[Caller, requires_caller(catalog.EXECUTION)],
    filters: Annotated[ExecutionQuery, query_args(ExecutionQuery)],
    session: SessionDep,
    settings: SettingsDep,
    orchestrator: OrchestratorDep,
) -> list[ExecutionListItem]:
    """The caller's executions (everyone's for admins and service users), newest first."""
    rows = await service.list_executions(session, caller, settings, orchestrator, filters)
    return [ExecutionListItem.of_owned(execution, owner) for execution, owner in rows]


@router.post(
    "/execution/",
    name=catalog.EXECUTION.name,
    operation_id="create_execution",
    status_code=201,
    response_model=ExecutionBase,
    openapi_extra=body_openapi(ExecutionRequest),
)
async def create_execution(
    request: Request,
    caller: Annotated[Caller, requires_dag_caller(catalog.EXECUTION)],
    body: Annotated[ExecutionRequest, json_body(ExecutionRequest)],
    session: SessionDep,
    settings: SettingsDep,
    orchestrator: OrchestratorDep,
) -> ExecutionBase:
    """Create an execution of one of the caller's instances and start it (not with `?run=0`)."""
    execution = await service.create_execution(
        session, caller, settings, orchestrator, body, run=run_requested(request)
    )
    return ExecutionBase.of(execution)


@router.get("/execution/{idx}/", name=catalog.EXECUTION_DETAIL.name, operation_id="get_execution")
async def get_execution(
    caller: Annotated[Caller, requires_caller(catalog.EXECUTION_DETAIL)],
    idx: str,
    session: SessionDep,
    settings: SettingsDep,
) -> ExecutionDetail:
    """One execution, without its data."""
    execution, owner = await service.get_with_owner(session, caller, settings, idx)
    return ExecutionDetail.of_owned(execution, owner)


@router.put(
    "/execution/{idx}/",
    name=catalog.EXECUTION_DETAIL.name,
    operation_id="update_execution",
    openapi_extra=body_openapi(ExecutionEditRequest),
)
async def update_execution(
    caller: Annotated[Caller, requires_caller(catalog.EXECUTION_DETAIL)],
    idx: str,
    body: Annotated[ExecutionEditRequest, json_body(ExecutionEditRequest)],
    session: SessionDep,
    settings: SettingsDep,
    orchestrator: OrchestratorDep,
) -> MessageResponse:
    """Edit an execution; the editor becomes its owner, as on the Flask server."""
    changes = body.model_dump(exclude_unset=True)
    await service.update_execution(session, caller, settings, orchestrator, idx, changes)
    return UPDATED


@router.delete(
    "/execution/{idx}/", name=catalog.EXECUTION_DETAIL.name, operation_id="delete_execution"
)
async def delete_execution(
    caller: Annotated[Caller, requires_caller(catalog.EXECUTION_DETAIL)],
    idx: str,
    session: SessionDep,
    settings: SettingsDep,
) -> MessageResponse:
    """Delete an execution for good."""
    await service.delete_execution(session, caller, settings, idx)
    return DELETED


@router.post("/execution/{idx}/", name=catalog.EXECUTION_DETAIL.name, operation_id="stop_execution")
async def stop_execution(
    caller: Annotated[Caller, requires_dag_caller(catalog.EXECUTION_DETAIL)],
    idx: str,
    session: SessionDep,
    settings: SettingsDep,
    orchestrator: OrchestratorDep,
) -> MessageResponse:
    """Stop an execution's run."""
    await service.stop_execution(session, caller, settings, orchestrator, idx)
    return STOPPED


@router.get(
    "/execution/{idx}/status/",
    name=catalog.EXECUTION_STATUS.name,
    operation_id="get_execution_status",
    response_model=ExecutionStatus,
)
async def get_execution_status(
    caller: Annotated[Caller, requires_caller(catalog.EXECUTION_STATUS)],
    idx: str,
    session: SessionDep,
    settings: SettingsDep,
    orchestrator: OrchestratorDep,
) -> ExecutionStatus:
    """An execution's state, asked to the orchestrator while it is queued or running."""
    execution = await service.poll_status(session, caller, settings, orchestrator, idx)
    return ExecutionStatus.of(execution)


@router.put(
    "/execution/{idx}/status/",
    name=catalog.EXECUTION_STATUS.name,
    operation_id="update_execution_status",
    openapi_extra=body_openapi(ExecutionStatusUpdate),
)
async def update_execution_status(
    caller: Annotated[Caller, requires_caller(catalog.EXECUTION_STATUS)],
    idx: str,
    body: Annotated[ExecutionStatusUpdate, json_body(ExecutionStatusUpdate)],
    session: SessionDep,
    settings: SettingsDep,
) -> MessageResponse:
    """Set the state of a queued or running execution (the solving worker reports it)."""
    await service.set_status(session, caller, settings, idx, body.status)
    return MessageResponse(message=f"execution {idx} updated correctly")


@router.get(
    "/execution/{idx}/data/", name=catalog.EXECUTION_DATA.name, operation_id="get_execution_data"
)
async def get_execution_data(
    caller: Annotated[Caller, requires_caller(catalog.EXECUTION_DATA)],
    idx: str,
    session: SessionDep,
    settings: SettingsDep,
) -> ExecutionData:
    """An execution with its solution, checks, KPIs and the solver's status."""
    return ExecutionData.of(await service.get_execution(session, caller, settings, idx))


@router.get(
    "/execution/{idx}/log/", name=catalog.EXECUTION_LOG.name, operation_id="get_execution_log"
)
async def get_execution_log(
    caller: Annotated[Caller, requires_caller(catalog.EXECUTION_LOG)],
    idx: str,
    session: SessionDep,
    settings: SettingsDep,
) -> ExecutionLog:
    """An execution with the solver's log, as JSON and as text."""
    execution, owner = await service.get_with_owner(session, caller, settings, idx)
    return ExecutionLog.of_owned(execution, owner)


@router.post(
    "/execution/{idx}/relaunch/",
    name=catalog.EXECUTION_RELAUNCH.name,
    operation_id="relaunch_execution",
    status_code=201,
    response_model=MessageResponse,
    openapi_extra=body_openapi(RelaunchRequest),
)
async def relaunch_execution(
    request: Request,
    caller: Annotated[Caller, requires_dag_caller(catalog.EXECUTION_RELAUNCH)],
    idx: str,
    body: Annotated[RelaunchRequest, Depends(relaunch_body)],
    session: SessionDep,
    settings: SettingsDep,
    orchestrator: OrchestratorDep,
) -> MessageResponse:
    """Run an execution again with a new solver config (not with `?run=0`)."""
    message = await service.relaunch_execution(
        session,
        caller,
        settings,
        orchestrator,
        idx,
        body.config.as_config(),
        run=run_requested(request),
    )
    return MessageResponse(message=message)
