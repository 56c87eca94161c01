"""Queries on enrolments, lesson progress and the review cards lessons create."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from mandarin.models import (
    SM2_INITIAL_EASINESS,
    CardState,
    Course,
    Enrollment,
    EnrollmentStatus,
    Lesson,
    LessonProgress,
    Level,
    ProgressStatus,
    ReviewCard,
    new_id,
)


def _insert_ignoring_duplicates(session: AsyncSession, model: type[Any]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING: concurrent requests both succeed, one row results."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def _course_order() -> tuple[Any, Any]:
    return Level.ordinal, Lesson.ordinal


async def get_enrolment(
    session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID
) -> Enrollment | None:
    return await session.scalar(
        select(Enrollment).where(Enrollment.user_id == user_id, Enrollment.course_id == course_id)
    )


async def enrol(
    session: AsyncSession,
    user_id: uuid.UUID,
    course_id: uuid.UUID,
    *,
    first_level_id: uuid.UUID | None,
    now: datetime,
) -> Enrollment:
    await session.execute(
        _insert_ignoring_duplicates(session, Enrollment)
        .values(
            id=new_id(),
            user_id=user_id,
            course_id=course_id,
            status=EnrollmentStatus.ACTIVE,
            current_level_id=first_level_id,
            started_at=now,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "course_id"])
    )
    enrolment = await get_enrolment(session, user_id, course_id)
    assert enrolment is not None
    return enrolment


async def list_enrolments(
    session: AsyncSession, user_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[Sequence[tuple[Enrollment, Course]], int]:
    total = await session.scalar(
        select(func.count()).select_from(Enrollment).where(Enrollment.user_id == user_id)
    )
    rows = await session.execute(
        select(Enrollment, Course)
        .join(Course, Course.id == Enrollment.course_id)
        .where(Enrollment.user_id == user_id)
        .order_by(Enrollment.started_at.desc(), Enrollment.id)
        .offset(offset)
        .limit(limit)
    )
    return [(enrolment, course) for enrolment, course in rows], int(total or 0)


async def first_level_id(session: AsyncSession, course_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(
        select(Level.id).where(Level.course_id == course_id).order_by(Level.ordinal).limit(1)
    )


async def neighbour_lesson(
    session: AsyncSession, course_id: uuid.UUID, level: Level, lesson: Lesson, *, after: bool
) -> tuple[Lesson, Level] | None:
    """The lesson just before (or after) this one in course order: level, then lesson ordinal."""
    if after:
        beyond = or_(
            Level.ordinal > level.ordinal,
            and_(Level.ordinal == level.ordinal, Lesson.ordinal > lesson.ordinal),
        )
        order: list[Any] = [Level.ordinal, Lesson.ordinal]
    else:
        beyond = or_(
            Level.ordinal < level.ordinal,
            and_(Level.ordinal == level.ordinal, Lesson.ordinal < lesson.ordinal),
        )
        order = [Level.ordinal.desc(), Lesson.ordinal.desc()]
    row = (
        await session.execute(
            select(Lesson, Level)
            .join(Level, Level.id == Lesson.level_id)
            .where(Level.course_id == course_id, beyond)
            .order_by(*order)
            .limit(1)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def get_progress(
    session: AsyncSession, user_id: uuid.UUID, lesson_id: uuid.UUID
) -> LessonProgress | None:
    return await session.get(LessonProgress, (user_id, lesson_id))


async def ensure_progress(
    session: AsyncSession, user_id: uuid.UUID, lesson_id: uuid.UUID, now: datetime
) -> LessonProgress:
    """The learner's progress row for a lesson, created (not started) if missing."""
    await session.execute(
        _insert_ignoring_duplicates(session, LessonProgress)
        .values(
            user_id=user_id,
            lesson_id=lesson_id,
            status=ProgressStatus.NOT_STARTED,
            seconds_watched=0,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "lesson_id"])
    )
    progress = await session.get(LessonProgress, (user_id, lesson_id), populate_existing=True)
    assert progress is not None
    return progress


async def course_lesson_count(session: AsyncSession, course_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Lesson)
        .join(Level, Level.id == Lesson.level_id)
        .where(Level.course_id == course_id)
    )
    return int(count or 0)


async def completed_lesson_count(
    session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID
) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(LessonProgress)
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .join(Level, Level.id == Lesson.level_id)
        .where(
            LessonProgress.user_id == user_id,
            LessonProgress.status == ProgressStatus.COMPLETED,
            Level.course_id == course_id,
        )
    )
    return int(count or 0)


async def first_unfinished_lesson(
    session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID
) -> uuid.UUID | None:
    return await session.scalar(
        select(Lesson.id)
        .join(Level, Level.id == Lesson.level_id)
        .outerjoin(
            LessonProgress,
            and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == user_id),
        )
        .where(
            Level.course_id == course_id,
            or_(
                LessonProgress.status.is_(None),
                LessonProgress.status != ProgressStatus.COMPLETED,
            ),
        )
        .order_by(*_course_order())
        .limit(1)
    )


async def course_lessons(
    session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID, *, offset: int, limit: int
) -> Sequence[tuple[Lesson, Level, LessonProgress | None]]:
    rows = await session.execute(
        select(Lesson, Level, LessonProgress)
        .join(Level, Level.id == Lesson.level_id)
        .outerjoin(
            LessonProgress,
            and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == user_id),
        )
        .where(Level.course_id == course_id)
        .order_by(*_course_order())
        .offset(offset)
        .limit(limit)
    )
    return [(lesson, level, progress) for lesson, level, progress in rows]


async def create_new_cards(
    session: AsyncSession, user_id: uuid.UUID, item_ids: Sequence[uuid.UUID], now: datetime
) -> int:
    """A new card (initial SM-2 state, due now) per item without one; how many were made."""
    # Cards that exist are left as they are: completing a lesson again, or two lessons sharing
    # an item, never duplicates or resets a card.
    if not item_ids:
        return 0
    rows = [
        {
            "id": new_id(),
            "user_id": user_id,
            "item_id": item_id,
            "state": CardState.NEW,
            "suspended": False,
            "due_at": now,
            "reps": 0,
            "lapses": 0,
            "sm2_repetitions": 0,
            "sm2_easiness": SM2_INITIAL_EASINESS,
            "sm2_interval_days": 0,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for item_id in item_ids
    ]
    created = await session.scalars(
        _insert_ignoring_duplicates(session, ReviewCard)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["user_id", "item_id"])
        .returning(ReviewCard.id)
    )
    return len(created.all())
