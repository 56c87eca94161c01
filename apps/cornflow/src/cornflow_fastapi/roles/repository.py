"""Role queries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.models import Role, is_row_id

# Ids are PostgreSQL `integer` columns: a larger number names no row, and sending it to the
# database would fail with an overflow instead of finding nothing.


async def list_roles(session: AsyncSession) -> Sequence[Role]:
    statement = select(Role).where(Role.deleted_at.is_(None)).order_by(Role.id)
    return (await session.execute(statement)).scalars().all()


async def find_role(session: AsyncSession, role_id: int) -> Role | None:
    """A live role by id; None also for ids no row can have."""
    if not is_row_id(role_id):
        return None
    statement = select(Role).where(Role.id == role_id, Role.deleted_at.is_(None))
    return (await session.execute(statement)).scalars().first()
