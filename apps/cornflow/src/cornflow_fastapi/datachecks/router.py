"""Data-check runs on executions, instances and cases (/data-check/..., /data-check-kpis/...).

Each check has two routes, `/data-check-kpis/...` (what cornflow-client calls) and
`/data-check/...`, answering alike: one endpoint per (view, check) is built below. `?run=0`
records the execution without starting it (-4).
"""

# No `from __future__ import annotations`: the endpoints below annotate `idx` with a type held
# in a variable, which FastAPI must see as the type itself.

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.access import catalog
from cornflow_fastapi.access.catalog import View
from cornflow_fastapi.callers.guard import Caller
from cornflow_fastapi.config import CornflowSettings
from cornflow_fastapi.datachecks import service
from cornflow_fastapi.dependencies import OrchestratorDep, SessionDep, SettingsDep
from cornflow_fastapi.models import Execution
from cornflow_fastapi.orchestrators.base import Orchestrator
from cornflow_fastapi.records.shapes import ExecutionBase
from cornflow_fastapi.records.workflows import requires_dag_caller
from cornflow_fastapi.request_parsing import run_requested
from cornflow_fastapi.routing import CornflowRoute

router = APIRouter(route_class=CornflowRoute, tags=["Data checks"])

Check = Callable[..., Awaitable[Execution]]


def _add_check(view: View, check: Check, idx_type: type, operation_id: str, summary: str) -> None:
    caller_dependency = requires_dag_caller(view)

    async def endpoint(
        request: Request,
        idx: idx_type,  # type: ignore[valid-type]
        session: SessionDep,
        settings: SettingsDep,
        orchestrator: OrchestratorDep,
        caller: Caller = caller_dependency,
    ) -> ExecutionBase:
        return await _answer(request, session, settings, orchestrator, caller, check, idx)

    endpoint.__doc__ = summary
    router.add_api_route(
        view.url_rule.replace("<string:idx>", "{idx}").replace("<int:idx>", "{idx}"),
        endpoint,
        methods=["POST"],
        name=view.name,
        operation_id=operation_id,
        status_code=201,
        response_model=ExecutionBase,
    )


async def _answer(
    request: Request,
    session: AsyncSession,
    settings: CornflowSettings,
    orchestrator: Orchestrator | None,
    caller: Caller,
    check: Check,
    idx: Any,
) -> ExecutionBase:
    """The execution checked, or the error of a run that could not start."""
    execution = await check(
        session, caller, settings, orchestrator, idx, run=run_requested(request)
    )
    return ExecutionBase.of(execution)


_EXECUTION = "Run the checks and KPIs of an execution again, on the execution itself."
_INSTANCE = "Check an instance: a new execution `data_check_instance_<name>` that only checks."
_CASE = "Check a case: a new instance and execution `data_check_case_<name>`."

for _view, _check, _idx_type, _operation, _summary in (
    (catalog.DATA_CHECK_KPIS_EXECUTION, service.check_execution, str, "check_execution_kpis",
     _EXECUTION),
    (catalog.DATA_CHECK_EXECUTION, service.check_execution, str, "check_execution", _EXECUTION),
    (catalog.DATA_CHECK_KPIS_INSTANCE, service.check_instance, str, "check_instance_kpis",
     _INSTANCE),
    (catalog.DATA_CHECK_INSTANCE, service.check_instance, str, "check_instance", _INSTANCE),
    (catalog.DATA_CHECK_KPIS_CASE, service.check_case, int, "check_case_kpis", _CASE),
    (catalog.DATA_CHECK_CASE, service.check_case, int, "check_case", _CASE),
):  # fmt: skip
    _add_check(_view, _check, _idx_type, _operation, _summary)
