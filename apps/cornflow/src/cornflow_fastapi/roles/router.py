"""/roles/ and /roles/<idx>/ (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from cornflow_fastapi.access import catalog
from cornflow_fastapi.callers.guard import requires_access
from cornflow_fastapi.dependencies import SessionDep, SettingsDep
from cornflow_fastapi.errors import EndpointNotImplemented
from cornflow_fastapi.models import User
from cornflow_fastapi.request_parsing import body_openapi, json_body
from cornflow_fastapi.responses import UPDATED, MessageResponse
from cornflow_fastapi.roles import repository, service
from cornflow_fastapi.roles.schemas import RoleCreate, RoleDetail, RoleEdit
from cornflow_fastapi.routing import CornflowRoute

router = APIRouter(route_class=CornflowRoute, tags=["Roles"])


@router.get(catalog.ROLES.url_rule, name=catalog.ROLES.name, operation_id="list_roles")
async def list_roles(
    _admin: Annotated[User, requires_access(catalog.ROLES)], session: SessionDep
) -> list[RoleDetail]:
    """Every role."""
    return [RoleDetail.of(role) for role in await repository.list_roles(session)]


@router.post(
    catalog.ROLES.url_rule,
    name=catalog.ROLES.name,
    operation_id="create_role",
    status_code=201,
    openapi_extra=body_openapi(RoleCreate),
)
async def create_role(
    _admin: Annotated[User, requires_access(catalog.ROLES)],
    body: Annotated[RoleCreate, json_body(RoleCreate)],
    session: SessionDep,
    settings: SettingsDep,
) -> RoleDetail:
    """Create a role (not under LDAP, where the directory holds them)."""
    role = await service.create_role(session, name=body.name, auth_type=settings.auth_type)
    return RoleDetail.of(role)


@router.get("/roles/{idx}/", name=catalog.ROLES_DETAIL.name, operation_id="get_role")
async def get_role(
    _admin: Annotated[User, requires_access(catalog.ROLES_DETAIL)],
    idx: int,
    session: SessionDep,
) -> RoleDetail:
    """One role."""
    return RoleDetail.of(await service.get_role(session, idx))


@router.put(
    "/roles/{idx}/",
    name=catalog.ROLES_DETAIL.name,
    operation_id="update_role",
    openapi_extra=body_openapi(RoleEdit),
)
async def update_role(
    _admin: Annotated[User, requires_access(catalog.ROLES_DETAIL)],
    idx: int,
    body: Annotated[RoleEdit, json_body(RoleEdit)],
    session: SessionDep,
    settings: SettingsDep,
) -> MessageResponse:
    """Rename a role or change its id."""
    await service.update_role(
        session,
        role_id=idx,
        changes=body.model_dump(exclude_unset=True),
        auth_type=settings.auth_type,
    )
    return UPDATED


@router.delete(
    "/roles/{idx}/",
    name=catalog.ROLES_DETAIL.name,
    operation_id="delete_role",
    response_model=None,
    responses={501: {"description": "Roles can not be deleted"}},
)
async def delete_role(
    _admin: Annotated[User, requires_access(catalog.ROLES_DETAIL)], idx: int
) -> None:
    """Always refused: roles can not be deleted."""
    raise EndpointNotImplemented("Roles can not be deleted")
