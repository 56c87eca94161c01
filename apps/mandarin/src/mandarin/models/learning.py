"""Learning state: enrolments, lesson progress, review cards and the review log."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Double,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mandarin.models.base import (
    Base,
    JsonDocument,
    Timestamps,
    UtcDateTime,
    enum_column,
    new_id,
    utcnow,
)
from mandarin.models.content import Item
from mandarin.models.enums import (
    CardState,
    EnrollmentStatus,
    FsrsPhase,
    ProgressStatus,
    ReviewSource,
    SchedulerKind,
)

SM2_INITIAL_EASINESS = Decimal("2.50")


class Enrollment(Base):
    __tablename__ = "enrollments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    course_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True
    )
    status: Mapped[EnrollmentStatus] = mapped_column(
        enum_column(EnrollmentStatus, "enrollment_status"),
        nullable=False,
        default=EnrollmentStatus.ACTIVE,
    )
    current_level_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("levels.id", ondelete="SET NULL")
    )
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("user_id", "course_id"),)


class LessonProgress(Base):
    __tablename__ = "lesson_progress"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    lesson_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    status: Mapped[ProgressStatus] = mapped_column(
        enum_column(ProgressStatus, "progress_status"),
        nullable=False,
        default=ProgressStatus.NOT_STARTED,
    )
    seconds_watched: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    __table_args__ = (CheckConstraint("seconds_watched >= 0", name="seconds_watched"),)


class ReviewCard(Timestamps, Base):
    """What one learner knows of one item.

    The SM-2 columns (sm2_*) are written only by SM-2 and the FSRS columns (fsrs_*) only by
    FSRS, so switching schedulers never loses the other's state; SM-2 keeps running in the
    shadow of FSRS. state, due_at, reps, lapses and last_reviewed_at belong to the scheduler the
    learner uses: the queue reads them. version is the optimistic lock (UPDATE ... WHERE
    version = :seen; a concurrent change raises StaleDataError).
    """

    __tablename__ = "review_cards"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), nullable=False, index=True
    )
    state: Mapped[CardState] = mapped_column(
        enum_column(CardState, "card_state"), nullable=False, default=CardState.NEW
    )
    suspended: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    buried_until: Mapped[date | None] = mapped_column(Date)
    # When the card is next due, NULL while it is new.
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reps: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    lapses: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    sm2_repetitions: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Always on the 0.02 grid (2.50 and every grade's delta are multiples of 0.02): exact as
    # NUMERIC, never a float.
    sm2_easiness: Mapped[Decimal] = mapped_column(
        Numeric(4, 2), nullable=False, default=SM2_INITIAL_EASINESS
    )
    sm2_interval_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The learner's local day (their timezone and day start) on which SM-2 wants the card.
    sm2_due_day: Mapped[date | None] = mapped_column(Date)

    # NULL until FSRS first schedules the card (mandarin.scheduling.fsrs_adapter.FSRSState).
    fsrs_phase: Mapped[FsrsPhase | None] = mapped_column(enum_column(FsrsPhase, "fsrs_phase"))
    fsrs_step: Mapped[int | None] = mapped_column(SmallInteger)
    fsrs_stability: Mapped[float | None] = mapped_column(Double)
    fsrs_difficulty: Mapped[float | None] = mapped_column(Double)
    fsrs_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    fsrs_last_review_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    version: Mapped[int] = mapped_column(Integer, nullable=False)

    item: Mapped[Item] = relationship(lazy="raise")

    __table_args__ = (
        UniqueConstraint("user_id", "item_id"),
        # The review queue: a learner's unsuspended cards by due time.
        Index("ix_review_cards_user_id_suspended_due_at", "user_id", "suspended", "due_at"),
        # New cards to introduce, and per-state counts.
        Index("ix_review_cards_user_id_state", "user_id", "state"),
        CheckConstraint("sm2_easiness >= 1.3", name="sm2_easiness"),
        CheckConstraint("sm2_repetitions >= 0", name="sm2_repetitions"),
        CheckConstraint("sm2_interval_days >= 0", name="sm2_interval_days"),
        CheckConstraint("reps >= 0 AND lapses >= 0", name="counters"),
        CheckConstraint("fsrs_step >= 0", name="fsrs_step"),
    )
    __mapper_args__ = {"version_id_col": version}


class ReviewLog(Base):
    """One answer, append-only: the card's state is a replay of its log in review order.

    idempotency_key is generated by the client (UUID), so a retried or re-synced answer is found
    instead of applied twice. reviewed_at is the effective time (the client's, clamped to what the
    server accepts); state_before restores the card on undo.
    """

    __tablename__ = "review_logs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    card_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("review_cards.id", ondelete="CASCADE"), nullable=False
    )
    idempotency_key: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    grade: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    scheduler: Mapped[SchedulerKind] = mapped_column(
        enum_column(SchedulerKind, "scheduler"), nullable=False
    )
    source: Mapped[ReviewSource] = mapped_column(
        enum_column(ReviewSource, "review_source"), nullable=False, default=ReviewSource.ONLINE
    )
    reviewed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    client_reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    server_received_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    # Offline sync: which device sent it, its position in that device's outbox, and the card
    # version the device had seen.
    device_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    client_seq: Mapped[int | None] = mapped_column(Integer)
    base_version: Mapped[int | None] = mapped_column(Integer)
    # False for same-day drill answers (SM-2 step 7), which are logged but schedule nothing.
    affects_schedule: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    state_before: Mapped[dict[str, Any]] = mapped_column(JsonDocument, nullable=False)
    state_after: Mapped[dict[str, Any]] = mapped_column(JsonDocument, nullable=False)
    undone_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key"),
        # Replays and undo walk one card's log in review order.
        Index("ix_review_logs_card_id_reviewed_at", "card_id", "reviewed_at"),
        # Daily statistics and streaks.
        Index("ix_review_logs_user_id_reviewed_at", "user_id", "reviewed_at"),
        CheckConstraint("grade BETWEEN 0 AND 5", name="grade"),
        CheckConstraint("duration_ms >= 0", name="duration_ms"),
    )
