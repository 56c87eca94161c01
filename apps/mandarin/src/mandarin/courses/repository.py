"""Queries on the course tree and the items it teaches."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mandarin.models import (
    Course,
    Item,
    ItemKind,
    ItemPart,
    Lesson,
    LessonItem,
    Level,
    Phase,
    ReviewCard,
)


def _published(now: datetime) -> Any:
    return Course.published_at.is_not(None) & (Course.published_at <= now)


async def list_courses(
    session: AsyncSession, *, published_before: datetime | None, offset: int, limit: int
) -> tuple[Sequence[Course], int]:
    """Courses by title; only those published by published_before, unless it is None."""
    statement = select(Course)
    if published_before is not None:
        statement = statement.where(_published(published_before))
    total = await session.scalar(select(func.count()).select_from(statement.subquery()))
    courses = await session.scalars(
        statement.order_by(Course.title, Course.id).offset(offset).limit(limit)
    )
    return courses.all(), int(total or 0)


async def get_course(session: AsyncSession, course_id: uuid.UUID) -> Course | None:
    return await session.get(Course, course_id)


async def get_course_by_slug(session: AsyncSession, slug: str) -> Course | None:
    return await session.scalar(select(Course).where(Course.slug == slug))


async def published_courses(
    session: AsyncSession, now: datetime, slug: str | None = None
) -> Sequence[Course]:
    statement = select(Course).where(_published(now)).order_by(Course.title, Course.id)
    if slug is not None:
        statement = statement.where(Course.slug == slug)
    return (await session.scalars(statement)).all()


async def phases_of(session: AsyncSession, course_id: uuid.UUID) -> Sequence[Phase]:
    return (
        await session.scalars(
            select(Phase).where(Phase.course_id == course_id).order_by(Phase.ordinal)
        )
    ).all()


def _levels_with_counts(course_id: uuid.UUID) -> Select[Level, int]:
    lesson_count = (
        select(func.count()).where(Lesson.level_id == Level.id).correlate(Level).scalar_subquery()
    )
    return select(Level, lesson_count).where(Level.course_id == course_id)


async def levels_of(session: AsyncSession, course_id: uuid.UUID) -> Sequence[tuple[Level, int]]:
    """Every level of a course with its number of lessons."""
    rows = await session.execute(_levels_with_counts(course_id).order_by(Level.ordinal))
    return [(level, int(count)) for level, count in rows]


async def page_levels(
    session: AsyncSession,
    course_id: uuid.UUID,
    *,
    phase_id: uuid.UUID | None,
    offset: int,
    limit: int,
) -> tuple[list[tuple[Level, int]], int]:
    statement = _levels_with_counts(course_id)
    counting = select(func.count()).select_from(Level).where(Level.course_id == course_id)
    if phase_id is not None:
        statement = statement.where(Level.phase_id == phase_id)
        counting = counting.where(Level.phase_id == phase_id)
    total = await session.scalar(counting)
    rows = await session.execute(statement.order_by(Level.ordinal).offset(offset).limit(limit))
    return [(level, int(count)) for level, count in rows], int(total or 0)


async def course_counts(session: AsyncSession, course_id: uuid.UUID) -> tuple[int, int]:
    """(lessons, lesson items) of a course."""
    lessons = await session.scalar(
        select(func.count())
        .select_from(Lesson)
        .join(Level, Level.id == Lesson.level_id)
        .where(Level.course_id == course_id)
    )
    items = await session.scalar(
        select(func.count())
        .select_from(LessonItem)
        .join(Lesson, Lesson.id == LessonItem.lesson_id)
        .join(Level, Level.id == Lesson.level_id)
        .where(Level.course_id == course_id)
    )
    return int(lessons or 0), int(items or 0)


async def get_phase(session: AsyncSession, phase_id: uuid.UUID) -> Phase | None:
    return await session.get(Phase, phase_id)


async def get_level(session: AsyncSession, level_id: uuid.UUID) -> Level | None:
    return await session.get(Level, level_id)


async def lessons_of(session: AsyncSession, level_id: uuid.UUID) -> Sequence[tuple[Lesson, int]]:
    """A level's lessons in order, each with its number of items."""
    item_count = (
        select(func.count())
        .where(LessonItem.lesson_id == Lesson.id)
        .correlate(Lesson)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Lesson, item_count).where(Lesson.level_id == level_id).order_by(Lesson.ordinal)
    )
    return [(lesson, int(count)) for lesson, count in rows]


