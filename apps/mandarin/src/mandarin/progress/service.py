"""Enrolments and lesson progress: the unlock rules, and the cards a completed lesson creates.

A course is a path: lessons in level order, then lesson order. An enrolled learner may open the
first lesson, any lesson they have started or completed, any lesson of a level whose rule is
"always", and the lesson right after one they completed.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from mandarin.courses import service as courses_service
from mandarin.courses.schemas import CourseSummary
from mandarin.errors import Conflict, Forbidden
from mandarin.models import (
    Course,
    Enrollment,
    EnrollmentStatus,
    Lesson,
    LessonProgress,
    Level,
    ProgressStatus,
    UnlockRule,
    User,
)
from mandarin.progress import repository
from mandarin.progress.schemas import (
    EnrolmentDetail,
    LessonCompletion,
    LessonProgressDetail,
)


def _progress_detail(
    lesson: Lesson, level: Level, progress: LessonProgress | None, *, unlocked: bool
) -> LessonProgressDetail:
    return LessonProgressDetail(
        lesson_id=lesson.id,
        level_id=level.id,
        level_ordinal=level.ordinal,
        ordinal=lesson.ordinal,
        kind=lesson.kind,
        title=lesson.title,
        status=progress.status if progress else ProgressStatus.NOT_STARTED,
        unlocked=unlocked,
        seconds_watched=progress.seconds_watched if progress else 0,
        started_at=progress.started_at if progress else None,
        completed_at=progress.completed_at if progress else None,
    )


def _opens_itself(level: Level, progress: LessonProgress | None) -> bool:
    started = progress is not None and progress.status is not ProgressStatus.NOT_STARTED
    return started or level.unlock_rule is UnlockRule.ALWAYS


async def _enrolment_detail(
    session: AsyncSession, enrolment: Enrollment, course: Course
) -> EnrolmentDetail:
    return EnrolmentDetail(
        course=CourseSummary.model_validate(course),
        status=enrolment.status,
        started_at=enrolment.started_at,
        completed_at=enrolment.completed_at,
        current_level_id=enrolment.current_level_id,
        lessons_total=await repository.course_lesson_count(session, course.id),
        lessons_completed=await repository.completed_lesson_count(
            session, enrolment.user_id, course.id
        ),
        next_lesson_id=await repository.first_unfinished_lesson(
            session, enrolment.user_id, course.id
        ),
    )


async def enrol(
    session: AsyncSession, user: User, course_id: uuid.UUID, *, now: datetime
) -> EnrolmentDetail:
    """Enrol the learner in a course they can see; enrolling again returns the enrolment."""
    course = await courses_service.visible_course(session, user, course_id, now)
    enrolment = await repository.enrol(
        session,
        user.id,
        course.id,
        first_level_id=await repository.first_level_id(session, course.id),
        now=now,
    )
    return await _enrolment_detail(session, enrolment, course)


async def list_enrolments(
    session: AsyncSession, user: User, *, offset: int, limit: int
) -> tuple[list[EnrolmentDetail], int]:
    rows, total = await repository.list_enrolments(session, user.id, offset=offset, limit=limit)
    return [
        await _enrolment_detail(session, enrolment, course) for enrolment, course in rows
    ], total


async def _require_enrolment(session: AsyncSession, user: User, course: Course) -> Enrollment:
    enrolment = await repository.get_enrolment(session, user.id, course.id)
    if enrolment is None:
        raise Forbidden("Enrol in the course first", extra={"course_id": str(course.id)})
    return enrolment


async def _is_unlocked(
    session: AsyncSession,
    user: User,
    course: Course,
    level: Level,
    lesson: Lesson,
    progress: LessonProgress | None,
) -> bool:
    if _opens_itself(level, progress):
        return True
    previous = await repository.neighbour_lesson(session, course.id, level, lesson, after=False)
    if previous is None:
        return True
    previous_progress = await repository.get_progress(session, user.id, previous[0].id)
    return previous_progress is not None and previous_progress.status is ProgressStatus.COMPLETED


async def _require_unlocked(
    session: AsyncSession,
    user: User,
    course: Course,
    level: Level,
    lesson: Lesson,
    progress: LessonProgress | None,
) -> None:
    if not await _is_unlocked(session, user, course, level, lesson, progress):
        raise Conflict("This lesson is locked; complete the lesson before it first")


async def lesson_progress(
    session: AsyncSession, user: User, lesson_id: uuid.UUID, *, now: datetime
) -> LessonProgressDetail:
    lesson, level, course = await courses_service.visible_lesson(session, user, lesson_id, now)
    progress = await repository.get_progress(session, user.id, lesson.id)
    enrolled = await repository.get_enrolment(session, user.id, course.id) is not None
    unlocked = enrolled and await _is_unlocked(session, user, course, level, lesson, progress)
    return _progress_detail(lesson, level, progress, unlocked=unlocked)


async def record_watching(
    session: AsyncSession, user: User, lesson_id: uuid.UUID, seconds: int, *, now: datetime
) -> LessonProgressDetail:
    """Note how far the learner watched; the lesson is in progress unless already completed."""
    lesson, level, course = await courses_service.visible_lesson(session, user, lesson_id, now)
    await _require_enrolment(session, user, course)
    progress = await repository.get_progress(session, user.id, lesson.id)
    await _require_unlocked(session, user, course, level, lesson, progress)
    progress = await repository.ensure_progress(session, user.id, lesson.id, now)
    progress.seconds_watched = max(progress.seconds_watched, seconds)
    if progress.status is ProgressStatus.NOT_STARTED:
        progress.status = ProgressStatus.IN_PROGRESS
        progress.started_at = now
    progress.updated_at = now
    await session.flush()
    return _progress_detail(lesson, level, progress, unlocked=True)


async def complete_lesson(
    session: AsyncSession, user: User, lesson_id: uuid.UUID, *, now: datetime
) -> LessonCompletion:
    """Complete an unlocked lesson and create its items' review cards (idempotent)."""
    lesson, level, course = await courses_service.visible_lesson(session, user, lesson_id, now)
    enrolment = await _require_enrolment(session, user, course)
    progress = await repository.get_progress(session, user.id, lesson.id)
    await _require_unlocked(session, user, course, level, lesson, progress)

    item_ids = await courses_service.lesson_item_ids(session, lesson.id)
    created = await repository.create_new_cards(session, user.id, item_ids, now)
    progress = await repository.ensure_progress(session, user.id, lesson.id, now)
    if progress.status is not ProgressStatus.COMPLETED:
        progress.status = ProgressStatus.COMPLETED
        progress.started_at = progress.started_at or now
        progress.completed_at = now
        progress.updated_at = now

    following = await repository.neighbour_lesson(session, course.id, level, lesson, after=True)
    if following is not None:
        enrolment.current_level_id = following[1].id
    await session.flush()
    if enrolment.status is not EnrollmentStatus.COMPLETED:
        completed = await repository.completed_lesson_count(session, user.id, course.id)
        if completed == await repository.course_lesson_count(session, course.id):
            enrolment.status = EnrollmentStatus.COMPLETED
            enrolment.completed_at = now
            await session.flush()
    return LessonCompletion(
        progress=_progress_detail(lesson, level, progress, unlocked=True),
        cards_created=created,
        next_lesson_id=following[0].id if following is not None else None,
    )


async def course_progress(
    session: AsyncSession,
    user: User,
    course_id: uuid.UUID,
    *,
    now: datetime,
    offset: int,
    limit: int,
) -> tuple[list[LessonProgressDetail], int]:
    """The course's lessons in order, each with the learner's status and whether it is open."""
    course = await courses_service.visible_course(session, user, course_id, now)
    enrolled = await repository.get_enrolment(session, user.id, course.id) is not None
    # One lesson before the page tells whether the page's first lesson is unlocked.
    start = max(offset - 1, 0)
    rows = await repository.course_lessons(
        session, user.id, course.id, offset=start, limit=limit + (offset - start)
    )
    total = await repository.course_lesson_count(session, course.id)
    previous_completed = offset == 0
    details: list[LessonProgressDetail] = []
    for index, (lesson, level, progress) in enumerate(rows):
        unlocked = enrolled and (previous_completed or _opens_itself(level, progress))
        if start + index >= offset:
            details.append(_progress_detail(lesson, level, progress, unlocked=unlocked))
        previous_completed = progress is not None and progress.status is ProgressStatus.COMPLETED
    return details, total
