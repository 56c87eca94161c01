"""Accounts and the refresh tokens issued to them."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from mandarin.models.base import Base, JsonDocument, Timestamps, UtcDateTime, enum_column, new_id
from mandarin.models.enums import SchedulerKind

EMAIL_MAX_LENGTH = 320


class User(Timestamps, Base):
    """A learner (or admin), with the study preferences every scheduling decision reads."""

    __tablename__ = "users"

    # Users first seen through Supabase keep their auth.users id, so RLS policies can match it.
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    # Stored lower-cased: the portable stand-in for PostgreSQL's citext. NULL for Supabase
    # identities without one (phone, anonymous).
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX_LENGTH), unique=True)
    # NULL for accounts that only ever sign in through Supabase.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    supabase_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, unique=True)
    # The old Flask app's users.id, as its session cookie names it.
    legacy_user_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    display_name: Mapped[str | None] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, default="UTC")
    day_start_hour: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=4)
    new_per_day: Mapped[int] = mapped_column(Integer, nullable=False, default=20)
    reviews_per_day: Mapped[int] = mapped_column(Integer, nullable=False, default=200)
    scheduler: Mapped[SchedulerKind] = mapped_column(
        enum_column(SchedulerKind, "scheduler"), nullable=False, default=SchedulerKind.SM2
    )
    desired_retention: Mapped[Decimal] = mapped_column(
        Numeric(3, 2), nullable=False, default=Decimal("0.90")
    )
    # Per-user optimised FSRS weights; NULL means the package defaults.
    fsrs_parameters: Mapped[list[float] | None] = mapped_column(JsonDocument)
    is_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Carried in every access token; bumping it ends all sessions before their tokens expire.
    token_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (
        CheckConstraint("day_start_hour BETWEEN 0 AND 23", name="day_start_hour"),
        CheckConstraint("new_per_day >= 0", name="new_per_day"),
        CheckConstraint("reviews_per_day >= 0", name="reviews_per_day"),
        CheckConstraint("desired_retention > 0 AND desired_retention < 1", name="retention"),
    )


class RefreshToken(Base):
    """One refresh token; rotation chains tokens of one login into a family."""

    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    # SHA-256 of the token: it carries 256 random bits, so a fast hash loses nothing.
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("refresh_tokens.id", ondelete="SET NULL")
    )
    device_label: Mapped[str | None] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (Index("ix_refresh_tokens_user_id_revoked_at", "user_id", "revoked_at"),)
