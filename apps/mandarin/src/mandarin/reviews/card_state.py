"""A card's scheduling state as a value, and what one graded answer does to it.

Pure: no I/O, no clock. The service reads a `CardSnapshot` from a card row, applies answers with
`answer`, and writes the result back; review logs keep the snapshot before and after each answer
as JSON, so undo restores a card exactly and a replay can start from any point of its log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from mandarin.models import CardState, FsrsPhase, ReviewCard, SchedulerKind
from mandarin.reviews.calendar import LocalCalendar
from mandarin.scheduling import fsrs_adapter, sm2
from mandarin.scheduling.grades import PASSING_GRADE

# Bounds of what the columns hold (an int4 of days, NUMERIC(4,2)). Reaching either takes
# hundreds of answers given long before the card is due; past them SM-2 stays where it is instead
# of failing to store. The interval bound is FSRS's and Anki's maximum interval (100 years).
MAX_INTERVAL_DAYS = 36500
MAX_EASINESS = Decimal("99.98")


@dataclass(frozen=True, slots=True)
class Engine:
    """How a learner's answers are scheduled: their scheduler, its settings, their days."""

    scheduler: SchedulerKind
    calendar: LocalCalendar
    sm2_variant: sm2.Variant = sm2.Variant.W
    fsrs: fsrs_adapter.FSRSSettings = fsrs_adapter.DEFAULT_SETTINGS


@dataclass(frozen=True, slots=True)
class CardSnapshot:
    """Every column of a card that answers change (spec §2.4).

    `sm2` and `sm2_due_day` are SM-2's and are kept up to date under either scheduler (the shadow
    of spec §4.2); `fsrs` is written only when FSRS schedules the card. `state`, `due_at`, `reps`,
    `lapses` and `last_reviewed_at` belong to the scheduler in use.
    """

    state: CardState
    due_at: datetime | None
    last_reviewed_at: datetime | None
    reps: int
    lapses: int
    sm2: sm2.SM2State
    sm2_due_day: date | None
    fsrs: fsrs_adapter.FSRSState | None

    @classmethod
    def of(cls, card: ReviewCard) -> CardSnapshot:
        fsrs: fsrs_adapter.FSRSState | None = None
        if card.fsrs_phase is not None:
            fsrs = fsrs_adapter.FSRSState(
                phase=fsrs_adapter.FSRSPhase(card.fsrs_phase.value),
                step=card.fsrs_step,
                stability=card.fsrs_stability,
                difficulty=card.fsrs_difficulty,
                due=card.fsrs_due_at,
                last_review=card.fsrs_last_review_at,
            )
        return cls(
            state=card.state,
            due_at=card.due_at,
            last_reviewed_at=card.last_reviewed_at,
            reps=card.reps,
            lapses=card.lapses,
            sm2=sm2.SM2State(
                repetitions=card.sm2_repetitions,
                easiness=card.sm2_easiness,
                interval=card.sm2_interval_days,
            ),
            sm2_due_day=card.sm2_due_day,
            fsrs=fsrs,
        )

    def write_to(self, card: ReviewCard) -> None:
        card.state = self.state
        card.due_at = self.due_at
        card.last_reviewed_at = self.last_reviewed_at
        card.reps = self.reps
        card.lapses = self.lapses
        card.sm2_repetitions = self.sm2.repetitions
        card.sm2_easiness = self.sm2.easiness
        card.sm2_interval_days = self.sm2.interval
        card.sm2_due_day = self.sm2_due_day
        fsrs = self.fsrs
        card.fsrs_phase = None if fsrs is None else FsrsPhase(fsrs.phase.value)
        card.fsrs_step = None if fsrs is None else fsrs.step
        card.fsrs_stability = None if fsrs is None else fsrs.stability
        card.fsrs_difficulty = None if fsrs is None else fsrs.difficulty
        card.fsrs_due_at = None if fsrs is None else fsrs.due
        card.fsrs_last_review_at = None if fsrs is None else fsrs.last_review

    def to_dict(self, *, version: int) -> dict[str, Any]:
        """JSON for `review_logs.state_before/after`; version is the card's at that point."""
        return {
            "state": self.state.value,
            "due_at": _iso(self.due_at),
            "last_reviewed_at": _iso(self.last_reviewed_at),
            "reps": self.reps,
            "lapses": self.lapses,
            "sm2": {**self.sm2.to_dict(), "due_day": _iso(self.sm2_due_day)},
            "fsrs": None if self.fsrs is None else dict(self.fsrs.to_dict()),
            "version": version,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CardSnapshot:
        sm2_data = data["sm2"]
        due_day = sm2_data.get("due_day")
        fsrs = data.get("fsrs")
        return cls(
            state=CardState(data["state"]),
            due_at=_datetime(data.get("due_at")),
            last_reviewed_at=_datetime(data.get("last_reviewed_at")),
            reps=int(data["reps"]),
            lapses=int(data["lapses"]),
            sm2=sm2.SM2State.from_dict(sm2_data),
            sm2_due_day=None if due_day is None else date.fromisoformat(due_day),
            fsrs=None if fsrs is None else fsrs_adapter.FSRSState.from_dict(fsrs),
        )


def answer(
    snapshot: CardSnapshot, grade: int, reviewed_at: datetime, engine: Engine
) -> CardSnapshot:
    """The card after one answer graded 0-5 at reviewed_at."""
    review_day = engine.calendar.day_of(reviewed_at)
    # SM-2 runs under either scheduler: FSRS users keep an SM-2 shadow to switch back to.
    sm2_state = _storable(sm2.review(snapshot.sm2, grade, variant=engine.sm2_variant))
    # Spec §3.3 counts the interval from the day of the review, not from the day the card was
    # due: a card answered late is not punished, and one answered early does not jump ahead.
    sm2_due_day = sm2.next_due_day(review_day, sm2_state.interval)
    after = replace(
        snapshot,
        last_reviewed_at=reviewed_at,
        reps=snapshot.reps + 1,
        sm2=sm2_state,
        sm2_due_day=sm2_due_day,
    )
    if engine.scheduler is SchedulerKind.FSRS:
        before = snapshot.fsrs or fsrs_adapter.NEW_CARD
        fsrs_state = fsrs_adapter.review(
            before, grade, reviewed_at=reviewed_at, settings=engine.fsrs
        )
        lapsed = before.phase is fsrs_adapter.FSRSPhase.REVIEW and grade < PASSING_GRADE
        return replace(
            after,
            state=CardState(fsrs_state.phase.value),
            due_at=fsrs_state.due,
            lapses=snapshot.lapses + lapsed,
            fsrs=fsrs_state,
        )
    # SM-2 has no learning steps (spec §3.3): new until the first answer, then in review; a
    # failed answer of a card already in review is a lapse.
    lapsed = snapshot.state is not CardState.NEW and grade < PASSING_GRADE
    return replace(
        after,
        state=CardState.REVIEW,
        due_at=engine.calendar.start_of(sm2_due_day),
        lapses=snapshot.lapses + lapsed,
    )


def _storable(state: sm2.SM2State) -> sm2.SM2State:
    if state.interval <= MAX_INTERVAL_DAYS and state.easiness <= MAX_EASINESS:
        return state
    return sm2.SM2State(
        repetitions=state.repetitions,
        easiness=min(state.easiness, MAX_EASINESS),
        interval=min(state.interval, MAX_INTERVAL_DAYS),
    )


def _iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def _datetime(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 string, got {value!r}")
    return datetime.fromisoformat(value)
