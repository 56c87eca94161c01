"""POST /api/reviews/undo: the card goes back to exactly what it was before the answer."""

from __future__ import annotations

import uuid
from typing import Any

from httpx import AsyncClient
from mandarin_support import ManualClock, assert_problem
from reviews.review_support import AddCards, Learner, NewLearner, Submit

from mandarin.models import SchedulerKind


async def card(client: AsyncClient, learner: Learner, card_id: uuid.UUID) -> dict[str, Any]:
    response = await client.get(f"/api/reviews/cards/{card_id}", headers=learner.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def without_version(schedule: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in schedule.items() if name != "version"}


async def test_undo_restores_the_card_and_marks_the_answer(
    client: AsyncClient,
    new_learner: NewLearner,
    add_cards: AddCards,
    submit: Submit,
    clock: ManualClock,
) -> None:
    learner = await new_learner(scheduler=SchedulerKind.FSRS)
    (card_id,) = await add_cards(learner, 1)
    await submit(learner, card_id, 4)
    clock.advance(days=1)
    before = (await card(client, learner, card_id))["card"]
    answered = (await submit(learner, card_id, 1)).json()
    clock.advance(minutes=5)

    response = await client.post("/api/reviews/undo", headers=learner.headers)

    assert response.status_code == 200, response.text
    undone = response.json()
    assert undone["review_id"] == answered["review_id"]
    assert undone["undone_at"] == "2026-03-03T09:05:00Z"
    assert without_version(undone["card"]) == without_version(before)
    # Undo is a change like any other: the version moves on, never back.
    assert undone["card"]["version"] == answered["card"]["version"] + 1
    detail = await card(client, learner, card_id)
    assert detail["card"] == undone["card"]
    assert [entry["undone_at"] for entry in detail["history"]] == [None, "2026-03-03T09:05:00Z"]


async def test_undo_walks_back_one_answer_at_a_time(
    client: AsyncClient,
    new_learner: NewLearner,
    add_cards: AddCards,
    submit: Submit,
    clock: ManualClock,
) -> None:
    learner = await new_learner()
    first, second = await add_cards(learner, 2)
    a = (await submit(learner, first, 5)).json()
    clock.advance(seconds=10)
    b = (await submit(learner, second, 3)).json()

    undos = [await client.post("/api/reviews/undo", headers=learner.headers) for _ in range(2)]

    assert [response.json()["review_id"] for response in undos] == [b["review_id"], a["review_id"]]
    assert (await card(client, learner, first))["card"]["state"] == "new"
    assert (await card(client, learner, second))["card"]["state"] == "new"
    nothing = await client.post("/api/reviews/undo", json={}, headers=learner.headers)
    assert "no answer to undo" in assert_problem(nothing, 404)["detail"]


async def test_a_named_answer_is_undone_once_and_only_if_it_is_the_cards_latest(
    client: AsyncClient,
    new_learner: NewLearner,
    add_cards: AddCards,
    submit: Submit,
    clock: ManualClock,
) -> None:
    learner = await new_learner()
    (card_id,) = await add_cards(learner, 1)
    key = uuid.uuid4()
    first = (await submit(learner, card_id, 4, idempotency_key=key)).json()
    clock.advance(days=1)
    second = (await submit(learner, card_id, 4)).json()

    older = await client.post(
        "/api/reviews/undo", json={"review_id": first["review_id"]}, headers=learner.headers
    )
    assert "most recent" in assert_problem(older, 409)["detail"]

    latest = await client.post(
        "/api/reviews/undo", json={"review_id": second["review_id"]}, headers=learner.headers
    )
    assert latest.status_code == 200
    twice = await client.post(
        "/api/reviews/undo", json={"review_id": second["review_id"]}, headers=learner.headers
    )
    assert "already undone" in assert_problem(twice, 409)["detail"]

    by_key = await client.post(
        "/api/reviews/undo", json={"idempotency_key": str(key)}, headers=learner.headers
    )
    assert by_key.json()["review_id"] == first["review_id"]
    assert by_key.json()["card"]["state"] == "new"


async def test_undo_requests_are_validated(client: AsyncClient, new_learner: NewLearner) -> None:
    learner = await new_learner()

    both = await client.post(
        "/api/reviews/undo",
        json={"review_id": str(uuid.uuid4()), "idempotency_key": str(uuid.uuid4())},
        headers=learner.headers,
    )
    assert_problem(both, 422)
    assert_problem(
        await client.post("/api/reviews/undo", json={"review_id": "nope"}, headers=learner.headers),
        422,
    )
    assert_problem(
        await client.post(
            "/api/reviews/undo", json={"review_id": str(uuid.uuid4())}, headers=learner.headers
        ),
        404,
    )


async def test_the_answer_after_an_undo_starts_from_the_restored_state(
    client: AsyncClient, new_learner: NewLearner, add_cards: AddCards, submit: Submit
) -> None:
    learner = await new_learner()
    (card_id,) = await add_cards(learner, 1)
    await submit(learner, card_id, 0)
    await client.post("/api/reviews/undo", headers=learner.headers)

    body = (await submit(learner, card_id, 5)).json()

    assert body["card"]["sm2"]["easiness"] == "2.60"
    assert (body["card"]["reps"], body["card"]["lapses"]) == (1, 0)
