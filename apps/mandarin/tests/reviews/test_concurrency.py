"""Answers racing on one card, each request on its own PostgreSQL connection."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient, Response
from mandarin_support import ManualClock, bearer, make_settings, register
from sqlalchemy import func, select

from mandarin import schema_migrations
from mandarin.main import create_app
from mandarin.models import Item, ItemKind, ReviewCard, ReviewLog, User
from svckit.db import Database
from svckit.testing import app_client, postgres_base_url, scratch_database

pytestmark = pytest.mark.skipif(
    postgres_base_url() is None, reason="needs PostgreSQL (TEST_DATABASE_URL)"
)


@pytest.fixture
async def pooled(scratch_dir: Path) -> AsyncIterator[tuple[Database, AsyncClient]]:
    """An app on a database of its own, with a real connection pool: no shared transaction."""
    async with scratch_database(scratch_dir, prefix="mdrace") as url:
        await asyncio.to_thread(schema_migrations.upgrade, url)
        database = Database.from_url(url, pool_size=20, max_overflow=0)
        app = create_app(make_settings(), database=database, clock=ManualClock())
        try:
            async with app_client(app) as client:
                yield database, client
        finally:
            await database.dispose()


async def test_racing_answers_are_serialised_by_the_version_lock(
    pooled: tuple[Database, AsyncClient],
) -> None:
    database, client = pooled
    tokens = await register(client)
    headers = bearer(tokens["access_token"])
    async with database.sessionmaker() as session, session.begin():
        user_id = await session.scalar(select(User.id).where(User.email == tokens["email"]))
        assert user_id is not None
        cards = []
        for hanzi in ("一", "二"):
            item = Item(kind=ItemKind.CHARACTER, hanzi=hanzi)
            session.add(item)
            await session.flush()
            card = ReviewCard(user_id=user_id, item_id=item.id)
            session.add(card)
            cards.append(card)
        await session.flush()
        many_keys, one_key = (card.id for card in cards)
    shared_key = str(uuid.uuid4())

    def answer(card_id: uuid.UUID, key: str) -> Any:
        body = {"card_id": str(card_id), "grade": 4, "idempotency_key": key}
        return client.post("/api/reviews", json=body, headers=headers)

    responses: list[Response] = await asyncio.gather(
        *(answer(many_keys, str(uuid.uuid4())) for _ in range(8)),
        *(answer(one_key, shared_key) for _ in range(8)),
    )

    assert {response.status_code for response in responses} <= {200, 409}
    async with database.sessionmaker() as session:
        for card_id, group in ((many_keys, responses[:8]), (one_key, responses[8:])):
            card = await session.get_one(ReviewCard, card_id)
            logs = await session.scalar(
                select(func.count()).select_from(ReviewLog).where(ReviewLog.card_id == card_id)
            )
            accepted = [response for response in group if response.status_code == 200]
            assert accepted
            # No answer is lost or applied on a stale card: each accepted one is one write.
            if card_id == many_keys:
                assert card.reps == logs == len(accepted)
                assert card.version == 1 + len(accepted)
            else:
                assert card.reps == logs == 1
                assert {response.json()["review_id"] for response in accepted} == {
                    accepted[0].json()["review_id"]
                }
    retry = await answer(one_key, shared_key)
    assert retry.status_code == 200
    assert retry.headers["Idempotent-Replayed"] == "true"