async def get_lesson(session: AsyncSession, lesson_id: uuid.UUID) -> tuple[Lesson, Level] | None:
    row = (
        await session.execute(
            select(Lesson, Level)
            .join(Level, Level.id == Lesson.level_id)
            .where(Lesson.id == lesson_id)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def lesson_items(session: AsyncSession, lesson_id: uuid.UUID) -> Sequence[Item]:
    return (
        await session.scalars(
            select(Item)
            .join(LessonItem, LessonItem.item_id == Item.id)
            .where(LessonItem.lesson_id == lesson_id)
            .order_by(LessonItem.position, Item.hanzi)
        )
    ).all()


async def replace_lesson_items(
    session: AsyncSession, lesson_id: uuid.UUID, item_ids: Sequence[uuid.UUID]
) -> None:
    await session.execute(delete(LessonItem).where(LessonItem.lesson_id == lesson_id))
    if item_ids:
        await session.execute(
            insert(LessonItem),
            [
                {"lesson_id": lesson_id, "item_id": item_id, "position": position}
                for position, item_id in enumerate(item_ids)
            ],
        )


async def get_item(session: AsyncSession, item_id: uuid.UUID) -> Item | None:
    return await session.get(Item, item_id)


async def get_item_by_key(session: AsyncSession, hanzi: str, sense_key: str) -> Item | None:
    return await session.scalar(
        select(Item).where(Item.hanzi == hanzi, Item.sense_key == sense_key)
    )


async def existing_item_ids(session: AsyncSession, item_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    wanted = list(set(item_ids))
    if not wanted:
        return set()
    return set((await session.scalars(select(Item.id).where(Item.id.in_(wanted)))).all())


async def item_parts(session: AsyncSession, item_id: uuid.UUID) -> Sequence[tuple[ItemPart, Item]]:
    rows = await session.execute(
        select(ItemPart, Item)
        .join(Item, Item.id == ItemPart.child_item_id)
        .where(ItemPart.parent_item_id == item_id)
        .order_by(ItemPart.position)
    )
    return [(part, child) for part, child in rows]


async def item_parents(session: AsyncSession, item_id: uuid.UUID, limit: int) -> Sequence[Item]:
    parent_ids = select(ItemPart.parent_item_id).where(ItemPart.child_item_id == item_id)
    return (
        await session.scalars(
            select(Item)
            .where(Item.id.in_(parent_ids))
            .order_by(Item.frequency_rank.nulls_last(), Item.hanzi)
            .limit(limit)
        )
    ).all()


async def replace_item_parts(
    session: AsyncSession, item_id: uuid.UUID, parts: Sequence[tuple[uuid.UUID, str | None]]
) -> None:
    await session.execute(delete(ItemPart).where(ItemPart.parent_item_id == item_id))
    if parts:
        await session.execute(
            # render_nulls: one executemany even when some ids_operator are NULL.
            insert(ItemPart).execution_options(render_nulls=True),
            [
                {
                    "parent_item_id": item_id,
                    "position": position,
                    "child_item_id": child_id,
                    "ids_operator": operator,
                }
                for position, (child_id, operator) in enumerate(parts)
            ],
        )


async def descendants(session: AsyncSession, item_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Every item reachable from item_ids through composition (item_ids included)."""
    seen: set[uuid.UUID] = set()
    frontier = set(item_ids)
    # Compositions are a few levels deep (word -> character -> component), so a loop of small
    # queries ends quickly.
    while frontier:
        seen |= frontier
        children = await session.scalars(
            select(ItemPart.child_item_id).where(ItemPart.parent_item_id.in_(list(frontier)))
        )
        frontier = set(children.all()) - seen
    return seen


async def list_items(
    session: AsyncSession,
    *,
    kind: ItemKind | None,
    hanzi: str | None,
    search: str | None,
    hsk3_level: int | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[Item], int]:
    statement = select(Item)
    if kind is not None:
        statement = statement.where(Item.kind == kind)
    if hanzi is not None:
        statement = statement.where(Item.hanzi == hanzi)
    if hsk3_level is not None:
        statement = statement.where(Item.hsk3_level == hsk3_level)
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(
                Item.hanzi.like(pattern, escape="\\"),
                func.lower(Item.keyword).like(pattern.lower(), escape="\\"),
                Item.pinyin_numbered.like(pattern.lower(), escape="\\"),
            )
        )
    total = await session.scalar(select(func.count()).select_from(statement.subquery()))
    items = await session.scalars(
        statement.order_by(Item.frequency_rank.nulls_last(), Item.hanzi, Item.sense_key)
        .offset(offset)
        .limit(limit)
    )
    return items.all(), int(total or 0)


async def item_has_cards(session: AsyncSession, item_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(ReviewCard.id).where(ReviewCard.item_id == item_id).limit(1)
    )
    return found is not None


async def delete_rows(session: AsyncSession, model: type[Any], row_id: uuid.UUID) -> None:
    """Delete by primary key; the database cascades to the rows below."""
    await session.execute(
        delete(model).where(model.id == row_id).execution_options(synchronize_session=False)
    )
