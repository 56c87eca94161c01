"""/permission/, /permission/<idx>/, /action/ and /apiview/ (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from cornflow_fastapi.access import catalog
from cornflow_fastapi.callers.guard import requires_access
from cornflow_fastapi.dependencies import SessionDep
from cornflow_fastapi.models import User
from cornflow_fastapi.permissions import repository, service
from cornflow_fastapi.permissions.schemas import (
    ActionDetail,
    ApiViewDetail,
    PermissionCreate,
    PermissionDetail,
    PermissionEdit,
)
from cornflow_fastapi.request_parsing import body_openapi, json_body
from cornflow_fastapi.responses import DELETED, UPDATED, MessageResponse
from cornflow_fastapi.routing import CornflowRoute

router = APIRouter(route_class=CornflowRoute, tags=["Permissions"])


@router.get(
    catalog.PERMISSIONS.url_rule, name=catalog.PERMISSIONS.name, operation_id="list_permissions"
)
async def list_permissions(
    _admin: Annotated[User, requires_access(catalog.PERMISSIONS)], session: SessionDep
) -> list[PermissionDetail]:
    """Every permission of every role."""
    rows = await repository.list_permissions(session)
    return [PermissionDetail.of(*row) for row in rows]


@router.post(
    catalog.PERMISSIONS.url_rule,
    name=catalog.PERMISSIONS.name,
    operation_id="create_permission",
    status_code=201,
    openapi_extra=body_openapi(PermissionCreate),
)
async def create_permission(
    _admin: Annotated[User, requires_access(catalog.PERMISSIONS)],
    body: Annotated[PermissionCreate, json_body(PermissionCreate)],
    session: SessionDep,
) -> PermissionDetail:
    """Grant a role an action on an API view."""
    row = await service.create_permission(
        session, action_id=body.action_id, role_id=body.role_id, api_view_id=body.api_view_id
    )
    return PermissionDetail.of(*row)


@router.get(
    "/permission/{idx}/", name=catalog.PERMISSION_DETAIL.name, operation_id="get_permission"
)
async def get_permission(
    _admin: Annotated[User, requires_access(catalog.PERMISSION_DETAIL)],
    idx: int,
    session: SessionDep,
) -> PermissionDetail:
    """One permission."""
    return PermissionDetail.of(*await service.get_permission(session, idx))


@router.put(
    "/permission/{idx}/",
    name=catalog.PERMISSION_DETAIL.name,
    operation_id="update_permission",
    openapi_extra=body_openapi(PermissionEdit),
)
async def update_permission(
    _admin: Annotated[User, requires_access(catalog.PERMISSION_DETAIL)],
    idx: int,
    body: Annotated[PermissionEdit, json_body(PermissionEdit)],
    session: SessionDep,
) -> MessageResponse:
    """Change the action, view or role of a permission."""
    await service.update_permission(
        session, permission_id=idx, changes=body.model_dump(exclude_unset=True)
    )
    return UPDATED


@router.delete(
    "/permission/{idx}/", name=catalog.PERMISSION_DETAIL.name, operation_id="delete_permission"
)
async def delete_permission(
    _admin: Annotated[User, requires_access(catalog.PERMISSION_DETAIL)],
    idx: int,
    session: SessionDep,
) -> MessageResponse:
    """Revoke a permission."""
    await service.delete_permission(session, idx)
    return DELETED


@router.get(catalog.ACTIONS.url_rule, name=catalog.ACTIONS.name, operation_id="list_actions")
async def list_actions(
    _admin: Annotated[User, requires_access(catalog.ACTIONS)], session: SessionDep
) -> list[ActionDetail]:
    """The actions a permission can grant (one per HTTP method)."""
    return [ActionDetail.of(action) for action in await repository.list_actions(session)]


@router.get(catalog.API_VIEW.url_rule, name=catalog.API_VIEW.name, operation_id="list_api_views")
async def list_api_views(
    _admin: Annotated[User, requires_access(catalog.API_VIEW)], session: SessionDep
) -> list[ApiViewDetail]:
    """The API views permissions refer to, with their Flask url rules."""
    return [ApiViewDetail.of(view) for view in await repository.list_api_views(session)]
