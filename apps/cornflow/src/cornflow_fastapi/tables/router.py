"""Raw table reads for service users (/table/...)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter

from cornflow_fastapi.access import catalog
from cornflow_fastapi.callers.guard import Caller, requires_caller
from cornflow_fastapi.dependencies import SessionDep, SettingsDep
from cornflow_fastapi.records.listing import QueryFilters
from cornflow_fastapi.request_parsing import query_args
from cornflow_fastapi.routing import CornflowRoute
from cornflow_fastapi.tables import service

router = APIRouter(route_class=CornflowRoute, tags=["Tables"])


@router.get("/table/{table_name}/", name=catalog.TABLES.name, operation_id="list_table_rows")
async def list_table_rows(
    caller: Annotated[Caller, requires_caller(catalog.TABLES)],
    table_name: str,
    filters: Annotated[QueryFilters, query_args(QueryFilters)],
    session: SessionDep,
    settings: SettingsDep,
) -> list[dict[str, Any]]:
    """The rows of one of Cornflow's tables, as column-to-value objects."""
    spec = service.table_spec(table_name)
    return await service.list_rows(session, spec, filters, caller, settings)


@router.get(
    "/table/{table_name}/{idx}/", name=catalog.TABLES_DETAIL.name, operation_id="get_table_row"
)
async def get_table_row(
    caller: Annotated[Caller, requires_caller(catalog.TABLES_DETAIL)],
    table_name: str,
    idx: str,
    session: SessionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """One row of one of Cornflow's tables, by id."""
    spec = service.table_spec(table_name)
    return await service.get_row(session, spec, idx, caller, settings)
