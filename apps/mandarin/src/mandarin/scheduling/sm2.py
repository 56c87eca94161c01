"""SM-2 with exact arithmetic (spec §3).

The default is variant W of spec §3.3: the E-Factor changes after every grade, the interval is
multiplied by the E-Factor from *before* the grade and rounded half up, and a lapse restarts the
repetitions with a one-day interval. The other readings of spec §3.2 are selectable with
`Variant` (or any combination of the §3.3 flags with `SM2Rules`), because the legacy data has to
be replayed through each of them to find the one it was produced with (spec §3.6).

`Arithmetic.FLOAT` reproduces the binary-float implementations those readings come from, drift
and all (spec §3.5). It exists to match legacy data, never to schedule new reviews.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    ROUND_CEILING,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
)
from enum import StrEnum
from typing import TypedDict

from mandarin.scheduling.grades import PASSING_GRADE, validate_grade

# Unbounded precision with Inexact and Rounded trapped: any operation that would have to round
# raises instead, so "exact" is checked on every step rather than assumed. Passing the context
# explicitly keeps results independent of whatever decimal context the caller has set.
_EXACT = Context(
    prec=MAX_PREC,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    traps=[Inexact, Rounded, InvalidOperation, DivisionByZero, Overflow],
)

MIN_EASINESS = Decimal("1.30")
INITIAL_EASINESS = Decimal("2.50")
EASINESS_GRID = Decimal("0.02")
_HUNDREDTHS = Decimal("0.01")

# EF' = EF + (0.1 - (5-q)*(0.08 + (5-q)*0.02)), step 5 of the original text (spec §3.1).
_EF_BASE = Decimal("0.1")
_EF_LINEAR = Decimal("0.08")
_EF_QUADRATIC = Decimal("0.02")


class Rounding(StrEnum):
    """How `I * EF` becomes whole days (spec §3.3 flag `rounding`)."""

    HALF_UP = "half_up"
    CEIL = "ceil"
    HALF_EVEN = "half_even"
    """Python's `round()`: not a reading of SM-2 but what naive ports do (spec §3.4, §3.5)."""


class EasinessOnFail(StrEnum):
    """Whether a grade below 3 still changes the E-Factor (spec §3.3 flag `ef_on_fail`)."""

    UPDATE = "update"
    FREEZE = "freeze"


class IntervalEasiness(StrEnum):
    """Which E-Factor multiplies the interval (spec §3.3 flag `interval_ef`)."""

    BEFORE = "before"
    AFTER = "after"


class Arithmetic(StrEnum):
    """Exact decimals (spec §0 D2), or the binary floats of the legacy packages (spec §3.5)."""

    DECIMAL = "decimal"
    FLOAT = "float"


@dataclass(frozen=True, slots=True)
class SM2Rules:
    """One reading of SM-2 as the four flags of spec §3.3."""

    rounding: Rounding = Rounding.HALF_UP
    easiness_on_fail: EasinessOnFail = EasinessOnFail.UPDATE
    interval_easiness: IntervalEasiness = IntervalEasiness.BEFORE
    fail_interval: int = 1

    def __post_init__(self) -> None:
        if self.fail_interval not in (0, 1) or isinstance(self.fail_interval, bool):
            raise ValueError(f"fail_interval must be 0 or 1, got {self.fail_interval!r}")


class Variant(StrEnum):
    """The readings of SM-2 compared in spec §3.2."""

    W = "w"
    """Wikipedia's pseudo-code, exact: the default (spec §0 D1, §3.3)."""
    CEIL = "ceil"
    """`supermemo2==3.0.1`: like W but rounds up, as step 3 of the original text says."""
    OSR = "osr"
    """`sm-2==0.3.0`: E-Factor frozen on a lapse, updated before the interval, rounds up, and a
    lapse is due again the same day (interval 0).

    That package also holds a card graded 3 back for a same-day review until it scores 4 or 5,
    without touching n, EF or I. That is the step-7 drill of spec §3.1, which spec §3.3 makes a
    client re-queue logged with `affects_schedule=false`, so it is not state here.
    """
    SO = "so"
    """StackOverflow q/49047159: E-Factor updated first and used for the interval, rounded."""

    @property
    def rules(self) -> SM2Rules:
        return _VARIANT_RULES[self]


