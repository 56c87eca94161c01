"""FSRS as the optional per-user engine (spec §0 D3, §4.1), over the `fsrs` package.

The package's scheduler is always built with fuzzing off, so a review's outcome depends only on
the state, the grade and the review time, and replaying a log gives the same card every time
(spec §9.3). Its state lives in `FSRSState`, apart from SM-2's, because the SM-2 columns must stay
what the SM-2 parity tests expect whichever engine a user picks (spec §4.2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TypedDict

from fsrs import Card, Rating, Scheduler, State
from fsrs.scheduler import DEFAULT_PARAMETERS

from mandarin.scheduling.grades import validate_grade

# The package reads card_id only to label review logs, which are not kept here. A fixed id also
# stops Card() from reading the clock and sleeping a millisecond to invent one (spec §4.1).
_CARD_ID = 0


class FSRSPhase(StrEnum):
    """FSRS's card states under the names `review_cards.state` uses (spec §2.4)."""

    LEARNING = "learning"
    REVIEW = "review"
    RELEARNING = "relearning"


_TO_PACKAGE_STATE: Mapping[FSRSPhase, State] = {
    FSRSPhase.LEARNING: State.Learning,
    FSRSPhase.REVIEW: State.Review,
    FSRSPhase.RELEARNING: State.Relearning,
}
_FROM_PACKAGE_STATE: Mapping[State, FSRSPhase] = {
    state: phase for phase, state in _TO_PACKAGE_STATE.items()
}

# Spec §4.2: q 0-2 -> Again, 3 -> Hard, 4 -> Good, 5 -> Easy.
_RATINGS: tuple[Rating, ...] = (
    Rating.Again,
    Rating.Again,
    Rating.Again,
    Rating.Hard,
    Rating.Good,
    Rating.Easy,
)


class FSRSStateDict(TypedDict):
    """FSRSState as JSON, datetimes in ISO 8601 with their UTC offset."""

    phase: str
    step: int | None
    stability: float | None
    difficulty: float | None
    due: str | None
    last_review: str | None


