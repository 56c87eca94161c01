"""Column behaviour both dialects must agree on, and the queries the indexes exist for."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from mandarin_support import unique_email
from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.exc import StaleDataError

from mandarin.models import (
    CardState,
    Item,
    ItemKind,
    ItemPart,
    ReviewCard,
    ReviewLog,
    SchedulerKind,
    SlotKind,
    SoundSlot,
    User,
    UserActor,
    UserScene,
    new_id,
)
from svckit.db import Database


async def make_user(session: AsyncSession) -> User:
    user = User(email=unique_email())
    session.add(user)
    await session.flush()
    return user


async def make_item(session: AsyncSession, hanzi: str, **columns: Any) -> Item:
    item = Item(kind=columns.pop("kind", ItemKind.CHARACTER), hanzi=hanzi, **columns)
    session.add(item)
    await session.flush()
    return item


def test_ids_are_time_ordered_uuid7() -> None:
    ids = [new_id() for _ in range(50)]

    assert all(value.version == 7 for value in ids)
    assert all(value.variant == uuid.RFC_4122 for value in ids)
    # Same millisecond: order by time prefix only.
    assert [value.int >> 80 for value in ids] == sorted(value.int >> 80 for value in ids)


async def test_new_card_defaults_and_exact_easiness(database: Database) -> None:
    async with database.sessionmaker() as session, session.begin():
        user = await make_user(session)
        item = await make_item(session, "好", pinyin_numbered="hao3", tone=3)
        card = ReviewCard(user_id=user.id, item_id=item.id)
        session.add(card)
        await session.flush()
        card_id = card.id
        assert (card.state, card.version) == (CardState.NEW, 1)
        assert card.sm2_easiness == Decimal("2.50")
        assert (card.sm2_repetitions, card.sm2_interval_days, card.due_at) == (0, 0, None)

    for easiness in (Decimal("2.36"), Decimal("1.30"), Decimal("1.94"), Decimal("2.18")):
        async with database.sessionmaker() as session, session.begin():
            card = await session.get_one(ReviewCard, card_id)
            card.sm2_easiness = easiness
        async with database.sessionmaker() as session:
            stored = await session.scalar(
                select(ReviewCard.sm2_easiness).where(ReviewCard.id == card_id)
            )
        assert stored == easiness
        assert isinstance(stored, Decimal)
        assert stored * 50 == (stored * 50).to_integral_value()


async def test_easiness_floor_is_enforced_by_the_database(database: Database) -> None:
    async with database.sessionmaker() as session:
        user = await make_user(session)
        item = await make_item(session, "人")
        session.add(ReviewCard(user_id=user.id, item_id=item.id, sm2_easiness=Decimal("1.28")))
        with pytest.raises(IntegrityError):
            await session.flush()


async def test_card_version_is_an_optimistic_lock(database: Database) -> None:
    async with database.sessionmaker() as session, session.begin():
        user = await make_user(session)
        item = await make_item(session, "大")
        card = ReviewCard(user_id=user.id, item_id=item.id)
        session.add(card)
    async with database.sessionmaker() as session:
        mine = await session.get_one(ReviewCard, card.id)
        mine.sm2_repetitions = 1
        await session.flush()
        assert mine.version == 2
        # Another request answers the same card between this one's read and its write.
        await session.execute(
            update(ReviewCard)
            .where(ReviewCard.id == card.id)
            .values(sm2_repetitions=5, version=ReviewCard.version + 1)
            .execution_options(synchronize_session=False)
        )

        mine.sm2_repetitions = 2
        with pytest.raises(StaleDataError):
            await session.flush()


async def test_timestamps_come_back_as_aware_utc(database: Database) -> None:
    beijing = timezone(timedelta(hours=8))
    moment = datetime(2026, 5, 1, 7, 12, 9, 123000, tzinfo=beijing)
    async with database.sessionmaker() as session, session.begin():
        user = await make_user(session)
        item = await make_item(session, "中")
        card = ReviewCard(
            user_id=user.id, item_id=item.id, due_at=moment, sm2_due_day=date(2026, 5, 2)
        )
        session.add(card)
    async with database.sessionmaker() as session:
        stored = await session.scalar(select(ReviewCard.due_at).where(ReviewCard.id == card.id))

    assert stored == moment
    assert stored is not None
    assert stored.tzinfo == UTC

    async with database.sessionmaker() as session:
        session.add(ReviewCard(user_id=user.id, item_id=item.id, due_at=datetime(2026, 5, 1)))
        with pytest.raises(StatementError, match="timezone-aware"):
            await session.flush()


async def test_idempotency_keys_are_unique_per_user(database: Database) -> None:
    key = uuid.uuid4()
    now = datetime.now(UTC)

    def log(user: User, card: ReviewCard) -> ReviewLog:
        return ReviewLog(
            user_id=user.id,
            card_id=card.id,
            idempotency_key=key,
            grade=4,
            scheduler=SchedulerKind.SM2,
            reviewed_at=now,
            server_received_at=now,
            state_before={"sm2_easiness": "2.50"},
            state_after={"sm2_easiness": "2.50"},
        )

    async with database.sessionmaker() as session:
        item = await make_item(session, "我")
        alice, bob = await make_user(session), await make_user(session)
        alice_card = ReviewCard(user_id=alice.id, item_id=item.id)
        bob_card = ReviewCard(user_id=bob.id, item_id=item.id)
        session.add_all([alice_card, bob_card])
        await session.flush()
        # Two users may pick the same key; one user cannot use it twice.
        session.add_all([log(alice, alice_card), log(bob, bob_card)])
        await session.flush()
        session.add(log(alice, alice_card))
        with pytest.raises(IntegrityError):
            await session.flush()


async def test_all_my_characters_whose_actor_is_x_in_one_query(
    database: Database, engine: Any
) -> None:
    async with database.sessionmaker() as session, session.begin():
        h = SoundSlot(kind=SlotKind.INITIAL, key=f"h-{uuid.uuid4().hex[:6]}")
        m = SoundSlot(kind=SlotKind.INITIAL, key=f"m-{uuid.uuid4().hex[:6]}")
        session.add_all([h, m])
        await session.flush()
        girl = await make_item(session, "女", kind=ItemKind.COMPONENT)
        child = await make_item(session, "子", kind=ItemKind.COMPONENT)
        good = await make_item(session, "好", actor_slot_id=h.id, tone=3)
        red = await make_item(session, "红", actor_slot_id=h.id, tone=2)
        horse = await make_item(session, "马", actor_slot_id=m.id, tone=3)
        session.add_all(
            [
                ItemPart(parent_item_id=good.id, position=0, child_item_id=girl.id),
                ItemPart(parent_item_id=good.id, position=1, child_item_id=child.id),
            ]
        )
        learner, other = await make_user(session), await make_user(session)
        session.add_all(
            [
                UserActor(user_id=learner.id, slot_id=h.id, name="Harry Potter"),
                UserActor(user_id=learner.id, slot_id=m.id, name="Mickey Mouse"),
                UserActor(user_id=other.id, slot_id=h.id, name="Homer"),
                UserScene(user_id=learner.id, item_id=good.id, script_md="Harry in the bedroom"),
                UserScene(user_id=other.id, item_id=red.id, script_md="not the learner's"),
            ]
        )
        for item in (good, red, horse):
            session.add(ReviewCard(user_id=learner.id, item_id=item.id))

    scene = aliased(UserScene)
    query = (
        select(Item.hanzi, scene.script_md)
        .join(UserActor, UserActor.slot_id == Item.actor_slot_id)
        .join(
            ReviewCard, (ReviewCard.item_id == Item.id) & (ReviewCard.user_id == UserActor.user_id)
        )
        .outerjoin(scene, (scene.item_id == Item.id) & (scene.user_id == UserActor.user_id))
        .where(UserActor.user_id == learner.id, UserActor.name == "Harry Potter")
        .order_by(Item.hanzi)
    )
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        async with database.sessionmaker() as session:
            rows = (await session.execute(query)).all()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)

    assert sorted(rows) == sorted([("好", "Harry in the bedroom"), ("红", None)])
    assert len([sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]) == 1


async def test_deleting_a_user_deletes_their_learning_state(database: Database) -> None:
    async with database.sessionmaker() as session, session.begin():
        user = await make_user(session)
        item = await make_item(session, "天")
        session.add(ReviewCard(user_id=user.id, item_id=item.id))
        session.add(UserScene(user_id=user.id, item_id=item.id, script_md="sky"))
    async with database.sessionmaker() as session, session.begin():
        await session.delete(await session.get_one(User, user.id))

    async with database.sessionmaker() as session:
        cards = await session.scalars(select(ReviewCard).where(ReviewCard.user_id == user.id))
        scenes = await session.scalars(select(UserScene).where(UserScene.user_id == user.id))
        assert list(cards) == []
        assert list(scenes) == []
        assert await session.get(Item, item.id) is not None
