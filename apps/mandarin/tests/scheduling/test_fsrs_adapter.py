"""FSRS through our adapter (spec §4.1, §4.2): fuzz off, grade mapping, storage, independence."""

from __future__ import annotations

import dataclasses
import json
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from fsrs import Card, Rating, ReviewLog, Scheduler, State

from mandarin.scheduling import fsrs_adapter, sm2
from mandarin.scheduling.fsrs_adapter import (
    NEW_CARD,
    FSRSPhase,
    FSRSSettings,
    FSRSState,
    rating_for_grade,
)
from mandarin.scheduling.grades import InvalidGradeError

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
AGAIN, GOOD = 0, 4


def walk(grades: list[int], start: datetime = T0) -> list[tuple[datetime, FSRSState]]:
    """Review each grade when the card falls due, as a diligent learner would."""
    out = []
    state, at = NEW_CARD, start
    for grade in grades:
        state = fsrs_adapter.review(state, grade, reviewed_at=at)
        out.append((at, state))
        assert state.due is not None
        at = state.due
    return out


def test_the_worked_example_of_spec_4_1() -> None:
    (t1, s1), (t2, s2), (t3, s3), (t4, s4), (t5, s5), (t6, s6) = walk(
        [GOOD, GOOD, GOOD, GOOD, AGAIN, GOOD]
    )

    # Good at t0 -> due +10 min (step 1)
    assert (s1.phase, s1.step, s1.due) == (FSRSPhase.LEARNING, 1, t1 + timedelta(minutes=10))
    # Good -> Review, +2 days (S=2.3065)
    assert (s2.phase, s2.step, s2.due) == (FSRSPhase.REVIEW, None, t2 + timedelta(days=2))
    assert s2.stability == pytest.approx(2.3065)
    # Good -> +11 d (S~10.97)
    assert s3.due == t3 + timedelta(days=11)
    assert s3.stability == pytest.approx(10.97, abs=0.005)
    # Good -> +46 d
    assert s4.due == t4 + timedelta(days=46)
    # Again -> Relearning +10 min (S~2.93, D 2.10 -> 7.39)
    assert (s5.phase, s5.step, s5.due) == (FSRSPhase.RELEARNING, 0, t5 + timedelta(minutes=10))
    assert s5.stability == pytest.approx(2.93, abs=0.005)
    assert s4.difficulty == pytest.approx(2.10, abs=0.005)
    assert s5.difficulty == pytest.approx(7.39, abs=0.005)
    # Good -> +3 d
    assert (s6.phase, s6.due) == (FSRSPhase.REVIEW, t6 + timedelta(days=3))
    assert s6.last_review == t6


@pytest.mark.parametrize(
    ("grade", "rating"),
    [
        (0, Rating.Again),
        (1, Rating.Again),
        (2, Rating.Again),
        (3, Rating.Hard),
        (4, Rating.Good),
        (5, Rating.Easy),
    ],
)
def test_grades_map_to_ratings_as_spec_4_2_says(grade: int, rating: Rating) -> None:
    assert rating_for_grade(grade) is rating
    # And the scheduler sees that rating: same result as asking the package directly.
    card, _ = Scheduler(enable_fuzzing=False).review_card(
        Card(card_id=1, due=T0), rating, review_datetime=T0
    )
    ours = fsrs_adapter.review(NEW_CARD, grade, reviewed_at=T0)
    assert (ours.stability, ours.difficulty, ours.due) == (
        card.stability,
        card.difficulty,
        card.due,
    )


def test_the_three_failing_grades_are_one_rating_and_the_passing_ones_differ() -> None:
    review_card = walk([GOOD, GOOD, GOOD])[-1][1]
    assert review_card.due is not None
    at = review_card.due
    results = {g: fsrs_adapter.review(review_card, g, reviewed_at=at) for g in range(6)}
    assert results[0] == results[1] == results[2]
    assert len({results[3], results[4], results[5], results[0]}) == 4
    assert results[3].due < results[4].due < results[5].due  # type: ignore[operator]


@pytest.mark.parametrize("grade", [-1, 6, True, 4.0, "4", None], ids=repr)
def test_invalid_grades_are_refused(grade: object) -> None:
    with pytest.raises(InvalidGradeError):
        fsrs_adapter.review(NEW_CARD, grade, reviewed_at=T0)  # type: ignore[arg-type]


