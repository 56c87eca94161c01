"""The queries behind the review routes; every one is scoped to a single learner.

The queries of a queue read and of an answer, run on every request, are built once with bound
parameters: building a statement costs more CPU than running its cached compiled form.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mandarin.models import CardState, Item, ItemKind, ReviewCard, ReviewLog

# The state before the answer tells a card's first answer from a review.
_WAS_NEW = ReviewLog.state_before["state"].as_string() == CardState.NEW.value
# A card buried until a day comes back on that day.
_VISIBLE = and_(
    ReviewCard.user_id == bindparam("user_id"),
    ReviewCard.suspended.is_(False),
    or_(ReviewCard.buried_until.is_(None), ReviewCard.buried_until <= bindparam("today")),
)
_IS_NEW = ReviewCard.state == CardState.NEW
_ANSWERED_TODAY = (
    ReviewLog.user_id == bindparam("user_id"),
    ReviewLog.reviewed_at >= bindparam("start"),
    ReviewLog.reviewed_at < bindparam("end"),
    ReviewLog.undone_at.is_(None),
)
_DAY_TALLY = select(
    select(func.count()).where(*_ANSWERED_TODAY, _WAS_NEW).scalar_subquery(),
    select(func.count()).where(*_ANSWERED_TODAY, ~_WAS_NEW).scalar_subquery(),
    select(func.count())
    .where(_VISIBLE, ~_IS_NEW, ReviewCard.due_at <= bindparam("now"))
    .scalar_subquery(),
    select(func.count()).where(_VISIBLE, _IS_NEW).scalar_subquery(),
)
_CARD = select(ReviewCard).where(
    ReviewCard.id == bindparam("card_id"), ReviewCard.user_id == bindparam("user_id")
)
_LOG_BY_KEY = select(ReviewLog).where(
    ReviewLog.user_id == bindparam("user_id"), ReviewLog.idempotency_key == bindparam("key")
)
# An answer's card and, if the key was used before, its earlier answer (on any card).
_CARD_AND_LOG = (
    select(ReviewCard, ReviewLog)
    .outerjoin(
        ReviewLog,
        and_(
            ReviewLog.user_id == ReviewCard.user_id,
            ReviewLog.idempotency_key == bindparam("key"),
        ),
    )
    .where(ReviewCard.id == bindparam("card_id"), ReviewCard.user_id == bindparam("user_id"))
)


async def get_card(
    session: AsyncSession, user_id: uuid.UUID, card_id: uuid.UUID
) -> ReviewCard | None:
    return await session.scalar(_CARD, {"card_id": card_id, "user_id": user_id})


async def get_card_and_log(
    session: AsyncSession, user_id: uuid.UUID, card_id: uuid.UUID, idempotency_key: uuid.UUID
) -> tuple[ReviewCard | None, ReviewLog | None]:
    """One round trip for what an answer needs; the log alone when the card is not found."""
    params = {"card_id": card_id, "user_id": user_id, "key": idempotency_key}
    row = (await session.execute(_CARD_AND_LOG, params)).first()
    if row is None:
        return None, await get_log_by_key(session, user_id, idempotency_key)
    return row[0], row[1]


async def get_cards(
    session: AsyncSession, user_id: uuid.UUID, card_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, ReviewCard]:
    if not card_ids:
        return {}
    cards = await session.scalars(
        select(ReviewCard).where(ReviewCard.user_id == user_id, ReviewCard.id.in_(card_ids))
    )
    return {card.id: card for card in cards}


async def get_card_with_item(
    session: AsyncSession, user_id: uuid.UUID, card_id: uuid.UUID
) -> tuple[ReviewCard, Item] | None:
    row = (
        await session.execute(
            select(ReviewCard, Item)
            .join(Item, Item.id == ReviewCard.item_id)
            .where(ReviewCard.id == card_id, ReviewCard.user_id == user_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def get_log(
    session: AsyncSession, user_id: uuid.UUID, review_id: uuid.UUID
) -> ReviewLog | None:
    return await session.scalar(
        select(ReviewLog).where(ReviewLog.id == review_id, ReviewLog.user_id == user_id)
    )


async def get_log_by_key(
    session: AsyncSession, user_id: uuid.UUID, idempotency_key: uuid.UUID
) -> ReviewLog | None:
    return await session.scalar(_LOG_BY_KEY, {"user_id": user_id, "key": idempotency_key})


async def get_logs_by_keys(
    session: AsyncSession, user_id: uuid.UUID, keys: Collection[uuid.UUID]
) -> dict[uuid.UUID, ReviewLog]:
    if not keys:
        return {}
    logs = await session.scalars(
        select(ReviewLog).where(ReviewLog.user_id == user_id, ReviewLog.idempotency_key.in_(keys))
    )
    return {log.idempotency_key: log for log in logs}


async def active_logs(session: AsyncSession, card_ids: Collection[uuid.UUID]) -> list[ReviewLog]:
    """The answers not undone of these cards, in no particular order."""
    if not card_ids:
        return []
    logs = await session.scalars(
        select(ReviewLog).where(ReviewLog.card_id.in_(card_ids), ReviewLog.undone_at.is_(None))
    )
    return list(logs)


async def card_history(session: AsyncSession, card_id: uuid.UUID) -> Sequence[ReviewLog]:
    logs = await session.scalars(
        select(ReviewLog)
        .where(ReviewLog.card_id == card_id)
        .order_by(ReviewLog.reviewed_at, ReviewLog.server_received_at)
    )
    return logs.all()


async def latest_active_log(session: AsyncSession, user_id: uuid.UUID) -> ReviewLog | None:
    return await session.scalar(
        select(ReviewLog)
        .where(ReviewLog.user_id == user_id, ReviewLog.undone_at.is_(None))
        .order_by(ReviewLog.reviewed_at.desc(), ReviewLog.server_received_at.desc())
        .limit(1)
    )


@dataclass(frozen=True, slots=True)
class DayTally:
    new_done: int
    reviews_done: int
    due_waiting: int
    new_waiting: int


async def day_tally(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    start: datetime,
    end: datetime,
    today: date,
    now: datetime,
) -> DayTally:
    """Answers in [start, end) (undone ones excepted) and the cards waiting, in one round trip."""
    params = {"user_id": user_id, "start": start, "end": end, "today": today, "now": now}
    row = (await session.execute(_DAY_TALLY, params)).one()
    return DayTally(*(int(value) for value in row))


@dataclass(frozen=True, slots=True)
class QueueRow:
    card_id: uuid.UUID
    state: CardState
    due_at: datetime | None
    version: int
    reps: int
    lapses: int
    item_id: uuid.UUID
    kind: ItemKind
    hanzi: str
    pinyin_numbered: str | None
    keyword: str | None
    meaning: str | None


_QUEUE_COLUMNS = (
    ReviewCard.id,
    ReviewCard.state,
    ReviewCard.due_at,
    ReviewCard.version,
    ReviewCard.reps,
    ReviewCard.lapses,
    Item.id,
    Item.kind,
    Item.hanzi,
    Item.pinyin_numbered,
    Item.keyword,
    Item.meaning,
)


_DUE_CARDS = (
    select(*_QUEUE_COLUMNS)
    .join(Item, Item.id == ReviewCard.item_id)
    .where(_VISIBLE, ~_IS_NEW, ReviewCard.due_at <= bindparam("now"))
    .order_by(ReviewCard.due_at, ReviewCard.id)
    .limit(bindparam("limit"))
)
_NEW_CARDS = (
    select(*_QUEUE_COLUMNS)
    .join(Item, Item.id == ReviewCard.item_id)
    .where(_VISIBLE, _IS_NEW)
    .order_by(ReviewCard.created_at, Item.frequency_rank.asc().nulls_last(), ReviewCard.id)
    .limit(bindparam("limit"))
)


async def due_cards(
    session: AsyncSession, user_id: uuid.UUID, *, today: date, now: datetime, limit: int
) -> list[QueueRow]:
    """Cards in review whose time has come, most overdue first."""
    if limit <= 0:
        return []
    params = {"user_id": user_id, "today": today, "now": now, "limit": limit}
    rows = await session.execute(_DUE_CARDS, params)
    return [QueueRow(*tuple(row)) for row in rows.all()]


async def new_cards(
    session: AsyncSession, user_id: uuid.UUID, *, today: date, limit: int
) -> list[QueueRow]:
    """New cards in the order lessons created them; one lesson's by frequency, as taught."""
    if limit <= 0:
        return []
    rows = await session.execute(_NEW_CARDS, {"user_id": user_id, "today": today, "limit": limit})
    return [QueueRow(*tuple(row)) for row in rows.all()]


