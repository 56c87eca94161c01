"""Invariants of exact SM-2 over random grade histories (spec §3.1, §3.3), with hypothesis."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from mandarin.scheduling.sm2 import (
    INITIAL_STATE,
    Arithmetic,
    SM2State,
    Variant,
    replay,
    review,
)

GRID = Decimal("0.02")
FLOOR = Decimal("1.30")

grades = st.integers(min_value=0, max_value=5)
histories = st.lists(grades, max_size=60)


@st.composite
def states(draw: st.DrawFn) -> SM2State:
    """Any state SM-2 can reach: EF on the grid from 1.30 up, an interval once repeated."""
    repetitions = draw(st.integers(min_value=0, max_value=30))
    easiness = draw(st.integers(min_value=65, max_value=250)) * GRID
    low = 1 if repetitions else 0
    interval = draw(st.integers(min_value=low, max_value=100_000))
    return SM2State(repetitions=repetitions, easiness=easiness, interval=interval)


def reference_w(history: list[int]) -> list[tuple[int, int, int]]:
    """Variant W of spec §3.3 in integer hundredths: an oracle that shares no code with sm2.py.

    Returns (n, EF in hundredths, I) after each grade.
    """
    n, ef, interval = 0, 250, 0
    out = []
    for q in history:
        if q >= 3:
            if n == 0:
                interval = 1
            elif n == 1:
                interval = 6
            else:
                # round-half-up(I * ef / 100) for positive numbers
                interval = (interval * ef + 50) // 100
            n += 1
        else:
            n, interval = 0, 1
        ef = max(130, ef + 10 - (5 - q) * (8 + (5 - q) * 2))
        out.append((n, ef, interval))
    return out


@settings(max_examples=400)
@given(histories)
def test_w_matches_an_independent_integer_implementation(history: list[int]) -> None:
    got = [(s.repetitions, int(s.easiness * 100), s.interval) for s in replay(history)]
    assert got == reference_w(history)


@settings(max_examples=300)
@given(states(), histories)
def test_w_invariants_hold_after_every_grade(start: SM2State, history: list[int]) -> None:
    previous = start
    for grade in history:
        current = review(previous, grade)

        assert current.easiness >= FLOOR
        assert current.easiness % GRID == 0
        assert current.easiness.as_tuple().exponent == -2
        assert current.interval >= 1
        if grade < 3:
            assert current.repetitions == 0
            assert current.interval == 1
        else:
            assert current.repetitions == previous.repetitions + 1
        previous = current


@settings(max_examples=200)
@given(states(), histories)
def test_every_exact_variant_keeps_easiness_on_the_grid(
    start: SM2State, history: list[int]
) -> None:
    for variant in Variant:
        previous = start
        for grade in history:
            current = review(previous, grade, variant=variant)
            assert current.easiness >= FLOOR
            assert current.easiness % GRID == 0
            if grade < 3:
                assert current.repetitions == 0
                # Spec §3.2: only osr freezes the E-Factor and makes a lapse due the same day.
                if variant is Variant.OSR:
                    assert current.easiness == previous.easiness
                    assert current.interval == 0
                else:
                    assert current.interval == 1
            else:
                assert current.interval >= 1
            previous = current


@settings(max_examples=200)
@given(states(), histories, st.sampled_from(list(Variant)), st.sampled_from(list(Arithmetic)))
def test_replay_is_deterministic_and_leaves_its_input_alone(
    start: SM2State, history: list[int], variant: Variant, arithmetic: Arithmetic
) -> None:
    snapshot = SM2State(start.repetitions, start.easiness, start.interval)

    first = replay(history, start=start, variant=variant, arithmetic=arithmetic)
    second = replay(history, start=start, variant=variant, arithmetic=arithmetic)

    assert first == second
    assert start == snapshot
    # replay is review applied step by step.
    state = start
    for grade, expected in zip(history, first, strict=True):
        state = review(state, grade, variant=variant, arithmetic=arithmetic)
        assert state == expected


@settings(max_examples=200)
@given(histories)
def test_the_easiness_of_w_depends_on_the_grades_alone(history: list[int]) -> None:
    # Spec §3.1 step 5 applies after every repetition, whatever the interval did.
    ef = Decimal("2.50")
    for grade in history:
        ef = max(FLOOR, ef + Decimal("0.1") - (5 - grade) * (Decimal("0.08") + (5 - grade) * GRID))
    final = replay(history)[-1].easiness if history else INITIAL_STATE.easiness
    assert final == ef