def long_review_card() -> FSRSState:
    # After four Goods the next interval is 46 days (spec §4.1), well inside the fuzz range.
    return walk([GOOD, GOOD, GOOD])[-1][1]


def test_schedule_is_deterministic_whatever_the_random_state() -> None:
    card = long_review_card()
    assert card.due is not None
    outcomes = set()
    for seed in range(20):
        random.seed(seed)
        outcomes.add(fsrs_adapter.review(card, GOOD, reviewed_at=card.due))
    assert len(outcomes) == 1
    assert outcomes.pop().due == card.due + timedelta(days=46)


def test_the_determinism_check_would_catch_fuzz() -> None:
    # The same review through the package with fuzz on: the test above would see these differ.
    card = long_review_card()
    assert card.due is not None
    fuzzy = Scheduler(enable_fuzzing=True)
    assert card.phase is FSRSPhase.REVIEW
    package_card = Card(
        card_id=1,
        state=State.Review,
        step=None,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
    )
    dues = set()
    for seed in range(20):
        random.seed(seed)
        dues.add(fuzzy.review_card(package_card, Rating.Good, review_datetime=card.due)[0].due)
    assert len(dues) > 1


def test_replay_matches_the_packages_own_reschedule() -> None:
    grades = [GOOD, 3, GOOD, 5, AGAIN, 2, GOOD, GOOD]
    history = []
    at = T0
    for i, grade in enumerate(grades):
        history.append((at, grade))
        at += timedelta(hours=7 + 13 * i)

    ours = fsrs_adapter.replay(history)

    logs = [
        ReviewLog(card_id=7, rating=rating_for_grade(g), review_datetime=t, review_duration=None)
        for t, g in history
    ]
    theirs = Scheduler(enable_fuzzing=False).reschedule_card(Card(card_id=7, due=T0), logs)
    assert (ours.stability, ours.difficulty, ours.step, ours.due, ours.last_review) == (
        theirs.stability,
        theirs.difficulty,
        theirs.step,
        theirs.due,
        theirs.last_review,
    )
    assert ours.phase.value == theirs.state.name.lower()


def test_replay_is_review_applied_in_order() -> None:
    history = [(T0, GOOD), (T0 + timedelta(minutes=10), GOOD), (T0 + timedelta(days=2), 3)]
    state = NEW_CARD
    for at, grade in history:
        state = fsrs_adapter.review(state, grade, reviewed_at=at)
    assert fsrs_adapter.replay(history) == state
    assert fsrs_adapter.replay(history[2:], start=fsrs_adapter.replay(history[:2])) == state


def test_review_time_may_be_in_any_zone_and_is_stored_in_utc() -> None:
    madrid = T0.astimezone(ZoneInfo("Europe/Madrid"))
    utc_zoneinfo = T0.astimezone(ZoneInfo("UTC"))  # the package itself refuses this one
    expected = fsrs_adapter.review(NEW_CARD, GOOD, reviewed_at=T0)
    for at in (madrid, utc_zoneinfo):
        got = fsrs_adapter.review(NEW_CARD, GOOD, reviewed_at=at)
        assert got == expected
        assert got.due is not None
        assert got.due.utcoffset() == timedelta(0)


def test_naive_review_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        fsrs_adapter.review(NEW_CARD, GOOD, reviewed_at=datetime(2025, 3, 1, 9, 30))


def test_state_round_trips_through_json() -> None:
    states = [NEW_CARD] + [s for _, s in walk([GOOD, GOOD, 3, AGAIN, 5, GOOD])]
    assert {s.phase for s in states} == set(FSRSPhase)
    for state in states:
        stored = json.loads(json.dumps(state.to_dict()))
        assert FSRSState.from_dict(stored) == state
    assert NEW_CARD.to_dict() == {
        "phase": "learning",
        "step": 0,
        "stability": None,
        "difficulty": None,
        "due": None,
        "last_review": None,
    }


def test_reviewing_a_restored_state_gives_the_same_schedule() -> None:
    (_, state), *_ = walk([GOOD])
    restored = FSRSState.from_dict(json.loads(json.dumps(state.to_dict())))
    at = T0 + timedelta(hours=5)
    assert fsrs_adapter.review(restored, GOOD, reviewed_at=at) == fsrs_adapter.review(
        state, GOOD, reviewed_at=at
    )


