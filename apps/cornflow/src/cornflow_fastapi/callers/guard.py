"""Who is calling, and may they call this route: Flask's `@authenticate`, as dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Select, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.access.catalog import METHOD_ACTIONS, ActionId, RoleId, View
from cornflow_fastapi.callers import openid, tokens
from cornflow_fastapi.callers.lookup import live_user_by_username
from cornflow_fastapi.config import AuthType, CornflowSettings
from cornflow_fastapi.dependencies import SessionDep, SettingsDep
from cornflow_fastapi.errors import InvalidCredentials, NoPermission
from cornflow_fastapi.models import ApiView, PermissionView, User, UserRole
from svckit.http import get_metrics

NO_ENDPOINT_PERMISSION = "You do not have permission to access this endpoint"


def refuse(request: Request, reason: str, message: str) -> InvalidCredentials:
    """An authentication failure, counted by reason for the auth-failure dashboards."""
    get_metrics(request).record_auth_failure(reason)
    return InvalidCredentials(message)


def bearer_token(request: Request) -> str:
    """The token of the Authorization header, with the Flask server's messages."""
    header = request.headers.get("authorization")
    if header is None:
        raise refuse(request, "missing_header", "Authorization header is missing")
    if not header:
        return ""
    if not header.startswith("Bearer "):
        raise refuse(
            request,
            "malformed_header",
            "Invalid Authorization header format. Must be 'Bearer <token>'",
        )
    return header.split(" ")[1]


async def claims_of(request: Request, settings: CornflowSettings, token: str) -> dict[str, Any]:
    """Decode an internal token, or in OpenID mode an identity provider's token."""
    metrics = get_metrics(request)
    try:
        return tokens.decode(settings.secret_key, token)
    except tokens.TokenExpired:
        metrics.record_jwt_validation_error("expired")
        raise refuse(
            request, "expired_token", "The token has expired, please login again"
        ) from None
    except tokens.TokenError as error:
        metrics.record_jwt_validation_error(error.reason)
        if settings.auth_type is not AuthType.OID:
            raise refuse(request, "invalid_token", "Invalid token format or signature") from None
    return await openid.verify(request, token)


async def current_user(request: Request, session: SessionDep, settings: SettingsDep) -> User:
    """The caller, identified by the token's `sub` (a username)."""
    claims = await claims_of(request, settings, bearer_token(request))
    user = await live_user_by_username(session, str(claims.get("sub")))
    if user is None:
        raise refuse(
            request, "unknown_user", "User not found. Please ensure you are using valid credentials"
        )
    request.state.user_id = user.id
    return user


CurrentUserDep = Annotated[User, Depends(current_user)]


def _roles_with_grant() -> Select[int, int | None, bool]:
    """Per role of the caller: the view id of the url rule (if any) and whether it is granted."""
    view_id = (
        select(ApiView.id)
        .where(ApiView.url_rule == bindparam("url_rule"))
        .limit(1)
        .scalar_subquery()
    )
    granted = (
        exists()
        .where(
            PermissionView.role_id == UserRole.role_id,
            PermissionView.api_view_id == view_id,
            PermissionView.action_id == bindparam("action_id"),
            PermissionView.deleted_at.is_(None),
        )
        .label("granted")
    )
    return select(UserRole.role_id, view_id.label("view_id"), granted).where(
        UserRole.user_id == bindparam("user_id")
    )


# Built once, as it runs on every permission-checked request.
_ROLES_WITH_GRANT = _roles_with_grant()


async def check_permission(
    session: AsyncSession, user: User, view: View, method: str
) -> frozenset[int]:
    """Grant or refuse exactly as the Flask server does; returns the caller's role ids.

    One round trip: the caller's roles, each with the view of this url rule (if the database
    has one) and whether that role holds the grant. Flask asks the same questions one query at
    a time; the answers and their order of precedence are the same.
    """
    parameters = {
        "url_rule": view.url_rule,
        "action_id": METHOD_ACTIONS.get(method, ActionId.GET),
        "user_id": user.id,
    }
    rows = (await session.execute(_ROLES_WITH_GRANT, parameters)).all()
    if not rows:
        raise NoPermission(NO_ENDPOINT_PERMISSION)
    if rows[0].view_id is None:
        raise NoPermission("The permission for this endpoint is not in the database.")
    if not any(row.granted for row in rows):
        raise NoPermission(NO_ENDPOINT_PERMISSION)
    return frozenset(row.role_id for row in rows)


@dataclass(frozen=True)
class Caller:
    """The permitted caller of a data endpoint and the roles that decide what they see."""

    user: User
    role_ids: frozenset[int]

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def is_admin_or_service(self) -> bool:
        """Admins and service users see every user's objects (Flask's is_admin/is_service_user)."""
        return bool(self.role_ids & {RoleId.ADMIN, RoleId.SERVICE})

    @property
    def is_service(self) -> bool:
        return RoleId.SERVICE in self.role_ids


def requires_caller(view: View) -> Any:
    """Dependency for a data route answering for `view`: the permitted caller and their roles."""

    async def permitted_caller(
        request: Request, session: SessionDep, user: CurrentUserDep
    ) -> Caller:
        return Caller(user, await check_permission(session, user, view, request.method))

    permitted_caller.__name__ = f"requires_caller_{view.name.replace('-', '_')}"
    return Depends(permitted_caller)


def requires_access(view: View) -> Any:
    """Dependency for a route answering for `view`: the authenticated, permitted caller."""

    async def permitted_user(request: Request, session: SessionDep, user: CurrentUserDep) -> User:
        await check_permission(session, user, view, request.method)
        return user

    permitted_user.__name__ = f"requires_access_{view.name.replace('-', '_')}"
    return Depends(permitted_user)
