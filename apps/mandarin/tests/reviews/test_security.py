"""One learner's cards are invisible to another; hostile input is a clear 4xx, never a 500."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from httpx import AsyncClient
from mandarin_support import ManualClock, assert_problem
from reviews.review_support import AddCards, Learner, NewLearner, Submit

ROUTES = [
    ("GET", "/api/reviews/queue"),
    ("POST", "/api/reviews"),
    ("POST", "/api/reviews/undo"),
    ("POST", "/api/reviews/sync"),
    ("GET", "/api/reviews/stats"),
    ("GET", f"/api/reviews/cards/{uuid.uuid4()}"),
]


async def card_state(client: AsyncClient, learner: Learner, card_id: uuid.UUID) -> dict[str, Any]:
    response = await client.get(f"/api/reviews/cards/{card_id}", headers=learner.headers)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_route_needs_credentials(client: AsyncClient, method: str, path: str) -> None:
    response = await client.request(method, path, json={})

    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_another_learner_cannot_touch_my_cards(
    client: AsyncClient,
    new_learner: NewLearner,
    add_cards: AddCards,
    submit: Submit,
    clock: ManualClock,
) -> None:
    alice, bob = await new_learner(), await new_learner()
    alice_card, alice_other = await add_cards(alice, 2)
    (bob_card,) = await add_cards(bob, 1)
    key = uuid.uuid4()
    answered = (await submit(alice, alice_card, 4, idempotency_key=key)).json()
    before = await card_state(client, alice, alice_card)

    # Read
    read = await client.get(f"/api/reviews/cards/{alice_card}", headers=bob.headers)
    assert "No such card" in assert_problem(read, 404)["detail"]
    bob_queue = (await client.get("/api/reviews/queue", headers=bob.headers)).json()
    assert [card["card_id"] for card in bob_queue["cards"]] == [str(bob_card)]
    # Review, with a key of its own and with Alice's key
    assert_problem(await submit(bob, alice_other, 4), 404)
    assert_problem(await submit(bob, alice_card, 4, idempotency_key=key), 404)
    # Sync
    clock.advance(hours=1)
    synced = await client.post(
        "/api/reviews/sync",
        json={
            "events": [
                {
                    "idempotency_key": str(uuid.uuid4()),
                    "card_id": str(alice_card),
                    "grade": 0,
                    "client_reviewed_at": clock.now().isoformat(),
                }
            ]
        },
        headers=bob.headers,
    )
    assert synced.json()["results"][0]["status"] == "rejected"
    assert synced.json()["results"][0]["error"]["status"] == 404
    # Undo, by review id and by key; Bob's own "undo last" has nothing to take back.
    for body in ({"review_id": answered["review_id"]}, {"idempotency_key": str(key)}, {}):
        assert_problem(await client.post("/api/reviews/undo", json=body, headers=bob.headers), 404)

    assert await card_state(client, alice, alice_card) == before
    bob_stats = (await client.get("/api/reviews/stats", headers=bob.headers)).json()
    assert bob_stats["retention"]["reviews"] == 0
    assert sum(day["new"] for day in bob_stats["daily"]) == 0
    # Keys are per learner: Bob may use the same key for his own card.
    own = await submit(bob, bob_card, 3, idempotency_key=key)
    assert own.status_code == 200
    assert own.json()["review_id"] != answered["review_id"]


@pytest.mark.parametrize(
    "payload",
    [
        {"card_id": "\u0000", "grade": 4, "idempotency_key": str(uuid.uuid4())},
        {"card_id": str(uuid.uuid4()), "grade": 4, "idempotency_key": "abc\u0000"},
        {"card_id": str(uuid.uuid4()), "grade": "4\u0000", "idempotency_key": str(uuid.uuid4())},
        {
            "card_id": str(uuid.uuid4()),
            "grade": 4,
            "idempotency_key": str(uuid.uuid4()),
            "reviewed_at": "2026-03-02T09:00:00Z\u0000",
        },
    ],
)
async def test_nul_bytes_are_422(
    client: AsyncClient, new_learner: NewLearner, payload: dict[str, Any]
) -> None:
    learner = await new_learner()

    assert_problem(await client.post("/api/reviews", json=payload, headers=learner.headers), 422)


async def test_raw_nul_and_broken_json_are_422(
    client: AsyncClient, new_learner: NewLearner
) -> None:
    learner = await new_learner()
    headers = {**learner.headers, "Content-Type": "application/json"}
    for raw in (
        b'{"card_id": "a\x00b"}',
        b'{"events": [',
        b"\x00\x00\x00",
        b'{"events": "\\ud800"}',
    ):
        for path in ("/api/reviews", "/api/reviews/sync", "/api/reviews/undo"):
            assert_problem(await client.post(path, content=raw, headers=headers), 422)


@pytest.mark.parametrize("path", ["/api/reviews", "/api/reviews/sync", "/api/reviews/undo"])
async def test_ten_megabyte_bodies_are_413(
    client: AsyncClient, new_learner: NewLearner, path: str
) -> None:
    learner = await new_learner()
    headers = {**learner.headers, "Content-Type": "application/json"}

    declared = await client.post(path, content=b" " * (10 * 1024 * 1024), headers=headers)

    async def stream() -> Any:
        for _ in range(20):
            yield b" " * (512 * 1024)

    streamed = await client.post(path, content=stream(), headers=headers)
    for response in (declared, streamed):
        assert_problem(response, 413)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/reviews/queue", {"limit": -1}),
        ("/api/reviews/queue", {"limit": -(2**63)}),
        ("/api/reviews/queue", {"limit": 2**70}),
        ("/api/reviews/stats", {"days": -5}),
        ("/api/reviews/stats", {"forecast_days": -5}),
        ("/api/reviews/cards/not-a-uuid", {}),
    ],
)
async def test_negative_and_absurd_parameters_are_422(
    client: AsyncClient, new_learner: NewLearner, path: str, params: dict[str, Any]
) -> None:
    learner = await new_learner()

    assert_problem(await client.get(path, params=params, headers=learner.headers), 422)


async def test_huge_numbers_in_bodies_are_422(
    client: AsyncClient, new_learner: NewLearner, add_cards: AddCards
) -> None:
    learner = await new_learner()
    (card_id,) = await add_cards(learner, 1)
    base = {"card_id": str(card_id), "grade": 4, "idempotency_key": str(uuid.uuid4())}
    for extra in ({"base_version": 2**40}, {"duration_ms": 2**63}, {"grade": 10**30}):
        response = await client.post(
            "/api/reviews", json={**base, **extra}, headers=learner.headers
        )
        assert_problem(response, 422)