_VARIANT_RULES: Mapping[Variant, SM2Rules] = {
    Variant.W: SM2Rules(),
    Variant.CEIL: SM2Rules(rounding=Rounding.CEIL),
    Variant.OSR: SM2Rules(
        rounding=Rounding.CEIL,
        easiness_on_fail=EasinessOnFail.FREEZE,
        interval_easiness=IntervalEasiness.AFTER,
        fail_interval=0,
    ),
    Variant.SO: SM2Rules(interval_easiness=IntervalEasiness.AFTER),
}


class SM2StateDict(TypedDict):
    """SM2State as JSON: the easiness as a string so no float ever touches it."""

    repetitions: int
    easiness: str
    interval: int


@dataclass(frozen=True, slots=True)
class SM2State:
    """n, EF and I of spec §3.3 (`sm2_n`, `sm2_ef`, `sm2_interval` of spec §2.4).

    Under exact arithmetic the easiness is a Decimal on the 0.02 grid with two places. A state
    produced with `Arithmetic.FLOAT` carries the float's value instead (its shortest repr, which
    converts back to the very same float), so a replay keeps the drift a float would have.
    """

    repetitions: int
    easiness: Decimal
    interval: int

    def __post_init__(self) -> None:
        for name in ("repetitions", "interval"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative int, got {value!r}")
        if not isinstance(self.easiness, Decimal) or not self.easiness.is_finite():
            raise TypeError(f"easiness must be a finite Decimal, got {self.easiness!r}")
        if self.easiness < MIN_EASINESS:
            raise ValueError(f"easiness must be at least {MIN_EASINESS}, got {self.easiness}")
        # Every reading gives the first successful repetition a one-day interval, so a card that
        # has repetitions but no interval was not produced by SM-2 and would be stuck at 0 days.
        if self.repetitions > 0 and self.interval == 0:
            raise ValueError("a state with repetitions must have an interval of at least 1 day")

    def to_dict(self) -> SM2StateDict:
        return {
            "repetitions": self.repetitions,
            "easiness": str(self.easiness),
            "interval": self.interval,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> SM2State:
        """Read a state written by `to_dict`; the easiness must be a string, never a float."""
        easiness = data["easiness"]
        if not isinstance(easiness, str):
            raise TypeError(f"easiness must be stored as a string, got {easiness!r}")
        try:
            parsed = Decimal(easiness)
        except InvalidOperation:
            raise ValueError(f"easiness is not a decimal number: {easiness!r}") from None
        repetitions, interval = data["repetitions"], data["interval"]
        if not isinstance(repetitions, int) or not isinstance(interval, int):
            raise TypeError("repetitions and interval must be ints")
        return cls(repetitions=repetitions, easiness=parsed, interval=interval)


INITIAL_STATE = SM2State(repetitions=0, easiness=INITIAL_EASINESS, interval=0)
"""A new card (spec §3.3): n=0, EF=2.50, I=0."""


def review(
    state: SM2State,
    grade: int,
    *,
    variant: Variant | SM2Rules = Variant.W,
    arithmetic: Arithmetic = Arithmetic.DECIMAL,
) -> SM2State:
    """The state after one graded repetition (spec §3.3, other readings per §3.2).

    Raises InvalidGradeError unless grade is an int from 0 to 5, and ValueError when exact
    arithmetic is asked for an easiness off the 0.02 grid (spec §3.1: it cannot arise).
    """
    grade = validate_grade(grade)
    rules = variant.rules if isinstance(variant, Variant) else variant
    if arithmetic is Arithmetic.FLOAT:
        return _review_float(state, grade, rules)
    return _review_exact(state, grade, rules)


def replay(
    grades: Iterable[int],
    *,
    start: SM2State = INITIAL_STATE,
    variant: Variant | SM2Rules = Variant.W,
    arithmetic: Arithmetic = Arithmetic.DECIMAL,
) -> list[SM2State]:
    """The state after each grade of a history, in order (the replay of spec §3.6 and §9.3)."""
    states: list[SM2State] = []
    state = start
    for grade in grades:
        state = review(state, grade, variant=variant, arithmetic=arithmetic)
        states.append(state)
    return states


def next_due_day(review_day: date, interval: int) -> date:
    """`due_day = local_review_day + I` (spec §3.3), review_day being the user's local day (§2.4).

    A timestamp is refused: which day it falls on depends on the user's timezone and day start,
    which the caller knows and this module does not. Intervals past the calendar's end (reachable
    only by grading 5 a dozen times without waiting) give `date.max`, i.e. never due.
    """
    if isinstance(review_day, datetime):
        raise TypeError("review_day must be the user's local date, not a datetime (spec §2.4)")
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 0:
        raise ValueError(f"interval must be a non-negative int, got {interval!r}")
    try:
        return review_day + timedelta(days=interval)
    except OverflowError:
        return date.max


def _review_exact(state: SM2State, grade: int, rules: SM2Rules) -> SM2State:
    easiness = state.easiness
    if _EXACT.remainder(easiness, EASINESS_GRID) != 0:
        raise ValueError(f"easiness {easiness} is not on the 0.02 grid (spec §3.1)")
    updated = _next_easiness_exact(easiness, grade)
    if grade < PASSING_GRADE:
        frozen = rules.easiness_on_fail is EasinessOnFail.FREEZE
        return SM2State(
            repetitions=0,
            easiness=_two_places(easiness if frozen else updated),
            interval=rules.fail_interval,
        )
    if state.repetitions == 0:
        interval = 1
    elif state.repetitions == 1:
        interval = 6
    else:
        factor = updated if rules.interval_easiness is IntervalEasiness.AFTER else easiness
        days = _EXACT.multiply(Decimal(state.interval), factor)
        rounding = _DECIMAL_ROUNDING[rules.rounding]
        interval = int(days.to_integral_value(rounding=rounding, context=_EXACT))
    return SM2State(
        repetitions=state.repetitions + 1,
        easiness=_two_places(updated),
        interval=interval,
    )


def _next_easiness_exact(easiness: Decimal, grade: int) -> Decimal:
    """EF' = max(1.3, EF + 0.1 - (5-q)*(0.08 + (5-q)*0.02)) (spec §3.1 step 5)."""
    distance = Decimal(5 - grade)
    change = _EXACT.subtract(
        _EF_BASE,
        _EXACT.multiply(distance, _EXACT.add(_EF_LINEAR, _EXACT.multiply(distance, _EF_QUADRATIC))),
    )
    return max(MIN_EASINESS, _EXACT.add(easiness, change))


def _two_places(easiness: Decimal) -> Decimal:
    # On the grid, so quantizing never rounds (the context would raise if it did); it only
    # gives 2.6 and 2.60 the one spelling NUMERIC(4,2) stores.
    return easiness.quantize(_HUNDREDTHS, context=_EXACT)


_DECIMAL_ROUNDING: Mapping[Rounding, str] = {
    Rounding.HALF_UP: ROUND_HALF_UP,
    Rounding.CEIL: ROUND_CEILING,
    Rounding.HALF_EVEN: ROUND_HALF_EVEN,
}


def _review_float(state: SM2State, grade: int, rules: SM2Rules) -> SM2State:
    easiness = float(state.easiness)
    # Written as `supermemo2==3.0.1` and `sm-2==0.3.0` write it: EF + (0.1 - ...) with the
    # parenthesised change, which is what produces the drifted values spec §3.5 quotes.
    updated = max(1.3, easiness + (0.1 - (5 - grade) * (0.08 + (5 - grade) * 0.02)))
    if grade < PASSING_GRADE:
        frozen = rules.easiness_on_fail is EasinessOnFail.FREEZE
        return SM2State(
            repetitions=0,
            easiness=_from_float(easiness if frozen else updated),
            interval=rules.fail_interval,
        )
    if state.repetitions == 0:
        interval = 1
    elif state.repetitions == 1:
        interval = 6
    else:
        factor = updated if rules.interval_easiness is IntervalEasiness.AFTER else easiness
        interval = _round_float(state.interval * factor, rules.rounding)
    return SM2State(
        repetitions=state.repetitions + 1,
        easiness=_from_float(updated),
        interval=interval,
    )


def _round_float(days: float, rounding: Rounding) -> int:
    match rounding:
        case Rounding.CEIL:
            return math.ceil(days)
        case Rounding.HALF_UP:
            # The usual float spelling of half-up; spec §3.5 shows it failing on 125 * 1.94.
            return math.floor(days + 0.5)
        case Rounding.HALF_EVEN:
            return round(days)


def _from_float(value: float) -> Decimal:
    # repr is the shortest string that converts back to the same float, so the state keeps the
    # float exactly and reads as the spec quotes it (2.8000000000000003).
    return Decimal(repr(value))
