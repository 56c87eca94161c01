"""Alarms and main alarms (/alarms/, /main-alarms/; only with CF_ALARMS_ENDPOINT)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from cornflow_fastapi.access import catalog
from cornflow_fastapi.alarms import service
from cornflow_fastapi.alarms.schemas import (
    AlarmCreate,
    AlarmDetail,
    AlarmEdit,
    AlarmFilters,
    MainAlarmCreate,
    MainAlarmDetail,
    MainAlarmFilters,
)
from cornflow_fastapi.callers.guard import requires_access
from cornflow_fastapi.dependencies import SessionDep
from cornflow_fastapi.models import User
from cornflow_fastapi.request_parsing import body_openapi, json_body, query_args
from cornflow_fastapi.responses import UPDATED, MessageResponse
from cornflow_fastapi.routing import CornflowRoute

router = APIRouter(route_class=CornflowRoute, tags=["Alarms"])

DISABLED = MessageResponse(message="Object marked as disabled")


@router.get(catalog.ALARMS.url_rule, name=catalog.ALARMS.name, operation_id="list_alarms")
async def list_alarms(
    _user: Annotated[User, requires_access(catalog.ALARMS)],
    filters: Annotated[AlarmFilters, query_args(AlarmFilters)],
    session: SessionDep,
) -> list[AlarmDetail]:
    """Alarms that are not disabled, optionally of one criticality."""
    rows = await service.list_alarms(session, criticality=filters.criticality)
    return [AlarmDetail.of(row) for row in rows]


@router.post(
    catalog.ALARMS.url_rule,
    name=catalog.ALARMS.name,
    operation_id="create_alarm",
    status_code=201,
    openapi_extra=body_openapi(AlarmCreate),
)
async def create_alarm(
    _user: Annotated[User, requires_access(catalog.ALARMS)],
    body: Annotated[AlarmCreate, json_body(AlarmCreate)],
    session: SessionDep,
) -> AlarmDetail:
    """Define an alarm."""
    fields = body.model_dump(exclude_unset=True)
    fields["schema"] = fields.pop("schema_", None)
    return AlarmDetail.of(await service.create_alarm(session, fields))


@router.get("/alarms/{idx}/", name=catalog.ALARMS_DETAIL.name, operation_id="get_alarm")
async def get_alarm(
    _user: Annotated[User, requires_access(catalog.ALARMS_DETAIL)],
    idx: int,
    session: SessionDep,
) -> AlarmDetail:
    """One alarm that is not disabled."""
    return AlarmDetail.of(await service.get_alarm(session, idx))


@router.put(
    "/alarms/{idx}/",
    name=catalog.ALARMS_DETAIL.name,
    operation_id="update_alarm",
    openapi_extra=body_openapi(AlarmEdit),
)
async def update_alarm(
    _user: Annotated[User, requires_access(catalog.ALARMS_DETAIL)],
    idx: int,
    body: Annotated[AlarmEdit, json_body(AlarmEdit)],
    session: SessionDep,
) -> MessageResponse:
    """Change an alarm's name, criticality, description or schema."""
    changes = body.model_dump(exclude_unset=True)
    if "schema_" in changes:
        changes["schema"] = changes.pop("schema_")
    await service.update_alarm(session, idx, changes)
    return UPDATED


@router.delete("/alarms/{idx}/", name=catalog.ALARMS_DETAIL.name, operation_id="disable_alarm")
async def disable_alarm(
    _user: Annotated[User, requires_access(catalog.ALARMS_DETAIL)],
    idx: int,
    session: SessionDep,
) -> MessageResponse:
    """Disable an alarm (it is kept, marked with its disabling time)."""
    await service.disable_alarm(session, idx)
    return DISABLED


@router.get(
    catalog.MAIN_ALARMS.url_rule, name=catalog.MAIN_ALARMS.name, operation_id="list_main_alarms"
)
async def list_main_alarms(
    _user: Annotated[User, requires_access(catalog.MAIN_ALARMS)],
    filters: Annotated[MainAlarmFilters, query_args(MainAlarmFilters)],
    session: SessionDep,
) -> list[MainAlarmDetail]:
    """Main alarms, optionally of one alarm or one criticality."""
    rows = await service.list_main_alarms(
        session, id_alarm=filters.id_alarm, criticality=filters.criticality
    )
    return [MainAlarmDetail.of(row) for row in rows]


@router.post(
    catalog.MAIN_ALARMS.url_rule,
    name=catalog.MAIN_ALARMS.name,
    operation_id="create_main_alarm",
    status_code=201,
    openapi_extra=body_openapi(MainAlarmCreate),
)
async def create_main_alarm(
    _user: Annotated[User, requires_access(catalog.MAIN_ALARMS)],
    body: Annotated[MainAlarmCreate, json_body(MainAlarmCreate)],
    session: SessionDep,
) -> MainAlarmDetail:
    """Raise a main alarm for an alarm."""
    fields = body.model_dump(exclude_unset=True)
    fields["schema"] = fields.pop("schema_", None)
    return MainAlarmDetail.of(await service.create_main_alarm(session, fields))
