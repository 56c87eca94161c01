"""User queries shared by several domains."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.callers.lookup import live_user_by_username
from cornflow_fastapi.models import Role, User, UserRole, is_row_id

# Built once: most requests about a user look them up by id first.
_LIVE_USER_BY_ID = select(User).where(User.id == bindparam("user_id"), User.deleted_at.is_(None))


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    """A live (not soft-deleted) user by id."""
    result = await session.execute(_LIVE_USER_BY_ID, {"user_id": user_id})
    return result.scalars().first()


async def get_user_by_username(session: AsyncSession, username: str) -> User | None:
    return await live_user_by_username(session, username)


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    statement = select(User).where(User.email == email, User.deleted_at.is_(None))
    return (await session.execute(statement)).scalars().first()


async def username_taken(session: AsyncSession, username: str) -> bool:
    """Soft-deleted users still hold their username, as in the Flask server."""
    return bool(await session.scalar(select(exists().where(User.username == username))))


async def email_taken(session: AsyncSession, email: str) -> bool:
    return bool(await session.scalar(select(exists().where(User.email == email))))


async def has_role(session: AsyncSession, user_id: int, role_id: int) -> bool:
    statement = select(
        exists().where(
            UserRole.user_id == user_id,
            UserRole.role_id == role_id,
            UserRole.deleted_at.is_(None),
        )
    )
    return bool(await session.scalar(statement))


# Ids are PostgreSQL `integer` columns: a larger number names no row, and sending it to the
# database would fail with an overflow instead of finding nothing.


async def find_user(session: AsyncSession, user_id: int) -> User | None:
    """A live user by id; None also for ids no row can have."""
    if not is_row_id(user_id):
        return None
    return await get_user(session, user_id)


async def list_users(session: AsyncSession) -> Sequence[User]:
    statement = select(User).where(User.deleted_at.is_(None)).order_by(User.id)
    return (await session.execute(statement)).scalars().all()


RoleAssignment = tuple[UserRole, str, str]
"""A user_role row with its user's username and its role's name."""


def _assignments() -> Select[UserRole, str, str]:
    return (
        select(UserRole, User.username, Role.name)
        .join(User, User.id == UserRole.user_id)
        .join(Role, Role.id == UserRole.role_id)
        .where(UserRole.deleted_at.is_(None))
        .order_by(UserRole.id)
    )


async def list_role_assignments(
    session: AsyncSession, user_id: int | None = None
) -> list[RoleAssignment]:
    """Live assignments, all of them or one user's."""
    statement = _assignments()
    if user_id is not None:
        statement = statement.where(UserRole.user_id == user_id)
    return [(row[0], row[1], row[2]) for row in (await session.execute(statement)).all()]


async def find_role_assignment(
    session: AsyncSession, user_id: int, role_id: int
) -> RoleAssignment | None:
    if not (is_row_id(user_id) and is_row_id(role_id)):
        return None
    statement = _assignments().where(UserRole.user_id == user_id, UserRole.role_id == role_id)
    row = (await session.execute(statement.limit(1))).first()
    return None if row is None else (row[0], row[1], row[2])


async def find_disabled_role_assignment(
    session: AsyncSession, user_id: int, role_id: int
) -> UserRole | None:
    """A soft-deleted assignment (none of our endpoints make them, other tools may)."""
    statement = select(UserRole).where(
        UserRole.user_id == user_id,
        UserRole.role_id == role_id,
        UserRole.deleted_at.is_not(None),
    )
    return (await session.execute(statement.limit(1))).scalars().first()
