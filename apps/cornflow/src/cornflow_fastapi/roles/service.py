"""Creating and editing roles; roles are never deleted."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.config import AuthType
from cornflow_fastapi.errors import EndpointNotImplemented, InvalidData, ObjectDoesNotExist
from cornflow_fastapi.models import Role, is_row_id, utcnow
from cornflow_fastapi.roles import repository


async def get_role(session: AsyncSession, role_id: int) -> Role:
    role = await repository.find_role(session, role_id)
    if role is None:
        raise ObjectDoesNotExist()
    return role


async def create_role(session: AsyncSession, *, name: str | None, auth_type: AuthType) -> Role:
    if auth_type is AuthType.LDAP:
        raise EndpointNotImplemented("The roles have to be created in the directory.")
    subject = f"<Role {name}>"
    if name is None:
        # roles.name is NOT NULL: Flask's insert fails with this message.
        raise InvalidData(f"Integrity error on saving with data {subject}")
    role = Role(name=name)
    session.add(role)
    try:
        await session.flush()
    except IntegrityError:
        raise InvalidData(f"Integrity error on saving with data {subject}") from None
    return role


async def update_role(
    session: AsyncSession,
    *,
    role_id: int,
    changes: dict[str, str | int],
    auth_type: AuthType,
) -> None:
    """Rename a role or change its id (refused by the database while anything refers to it)."""
    if auth_type is AuthType.LDAP:
        raise EndpointNotImplemented("The roles have to be modified in the directory.")
    role = await get_role(session, role_id)
    subject = f"<Role {role.name}>"
    new_id = changes.get("id")
    if isinstance(new_id, int) and not is_row_id(new_id):
        raise InvalidData(f"Integrity error on updating with data {subject}")
    # A statement rather than the ORM object, whose identity is its primary key.
    statement = update(Role).where(Role.id == role_id).values(**changes, updated_at=utcnow())
    try:
        await session.execute(statement.execution_options(synchronize_session=False))
    except IntegrityError:
        raise InvalidData(f"Integrity error on updating with data {subject}") from None
