"""The learner's local days and what answers do to a card, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mandarin.models import CardState, SchedulerKind
from mandarin.reviews.calendar import LocalCalendar
from mandarin.reviews.card_state import CardSnapshot, Engine, answer
from mandarin.scheduling import fsrs_adapter, sm2

SHANGHAI = LocalCalendar(timezone="Asia/Shanghai", day_start_hour=4)
NEW = CardSnapshot(
    state=CardState.NEW,
    due_at=datetime(2026, 3, 1, tzinfo=UTC),
    last_reviewed_at=None,
    reps=0,
    lapses=0,
    sm2=sm2.INITIAL_STATE,
    sm2_due_day=None,
    fsrs=None,
)


def test_a_shanghai_day_starts_at_four_local() -> None:
    # 04:00 in Shanghai (UTC+8) is 20:00 UTC the evening before.
    assert SHANGHAI.start_of(date(2026, 3, 2)) == datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
    assert SHANGHAI.day_of(datetime(2026, 3, 1, 19, 59, 59, tzinfo=UTC)) == date(2026, 3, 1)
    assert SHANGHAI.day_of(datetime(2026, 3, 1, 20, 0, tzinfo=UTC)) == date(2026, 3, 2)
    # 02:00 local on the 3rd still belongs to the 2nd.
    assert SHANGHAI.day_of(datetime(2026, 3, 2, 18, 0, tzinfo=UTC)) == date(2026, 3, 2)


def test_days_across_daylight_saving_time() -> None:
    new_york = LocalCalendar(timezone="America/New_York", day_start_hour=4)
    # Clocks jump from 02:00 to 03:00 early on 8 March 2026, inside the learner's 7 March.
    start, end = new_york.bounds(date(2026, 3, 7))
    assert end - start == timedelta(hours=23)
    start, end = new_york.bounds(date(2026, 10, 31))
    assert end - start == timedelta(hours=25)
    # A day start inside the gap still gives each day one start.
    gap = LocalCalendar(timezone="America/New_York", day_start_hour=2)
    assert gap.day_of(gap.start_of(date(2026, 3, 8))) == date(2026, 3, 8)


@given(
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(["UTC", "Asia/Shanghai", "America/New_York", "Pacific/Chatham"]),
    hour=st.integers(min_value=0, max_value=23),
)
def test_every_instant_lies_within_its_day(moment: datetime, zone: str, hour: int) -> None:
    calendar = LocalCalendar(timezone=zone, day_start_hour=hour)
    start, end = calendar.bounds(calendar.day_of(moment))
    assert start <= moment < end


def test_sm2_answers_match_the_pure_scheduler() -> None:
    engine = Engine(scheduler=SchedulerKind.SM2, calendar=SHANGHAI)
    grades = [5, 5, 4, 3, 2, 4, 5, 3, 3]
    moment = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    card = NEW
    for grade in grades:
        card = answer(card, grade, moment, engine)
        assert card.due_at is not None
        moment = card.due_at + timedelta(hours=3)

    assert card.sm2 == sm2.replay(grades)[-1]
    assert card.state is CardState.REVIEW
    assert (card.reps, card.lapses) == (len(grades), 1)
    assert card.fsrs is None
    # Due at the start of the learner's due day, interval days after the review's day.
    assert card.sm2_due_day is not None
    assert card.due_at == SHANGHAI.start_of(card.sm2_due_day)


@given(
    answers=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=5),
            st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)),
        ),
        min_size=1,
        # Nine straight 5s reach 12,863 days, under the 100-year bound tested below; ten do not.
        max_size=9,
    ),
    zone=st.sampled_from(["UTC", "Asia/Shanghai", "America/Los_Angeles"]),
)
def test_any_history_matches_the_pure_scheduler(
    answers: list[tuple[int, timedelta]], zone: str
) -> None:
    calendar = LocalCalendar(timezone=zone, day_start_hour=4)
    engine = Engine(scheduler=SchedulerKind.SM2, calendar=calendar)
    card, moment = NEW, datetime(2026, 3, 2, tzinfo=UTC)
    for grade, wait in answers:
        moment += wait
        card = answer(card, grade, moment, engine)

    grades = [grade for grade, _ in answers]
    assert card.sm2 == sm2.replay(grades)[-1]
    assert card.sm2_due_day == calendar.day_of(moment) + timedelta(days=card.sm2.interval)
    assert card.due_at == calendar.start_of(card.sm2_due_day)
    assert card.lapses == sum(grade < 3 for grade in grades[1:])
    assert card.reps == len(grades)


@pytest.mark.parametrize("variant", list(sm2.Variant))
def test_the_configured_variant_is_used(variant: sm2.Variant) -> None:
    engine = Engine(scheduler=SchedulerKind.SM2, calendar=SHANGHAI, sm2_variant=variant)
    grades = [5, 5, 5, 4, 4, 3, 1, 4]
    card = NEW
    moment = datetime(2026, 3, 2, tzinfo=UTC)
    for grade in grades:
        card = answer(card, grade, moment, engine)
        moment += timedelta(days=1)

    assert card.sm2 == sm2.replay(grades, variant=variant)[-1]


def test_fsrs_answers_keep_an_sm2_shadow() -> None:
    engine = Engine(scheduler=SchedulerKind.FSRS, calendar=SHANGHAI)
    grades = [4, 4, 4, 1, 4]
    moment = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    card = NEW
    reviews: list[tuple[datetime, int]] = []
    for grade in grades:
        reviews.append((moment, grade))
        card = answer(card, grade, moment, engine)
        assert card.due_at is not None
        moment = max(card.due_at, moment) + timedelta(minutes=1)

    assert card.fsrs == fsrs_adapter.replay(reviews)
    assert card.due_at == card.fsrs.due
    assert card.state.value == card.fsrs.phase.value
    assert card.sm2 == sm2.replay(grades)[-1]
    assert card.lapses == 1


def test_snapshots_survive_json() -> None:
    engine = Engine(scheduler=SchedulerKind.FSRS, calendar=SHANGHAI)
    card = answer(NEW, 3, datetime(2026, 3, 2, tzinfo=UTC), engine)
    card = answer(card, 4, datetime(2026, 3, 3, tzinfo=UTC), engine)

    data = card.to_dict(version=7)

    assert data["version"] == 7
    assert data["sm2"]["easiness"] == "2.36"
    assert CardSnapshot.from_dict(data) == card
    assert CardSnapshot.from_dict(NEW.to_dict(version=1)) == NEW


def test_sm2_stays_within_what_the_columns_hold() -> None:
    engine = Engine(scheduler=SchedulerKind.SM2, calendar=SHANGHAI)
    reviewed_at = datetime(2026, 3, 2, tzinfo=UTC)
    card = answer(
        CardSnapshot(
            state=CardState.REVIEW,
            due_at=datetime(2026, 3, 2, tzinfo=UTC),
            last_reviewed_at=datetime(2026, 3, 1, tzinfo=UTC),
            reps=30,
            lapses=0,
            sm2=sm2.SM2State(repetitions=30, easiness=Decimal("99.98"), interval=30_000),
            sm2_due_day=date(2026, 3, 2),
            fsrs=None,
        ),
        5,
        reviewed_at,
        engine,
    )

    assert card.sm2 == sm2.SM2State(repetitions=31, easiness=Decimal("99.98"), interval=36500)
    assert card.sm2_due_day == SHANGHAI.day_of(reviewed_at) + timedelta(days=36500)
