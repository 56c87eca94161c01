"""POST /api/reviews/sync: offline answers, order-independent, idempotent (spec §9.3)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from mandarin_support import ManualClock, assert_problem, bearer, register
from reviews.review_support import AddCards, Learner, NewLearner, Submit
from sqlalchemy import func, select, update

from mandarin.models import ReviewCard, ReviewLog, SchedulerKind
from mandarin.scheduling import sm2
from svckit.db import Database
from svckit.testing import app_client

DEVICE = "0195f3c2-7a4b-7cde-8f01-23456789abcd"


def event(
    card_id: uuid.UUID, grade: int, at: datetime, *, seq: int | None = None, **fields: Any
) -> dict[str, Any]:
    return {
        "idempotency_key": str(fields.pop("key", uuid.uuid4())),
        "card_id": str(card_id),
        "grade": grade,
        "client_reviewed_at": at.isoformat(),
        "duration_ms": 4000,
        "client_seq": seq,
        "base_version": 1,
        **fields,
    }


async def sync(
    client: AsyncClient, learner: Learner, events: list[dict[str, Any]]
) -> dict[str, Any]:
    response = await client.post(
        "/api/reviews/sync", json={"device_id": DEVICE, "events": events}, headers=learner.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def schedules(
    client: AsyncClient, learner: Learner, cards: list[uuid.UUID]
) -> list[dict[str, Any]]:
    found = []
    for card_id in cards:
        response = await client.get(f"/api/reviews/cards/{card_id}", headers=learner.headers)
        found.append({k: v for k, v in response.json()["card"].items() if k != "id"})
    return found


async def log_count(database: Database, learner: Learner) -> int:
    async with database.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(ReviewLog).where(ReviewLog.user_id == learner.id)
        )
    return int(count or 0)


def offline_session(cards: list[uuid.UUID], start: datetime) -> list[tuple[int, int, datetime]]:
    """(card index, grade, time): three days of answers to each card, some answered together."""
    plan = []
    grades = [[4, 5, 3], [2, 4, 4], [5, 5, 5], [3, 1, 4]]
    for day in range(3):
        for index in range(len(cards)):
            # Two answers share a timestamp each day: client_seq orders them.
            at = start + timedelta(days=day, minutes=index // 2)
            plan.append((index, grades[index][day], at))
    return plan


def batch(
    cards: list[uuid.UUID], plan: list[tuple[int, int, datetime]], keys: list[str]
) -> list[dict[str, Any]]:
    return [
        event(cards[index], grade, at, seq=seq, key=keys[seq])
        for seq, (index, grade, at) in enumerate(plan)
    ]


async def test_a_batch_is_applied_once_and_a_second_sync_is_all_duplicates(
    client: AsyncClient,
    new_learner: NewLearner,
    add_cards: AddCards,
    clock: ManualClock,
    database: Database,
) -> None:
    learner = await new_learner()
    cards = await add_cards(learner, 4)
    clock.advance(days=3)
    plan = offline_session(cards, datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    keys = [str(uuid.uuid4()) for _ in plan]
    events = batch(cards, plan, keys)

    first = await sync(client, learner, events)

    assert first["summary"] == {"applied": 12, "replayed": 0, "duplicate": 0, "rejected": 0}
    assert [result["idempotency_key"] for result in first["results"]] == keys
    assert all(result["error"] is None for result in first["results"])
    after_first = await schedules(client, learner, cards)
    # Each card's SM-2 state is the pure scheduler's over its grades in time order.
    for index, schedule in enumerate(after_first):
        grades = [grade for card, grade, _ in plan if card == index]
        expected = sm2.replay(grades)[-1]
        assert schedule["sm2"]["easiness"] == str(expected.easiness)
        assert schedule["sm2"]["interval_days"] == expected.interval
        # All of a card's answers in one batch are one write.
        assert schedule["version"] == 2
    logs = await log_count(database, learner)

    second = await sync(client, learner, events)

    assert second["summary"] == {"applied": 0, "replayed": 0, "duplicate": 12, "rejected": 0}
    for old, new in zip(first["results"], second["results"], strict=True):
        assert new == {**old, "status": "duplicate"}
    assert await schedules(client, learner, cards) == after_first
    assert await log_count(database, learner) == logs


async def test_the_order_of_a_batch_does_not_matter(
    client: AsyncClient,
    new_learner: NewLearner,
    add_cards: AddCards,
    clock: ManualClock,
) -> None:
    in_order, shuffled = await new_learner(), await new_learner()
    ordered_cards, shuffled_cards = await add_cards(in_order, 4), await add_cards(shuffled, 4)
    clock.advance(days=3)
    plan = offline_session(ordered_cards, datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    keys = [str(uuid.uuid4()) for _ in plan]
    events = batch(ordered_cards, plan, keys)
    mixed = batch(shuffled_cards, plan, keys)
    random.Random(6).shuffle(mixed)

    expected = await sync(client, in_order, events)
    result = await sync(client, shuffled, mixed)

    assert {r["idempotency_key"]: r["status"] for r in result["results"]} == {
        r["idempotency_key"]: r["status"] for r in expected["results"]
    }
    assert await schedules(client, shuffled, shuffled_cards) == await schedules(
        client, in_order, ordered_cards
    )


async def test_an_older_answer_arriving_late_replays_the_card(
    client: AsyncClient,
    new_learner: NewLearner,
    add_cards: AddCards,
    clock: ManualClock,
    submit: Submit,
) -> None:
    # Two learners answer the same four times; one gets the answers out of order, across an
    # online answer and two syncs (a phone that was offline for the first two).
    reference, late = await new_learner(), await new_learner()
    (reference_card,) = await add_cards(reference, 1)
    (late_card,) = await add_cards(late, 1)
    start = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    answers = [(5, start), (3, start + timedelta(days=1)), (4, start + timedelta(days=7))]
    clock.set(start + timedelta(days=8))
    await sync(client, reference, [event(reference_card, g, at) for g, at in answers])
    reference_after = await schedules(client, reference, [reference_card])

    clock.set(answers[2][1])
    await submit(late, late_card, 4)
    clock.set(start + timedelta(days=8))
    replayed = await sync(client, late, [event(late_card, 3, answers[1][1])])
    assert replayed["summary"]["replayed"] == 1
    again = await sync(client, late, [event(late_card, 5, answers[0][1])])
    assert again["results"][0]["status"] == "replayed"

    late_after = await schedules(client, late, [late_card])
    assert {k: v for k, v in late_after[0].items() if k != "version"} == {
        k: v for k, v in reference_after[0].items() if k != "version"
    }
    # The chain of states was rewritten: undo takes back the latest answer in review order.
    undone = await client.post("/api/reviews/undo", headers=late.headers)
    assert undone.json()["card"]["sm2"]["interval_days"] == sm2.replay([5, 3])[-1].interval
    # The answer graded 3 on the 3rd set a six-day interval.
    assert undone.json()["card"]["sm2"]["due_day"] == "2026-03-09"


async def test_fsrs_replays_use_each_answers_time(
    client: AsyncClient,
    new_learner: NewLearner,
    add_cards: AddCards,
    clock: ManualClock,
) -> None:
    reference = await new_learner(scheduler=SchedulerKind.FSRS)
    late = await new_learner(scheduler=SchedulerKind.FSRS)
    (reference_card,) = await add_cards(reference, 1)
    (late_card,) = await add_cards(late, 1)
    start = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    answers = [(4, start), (4, start + timedelta(minutes=15)), (3, start + timedelta(days=3))]
    clock.set(start + timedelta(days=4))
    await sync(client, reference, [event(reference_card, g, at) for g, at in answers])

    for grade, at in reversed(answers):
        await sync(client, late, [event(late_card, grade, at)])

    reference_after = (await schedules(client, reference, [reference_card]))[0]
    late_after = (await schedules(client, late, [late_card]))[0]
    assert late_after["fsrs"] == reference_after["fsrs"]
    assert late_after["due_at"] == reference_after["due_at"]


async def test_rejections_are_per_answer(
    client: AsyncClient,
    new_learner: NewLearner,
    add_cards: AddCards,
    clock: ManualClock,
    database: Database,
    submit: Submit,
) -> None:
    learner = await new_learner()
    good, suspended = await add_cards(learner, 2)
    async with database.sessionmaker() as session, session.begin():
        await session.execute(
            update(ReviewCard).where(ReviewCard.id == suspended).values(suspended=True)
        )
    used = uuid.uuid4()
    await submit(learner, good, 4, idempotency_key=used)
    clock.advance(hours=1)
    now = clock.now()
    twice = event(good, 5, now - timedelta(minutes=2))
    clash = uuid.uuid4()

    body = await sync(
        client,
        learner,
        [
            event(uuid.uuid4(), 4, now),
            event(suspended, 4, now),
            event(good, 3, now, key=used),
            twice,
            dict(twice),
            event(good, 4, now, key=clash),
            event(good, 2, now, key=clash),
        ],
    )

    statuses = [(r["status"], (r["error"] or {}).get("status")) for r in body["results"]]
    assert statuses == [
        ("rejected", 404),
        ("rejected", 409),
        ("rejected", 409),
        ("applied", None),
        ("duplicate", None),
        ("rejected", 409),
        ("rejected", 409),
    ]
    assert body["results"][4]["review_id"] == body["results"][3]["review_id"]
    assert body["summary"] == {"applied": 1, "replayed": 0, "duplicate": 1, "rejected": 5}


async def test_device_times_are_clamped_to_the_cards_life(
    client: AsyncClient,
    new_learner: NewLearner,
    add_cards: AddCards,
    clock: ManualClock,
) -> None:
    learner = await new_learner()
    early, late = await add_cards(learner, 2)
    clock.advance(days=1)
    now = clock.now()

    body = await sync(
        client,
        learner,
        [
            event(early, 4, datetime(2001, 1, 1, tzinfo=UTC)),
            event(late, 4, now + timedelta(days=30)),
        ],
    )

    times = [result["reviewed_at"] for result in body["results"]]
    assert times == ["2026-03-02T09:00:00Z", "2026-03-03T09:00:00Z"]


async def test_batch_size_and_event_validation(
    client: AsyncClient, new_learner: NewLearner, add_cards: AddCards, clock: ManualClock
) -> None:
    learner = await new_learner()
    (card_id,) = await add_cards(learner, 1)
    clock.advance(days=1)
    start = datetime(2026, 3, 2, 10, tzinfo=UTC)
    full = [event(card_id, 4, start + timedelta(minutes=i), seq=i) for i in range(500)]

    accepted = await sync(client, learner, full)
    assert accepted["summary"]["applied"] == 500
    # 500 answers of 4 in a row would be an interval of 10^195 days: held at 100 years.
    assert accepted["results"][-1]["card"]["sm2"]["interval_days"] == 36500

    too_many = await client.post(
        "/api/reviews/sync",
        json={"events": [*full, event(card_id, 4, start)]},
        headers=learner.headers,
    )
    assert assert_problem(too_many, 422)["errors"][0]["loc"] == ["body", "events"]
    for bad in (
        {"grade": 6},
        {"grade": True},
        {"client_reviewed_at": "2026-03-02T10:00:00"},
        {"rating_scale": "fsrs_1_4"},
        {"client_seq": -1},
    ):
        response = await client.post(
            "/api/reviews/sync",
            json={"events": [{**event(card_id, 4, start), **bad}]},
            headers=learner.headers,
        )
        assert_problem(response, 422)
    empty = await sync(client, learner, [])
    assert empty["results"] == []


async def test_sync_batches_are_rate_limited_per_learner(
    build_app: Callable[..., FastAPI],
) -> None:
    app = build_app(rate_limit={"sync_per_user": "2/minute"})
    async with app_client(app) as client:
        first = bearer((await register(client))["access_token"])
        second = bearer((await register(client))["access_token"])
        body = {"device_id": DEVICE, "events": []}
        answers = [
            (await client.post("/api/reviews/sync", json=body, headers=first)).status_code
            for _ in range(3)
        ]
        other = await client.post("/api/reviews/sync", json=body, headers=second)

    assert answers == [200, 200, 429]
    # The limit is the learner's own: another learner still syncs.
    assert other.status_code == 200
