"""Data-check runs on executions, instances and cases (/data-check/..., /data-check-kpis/...).

Each check has two routes, `/data-check-kpis/...` (what cornflow-client calls) and
`/data-check/...`, answering alike. `?run=0` records the execution without starting it (-4).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated

from fastapi import APIRouter, Request, Response

from cornflow_fastapi.access import catalog
from cornflow_fastapi.auth.guard import Caller
from cornflow_fastapi.datachecks import service
from cornflow_fastapi.dependencies import OrchestratorDep, SessionDep, SettingsDep
from cornflow_fastapi.errors import render_error
from cornflow_fastapi.executions.service import RecordedFailure
from cornflow_fastapi.models import Execution
from cornflow_fastapi.records.shapes import ExecutionBase
from cornflow_fastapi.records.workflows import requires_dag_caller
from cornflow_fastapi.request_parsing import run_requested
from cornflow_fastapi.routing import CornflowRoute

router = APIRouter(route_class=CornflowRoute, tags=["Data checks"])

ExecutionKpisCaller = Annotated[Caller, requires_dag_caller(catalog.DATA_CHECK_KPIS_EXECUTION)]
ExecutionCaller = Annotated[Caller, requires_dag_caller(catalog.DATA_CHECK_EXECUTION)]
InstanceKpisCaller = Annotated[Caller, requires_dag_caller(catalog.DATA_CHECK_KPIS_INSTANCE)]
InstanceCaller = Annotated[Caller, requires_dag_caller(catalog.DATA_CHECK_INSTANCE)]
CaseKpisCaller = Annotated[Caller, requires_dag_caller(catalog.DATA_CHECK_KPIS_CASE)]
CaseCaller = Annotated[Caller, requires_dag_caller(catalog.DATA_CHECK_CASE)]


async def _answer(request: Request, check: Awaitable[Execution]) -> ExecutionBase | Response:
    """The execution checked, or the error of a run that could not start."""
    try:
        execution = await check
    except RecordedFailure as failure:
        # Answered, not raised: the rows and states recorded so far are committed.
        return render_error(request, failure.error)
    return ExecutionBase.of(execution)


@router.post(
    "/data-check-kpis/execution/{idx}/",
    name=catalog.DATA_CHECK_KPIS_EXECUTION.name,
    operation_id="check_execution_kpis",
    status_code=201,
    response_model=ExecutionBase,
)
async def check_execution_kpis(
    request: Request,
    caller: ExecutionKpisCaller,
    idx: str,
    session: SessionDep,
    settings: SettingsDep,
    orchestrator: OrchestratorDep,
) -> ExecutionBase | Response:
    """Run the checks and KPIs of an execution again, on the execution itself."""
    run = run_requested(request)
    check = service.check_execution(session, caller, settings, orchestrator, idx, run=run)
    return await _answer(request, check)


@router.post(
    "/data-check/execution/{idx}/",
    name=catalog.DATA_CHECK_EXECUTION.name,
    operation_id="check_execution",
    status_code=201,
    response_model=ExecutionBase,
)
async def check_execution(
    request: Request,
    caller: ExecutionCaller,
    idx: str,
    session: SessionDep,
    settings: SettingsDep,
    orchestrator: OrchestratorDep,
) -> ExecutionBase | Response:
    """Run the checks and KPIs of an execution again (same as /data-check-kpis/...)."""
    run = run_requested(request)
    check = service.check_execution(session, caller, settings, orchestrator, idx, run=run)
    return await _answer(request, check)


@router.post(
    "/data-check-kpis/instance/{idx}/",
    name=catalog.DATA_CHECK_KPIS_INSTANCE.name,
    operation_id="check_instance_kpis",
    status_code=201,
    response_model=ExecutionBase,
)
async def check_instance_kpis(
    request: Request,
    caller: InstanceKpisCaller,
    idx: str,
    session: SessionDep,
    settings: SettingsDep,
    orchestrator: OrchestratorDep,
) -> ExecutionBase | Response:
    """Check an instance: a new execution `data_check_instance_<name>` that only checks."""
    run = run_requested(request)
    check = service.check_instance(session, caller, settings, orchestrator, idx, run=run)
    return await _answer(request, check)


@router.post(
    "/data-check/instance/{idx}/",
    name=catalog.DATA_CHECK_INSTANCE.name,
    operation_id="check_instance",
    status_code=201,
    response_model=ExecutionBase,
)
async def check_instance(
    request: Request,
    caller: InstanceCaller,
    idx: str,
    session: SessionDep,
    settings: SettingsDep,
    orchestrator: OrchestratorDep,
) -> ExecutionBase | Response:
    """Check an instance (same as /data-check-kpis/...)."""
    run = run_requested(request)
    check = service.check_instance(session, caller, settings, orchestrator, idx, run=run)
    return await _answer(request, check)


@router.post(
    "/data-check-kpis/case/{idx}/",
    name=catalog.DATA_CHECK_KPIS_CASE.name,
    operation_id="check_case_kpis",
    status_code=201,
    response_model=ExecutionBase,
)
async def check_case_kpis(
    request: Request,
    caller: CaseKpisCaller,
    idx: int,
    session: SessionDep,
    settings: SettingsDep,
    orchestrator: OrchestratorDep,
) -> ExecutionBase | Response:
    """Check a case: a new instance and execution `data_check_case_<name>`."""
    run = run_requested(request)
    check = service.check_case(session, caller, settings, orchestrator, idx, run=run)
    return await _answer(request, check)


@router.post(
    "/data-check/case/{idx}/",
    name=catalog.DATA_CHECK_CASE.name,
    operation_id="check_case",
    status_code=201,
    response_model=ExecutionBase,
)
async def check_case(
    request: Request,
    caller: CaseCaller,
    idx: int,
    session: SessionDep,
    settings: SettingsDep,
    orchestrator: OrchestratorDep,
) -> ExecutionBase | Response:
    """Check a case (same as /data-check-kpis/...)."""
    run = run_requested(request)
    check = service.check_case(session, caller, settings, orchestrator, idx, run=run)
    return await _answer(request, check)
