"""Cases: a user's tree of saved instance and solution pairs (/case/...)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from cornflow_fastapi.access import catalog
from cornflow_fastapi.callers.guard import Caller, requires_caller
from cornflow_fastapi.cases import service
from cornflow_fastapi.cases.schemas import (
    CaseCompareQuery,
    CaseCompareResponse,
    CaseData,
    CaseDetail,
    CaseEditRequest,
    CaseFromInstanceExecution,
    CaseList,
    CasePatchRequest,
    CaseRawRequest,
    CaseToInstanceResponse,
    PatchOperationOut,
    read_patch_request,
)
from cornflow_fastapi.dependencies import OrchestratorDep, SessionDep, SettingsDep
from cornflow_fastapi.records.listing import QueryFilters
from cornflow_fastapi.records.workflows import requires_dag_caller
from cornflow_fastapi.request_parsing import body_openapi, json_body, load_json, query_args
from cornflow_fastapi.responses import DELETED, UPDATED, MessageResponse
from cornflow_fastapi.routing import CornflowRoute

router = APIRouter(route_class=CornflowRoute, tags=["Cases"])

PATCHED = MessageResponse(message="Patched correctly")


async def _patch_request(request: Request) -> dict[str, list[dict[str, Any]]]:
    return read_patch_request(await load_json(request))


@router.get("/case/", name=catalog.CASE.name, operation_id="list_cases")
async def list_cases(
    caller: Annotated[Caller, requires_caller(catalog.CASE)],
    filters: Annotated[QueryFilters, query_args(QueryFilters)],
    session: SessionDep,
    settings: SettingsDep,
) -> list[CaseDetail]:
    """The caller's cases (everyone's for admins), newest first, 10 unless `limit` says."""
    cases = await service.list_cases(session, settings, caller, filters)
    return [CaseDetail.of(case) for case in cases]


@router.post(
    "/case/",
    name=catalog.CASE.name,
    operation_id="create_case",
    status_code=201,
    openapi_extra=body_openapi(CaseRawRequest),
)
async def create_case(
    caller: Annotated[Caller, requires_dag_caller(catalog.CASE)],
    body: Annotated[CaseRawRequest, json_body(CaseRawRequest)],
    session: SessionDep,
    settings: SettingsDep,
    orchestrator: OrchestratorDep,
) -> CaseList:
    """Create a case from raw data (a directory when `data` is left out); gzip bodies accepted."""
    case = await service.create_case(session, settings, caller, body, orchestrator)
    return CaseList.of(case)


@router.post(
    "/case/instance/",
    name=catalog.CASE_INSTANCE_EXECUTION.name,
    operation_id="create_case_from_instance_or_execution",
    status_code=201,
    openapi_extra=body_openapi(CaseFromInstanceExecution),
)
async def create_case_from_record(
    caller: Annotated[Caller, requires_dag_caller(catalog.CASE_INSTANCE_EXECUTION)],
    body: Annotated[CaseFromInstanceExecution, json_body(CaseFromInstanceExecution)],
    session: SessionDep,
    settings: SettingsDep,
) -> CaseList:
    """Create a case from an instance (`instance_id`) or an execution (`execution_id`)."""
    case = await service.create_case_from_record(session, settings, caller, body)
    return CaseList.of(case)


@router.get("/case/{idx}/", name=catalog.CASE_DETAIL.name, operation_id="get_case")
async def get_case(
    caller: Annotated[Caller, requires_caller(catalog.CASE_DETAIL)],
    idx: int,
    session: SessionDep,
    settings: SettingsDep,
) -> CaseDetail:
    """One case, without its data."""
    return CaseDetail.of(await service.get_case(session, settings, caller, idx))


@router.put(
    "/case/{idx}/",
    name=catalog.CASE_DETAIL.name,
    operation_id="update_case",
    openapi_extra=body_openapi(CaseEditRequest),
)
async def update_case(
    caller: Annotated[Caller, requires_caller(catalog.CASE_DETAIL)],
    idx: int,
    body: Annotated[CaseEditRequest, json_body(CaseEditRequest)],
    session: SessionDep,
    settings: SettingsDep,
) -> MessageResponse:
    """Rename or describe a case, or move it (`parent_id`; null moves it to the root)."""
    await service.edit_case(session, settings, caller, idx, body)
    return UPDATED


@router.delete("/case/{idx}/", name=catalog.CASE_DETAIL.name, operation_id="delete_case")
async def delete_case(
    caller: Annotated[Caller, requires_caller(catalog.CASE_DETAIL)],
    idx: int,
    session: SessionDep,
    settings: SettingsDep,
) -> MessageResponse:
    """Delete a case and every case below it."""
    await service.delete_case(session, settings, caller, idx)
    return DELETED


@router.get("/case/{idx}/data/", name=catalog.CASE_DATA.name, operation_id="get_case_data")
async def get_case_data(
    caller: Annotated[Caller, requires_caller(catalog.CASE_DATA)],
    idx: int,
    session: SessionDep,
    settings: SettingsDep,
) -> CaseData:
    """One case with its data, solution, checks and KPIs."""
    return CaseData.of(await service.get_case(session, settings, caller, idx))


@router.patch(
    "/case/{idx}/data/",
    name=catalog.CASE_DATA.name,
    operation_id="patch_case_data",
    openapi_extra=body_openapi(CasePatchRequest),
)
async def patch_case_data(
    caller: Annotated[Caller, requires_caller(catalog.CASE_DATA)],
    idx: int,
    operations: Annotated[dict[str, list[dict[str, Any]]], Depends(_patch_request)],
    session: SessionDep,
    settings: SettingsDep,
) -> MessageResponse:
    """Apply JSON Patches (RFC 6902) to the data and/or the solution; gzip bodies accepted."""
    await service.patch_case(session, settings, caller, idx, operations)
    return PATCHED


@router.post(
    "/case/{idx}/copy/",
    name=catalog.CASE_COPY.name,
    operation_id="copy_case",
    status_code=201,
)
async def copy_case(
    caller: Annotated[Caller, requires_caller(catalog.CASE_COPY)],
    idx: int,
    session: SessionDep,
    settings: SettingsDep,
) -> CaseList:
    """Copy a case (`Copy_<name>`, at the root, owned by the caller)."""
    return CaseList.of(await service.copy_case(session, settings, caller, idx))


@router.post(
    "/case/{idx}/instance/",
    name=catalog.CASE_INSTANCE.name,
    operation_id="create_instance_from_case",
    status_code=201,
)
async def create_instance_from_case(
    caller: Annotated[Caller, requires_caller(catalog.CASE_INSTANCE)],
    idx: int,
    session: SessionDep,
    settings: SettingsDep,
    orchestrator: OrchestratorDep,
) -> CaseToInstanceResponse:
    """Create an instance (`instance_from_<name>`) with the case's data."""
    instance = await service.case_to_instance(session, settings, caller, idx, orchestrator)
    return CaseToInstanceResponse.model_validate({"id": instance.id, "schema": instance.schema})


@router.get(
    "/case/{idx1}/{idx2}/",
    name=catalog.CASE_COMPARE.name,
    operation_id="compare_cases",
    response_model_exclude_unset=True,
)
async def compare_cases(
    caller: Annotated[Caller, requires_caller(catalog.CASE_COMPARE)],
    idx1: int,
    idx2: int,
    query: Annotated[CaseCompareQuery, query_args(CaseCompareQuery)],
    session: SessionDep,
    settings: SettingsDep,
) -> CaseCompareResponse:
    """The JSON Patches that turn the first case's data and solution into the second's."""
    patches = await service.compare_cases(
        session, settings, caller, idx1, idx2, data=query.data, solution=query.solution
    )
    return CaseCompareResponse(
        **{
            name: [_operation_out(operation) for operation in operations]
            for name, operations in patches.items()
        }
    )


def _operation_out(operation: dict[str, Any]) -> PatchOperationOut:
    # Only the keys the operation has count as set, so an unset `value` is left out.
    return PatchOperationOut(
        **{key: operation[key] for key in ("op", "path", "value") if key in operation}
    )
