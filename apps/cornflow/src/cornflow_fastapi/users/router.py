"""/user/... endpoints: profiles, the admin toggle, role assignments and password recovery."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from cornflow_fastapi.access import catalog
from cornflow_fastapi.callers.guard import requires_access
from cornflow_fastapi.dependencies import PasswordHasherDep, SessionDep, SettingsDep
from cornflow_fastapi.models import User
from cornflow_fastapi.request_parsing import body_openapi, json_body
from cornflow_fastapi.responses import DELETED, UPDATED, MessageResponse
from cornflow_fastapi.routing import CornflowRoute
from cornflow_fastapi.users import repository, service
from cornflow_fastapi.users.schemas import (
    RecoverPasswordRequest,
    UserDetail,
    UserEditRequest,
    UserList,
    UserRoleDetail,
    UserRoleRequest,
)

router = APIRouter(route_class=CornflowRoute, tags=["Users"])

RECOVERY_STARTED = "The password recovery process has started. Check the email inbox."


@router.get("/user/", name=catalog.USER.name, operation_id="list_users")
async def list_users(
    _admin: Annotated[User, requires_access(catalog.USER)], session: SessionDep
) -> list[UserList]:
    """Every user (admins only)."""
    return [UserList.of(user) for user in await repository.list_users(session)]


# Fixed paths first: they must win over /user/{user_id}/ whatever the matcher.
@router.get("/user/role/", name=catalog.USER_ROLES.name, operation_id="list_user_roles")
async def list_user_roles(
    user: Annotated[User, requires_access(catalog.USER_ROLES)], session: SessionDep
) -> list[UserRoleDetail]:
    """Role assignments: all of them for admins, one's own for everyone else."""
    rows = await service.list_role_assignments(session, actor=user)
    return [UserRoleDetail.of(*row) for row in rows]


@router.post(
    "/user/role/",
    name=catalog.USER_ROLES.name,
    operation_id="create_user_role",
    status_code=201,
    openapi_extra=body_openapi(UserRoleRequest),
)
async def create_user_role(
    _admin: Annotated[User, requires_access(catalog.USER_ROLES)],
    body: Annotated[UserRoleRequest, json_body(UserRoleRequest)],
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> UserRoleDetail:
    """Give a user a role (201), or re-enable a disabled assignment (200)."""
    row, created = await service.create_role_assignment(
        session, user_id=body.user_id, role_id=body.role_id, auth_type=settings.auth_type
    )
    if not created:
        response.status_code = 200
    return UserRoleDetail.of(*row)


@router.get(
    "/user/role/{user_id}/{role_id}/",
    name=catalog.USER_ROLES_DETAIL.name,
    operation_id="get_user_role",
)
async def get_user_role(
    _admin: Annotated[User, requires_access(catalog.USER_ROLES_DETAIL)],
    user_id: int,
    role_id: int,
    session: SessionDep,
) -> UserRoleDetail:
    """One role assignment."""
    row = await service.get_role_assignment(session, user_id=user_id, role_id=role_id)
    return UserRoleDetail.of(*row)


@router.delete(
    "/user/role/{user_id}/{role_id}/",
    name=catalog.USER_ROLES_DETAIL.name,
    operation_id="delete_user_role",
)
async def delete_user_role(
    _admin: Annotated[User, requires_access(catalog.USER_ROLES_DETAIL)],
    user_id: int,
    role_id: int,
    session: SessionDep,
    settings: SettingsDep,
) -> MessageResponse:
    """Take a role away from a user."""
    await service.delete_role_assignment(
        session, user_id=user_id, role_id=role_id, auth_type=settings.auth_type
    )
    return DELETED


@router.put(
    "/user/recover-password/",
    name=catalog.RECOVER_PASSWORD.name,
    operation_id="recover_password",
    openapi_extra=body_openapi(RecoverPasswordRequest),
)
async def recover_password(
    body: Annotated[RecoverPasswordRequest, json_body(RecoverPasswordRequest)],
    session: SessionDep,
    settings: SettingsDep,
    hasher: PasswordHasherDep,
) -> MessageResponse:
    """Email a temporary password to the account with this address (no token needed)."""
    await service.recover_password(session, hasher, smtp=settings.smtp, email=body.email)
    return MessageResponse(message=RECOVERY_STARTED)


@router.get("/user/{user_id}/", name=catalog.USER_DETAIL.name, operation_id="get_user")
async def get_user(
    user: Annotated[User, requires_access(catalog.USER_DETAIL)],
    user_id: int,
    session: SessionDep,
) -> UserDetail:
    """One user's profile: one's own, or anyone's for admins."""
    return UserDetail.of(await service.get_user_detail(session, actor=user, user_id=user_id))


@router.put(
    "/user/{user_id}/",
    name=catalog.USER_DETAIL.name,
    operation_id="update_user",
    openapi_extra=body_openapi(UserEditRequest),
)
async def update_user(
    user: Annotated[User, requires_access(catalog.USER_DETAIL)],
    user_id: int,
    body: Annotated[UserEditRequest, json_body(UserEditRequest)],
    session: SessionDep,
    settings: SettingsDep,
    hasher: PasswordHasherDep,
) -> MessageResponse:
    """Edit one's own profile, or anyone's for admins."""
    await service.update_user(
        session,
        hasher,
        actor=user,
        user_id=user_id,
        changes=body.model_dump(exclude_unset=True),
        auth_type=settings.auth_type,
    )
    return UPDATED


@router.delete("/user/{user_id}/", name=catalog.USER_DETAIL.name, operation_id="delete_user")
async def delete_user(
    user: Annotated[User, requires_access(catalog.USER_DETAIL)],
    user_id: int,
    session: SessionDep,
) -> MessageResponse:
    """Delete one's own account, or anyone's but a service user's for admins."""
    await service.delete_user(session, actor=user, user_id=user_id)
    return DELETED


@router.put(
    "/user/{user_id}/{make_admin}/",
    name=catalog.USER_ADMIN.name,
    operation_id="toggle_user_admin",
)
async def toggle_user_admin(
    _admin: Annotated[User, requires_access(catalog.USER_ADMIN)],
    user_id: int,
    make_admin: int,
    session: SessionDep,
) -> UserList:
    """Give (make_admin non-zero) or take away a user's admin role."""
    user = await service.set_admin(session, user_id=user_id, make_admin=bool(make_admin))
    return UserList.of(user)
