"""Queries on permission_view, actions and api_view."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.models import Action, ApiView, PermissionView, Role, is_row_id

# Ids are PostgreSQL `integer` columns: a larger number names no row, and sending it to the
# database would fail with an overflow instead of finding nothing.
NamedPermission = tuple[PermissionView, str, str, str]
"""A permission row with its action's, view's and role's names."""


def _named_permissions() -> Select[PermissionView, str, str, str]:
    return (
        select(PermissionView, Action.name, ApiView.name, Role.name)
        .join(Action, Action.id == PermissionView.action_id)
        .join(ApiView, ApiView.id == PermissionView.api_view_id)
        .join(Role, Role.id == PermissionView.role_id)
        .where(PermissionView.deleted_at.is_(None))
        .order_by(PermissionView.id)
    )


async def list_permissions(session: AsyncSession) -> list[NamedPermission]:
    rows = (await session.execute(_named_permissions())).all()
    return [(row[0], row[1], row[2], row[3]) for row in rows]


async def find_permission(session: AsyncSession, permission_id: int) -> NamedPermission | None:
    """A live permission by id; None also for ids no row can have."""
    if not is_row_id(permission_id):
        return None
    statement = _named_permissions().where(PermissionView.id == permission_id)
    row = (await session.execute(statement)).first()
    return None if row is None else (row[0], row[1], row[2], row[3])


async def permission_exists(
    session: AsyncSession, *, action_id: int, api_view_id: int, role_id: int
) -> bool:
    statement = select(
        exists().where(
            PermissionView.action_id == action_id,
            PermissionView.api_view_id == api_view_id,
            PermissionView.role_id == role_id,
            PermissionView.deleted_at.is_(None),
        )
    )
    return bool(await session.scalar(statement))


async def list_actions(session: AsyncSession) -> Sequence[Action]:
    return (await session.execute(select(Action).order_by(Action.id))).scalars().all()


async def list_api_views(session: AsyncSession) -> Sequence[ApiView]:
    return (await session.execute(select(ApiView).order_by(ApiView.id))).scalars().all()
