"""POST /api/reviews: exact SM-2 (or FSRS) per answer, idempotency keys, the version lock."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from mandarin_support import ManualClock, assert_problem
from reviews.review_support import AddCards, NewLearner, Submit
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from mandarin.models import ReviewCard, ReviewLog, SchedulerKind
from mandarin.scheduling import fsrs_adapter, sm2
from svckit.db import Database
from svckit.testing import app_client


async def log_count(database: Database, card_id: uuid.UUID) -> int:
    async with database.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(ReviewLog).where(ReviewLog.card_id == card_id)
        )
    return int(count or 0)


async def test_an_answer_reschedules_the_card(
    new_learner: NewLearner, add_cards: AddCards, submit: Submit, clock: ManualClock
) -> None:
    learner = await new_learner()
    (card_id,) = await add_cards(learner, 1)
    key = uuid.uuid4()

    response = await submit(learner, card_id, 3, idempotency_key=key, duration_ms=5400)

    assert response.status_code == 200, response.text
    assert "Idempotent-Replayed" not in response.headers
    body = response.json()
    assert body["idempotency_key"] == str(key)
    assert (body["card_id"], body["grade"], body["scheduler"]) == (str(card_id), 3, "sm2")
    assert body["reviewed_at"] == "2026-03-02T09:00:00Z"
    card = body["card"]
    assert card["state"] == "review"
    assert card["sm2"] == {
        "repetitions": 1,
        "easiness": "2.36",
        "interval_days": 1,
        "due_day": "2026-03-03",
    }
    # UTC learner, day start 04:00: due at the start of the 3rd.
    assert card["due_at"] == "2026-03-03T04:00:00Z"
    assert (card["reps"], card["lapses"], card["version"], card["fsrs"]) == (1, 0, 2, None)


async def test_sm2_over_days_equals_the_pure_scheduler(
    client: AsyncClient,
    new_learner: NewLearner,
    add_cards: AddCards,
    submit: Submit,
    clock: ManualClock,
) -> None:
    # The float traps of spec §3.5: exact W gives 1, 6, 13, 29, 60, 125, 243.
    grades = [3, 3, 4, 3, 4, 3, 3]
    learner = await new_learner(timezone="Asia/Shanghai")
    (card_id,) = await add_cards(learner, 1)
    expected = sm2.replay(grades)
    review_day = date(2026, 3, 2)

    for grade, state in zip(grades, expected, strict=True):
        body = (await submit(learner, card_id, grade)).json()
        assert body["card"]["sm2"]["repetitions"] == state.repetitions
        assert Decimal(body["card"]["sm2"]["easiness"]) == state.easiness
        assert body["card"]["sm2"]["interval_days"] == state.interval
        due_day = date.fromisoformat(body["card"]["sm2"]["due_day"])
        assert due_day == review_day + timedelta(days=state.interval)
        # Come back on the due day, at 10:00 Shanghai time.
        clock.set(datetime.combine(due_day, datetime.min.time(), UTC) + timedelta(hours=2))
        review_day = due_day

    assert [state.interval for state in expected] == [1, 6, 13, 29, 60, 125, 243]
    detail = await client.get(f"/api/reviews/cards/{card_id}", headers=learner.headers)
    assert detail.json()["card"]["sm2"]["easiness"] == str(expected[-1].easiness)
    assert [entry["grade"] for entry in detail.json()["history"]] == grades


async def test_a_repeated_key_returns_the_first_result(
    new_learner: NewLearner,
    add_cards: AddCards,
    submit: Submit,
    clock: ManualClock,
    database: Database,
) -> None:
    learner = await new_learner()
    (card_id,) = await add_cards(learner, 1)
    key = uuid.uuid4()
    first = await submit(learner, card_id, 4, idempotency_key=key)
    clock.advance(days=2)

    again = await submit(learner, card_id, 4, idempotency_key=key)

    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert await log_count(database, card_id) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"grade": 5},
        {"duration_ms": 10},
        {"reviewed_at": "2026-03-02T08:00:00Z"},
        {"card": "other"},
    ],
)
async def test_a_key_reused_for_another_answer_is_a_conflict(
    new_learner: NewLearner,
    add_cards: AddCards,
    submit: Submit,
    database: Database,
    change: dict[str, Any],
) -> None:
    learner = await new_learner()
    card_id, other = await add_cards(learner, 2)
    key = uuid.uuid4()
    assert (await submit(learner, card_id, 4, idempotency_key=key)).status_code == 200
    target = other if change.pop("card", None) else card_id
    grade = change.pop("grade", 4)

    response = await submit(learner, target, grade, idempotency_key=key, **change)

    assert "idempotency key" in assert_problem(response, 409)["detail"]
    assert await log_count(database, card_id) == 1
    assert await log_count(database, other) == 0


@pytest.mark.parametrize("grade", [6, -1, True, False, 4.0, 3.5, "4", None])
async def test_grades_are_integers_from_0_to_5(
    new_learner: NewLearner, add_cards: AddCards, submit: Submit, grade: Any
) -> None:
    learner = await new_learner()
    (card_id,) = await add_cards(learner, 1)

    body = assert_problem(await submit(learner, card_id, grade), 422)

    assert body["errors"][0]["loc"] == ["body", "grade"]


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"duration_ms": -1}, "duration_ms"),
        ({"duration_ms": 24 * 3600 * 1000 + 1}, "duration_ms"),
        ({"duration_ms": 1.5}, "duration_ms"),
        ({"reviewed_at": "2026-03-02T08:00:00"}, "reviewed_at"),
        ({"reviewed_at": "yesterday"}, "reviewed_at"),
        ({"idempotency_key": "not-a-uuid"}, "idempotency_key"),
        ({"base_version": 0}, "base_version"),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_bad_fields_are_422(
    new_learner: NewLearner,
    add_cards: AddCards,
    submit: Submit,
    fields: dict[str, Any],
    where: str,
) -> None:
    learner = await new_learner()
    (card_id,) = await add_cards(learner, 1)

    body = assert_problem(await submit(learner, card_id, 4, **fields), 422)

    assert body["errors"][0]["loc"] == ["body", where]


async def test_a_missing_key_is_422(
    client: AsyncClient, new_learner: NewLearner, add_cards: AddCards
) -> None:
    learner = await new_learner()
    (card_id,) = await add_cards(learner, 1)

    response = await client.post(
        "/api/reviews", json={"card_id": str(card_id), "grade": 4}, headers=learner.headers
    )

    assert assert_problem(response, 422)["errors"][0]["loc"] == ["body", "idempotency_key"]


async def test_reviewed_at_is_used_but_not_in_the_future_nor_before_the_last_review(
    new_learner: NewLearner, add_cards: AddCards, submit: Submit, clock: ManualClock
) -> None:
    learner = await new_learner()
    (card_id,) = await add_cards(learner, 1)

    future = await submit(learner, card_id, 4, reviewed_at="2026-03-02T10:00:00Z")
    assert "future" in assert_problem(future, 422)["detail"]

    earlier = await submit(learner, card_id, 4, reviewed_at="2026-03-01T22:00:00+01:00")
    assert earlier.status_code == 200, earlier.text
    assert earlier.json()["reviewed_at"] == "2026-03-01T21:00:00Z"
    # Answered on the learner's 1 March (UTC, day from 04:00): due on the 2nd.
    assert earlier.json()["card"]["sm2"]["due_day"] == "2026-03-02"

    older = await submit(learner, card_id, 4, reviewed_at="2026-03-01T20:00:00Z")
    assert "last review" in assert_problem(older, 422)["detail"]

    # A device clock a little ahead is taken as now.
    skewed = await submit(learner, card_id, 4, reviewed_at="2026-03-02T09:02:00Z")
    assert skewed.json()["reviewed_at"] == "2026-03-02T09:00:00Z"


async def test_unknown_and_suspended_cards(
    new_learner: NewLearner, add_cards: AddCards, submit: Submit, database: Database
) -> None:
    learner = await new_learner()
    (card_id,) = await add_cards(learner, 1)
    async with database.sessionmaker() as session, session.begin():
        await session.execute(
            update(ReviewCard).where(ReviewCard.id == card_id).values(suspended=True)
        )

    assert_problem(await submit(learner, uuid.uuid4(), 4), 404)
    assert "suspended" in assert_problem(await submit(learner, card_id, 4), 409)["detail"]


async def test_a_stale_base_version_is_a_conflict(
    new_learner: NewLearner, add_cards: AddCards, submit: Submit, database: Database
) -> None:
    learner = await new_learner()
    (card_id,) = await add_cards(learner, 1)
    assert (await submit(learner, card_id, 4, base_version=1)).status_code == 200

    stale = await submit(learner, card_id, 5, base_version=1)

    assert "version 2" in assert_problem(stale, 409)["detail"]
    assert (await submit(learner, card_id, 5, base_version=2)).json()["card"]["version"] == 3
    assert await log_count(database, card_id) == 2


@contextmanager
def another_writer_between_read_and_write(card_id: uuid.UUID) -> Iterator[None]:
    """Bump the card's version just before the answer's flush, as a concurrent answer would."""

    def interleave(session: Session, _context: object, _instances: object) -> None:
        if any(isinstance(row, ReviewCard) for row in session.dirty):
            session.connection().execute(
                update(ReviewCard)
                .where(ReviewCard.id == card_id)
                .values(version=ReviewCard.version + 1)
            )

    event.listen(Session, "before_flush", interleave)
    try:
        yield
    finally:
        event.remove(Session, "before_flush", interleave)


async def test_a_concurrent_change_is_a_conflict_and_records_nothing(
    client: AsyncClient,
    new_learner: NewLearner,
    add_cards: AddCards,
    submit: Submit,
    database: Database,
) -> None:
    learner = await new_learner()
    (card_id,) = await add_cards(learner, 1)

    with another_writer_between_read_and_write(card_id):
        response = await submit(learner, card_id, 4)

    assert_problem(response, 409)
    assert await log_count(database, card_id) == 0
    detail = (await client.get(f"/api/reviews/cards/{card_id}", headers=learner.headers)).json()
    assert (detail["card"]["state"], detail["card"]["reps"]) == ("new", 0)


async def test_fsrs_learners_are_scheduled_by_fsrs_with_an_sm2_shadow(
    new_learner: NewLearner, add_cards: AddCards, submit: Submit, clock: ManualClock
) -> None:
    learner = await new_learner(scheduler=SchedulerKind.FSRS)
    (card_id,) = await add_cards(learner, 1)
    grades = [4, 4, 4, 1, 4]
    reviews: list[tuple[datetime, int]] = []

    for grade in grades:
        reviews.append((clock.now(), grade))
        body = (await submit(learner, card_id, grade)).json()
        assert body["scheduler"] == "fsrs"
        clock.set(max(datetime.fromisoformat(body["card"]["due_at"]), clock.now()))
        clock.advance(minutes=1)

    expected = fsrs_adapter.replay(reviews)
    card = body["card"]
    assert card["fsrs"]["phase"] == expected.phase.value == card["state"]
    assert card["fsrs"]["stability"] == pytest.approx(expected.stability, rel=1e-12)
    assert card["fsrs"]["difficulty"] == pytest.approx(expected.difficulty, rel=1e-12)
    assert expected.due is not None
    assert datetime.fromisoformat(card["due_at"]) == expected.due
    # SM-2's columns are SM-2's own, untouched by FSRS.
    shadow = sm2.replay(grades)[-1]
    assert card["sm2"]["easiness"] == str(shadow.easiness)
    assert (card["sm2"]["repetitions"], card["sm2"]["interval_days"]) == (
        shadow.repetitions,
        shadow.interval,
    )
    assert card["lapses"] == 1


async def test_the_sm2_variant_is_a_setting(
    build_app: Any, new_learner: NewLearner, add_cards: AddCards
) -> None:
    learner = await new_learner()
    (card_id,) = await add_cards(learner, 1)
    app: FastAPI = build_app(reviews={"sm2_variant": "osr"})
    async with app_client(app) as client:
        response = await client.post(
            "/api/reviews",
            json={"card_id": str(card_id), "grade": 2, "idempotency_key": str(uuid.uuid4())},
            headers=learner.headers,
        )

    # sm-2 0.3.0's reading: the E-Factor is frozen on a lapse, and the card is due again today.
    assert response.json()["card"]["sm2"] == {
        "repetitions": 0,
        "easiness": "2.50",
        "interval_days": 0,
        "due_day": "2026-03-02",
    }
