"""Golden values of spec §3.4 and the floating-point traps of spec §3.5.

Every expected number below is copied from the spec (or derived by hand from its rules, with the
derivation written next to it), never from this implementation's output.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from mandarin.scheduling.sm2 import (
    INITIAL_STATE,
    Arithmetic,
    Rounding,
    SM2Rules,
    SM2State,
    Variant,
    replay,
    review,
)

# Python's round() on floats: the "Py round" column of spec §3.4.
PY_ROUND = SM2Rules(rounding=Rounding.HALF_EVEN)

# Spec §3.4, one row per line:
# (q, n, EF, I), W -> (n', EF', I'), ceil I', osr -> (n', EF', I'), so I', Py round I'
SINGLE_STEPS = [
    ((5, 0, "2.50", 0), (1, "2.60", 1), 1, (1, "2.60", 1), 1, 1),
    ((4, 0, "2.50", 0), (1, "2.50", 1), 1, (1, "2.50", 1), 1, 1),
    ((3, 0, "2.50", 0), (1, "2.36", 1), 1, (1, "2.36", 1), 1, 1),
    ((2, 0, "2.50", 0), (0, "2.18", 1), 1, (0, "2.50", 0), 1, 1),
    ((0, 0, "2.50", 0), (0, "1.70", 1), 1, (0, "2.50", 0), 1, 1),
    ((4, 1, "2.50", 1), (2, "2.50", 6), 6, (2, "2.50", 6), 6, 6),
    ((4, 2, "2.50", 6), (3, "2.50", 15), 15, (3, "2.50", 15), 15, 15),
    ((5, 2, "2.60", 6), (3, "2.70", 16), 16, (3, "2.70", 17), 16, 16),
    ((3, 2, "2.36", 6), (3, "2.22", 14), 15, (3, "2.22", 14), 13, 14),
    ((4, 3, "2.50", 15), (4, "2.50", 38), 38, (4, "2.50", 38), 38, 38),
    ((5, 3, "2.50", 15), (4, "2.60", 38), 38, (4, "2.60", 39), 39, 38),
    ((4, 4, "2.50", 13), (5, "2.50", 33), 33, (5, "2.50", 33), 33, 32),
    ((1, 5, "2.50", 100), (0, "1.96", 1), 1, (0, "2.50", 0), 1, 1),
    ((0, 3, "1.40", 20), (0, "1.30", 1), 1, (0, "1.40", 0), 1, 1),
    ((3, 3, "1.30", 10), (4, "1.30", 13), 13, (4, "1.30", 13), 13, 13),
]
STEP_IDS = [f"q{q}-n{n}-ef{ef}-i{i}" for (q, n, ef, i), *_ in SINGLE_STEPS]


def state(n: int, ef: str, i: int) -> SM2State:
    return SM2State(repetitions=n, easiness=Decimal(ef), interval=i)


def triple(result: SM2State) -> tuple[int, str, int]:
    # str() of the easiness also pins its two decimal places (2.60, not 2.6).
    return (result.repetitions, str(result.easiness), result.interval)


@pytest.mark.parametrize(
    ("before", "w", "ceil_i", "osr", "so_i", "py_round_i"), SINGLE_STEPS, ids=STEP_IDS
)
def test_single_step_variant_w(
    before: tuple[int, int, str, int],
    w: tuple[int, str, int],
    ceil_i: int,
    osr: tuple[int, str, int],
    so_i: int,
    py_round_i: int,
) -> None:
    q, n, ef, i = before
    assert triple(review(state(n, ef, i), q)) == w


@pytest.mark.parametrize(
    ("before", "w", "ceil_i", "osr", "so_i", "py_round_i"), SINGLE_STEPS, ids=STEP_IDS
)
def test_single_step_other_variants(
    before: tuple[int, int, str, int],
    w: tuple[int, str, int],
    ceil_i: int,
    osr: tuple[int, str, int],
    so_i: int,
    py_round_i: int,
) -> None:
    q, n, ef, i = before
    start = state(n, ef, i)

    assert triple(review(start, q, variant=Variant.OSR)) == osr
    # ceil and so differ from W only in the interval (spec §3.2: EF updated on every grade and
    # a lapse goes to n=0, I=1, as in W), so their n' and EF' are W's.
    assert triple(review(start, q, variant=Variant.CEIL)) == (w[0], w[1], ceil_i)
    assert triple(review(start, q, variant=Variant.SO)) == (w[0], w[1], so_i)


@pytest.mark.parametrize(
    ("before", "w", "ceil_i", "osr", "so_i", "py_round_i"), SINGLE_STEPS, ids=STEP_IDS
)
def test_single_step_python_round_column(
    before: tuple[int, int, str, int],
    w: tuple[int, str, int],
    ceil_i: int,
    osr: tuple[int, str, int],
    so_i: int,
    py_round_i: int,
) -> None:
    q, n, ef, i = before
    result = review(state(n, ef, i), q, variant=PY_ROUND, arithmetic=Arithmetic.FLOAT)
    assert result.interval == py_round_i


def test_default_variant_is_w_with_exact_arithmetic() -> None:
    # 13 * 2.50 = 32.5: half-up W gives 33, Python's round gives 32 (spec §3.4, row q4-n4).
    start = state(4, "2.50", 13)
    assert review(start, 4) == review(start, 4, variant=Variant.W, arithmetic=Arithmetic.DECIMAL)
    assert review(start, 4).interval == 33


def test_new_card_constant() -> None:
    # Spec §3.3: "new card: n=0, EF=2.50, I=0".
    assert triple(INITIAL_STATE) == (0, "2.50", 0)


def intervals(grades: list[int], variant: Variant | SM2Rules, arithmetic: Arithmetic) -> list[int]:
    return [s.interval for s in replay(grades, variant=variant, arithmetic=arithmetic)]


# Spec §3.5, each: grades, variant, float rules, exact intervals, the float implementation's last.
FLOAT_TRAPS = [
    pytest.param(
        [5, 5, 5, 4, 4, 3],
        Variant.CEIL,
        Variant.CEIL,
        [1, 6, 17, 48, 135, 378],
        379,
        id="supermemo2-ceil-135x2.8000000000000003",
    ),
    pytest.param(
        [5, 5, 5, 5, 4],
        Variant.OSR,
        Variant.OSR,
        [1, 6, 17, 50, 145],
        146,
        id="sm-2-osr-ef-2.9000000000000004",
    ),
    pytest.param(
        [3, 3, 4, 3, 4, 3, 3],
        Variant.W,
        Variant.W,
        [1, 6, 13, 29, 60, 125, 243],
        242,
        id="w-floor-half-ef-1.9399999999999997",
    ),
    pytest.param(
        [3, 2, 3, 5, 5, 4, 3],
        Variant.W,
        PY_ROUND,
        # Spec §3.5 gives "...,25,53"; the rest by hand: 1 (EF 2.36); lapse 1 (2.04); 1 (1.90);
        # 6 (2.00); 6*2.00=12 (2.10); 12*2.10=25.2 -> 25; 25*2.10=52.5 -> 53.
        [1, 1, 1, 6, 12, 25, 53],
        52,
        id="python-round-52.5",
    ),
]


@pytest.mark.parametrize(("grades", "variant", "float_rules", "exact", "float_last"), FLOAT_TRAPS)
def test_float_trap_exact_arithmetic_is_right(
    grades: list[int],
    variant: Variant,
    float_rules: Variant | SM2Rules,
    exact: list[int],
    float_last: int,
) -> None:
    assert intervals(grades, variant, Arithmetic.DECIMAL) == exact


@pytest.mark.parametrize(("grades", "variant", "float_rules", "exact", "float_last"), FLOAT_TRAPS)
def test_float_trap_float_arithmetic_goes_wrong_where_the_spec_says(
    grades: list[int],
    variant: Variant,
    float_rules: Variant | SM2Rules,
    exact: list[int],
    float_last: int,
) -> None:
    floats = intervals(grades, float_rules, Arithmetic.FLOAT)
    # Identical up to the last step, and only the last step is off.
    assert floats[:-1] == exact[:-1]
    assert floats[-1] == float_last != exact[-1]


@pytest.mark.parametrize(
    ("grades", "variant", "drifted"),
    [
        # Spec §3.5 names the float E-Factor behind each trap.
        ([5, 5, 5, 4, 4], Variant.CEIL, "2.8000000000000003"),
        ([5, 5, 5, 5], Variant.OSR, "2.9000000000000004"),
        ([3, 3, 4, 3, 4, 3], Variant.W, "1.9399999999999997"),
    ],
)
def test_float_arithmetic_carries_the_drift_the_spec_quotes(
    grades: list[int], variant: Variant, drifted: str
) -> None:
    floats = replay(grades, variant=variant, arithmetic=Arithmetic.FLOAT)
    exact = replay(grades, variant=variant)

    assert floats[-1].easiness == Decimal(drifted)
    assert float(floats[-1].easiness) == float(drifted)
    # The exact run holds the grid value the float was meant to be.
    assert exact[-1].easiness == Decimal(drifted).quantize(Decimal("0.01"))


def test_python_round_is_bankers_rounding_and_w_is_not() -> None:
    # Spec §3.5: round(32.5) == 32 and round(52.5) == 52, where half-up gives 33 and 53.
    for interval, ef, half_up, bankers in [(13, "2.50", 33, 32), (25, "2.10", 53, 52)]:
        start = state(3, ef, interval)
        assert review(start, 4).interval == half_up
        assert review(start, 4, variant=PY_ROUND).interval == bankers
        assert review(start, 4, variant=PY_ROUND, arithmetic=Arithmetic.FLOAT).interval == bankers
        # W in floats rounds with floor(x + 0.5) (spec §3.5): an exact tie still goes up.
        assert review(start, 4, arithmetic=Arithmetic.FLOAT).interval == half_up


def test_float_arithmetic_rounds_the_product_as_floats_do() -> None:
    # 1.94 is not a binary fraction, yet 125 * 1.94 rounds to exactly 242.5 in floats, so a float
    # implementation holding an undrifted 1.94 still gets 243; only the drift of spec §3.5 breaks it.
    assert 125 * 1.94 == 242.5
    start = state(5, "1.94", 125)
    assert review(start, 3, arithmetic=Arithmetic.FLOAT).interval == 243
    assert review(start, 3, variant=Variant.CEIL, arithmetic=Arithmetic.FLOAT).interval == 243


# Longer histories under W, derived by hand from spec §3.3 (EF deltas per grade from §3.1:
# 5 +0.10, 4 0, 3 -0.14, 2 -0.32, 1 -0.54, 0 -0.80; the interval uses the EF before the grade).
LONG_HISTORIES = [
    pytest.param(
        [5, 4, 3, 2, 4, 5, 5, 0, 3, 4],
        # I: 1; 6; round(6*2.60=15.6)=16; lapse 1; 1; 6; round(6*2.24=13.44)=13; lapse 1; 1; 6
        [1, 6, 16, 1, 1, 6, 13, 1, 1, 6],
        # EF: 2.60 2.60 2.46 2.14 2.14 2.24 2.34 1.54 1.40 1.40
        ["2.60", "2.60", "2.46", "2.14", "2.14", "2.24", "2.34", "1.54", "1.40", "1.40"],
        [1, 2, 3, 0, 1, 2, 3, 0, 1, 2],
        id="mixed-with-two-lapses",
    ),
    pytest.param(
        [4, 4, 4, 4, 4, 4],
        # 1; 6; 6*2.5=15; 15*2.5=37.5 -> 38; 38*2.5=95; 95*2.5=237.5 -> 238
        [1, 6, 15, 38, 95, 238],
        ["2.50"] * 6,
        [1, 2, 3, 4, 5, 6],
        id="steady-fours-two-half-ups",
    ),
    pytest.param(
        [0, 0, 0, 1, 3, 3, 3, 3],
        # EF 2.50 -> 1.70 -> 1.30 (floor) -> 1.30 -> 1.30; passes at the floor: 1; 6;
        # 6*1.30=7.8 -> 8; 8*1.30=10.4 -> 10
        [1, 1, 1, 1, 1, 6, 8, 10],
        ["1.70", "1.30", "1.30", "1.30", "1.30", "1.30", "1.30", "1.30"],
        [0, 0, 0, 0, 1, 2, 3, 4],
        id="blackouts-to-the-floor",
    ),
]


@pytest.mark.parametrize(("grades", "expected_i", "expected_ef", "expected_n"), LONG_HISTORIES)
def test_long_history_variant_w(
    grades: list[int], expected_i: list[int], expected_ef: list[str], expected_n: list[int]
) -> None:
    states = replay(grades)
    assert [s.interval for s in states] == expected_i
    assert [str(s.easiness) for s in states] == expected_ef
    assert [s.repetitions for s in states] == expected_n