async def answers_since(
    session: AsyncSession, user_id: uuid.UUID, start: datetime
) -> list[tuple[datetime, int, int | None, bool]]:
    """(reviewed_at, grade, duration_ms, was_new) of the answers since start, undone excluded."""
    rows = await session.execute(
        select(ReviewLog.reviewed_at, ReviewLog.grade, ReviewLog.duration_ms, _WAS_NEW).where(
            ReviewLog.user_id == user_id,
            ReviewLog.reviewed_at >= start,
            ReviewLog.undone_at.is_(None),
        )
    )
    # SQLite answers the comparison with 0 or 1.
    return [(row[0], row[1], row[2], bool(row[3])) for row in rows.all()]


async def review_times_since(
    session: AsyncSession, user_id: uuid.UUID, start: datetime
) -> Sequence[datetime]:
    times = await session.scalars(
        select(ReviewLog.reviewed_at).where(
            ReviewLog.user_id == user_id,
            ReviewLog.reviewed_at >= start,
            ReviewLog.undone_at.is_(None),
        )
    )
    return times.all()


async def due_times_before(
    session: AsyncSession, user_id: uuid.UUID, *, today: date, end: datetime
) -> Sequence[datetime]:
    times = await session.scalars(
        select(ReviewCard.due_at).where(_VISIBLE, ~_IS_NEW, ReviewCard.due_at < end),
        {"user_id": user_id, "today": today},
    )
    return [time for time in times.all() if time is not None]


async def card_counts(session: AsyncSession, user_id: uuid.UUID) -> dict[str, int]:
    """Cards per state, suspended ones counted under "suspended" only."""
    rows = await session.execute(
        select(ReviewCard.suspended, ReviewCard.state, func.count())
        .where(ReviewCard.user_id == user_id)
        .group_by(ReviewCard.suspended, ReviewCard.state)
    )
    counts = {"suspended": 0, **{state.value: 0 for state in CardState}}
    for suspended, state, count in rows.all():
        counts["suspended" if suspended else CardState(state).value] += int(count)
    return counts
