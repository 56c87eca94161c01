"""Queries on users and refresh tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mandarin.models import RefreshToken, User


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email))


async def get_user_by_supabase_id(
    session: AsyncSession, supabase_user_id: uuid.UUID
) -> User | None:
    return await session.scalar(select(User).where(User.supabase_user_id == supabase_user_id))


async def get_user_by_legacy_id(session: AsyncSession, legacy_user_id: int) -> User | None:
    return await session.scalar(select(User).where(User.legacy_user_id == legacy_user_id))


async def get_refresh_token(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    return await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash))


async def spend_refresh_token(session: AsyncSession, token_id: uuid.UUID, now: datetime) -> bool:
    """Mark a live token used; False if another request spent or revoked it first."""
    # One conditional UPDATE, so two concurrent refreshes cannot both rotate the same token.
    spent = await session.scalar(
        update(RefreshToken)
        .where(
            RefreshToken.id == token_id,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
        )
        .values(used_at=now)
        .returning(RefreshToken.id)
        .execution_options(synchronize_session=False)
    )
    return spent is not None


async def revoke_family(
    session: AsyncSession, family_id: uuid.UUID, *, now: datetime, reason: str
) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )


async def revoke_user_tokens(
    session: AsyncSession, user_id: uuid.UUID, *, now: datetime, reason: str
) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
