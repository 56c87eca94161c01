"""Declarative base and the trace columns every Cornflow table but two carries."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Cornflow's constraint names come from PostgreSQL's own defaults (users_email_key, ...), which
# the migrations spell out; the metadata carries no naming convention of its own.
metadata = MetaData()


INTEGER_KEY_MAX = 2**31 - 1


def is_row_id(value: int) -> bool:
    """Whether value fits an INTEGER key column; larger values name no row (and would overflow)."""
    return -INTEGER_KEY_MAX - 1 <= value <= INTEGER_KEY_MAX


def utcnow() -> datetime:
    """Naive UTC, the way Cornflow stores every timestamp."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = metadata


class TraceColumns:
    """created_at / updated_at / deleted_at, in this column order, as in Cornflow."""

    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow, onupdate=utcnow
    )
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