def test_an_integral_stability_read_back_as_int_is_accepted() -> None:
    stored = long_review_card().to_dict()
    stored["stability"] = 11
    assert FSRSState.from_dict(stored).stability == 11.0


@pytest.mark.parametrize(
    "change",
    [
        {"phase": "new"},
        {"phase": 2},
        {"step": "1"},
        {"step": True},
        {"stability": "2.3"},
        {"due": 1740821400},
        {"due": "2025-03-01T09:30:00"},
    ],
    ids=repr,
)
def test_from_dict_refuses_malformed_states(change: dict[str, object]) -> None:
    stored: dict[str, object] = {**long_review_card().to_dict(), **change}
    with pytest.raises((TypeError, ValueError)):
        FSRSState.from_dict(stored)


@pytest.mark.parametrize(
    "fields",
    [
        {"phase": FSRSPhase.REVIEW, "step": 1, "stability": 2.0, "difficulty": 5.0},
        {"phase": FSRSPhase.LEARNING, "step": None},
        {"phase": FSRSPhase.LEARNING, "step": -1},
        {"phase": FSRSPhase.RELEARNING, "step": 0},
        {"stability": 2.0},
        {"stability": 2, "difficulty": 5.0},
        {"last_review": datetime(2025, 3, 1)},
        {"phase": "review", "step": None, "stability": 2.0, "difficulty": 5.0},
    ],
    ids=repr,
)
def test_impossible_states_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises((TypeError, ValueError)):
        FSRSState(**fields)  # type: ignore[arg-type]


def test_fsrs_state_is_kept_apart_from_sm2_state() -> None:
    # Spec §4.2: FSRS state never goes into the SM-2 columns. The two stored forms share no key,
    # so a card row holding both cannot have one overwrite the other.
    sm2_keys = set(sm2.INITIAL_STATE.to_dict())
    fsrs_keys = set(NEW_CARD.to_dict())
    assert sm2_keys.isdisjoint(fsrs_keys)
    assert {f.name for f in dataclasses.fields(FSRSState)}.isdisjoint(
        f.name for f in dataclasses.fields(sm2.SM2State)
    )


def test_fsrs_reviews_leave_the_sm2_shadow_state_as_sm2_alone_makes_it() -> None:
    # A user on FSRS still has SM-2 maintained in shadow (spec §4.2) from the same grades.
    grades = [GOOD, 3, AGAIN, 5, GOOD]
    sm2_state, fsrs_state = sm2.INITIAL_STATE, NEW_CARD
    at = T0
    for grade in grades:
        fsrs_state = fsrs_adapter.review(fsrs_state, grade, reviewed_at=at)
        sm2_state = sm2.review(sm2_state, grade)
        at += timedelta(days=1)
    assert sm2_state == sm2.replay(grades)[-1]
    # By hand from spec §3.3: 4 -> (1, 2.50, 1); 3 -> (2, 2.36, 6); 0 -> (0, 1.56, 1);
    # 5 -> (1, 1.66, 1); 4 -> (2, 1.66, 6).
    assert (sm2_state.repetitions, sm2_state.easiness, sm2_state.interval) == (
        2,
        Decimal("1.66"),
        6,
    )


def test_retrievability() -> None:
    assert fsrs_adapter.retrievability(NEW_CARD, T0) == 0
    card = long_review_card()
    assert card.last_review is not None
    assert card.due is not None
    assert fsrs_adapter.retrievability(card, card.last_review) == pytest.approx(1.0)
    # The interval is chosen so recall has fallen to the desired retention when the card is due.
    at_due = fsrs_adapter.retrievability(card, card.due)
    assert at_due == pytest.approx(0.9, abs=0.01)
    assert fsrs_adapter.retrievability(card, card.due + timedelta(days=30)) < at_due


def test_a_higher_desired_retention_schedules_sooner() -> None:
    card = long_review_card()
    assert card.due is not None
    default = fsrs_adapter.review(card, GOOD, reviewed_at=card.due)
    strict = fsrs_adapter.review(
        card, GOOD, reviewed_at=card.due, settings=FSRSSettings(desired_retention=0.97)
    )
    assert strict.due < default.due  # type: ignore[operator]


def test_settings_never_enable_fuzz() -> None:
    assert FSRSSettings().scheduler().enable_fuzzing is False
    assert FSRSSettings(desired_retention=0.8).scheduler().enable_fuzzing is False