@dataclass(frozen=True, slots=True)
class FSRSState:
    """One card's FSRS memory state (`fsrs_*` columns of spec §2.4); the defaults are a new card.

    `due` and `last_review` are None until the first review. Learning and relearning cards have a
    step; review cards do not.
    """

    phase: FSRSPhase = FSRSPhase.LEARNING
    step: int | None = 0
    stability: float | None = None
    difficulty: float | None = None
    due: datetime | None = None
    last_review: datetime | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.phase, FSRSPhase):
            raise TypeError(f"phase must be an FSRSPhase, got {self.phase!r}")
        if self.phase is FSRSPhase.REVIEW:
            if self.step is not None:
                raise ValueError("a card in review has no learning step")
        elif isinstance(self.step, bool) or not isinstance(self.step, int) or self.step < 0:
            raise ValueError(f"a {self.phase} card needs a step >= 0, got {self.step!r}")
        if (self.stability is None) != (self.difficulty is None):
            raise ValueError("stability and difficulty are set together or not at all")
        if self.phase is not FSRSPhase.LEARNING and self.stability is None:
            raise ValueError(f"a {self.phase} card needs a stability and a difficulty")
        for name in ("stability", "difficulty"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, float)):
                raise TypeError(f"{name} must be a float or None, got {value!r}")
        for name in ("due", "last_review"):
            value = getattr(self, name)
            if value is not None and not _is_aware(value):
                raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")

    def to_dict(self) -> FSRSStateDict:
        return {
            "phase": self.phase.value,
            "step": self.step,
            "stability": self.stability,
            "difficulty": self.difficulty,
            "due": None if self.due is None else self.due.isoformat(),
            "last_review": None if self.last_review is None else self.last_review.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> FSRSState:
        """Read a state written by `to_dict`."""
        phase, step = data["phase"], data["step"]
        if not isinstance(phase, str):
            raise TypeError(f"phase must be a string, got {phase!r}")
        if step is not None and (isinstance(step, bool) or not isinstance(step, int)):
            raise TypeError(f"step must be an int or None, got {step!r}")
        return cls(
            phase=FSRSPhase(phase),
            step=step,
            stability=_optional_float(data["stability"], "stability"),
            difficulty=_optional_float(data["difficulty"], "difficulty"),
            due=_optional_datetime(data["due"], "due"),
            last_review=_optional_datetime(data["last_review"], "last_review"),
        )


NEW_CARD = FSRSState()


@dataclass(frozen=True, slots=True)
class FSRSSettings:
    """The scheduler's knobs, defaulting to the package's FSRS-6 defaults (spec §4.1)."""

    desired_retention: float = 0.9
    parameters: tuple[float, ...] = DEFAULT_PARAMETERS
    learning_steps: tuple[timedelta, ...] = (timedelta(minutes=1), timedelta(minutes=10))
    relearning_steps: tuple[timedelta, ...] = (timedelta(minutes=10),)
    maximum_interval: int = 36500

    def scheduler(self) -> Scheduler:
        """The package's scheduler for these settings, fuzz always off (spec §0 D3)."""
        return Scheduler(
            parameters=self.parameters,
            desired_retention=self.desired_retention,
            learning_steps=self.learning_steps,
            relearning_steps=self.relearning_steps,
            maximum_interval=self.maximum_interval,
            enable_fuzzing=False,
        )


DEFAULT_SETTINGS = FSRSSettings()


def rating_for_grade(grade: int) -> Rating:
    """The FSRS rating for one of our 0-5 grades (spec §4.2)."""
    return _RATINGS[validate_grade(grade)]


def review(
    state: FSRSState,
    grade: int,
    *,
    reviewed_at: datetime,
    settings: FSRSSettings = DEFAULT_SETTINGS,
) -> FSRSState:
    """The state after one graded review at reviewed_at (any timezone; stored in UTC)."""
    return _review_with(settings.scheduler(), state, grade, reviewed_at)


def replay(
    reviews: Iterable[tuple[datetime, int]],
    *,
    start: FSRSState = NEW_CARD,
    settings: FSRSSettings = DEFAULT_SETTINGS,
) -> FSRSState:
    """The state after `(reviewed_at, grade)` reviews applied in the order given.

    This is what the package's `reschedule_card` does, without its sort: the order of the review
    log is the caller's (spec §9.3), and ties in client timestamps must not be reordered here.
    """
    scheduler = settings.scheduler()
    state = start
    for reviewed_at, grade in reviews:
        state = _review_with(scheduler, state, grade, reviewed_at)
    return state


def retrievability(
    state: FSRSState, at: datetime, *, settings: FSRSSettings = DEFAULT_SETTINGS
) -> float:
    """Predicted probability of recall at `at`; 0 for a card never reviewed."""
    at = _as_utc(at)
    return settings.scheduler().get_card_retrievability(_to_card(state, at), at)


def _review_with(scheduler: Scheduler, state: FSRSState, grade: int, at: datetime) -> FSRSState:
    rating = rating_for_grade(grade)
    at = _as_utc(at)
    card, _log = scheduler.review_card(_to_card(state, at), rating, review_datetime=at)
    return _from_card(card)


def _to_card(state: FSRSState, at: datetime) -> Card:
    # A new card has no due date yet; the package reads `due` only to overwrite it.
    due = state.due if state.due is not None else at
    return Card(
        card_id=_CARD_ID,
        state=_TO_PACKAGE_STATE[state.phase],
        step=state.step,
        stability=state.stability,
        difficulty=state.difficulty,
        due=_as_utc(due),
        last_review=None if state.last_review is None else _as_utc(state.last_review),
    )


def _from_card(card: Card) -> FSRSState:
    return FSRSState(
        phase=_FROM_PACKAGE_STATE[card.state],
        step=card.step,
        # Parameters given as ints would otherwise leak ints into the state.
        stability=None if card.stability is None else float(card.stability),
        difficulty=None if card.difficulty is None else float(card.difficulty),
        due=card.due,
        last_review=card.last_review,
    )


def _is_aware(value: datetime) -> bool:
    return value.tzinfo is not None and value.utcoffset() is not None


def _as_utc(value: datetime) -> datetime:
    # The package refuses every tzinfo but `timezone.utc` itself, even ZoneInfo("UTC"); the
    # instant is what matters, so any aware time is converted rather than refused.
    if not _is_aware(value):
        raise ValueError(f"review times must be timezone-aware, got {value!r}")
    return value.astimezone(UTC)


def _optional_float(value: object, name: str) -> float | None:
    if value is None:
        return None
    # JSON and jsonb may hand back an integral float as an int.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number or None, got {value!r}")
    return float(value)


def _optional_datetime(value: object, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be an ISO 8601 string or None, got {value!r}")
    return datetime.fromisoformat(value)
