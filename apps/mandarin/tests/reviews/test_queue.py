"""GET /api/reviews/queue: due cards by due time, then new ones, within the day's limits."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from httpx import AsyncClient
from mandarin_support import ManualClock, assert_problem
from reviews.review_support import AddCards, Learner, NewLearner, Submit
from sqlalchemy import update

from mandarin.models import CardState, ReviewCard
from svckit.db import Database


async def queue(client: AsyncClient, learner: Learner, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/reviews/queue", params=params, headers=learner.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def card_ids(body: dict[str, Any]) -> list[uuid.UUID]:
    return [uuid.UUID(card["card_id"]) for card in body["cards"]]


async def set_card(database: Database, card_id: uuid.UUID, **columns: Any) -> None:
    async with database.sessionmaker() as session, session.begin():
        await session.execute(update(ReviewCard).where(ReviewCard.id == card_id).values(**columns))


async def test_due_cards_come_first_by_due_time_then_new_ones_in_order(
    client: AsyncClient,
    new_learner: NewLearner,
    add_cards: AddCards,
    database: Database,
    clock: ManualClock,
) -> None:
    learner = await new_learner()
    later_due, most_overdue, not_yet_due, due_soon = await add_cards(learner, 4)
    new_cards = await add_cards(learner, 3)
    now = clock.now()
    for card_id, due_at in (
        (later_due, now - timedelta(hours=1)),
        (most_overdue, now - timedelta(days=3)),
        (not_yet_due, now + timedelta(hours=1)),
        (due_soon, now),
    ):
        await set_card(database, card_id, state=CardState.REVIEW, due_at=due_at, reps=1)

    body = await queue(client, learner)

    assert card_ids(body) == [most_overdue, later_due, due_soon, *new_cards]
    assert [card["queue"] for card in body["cards"]] == ["review"] * 3 + ["new"] * 3
    assert (body["due_count"], body["new_count"]) == (3, 3)
    first = body["cards"][0]
    assert first["item"]["pinyin_numbered"] == "zi4"
    assert first["version"] == 1
    assert body["day"] == "2026-03-02"


async def test_limit_bounds_the_answer(
    client: AsyncClient, new_learner: NewLearner, add_cards: AddCards
) -> None:
    learner = await new_learner()
    cards = await add_cards(learner, 3)

    assert card_ids(await queue(client, learner, limit=2)) == cards[:2]
    for bad in (0, -1, 501, "many", "1.5"):
        response = await client.get(
            "/api/reviews/queue", params={"limit": bad}, headers=learner.headers
        )
        body = assert_problem(response, 422)
        assert body["errors"][0]["loc"] == ["query", "limit"]


async def test_daily_limits_count_what_was_already_done_today(
    client: AsyncClient,
    new_learner: NewLearner,
    add_cards: AddCards,
    database: Database,
    clock: ManualClock,
    submit: Submit,
) -> None:
    learner = await new_learner(new_per_day=2, reviews_per_day=3)
    reviews = await add_cards(learner, 4)
    for minutes, card_id in enumerate(reviews):
        due_at = clock.now() - timedelta(days=1) + timedelta(minutes=minutes)
        await set_card(database, card_id, state=CardState.REVIEW, due_at=due_at)
    fresh = await add_cards(learner, 5)

    body = await queue(client, learner)
    assert card_ids(body) == [*reviews[:3], *fresh[:2]]
    assert body["limits"] == {
        "new_per_day": 2,
        "reviews_per_day": 3,
        "new_done": 0,
        "reviews_done": 0,
        "new_left": 2,
        "reviews_left": 3,
    }

    assert (await submit(learner, fresh[0], 4)).status_code == 200
    assert (await submit(learner, reviews[0], 5)).status_code == 200
    body = await queue(client, learner)
    assert card_ids(body) == [*reviews[1:3], fresh[1]]
    assert (body["limits"]["new_done"], body["limits"]["reviews_done"]) == (1, 1)

    assert (await submit(learner, fresh[1], 3)).status_code == 200
    assert (await submit(learner, reviews[1], 2)).status_code == 200
    assert (await submit(learner, reviews[2], 4)).status_code == 200
    body = await queue(client, learner)
    assert card_ids(body) == []
    assert (body["limits"]["new_left"], body["limits"]["reviews_left"]) == (0, 0)
    # The limits hold the cards back; they are still waiting.
    assert (body["due_count"], body["new_count"]) == (1, 3)

    # An undone answer gives its place back.
    assert (await client.post("/api/reviews/undo", headers=learner.headers)).status_code == 200
    assert card_ids(await queue(client, learner)) == [reviews[2]]


async def test_today_is_the_learners_local_day_from_their_day_start(
    client: AsyncClient,
    new_learner: NewLearner,
    add_cards: AddCards,
    clock: ManualClock,
    submit: Submit,
) -> None:
    # Shanghai is UTC+8; the learner's day starts at 04:00 local, 20:00 UTC the evening before.
    clock.set(datetime(2026, 3, 2, 19, 30, tzinfo=UTC))  # 03:30 on 3 March in Shanghai
    learner = await new_learner(timezone="Asia/Shanghai", day_start_hour=4, new_per_day=1)
    first, second = await add_cards(learner, 2)

    body = await queue(client, learner)
    assert body["day"] == "2026-03-02"
    assert body["day_started_at"] == "2026-03-01T20:00:00Z"
    assert body["next_day_starts_at"] == "2026-03-02T20:00:00Z"
    answered = await submit(learner, first, 4)
    assert answered.json()["card"]["sm2"]["due_day"] == "2026-03-03"
    assert answered.json()["card"]["due_at"] == "2026-03-02T20:00:00Z"

    clock.advance(minutes=29)  # 03:59 local: still the 2nd, the new card allowance is spent
    body = await queue(client, learner)
    assert (body["day"], card_ids(body)) == ("2026-03-02", [])

    clock.advance(minutes=1)  # 04:00 local: a new day, the answered card is due
    body = await queue(client, learner)
    assert body["day"] == "2026-03-03"
    assert card_ids(body) == [first, second]
    assert body["limits"]["new_done"] == 0

    # UTC midnight is the middle of the learner's day: nothing changes at it.
    clock.set(datetime(2026, 3, 3, 0, 30, tzinfo=UTC))
    assert (await queue(client, learner))["day"] == "2026-03-03"


async def test_suspended_and_buried_cards_stay_out(
    client: AsyncClient,
    new_learner: NewLearner,
    add_cards: AddCards,
    database: Database,
) -> None:
    learner = await new_learner()
    suspended, buried, unburied, plain = await add_cards(learner, 4)
    await set_card(database, suspended, suspended=True)
    await set_card(database, buried, buried_until=date(2026, 3, 3))
    await set_card(database, unburied, buried_until=date(2026, 3, 2))

    assert card_ids(await queue(client, learner)) == [unburied, plain]
