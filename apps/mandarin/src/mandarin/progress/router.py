"""Enrolment and lesson progress: /api/courses/{id}/enrol, /api/me/enrolments, /api/lessons/..."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from mandarin.auth.dependencies import AUTHENTICATED_ERRORS, CurrentUser
from mandarin.clock import ClockDep
from mandarin.dependencies import SessionDep
from mandarin.errors import problem_responses
from mandarin.pagination import Page, PageDep
from mandarin.progress import service
from mandarin.progress.schemas import (
    EnrolmentDetail,
    LessonCompletion,
    LessonProgressDetail,
    ProgressUpdate,
)

router = APIRouter(prefix="/api", tags=["progress"])

_READ = problem_responses(*AUTHENTICATED_ERRORS, 404, 422)


@router.post("/courses/{course_id}/enrol", operation_id="enrol", responses=_READ)
async def enrol(
    course_id: uuid.UUID, user: CurrentUser, session: SessionDep, clock: ClockDep
) -> EnrolmentDetail:
    """Enrol in a course (again: the existing enrolment); its first lesson opens."""
    return await service.enrol(session, user, course_id, now=clock.now())


@router.get(
    "/me/enrolments",
    operation_id="list_enrolments",
    responses=problem_responses(*AUTHENTICATED_ERRORS, 422),
)
async def list_enrolments(
    user: CurrentUser, session: SessionDep, page: PageDep
) -> Page[EnrolmentDetail]:
    """The caller's enrolments, newest first, with how far they got."""
    enrolments, total = await service.list_enrolments(
        session, user, offset=page.offset, limit=page.limit
    )
    return Page.of(enrolments, total=total, page=page)


@router.get("/courses/{course_id}/progress", operation_id="get_course_progress", responses=_READ)
async def get_course_progress(
    course_id: uuid.UUID, user: CurrentUser, session: SessionDep, clock: ClockDep, page: PageDep
) -> Page[LessonProgressDetail]:
    """The course's lessons in order with the caller's status and which are unlocked."""
    lessons, total = await service.course_progress(
        session, user, course_id, now=clock.now(), offset=page.offset, limit=page.limit
    )
    return Page.of(lessons, total=total, page=page)


@router.get("/lessons/{lesson_id}/progress", operation_id="get_lesson_progress", responses=_READ)
async def get_lesson_progress(
    lesson_id: uuid.UUID, user: CurrentUser, session: SessionDep, clock: ClockDep
) -> LessonProgressDetail:
    """The caller's progress on a lesson and whether it is unlocked."""
    return await service.lesson_progress(session, user, lesson_id, now=clock.now())


@router.put(
    "/lessons/{lesson_id}/progress",
    operation_id="record_lesson_progress",
    responses=problem_responses(*AUTHENTICATED_ERRORS, 404, 409, 413, 422),
)
async def record_lesson_progress(
    lesson_id: uuid.UUID,
    body: ProgressUpdate,
    user: CurrentUser,
    session: SessionDep,
    clock: ClockDep,
) -> LessonProgressDetail:
    """Record how far the caller watched an unlocked lesson; it is then in progress."""
    return await service.record_watching(
        session, user, lesson_id, body.seconds_watched, now=clock.now()
    )


@router.post(
    "/lessons/{lesson_id}/complete",
    operation_id="complete_lesson",
    responses=problem_responses(*AUTHENTICATED_ERRORS, 404, 409, 422),
)
async def complete_lesson(
    lesson_id: uuid.UUID, user: CurrentUser, session: SessionDep, clock: ClockDep
) -> LessonCompletion:
    """Complete an unlocked lesson: its items get review cards (once), the next lesson opens."""
    return await service.complete_lesson(session, user, lesson_id, now=clock.now())
