"""Request and response bodies of /api/reviews."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from mandarin.models import CardState, ItemKind, SchedulerKind

MAX_SYNC_EVENTS = 500
# An answer left on screen for a day is a client bug, not a measurement.
MAX_DURATION_MS = 24 * 3600 * 1000

# Strict: JSON true, 4.0 and "4" are refused rather than read as 1 or 4 (spec §3.3: 422).
Grade = Annotated[
    int,
    Field(strict=True, ge=0, le=5, description="0 (blackout) to 5 (perfect), SM-2's scale"),
]
DurationMs = Annotated[
    int,
    Field(strict=True, ge=0, le=MAX_DURATION_MS, description="Time spent answering, ms"),
]
Version = Annotated[int, Field(strict=True, ge=1, le=2**31 - 1)]


class ReviewSubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    card_id: uuid.UUID
    grade: Grade
    idempotency_key: uuid.UUID = Field(
        description=(
            "Client-generated UUID. Sending the same key again returns the first result; sending "
            "it with a different card, grade, reviewed_at or duration is a 409"
        )
    )
    reviewed_at: AwareDatetime | None = Field(
        default=None,
        description=(
            "When the card was answered (default: now); not in the future, not before the "
            "card's last review"
        ),
    )
    duration_ms: DurationMs | None = None
    base_version: Version | None = Field(
        default=None, description="The card version the client saw; 409 if it has changed"
    )


class UndoRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    review_id: uuid.UUID | None = Field(
        default=None, description="The review to undo; default: your most recent one"
    )
    idempotency_key: uuid.UUID | None = Field(
        default=None, description="Or the review to undo by the key it was sent with"
    )

    @model_validator(mode="after")
    def _one_reference(self) -> UndoRequest:
        if self.review_id is not None and self.idempotency_key is not None:
            raise ValueError("give review_id or idempotency_key, not both")
        return self


class SyncEvent(BaseModel):
    """One answer given offline (spec §9.3)."""

    model_config = ConfigDict(extra="forbid")

    idempotency_key: uuid.UUID
    card_id: uuid.UUID
    grade: Grade
    rating_scale: Literal["sm2_0_5"] = "sm2_0_5"
    client_reviewed_at: AwareDatetime = Field(
        description="The device's clock; clamped to [card created, server now]"
    )
    duration_ms: DurationMs | None = None
    client_seq: Annotated[int, Field(strict=True, ge=0, le=2**31 - 1)] | None = Field(
        default=None, description="Position in the device's outbox; orders answers given at once"
    )
    base_version: Version | None = Field(
        default=None,
        description="The card version the device had; a mismatch is resolved by replay",
    )


class SyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device_id: uuid.UUID | None = None
    events: list[SyncEvent] = Field(max_length=MAX_SYNC_EVENTS)


class SM2Detail(BaseModel):
    repetitions: int
    easiness: Decimal = Field(description="On the 0.02 grid, sent as a string: '2.36'")
    interval_days: int
    due_day: date | None = Field(description="The learner's local day SM-2 wants the card")


class FSRSDetail(BaseModel):
    phase: Literal["learning", "review", "relearning"]
    step: int | None
    stability: float | None
    difficulty: float | None
    due_at: datetime | None
    last_review_at: datetime | None


class CardSchedule(BaseModel):
    """A card's scheduling state; SM-2's columns are kept under FSRS too (a shadow)."""

    id: uuid.UUID
    state: CardState
    due_at: datetime | None
    last_reviewed_at: datetime | None
    reps: int
    lapses: int
    version: int
    sm2: SM2Detail
    fsrs: FSRSDetail | None


class ReviewResult(BaseModel):
    review_id: uuid.UUID
    idempotency_key: uuid.UUID
    card_id: uuid.UUID
    grade: int
    scheduler: SchedulerKind
    reviewed_at: datetime = Field(description="The effective time the schedule was computed at")
    card: CardSchedule = Field(description="The card right after this answer")


class UndoResult(BaseModel):
    review_id: uuid.UUID
    idempotency_key: uuid.UUID
    undone_at: datetime
    card: CardSchedule = Field(description="The card as it was before the undone answer")


class QueueItem(BaseModel):
    id: uuid.UUID
    kind: ItemKind
    hanzi: str
    pinyin_numbered: str | None
    keyword: str | None
    meaning: str | None


class QueueCard(BaseModel):
    card_id: uuid.UUID
    queue: Literal["review", "new"]
    state: CardState
    due_at: datetime | None
    version: int
    reps: int
    lapses: int
    item: QueueItem


class QueueLimits(BaseModel):
    new_per_day: int
    reviews_per_day: int
    new_done: int = Field(description="New cards answered for the first time today")
    reviews_done: int = Field(description="Answers to cards already in review today")
    new_left: int
    reviews_left: int


class ReviewQueue(BaseModel):
    day: date = Field(description="The learner's current day (their time zone and day start)")
    day_started_at: datetime
    next_day_starts_at: datetime
    due_count: int = Field(description="Cards due now, before the daily limit")
    new_count: int = Field(description="New cards waiting, before the daily limit")
    limits: QueueLimits
    cards: list[QueueCard] = Field(description="Due cards by due time, then new ones")


SyncStatus = Literal["applied", "replayed", "duplicate", "rejected"]


class SyncError(BaseModel):
    status: int = Field(description="The HTTP status the answer would have had on its own")
    detail: str


class SyncOutcome(BaseModel):
    idempotency_key: uuid.UUID
    status: SyncStatus = Field(
        description=(
            "applied: added after the card's other answers; replayed: older than an answer "
            "already applied, so the card's log was replayed in order; duplicate: already "
            "recorded (the stored result is returned); rejected: see error"
        )
    )
    review_id: uuid.UUID | None
    reviewed_at: datetime | None
    card: CardSchedule | None = Field(description="The card right after this answer")
    error: SyncError | None


class SyncSummary(BaseModel):
    applied: int
    replayed: int
    duplicate: int
    rejected: int


class SyncResult(BaseModel):
    server_time: datetime
    summary: SyncSummary
    results: list[SyncOutcome] = Field(description="One per event, in the order sent")


class DayCount(BaseModel):
    day: date
    reviews: int = Field(description="Answers to cards in review")
    new: int = Field(description="Cards answered for the first time")
    passed: int = Field(description="Answers to cards in review graded 3 or more")
    time_ms: int


class Retention(BaseModel):
    days: int
    reviews: int = Field(description="Answers to cards in review over the window")
    passed: int
    rate: float | None = Field(description="passed / reviews; null without reviews")


class Streak(BaseModel):
    current: int = Field(
        description="Consecutive days with a review, ending today (or yesterday if none yet today)"
    )
    reviewed_today: bool
    last_review_day: date | None


class ForecastDay(BaseModel):
    day: date
    due: int = Field(description="Cards due that day; today includes overdue ones")


class CardCounts(BaseModel):
    new: int
    learning: int
    review: int
    relearning: int
    suspended: int


class ReviewStats(BaseModel):
    today: date
    daily: list[DayCount] = Field(description="The last `days` days, oldest first")
    retention: Retention
    streak: Streak
    forecast: list[ForecastDay]
    cards: CardCounts


class CardLogEntry(BaseModel):
    review_id: uuid.UUID
    idempotency_key: uuid.UUID
    grade: int
    scheduler: SchedulerKind
    source: str
    reviewed_at: datetime
    duration_ms: int | None
    undone_at: datetime | None


class CardDetail(BaseModel):
    card: CardSchedule
    suspended: bool
    item: QueueItem
    history: list[CardLogEntry] = Field(description="Answers in review order, undone ones too")
