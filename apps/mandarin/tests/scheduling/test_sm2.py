"""SM-2 contract beyond the golden values: validation, variants, purity, due days, storage."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime
from decimal import ROUND_DOWN, Decimal, localcontext

import pytest

from mandarin.scheduling.grades import InvalidGradeError
from mandarin.scheduling.sm2 import (
    INITIAL_STATE,
    Arithmetic,
    EasinessOnFail,
    IntervalEasiness,
    Rounding,
    SM2Rules,
    SM2State,
    Variant,
    next_due_day,
    replay,
    review,
)


@pytest.mark.parametrize(
    "grade",
    [-1, 6, 100, True, False, 3.0, 4.5, "3", None, Decimal(3)],
    ids=repr,
)
def test_anything_but_an_int_from_0_to_5_is_refused(grade: object) -> None:
    with pytest.raises(InvalidGradeError, match="integer from 0 to 5") as caught:
        review(INITIAL_STATE, grade)  # type: ignore[arg-type]
    assert caught.value.grade is grade
    # The API layer maps ValueError to 422 (spec §3.3).
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("grade", range(6))
def test_every_grade_from_0_to_5_is_accepted(grade: int) -> None:
    assert review(INITIAL_STATE, grade).interval == 1


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"repetitions": -1}, ValueError),
        ({"repetitions": True}, ValueError),
        ({"interval": -1}, ValueError),
        ({"interval": 1.0}, ValueError),
        ({"easiness": 2.5}, TypeError),
        ({"easiness": "2.50"}, TypeError),
        ({"easiness": Decimal("NaN")}, TypeError),
        ({"easiness": Decimal("Infinity")}, TypeError),
        ({"easiness": Decimal("1.28")}, ValueError),
        ({"repetitions": 3, "interval": 0}, ValueError),
    ],
    ids=repr,
)
def test_impossible_states_are_refused(fields: dict[str, object], error: type[Exception]) -> None:
    values: dict[str, object] = {"repetitions": 0, "easiness": Decimal("2.50"), "interval": 0}
    values.update(fields)
    with pytest.raises(error):
        SM2State(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("easiness", ["2.51", "2.8000000000000003", "1.9399999999999997"])
def test_exact_arithmetic_refuses_an_easiness_off_the_grid(easiness: str) -> None:
    start = SM2State(repetitions=3, easiness=Decimal(easiness), interval=10)
    with pytest.raises(ValueError, match=r"0\.02 grid"):
        review(start, 4)
    # The float emulation takes it: that is the state it produces itself.
    assert review(start, 4, arithmetic=Arithmetic.FLOAT).repetitions == 4


def test_result_does_not_depend_on_the_callers_decimal_context() -> None:
    # 1234 * 2.46 = 3035.64 -> 3036; at 3 digits of precision a naive product would be 3.04E+3.
    start = SM2State(repetitions=3, easiness=Decimal("2.46"), interval=1234)
    with localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = ROUND_DOWN
        result = review(start, 4)
    assert result.interval == 3036
    assert result.easiness == Decimal("2.46")


def test_intervals_stay_exact_far_beyond_any_float_or_default_precision() -> None:
    # 28 digits is the default decimal precision; the interval must not be rounded to it.
    huge = 10**40 + 1
    start = SM2State(repetitions=5, easiness=Decimal("2.50"), interval=huge)
    assert review(start, 4).interval == (huge * 5 + 1) // 2  # huge * 2.5, .5 rounded up


def test_state_is_immutable_and_review_returns_a_new_one() -> None:
    start = SM2State(repetitions=2, easiness=Decimal("2.50"), interval=6)
    after = review(start, 5)
    assert after is not start
    assert start == SM2State(repetitions=2, easiness=Decimal("2.50"), interval=6)
    with pytest.raises(dataclasses.FrozenInstanceError):
        start.interval = 7  # type: ignore[misc]


def test_variant_rules_are_the_readings_of_spec_3_2() -> None:
    # Spec §3.2 table: EF on q<3, EF used for I*EF, rounding, fail -> I.
    table = {
        Variant.W: (EasinessOnFail.UPDATE, IntervalEasiness.BEFORE, Rounding.HALF_UP, 1),
        Variant.CEIL: (EasinessOnFail.UPDATE, IntervalEasiness.BEFORE, Rounding.CEIL, 1),
        Variant.OSR: (EasinessOnFail.FREEZE, IntervalEasiness.AFTER, Rounding.CEIL, 0),
        Variant.SO: (EasinessOnFail.UPDATE, IntervalEasiness.AFTER, Rounding.HALF_UP, 1),
    }
    for variant, (on_fail, interval_ef, rounding, fail_interval) in table.items():
        rules = variant.rules
        assert (
            rules.easiness_on_fail,
            rules.interval_easiness,
            rules.rounding,
            rules.fail_interval,
        ) == (on_fail, interval_ef, rounding, fail_interval)


def test_a_variant_and_its_rules_schedule_alike() -> None:
    for variant in Variant:
        assert replay([5, 3, 2, 4, 5, 3, 4], variant=variant) == replay(
            [5, 3, 2, 4, 5, 3, 4], variant=variant.rules
        )


def test_each_flag_of_spec_3_3_changes_only_its_own_step() -> None:
    # From n=2, EF 2.36, I=6 (a row of spec §3.4): before-EF 6*2.36 = 14.16, after-EF 6*2.22 = 13.32.
    start = SM2State(repetitions=2, easiness=Decimal("2.36"), interval=6)
    w = SM2Rules()
    assert review(start, 3, variant=w).interval == 14
    assert review(start, 3, variant=dataclasses.replace(w, rounding=Rounding.CEIL)).interval == 15
    after = dataclasses.replace(w, interval_easiness=IntervalEasiness.AFTER)
    assert review(start, 3, variant=after).interval == 13

    lapse_w = review(start, 1, variant=w)
    frozen = review(
        start, 1, variant=dataclasses.replace(w, easiness_on_fail=EasinessOnFail.FREEZE)
    )
    same_day = review(start, 1, variant=dataclasses.replace(w, fail_interval=0))
    # EF 2.36 - 0.54 = 1.82
    assert (lapse_w.easiness, lapse_w.interval) == (Decimal("1.82"), 1)
    assert (frozen.easiness, frozen.interval) == (Decimal("2.36"), 1)
    assert (same_day.easiness, same_day.interval) == (Decimal("1.82"), 0)


def test_osr_lapse_is_due_the_same_day_and_then_restarts_at_one_day() -> None:
    # Spec §3.2: osr fails to n=0, I=0; the next pass is the first repetition again, I(1)=1.
    states = replay([5, 5, 1, 4], variant=Variant.OSR)
    assert [(s.repetitions, s.interval) for s in states] == [(1, 1), (2, 6), (0, 0), (1, 1)]
    assert states[2].easiness == states[1].easiness == Decimal("2.70")


def test_rules_refuse_a_fail_interval_other_than_0_or_1() -> None:
    with pytest.raises(ValueError, match="fail_interval"):
        SM2Rules(fail_interval=2)


def test_replay_starts_from_the_given_state() -> None:
    start = SM2State(repetitions=3, easiness=Decimal("2.50"), interval=15)
    # Spec §3.4 rows q4-n3 (-> 38) then q4-n4 from 38: 38 * 2.5 = 95.
    assert [s.interval for s in replay([4, 4], start=start)] == [38, 95]
    assert replay([]) == []


@pytest.mark.parametrize(
    ("day", "interval", "due"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 1)),
        (date(2024, 2, 28), 1, date(2024, 2, 29)),
        (date(2025, 12, 30), 6, date(2026, 1, 5)),
        (date(2025, 3, 1), 0, date(2025, 3, 1)),
    ],
)
def test_due_day_is_the_review_day_plus_the_interval(day: date, interval: int, due: date) -> None:
    assert next_due_day(day, interval) == due


def test_due_day_past_the_calendar_is_never() -> None:
    assert next_due_day(date(2025, 1, 1), 10**7) == date.max


def test_due_day_wants_a_local_date_not_a_timestamp() -> None:
    with pytest.raises(TypeError, match="local date"):
        next_due_day(datetime(2025, 1, 1, tzinfo=UTC), 1)
    with pytest.raises(ValueError, match="non-negative"):
        next_due_day(date(2025, 1, 1), -1)


def test_state_round_trips_through_json_without_touching_a_float() -> None:
    states = [INITIAL_STATE, *replay([5, 3, 0, 4, 4, 5])]
    for state in states:
        stored = json.loads(json.dumps(state.to_dict()))
        assert isinstance(stored["easiness"], str)
        assert SM2State.from_dict(stored) == state
    assert INITIAL_STATE.to_dict() == {"repetitions": 0, "easiness": "2.50", "interval": 0}


@pytest.mark.parametrize(
    "stored",
    [
        {"repetitions": 1, "easiness": 2.5, "interval": 1},
        {"repetitions": 1, "easiness": "two", "interval": 1},
        {"repetitions": "1", "easiness": "2.50", "interval": 1},
    ],
    ids=repr,
)
def test_from_dict_refuses_malformed_states(stored: dict[str, object]) -> None:
    with pytest.raises((TypeError, ValueError)):
        SM2State.from_dict(stored)
