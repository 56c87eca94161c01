"""Declarative base, column types and defaults shared by every Mandarin table."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import JSON, DateTime, Dialect, Enum, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from svckit.db import NAMING_CONVENTION

# Multi-column unique constraints name every column, so two of them on one table cannot collide.
metadata = MetaData(
    naming_convention={**NAMING_CONVENTION, "uq": "uq_%(table_name)s_%(column_0_N_name)s"}
)


class Base(DeclarativeBase):
    metadata = metadata


def new_id() -> uuid.UUID:
    """A UUIDv7: random, yet ordered by creation, so B-tree inserts stay at the right edge."""
    milliseconds = time.time_ns() // 1_000_000
    value = (milliseconds & ((1 << 48) - 1)) << 80
    value |= int.from_bytes(os.urandom(10)) & ((1 << 80) - 1)
    # RFC 9562 layout: version 7 in bits 76-79, variant 0b10 in bits 62-63.
    value = (value & ~(0xF << 76)) | (0x7 << 76)
    value = (value & ~(0x3 << 62)) | (0x2 << 62)
    return uuid.UUID(int=value)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """timestamptz on PostgreSQL; on SQLite the UTC wall time, read back as an aware datetime."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            # A naive value would be read back as UTC whatever zone it meant: refuse it early.
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# jsonb on PostgreSQL (indexable, compact), JSON text elsewhere.
JsonDocument = JSON().with_variant(JSONB(), "postgresql")


def enum_column(enum: type[StrEnum], name: str) -> Enum:
    """A VARCHAR holding the enum's values, checked by a named CHECK constraint on every dialect.

    The column is wider than today's values so adding one only replaces the CHECK constraint.
    """
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
        length=32,
    )


class Timestamps:
    """created_at / updated_at, both UTC.

    The defaults read the wall clock; services stamp rows the learning domain reasons about
    with the app's Clock instead, so tests that move the clock see consistent times.
    """

    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )
