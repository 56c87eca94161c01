"""Review fixtures: learners signed up over HTTP, cards written as lesson completion writes them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from httpx import AsyncClient
from mandarin_support import ManualClock, bearer, register
from reviews.review_support import AddCards, Learner, NewLearner, Submit
from sqlalchemy import update

from mandarin.models import Item, ItemKind, ReviewCard, User
from svckit.db import Database


@pytest.fixture
def new_learner(client: AsyncClient, database: Database) -> NewLearner:
    """Sign a learner up over HTTP, then set study preferences (columns of users) directly."""

    async def create(**columns: Any) -> Learner:
        tokens = await register(client)
        headers = bearer(tokens["access_token"])
        me = await client.get("/api/auth/me", headers=headers)
        assert me.status_code == 200, me.text
        user_id = uuid.UUID(me.json()["id"])
        if columns:
            async with database.sessionmaker() as session, session.begin():
                await session.execute(update(User).where(User.id == user_id).values(**columns))
        return Learner(id=user_id, email=tokens["email"], headers=headers)

    return create


@pytest.fixture
def add_cards(database: Database, clock: ManualClock) -> AddCards:
    """New cards, one item each, created as completing a lesson creates them: due now."""

    async def add(
        learner: Learner, count: int, *, created_at: datetime | None = None
    ) -> list[uuid.UUID]:
        moment = created_at or clock.now()
        ids: list[uuid.UUID] = []
        async with database.sessionmaker() as session, session.begin():
            for position in range(count):
                item = Item(
                    kind=ItemKind.CHARACTER,
                    hanzi=f"字{uuid.uuid4().hex[:8]}",
                    pinyin_numbered="zi4",
                    keyword=f"word {position}",
                    meaning="character",
                )
                session.add(item)
                await session.flush()
                card = ReviewCard(
                    user_id=learner.id,
                    item_id=item.id,
                    due_at=moment,
                    # Distinct creation times give the new-card order the test expects.
                    created_at=moment.replace(microsecond=position),
                    updated_at=moment,
                )
                session.add(card)
                await session.flush()
                ids.append(card.id)
        return ids

    return add


@pytest.fixture
def submit(client: AsyncClient) -> Submit:
    """POST /api/reviews with a fresh idempotency key unless one is given."""

    async def post(learner: Learner, card_id: uuid.UUID, grade: Any, **fields: Any) -> Any:
        body = {
            "card_id": str(card_id),
            "grade": grade,
            "idempotency_key": str(fields.pop("idempotency_key", uuid.uuid4())),
            **fields,
        }
        return await client.post("/api/reviews", json=body, headers=learner.headers)

    return post
