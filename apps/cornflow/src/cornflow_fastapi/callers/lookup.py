"""The live user a token names."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.models import User

# Built once: every authenticated request looks its caller up, and building the statement
# costs more than running it.
_LIVE_USER_BY_USERNAME = select(User).where(
    User.username == bindparam("username"), User.deleted_at.is_(None)
)


async def live_user_by_username(session: AsyncSession, username: str) -> User | None:
    """A user by username, unless soft-deleted."""
    result = await session.execute(_LIVE_USER_BY_USERNAME, {"username": username})
    return result.scalars().first()
