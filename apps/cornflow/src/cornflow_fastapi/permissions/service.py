"""Granting, changing and revoking permissions of roles on API views."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.errors import InvalidData, ObjectAlreadyExists, ObjectDoesNotExist
from cornflow_fastapi.models import PermissionView, is_row_id, utcnow
from cornflow_fastapi.permissions import repository


def _describe(*, role_id: int | None, action_id: int | None, api_view_id: int | None) -> str:
    """The permission as Flask's error messages print it."""
    return f"<Permission role: {role_id}, action: {action_id}, view: {api_view_id}>"


async def get_permission(session: AsyncSession, permission_id: int) -> repository.NamedPermission:
    found = await repository.find_permission(session, permission_id)
    if found is None:
        raise ObjectDoesNotExist()
    return found


async def create_permission(
    session: AsyncSession,
    *,
    action_id: int | None,
    role_id: int | None,
    api_view_id: int | None,
) -> repository.NamedPermission:
    """Grant an action on a view to a role; a live identical grant is refused."""
    failed = InvalidData(
        "Integrity error on saving with data "
        + _describe(role_id=role_id, action_id=action_id, api_view_id=api_view_id)
    )
    # An id no row can have: the row Flask tries to insert cannot exist. A missing one is
    # left to the database, as Flask does: on PostgreSQL the failed insert still takes a
    # number from the sequence, and the next permission's id shows it.
    if not all(value is None or is_row_id(value) for value in (action_id, role_id, api_view_id)):
        raise failed
    if (
        action_id is not None
        and role_id is not None
        and api_view_id is not None
        and await repository.permission_exists(
            session, action_id=action_id, api_view_id=api_view_id, role_id=role_id
        )
    ):
        raise ObjectAlreadyExists()
    permission = PermissionView(action_id=action_id, api_view_id=api_view_id, role_id=role_id)
    session.add(permission)
    try:
        await session.flush()
    except IntegrityError:
        raise failed from None
    return await get_permission(session, permission.id)


async def update_permission(
    session: AsyncSession, *, permission_id: int, changes: dict[str, int]
) -> None:
    permission, _action, _view, _role = await get_permission(session, permission_id)
    # Flask names the permission as it was before the failed update.
    failed = InvalidData(
        "Integrity error on updating with data "
        + _describe(
            role_id=permission.role_id,
            action_id=permission.action_id,
            api_view_id=permission.api_view_id,
        )
    )
    if not all(is_row_id(value) for value in changes.values()):
        raise failed
    for field, value in changes.items():
        setattr(permission, field, value)
    permission.updated_at = utcnow()
    try:
        await session.flush()
    except IntegrityError:
        raise failed from None


async def delete_permission(session: AsyncSession, permission_id: int) -> None:
    permission, _action, _view, _role = await get_permission(session, permission_id)
    await session.delete(permission)
    await session.flush()
