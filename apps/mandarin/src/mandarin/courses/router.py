"""/api/courses, /api/levels, /api/lessons, /api/items: reading the course (learners) and
authoring it (administrators)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from mandarin.auth.dependencies import AUTHENTICATED_ERRORS, CurrentAdmin, CurrentUser
from mandarin.clock import ClockDep
from mandarin.courses import service
from mandarin.courses.schemas import (
    CourseAttribution,
    CourseCreate,
    CourseDetail,
    CourseSummary,
    CourseUpdate,
    ItemCreate,
    ItemDetail,
    ItemPartsUpdate,
    ItemSummary,
    ItemUpdate,
    LessonCreate,
    LessonDetail,
    LessonItemsUpdate,
    LessonUpdate,
    LevelCreate,
    LevelDetail,
    LevelSummary,
    LevelUpdate,
    PhaseCreate,
    PhaseDetail,
    PhaseUpdate,
    Slug,
)
from mandarin.dependencies import SessionDep
from mandarin.errors import problem_responses
from mandarin.fields import StoredText
from mandarin.models import ItemKind
from mandarin.pagination import Page, PageDep

router = APIRouter(prefix="/api", tags=["courses"])
authoring_router = APIRouter(prefix="/api", tags=["authoring"])

_READ = problem_responses(*AUTHENTICATED_ERRORS, 404, 422)
_AUTHOR = problem_responses(*AUTHENTICATED_ERRORS, 404, 409, 413, 422)


# --- reading ------------------------------------------------------------------------------------


@router.get(
    "/courses", operation_id="list_courses", responses=problem_responses(*AUTHENTICATED_ERRORS, 422)
)
async def list_courses(
    user: CurrentUser, session: SessionDep, clock: ClockDep, page: PageDep
) -> Page[CourseSummary]:
    """Published courses (administrators also see drafts), by title."""
    courses, total = await service.list_courses(
        session, user, now=clock.now(), offset=page.offset, limit=page.limit
    )
    return Page.of(courses, total=total, page=page)


@router.get("/courses/{course_id}", operation_id="get_course", responses=_READ)
async def get_course(
    course_id: uuid.UUID, user: CurrentUser, session: SessionDep, clock: ClockDep
) -> CourseDetail:
    """A course with its phases and levels, its sources and their licences."""
    return await service.get_course(session, user, course_id, now=clock.now())


@router.get("/courses/{course_id}/levels", operation_id="list_course_levels", responses=_READ)
async def list_course_levels(
    course_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    clock: ClockDep,
    page: PageDep,
    phase_id: Annotated[uuid.UUID | None, Query(description="Only this phase's levels")] = None,
) -> Page[LevelSummary]:
    """A course's levels in order, a page at a time."""
    levels, total = await service.list_levels(
        session,
        user,
        course_id,
        phase_id=phase_id,
        now=clock.now(),
        offset=page.offset,
        limit=page.limit,
    )
    return Page.of(levels, total=total, page=page)


@router.get("/levels/{level_id}", operation_id="get_level", responses=_READ)
async def get_level(
    level_id: uuid.UUID, user: CurrentUser, session: SessionDep, clock: ClockDep
) -> LevelDetail:
    """A level with its lessons in order."""
    return await service.get_level(session, user, level_id, now=clock.now())


@router.get("/lessons/{lesson_id}", operation_id="get_lesson", responses=_READ)
async def get_lesson(
    lesson_id: uuid.UUID, user: CurrentUser, session: SessionDep, clock: ClockDep
) -> LessonDetail:
    """A lesson with the items it teaches, in order."""
    return await service.get_lesson(session, user, lesson_id, now=clock.now())


@router.get(
    "/items", operation_id="list_items", responses=problem_responses(*AUTHENTICATED_ERRORS, 422)
)
async def list_items(
    user: CurrentUser,
    session: SessionDep,
    page: PageDep,
    kind: Annotated[ItemKind | None, Query(description="Only items of this kind")] = None,
    hanzi: Annotated[
        StoredText | None, Query(max_length=800, description="Exactly these hanzi")
    ] = None,
    search: Annotated[
        StoredText | None,
        Query(max_length=100, description="In the hanzi, keyword or numbered pinyin"),
    ] = None,
    hsk3_level: Annotated[
        int | None, Query(ge=1, le=7, description="HSK 3.0 level (7 = 7-9)")
    ] = None,
) -> Page[ItemSummary]:
    """Items, most frequent first."""
    items, total = await service.list_items(
        session,
        kind=kind,
        hanzi=hanzi,
        search=search,
        hsk3_level=hsk3_level,
        offset=page.offset,
        limit=page.limit,
    )
    return Page.of(items, total=total, page=page)


@router.get("/items/{item_id}", operation_id="get_item", responses=_READ)
async def get_item(item_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> ItemDetail:
    """An item with its composition and the caller's movie-method scene for it."""
    return await service.get_item(session, user, item_id)


@router.get("/attribution", operation_id="get_attribution", responses=problem_responses(404, 422))
async def get_attribution(
    session: SessionDep,
    clock: ClockDep,
    course: Annotated[Slug | None, Query(description="Only this course (its slug)")] = None,
) -> list[CourseAttribution]:
    """The open data each published course is built from, with the notices its licences ask for."""
    return await service.attributions(session, slug=course, now=clock.now())


# --- authoring ----------------------------------------------------------------------------------


@authoring_router.post("/courses", status_code=201, operation_id="create_course", responses=_AUTHOR)
async def create_course(
    body: CourseCreate, _admin: CurrentAdmin, session: SessionDep, clock: ClockDep
) -> CourseDetail:
    """Create a course (administrators)."""
    return await service.create_course(session, body, now=clock.now())


@authoring_router.patch("/courses/{course_id}", operation_id="update_course", responses=_AUTHOR)
async def update_course(
    course_id: uuid.UUID,
    body: CourseUpdate,
    _admin: CurrentAdmin,
    session: SessionDep,
    clock: ClockDep,
) -> CourseDetail:
    """Change a course; published: true shows it to learners (administrators)."""
    return await service.update_course(session, course_id, body, now=clock.now())


@authoring_router.delete(
    "/courses/{course_id}", status_code=204, operation_id="delete_course", responses=_READ
)
async def delete_course(course_id: uuid.UUID, _admin: CurrentAdmin, session: SessionDep) -> None:
    """Delete a course with its tree and enrolments; items and review cards stay."""
    await service.delete_course(session, course_id)


@authoring_router.post(
    "/courses/{course_id}/phases", status_code=201, operation_id="create_phase", responses=_AUTHOR
)
async def create_phase(
    course_id: uuid.UUID,
    body: PhaseCreate,
    _admin: CurrentAdmin,
    session: SessionDep,
    clock: ClockDep,
) -> PhaseDetail:
    """Add a phase to a course (administrators)."""
    return await service.create_phase(session, course_id, body, now=clock.now())


@authoring_router.patch("/phases/{phase_id}", operation_id="update_phase", responses=_AUTHOR)
async def update_phase(
    phase_id: uuid.UUID,
    body: PhaseUpdate,
    _admin: CurrentAdmin,
    session: SessionDep,
    clock: ClockDep,
) -> PhaseDetail:
    """Change a phase (administrators)."""
    return await service.update_phase(session, phase_id, body, now=clock.now())


@authoring_router.delete(
    "/phases/{phase_id}", status_code=204, operation_id="delete_phase", responses=_READ
)
async def delete_phase(
    phase_id: uuid.UUID, _admin: CurrentAdmin, session: SessionDep, clock: ClockDep
) -> None:
    """Delete a phase with its levels and lessons (administrators)."""
    await service.delete_phase(session, phase_id, now=clock.now())


@authoring_router.post(
    "/phases/{phase_id}/levels", status_code=201, operation_id="create_level", responses=_AUTHOR
)
async def create_level(
    phase_id: uuid.UUID,
    body: LevelCreate,
    _admin: CurrentAdmin,
    session: SessionDep,
    clock: ClockDep,
) -> LevelDetail:
    """Add a level to a phase; its ordinal places it in the whole course (administrators)."""
    return await service.create_level(session, phase_id, body, now=clock.now())


@authoring_router.patch("/levels/{level_id}", operation_id="update_level", responses=_AUTHOR)
async def update_level(
    level_id: uuid.UUID,
    body: LevelUpdate,
    _admin: CurrentAdmin,
    session: SessionDep,
    clock: ClockDep,
) -> LevelDetail:
    """Change a level or move it to another phase of its course (administrators)."""
    return await service.update_level(session, level_id, body, now=clock.now())


@authoring_router.delete(
    "/levels/{level_id}", status_code=204, operation_id="delete_level", responses=_READ
)
async def delete_level(
    level_id: uuid.UUID, _admin: CurrentAdmin, session: SessionDep, clock: ClockDep
) -> None:
    """Delete a level with its lessons (administrators)."""
    await service.delete_level(session, level_id, now=clock.now())


@authoring_router.post(
    "/levels/{level_id}/lessons", status_code=201, operation_id="create_lesson", responses=_AUTHOR
)
async def create_lesson(
    level_id: uuid.UUID,
    body: LessonCreate,
    _admin: CurrentAdmin,
    session: SessionDep,
    clock: ClockDep,
) -> LessonDetail:
    """Add a lesson to a level (administrators)."""
    return await service.create_lesson(session, level_id, body, now=clock.now())


@authoring_router.patch("/lessons/{lesson_id}", operation_id="update_lesson", responses=_AUTHOR)
async def update_lesson(
    lesson_id: uuid.UUID,
    body: LessonUpdate,
    _admin: CurrentAdmin,
    session: SessionDep,
    clock: ClockDep,
) -> LessonDetail:
    """Change a lesson (administrators)."""
    return await service.update_lesson(session, lesson_id, body, now=clock.now())


@authoring_router.delete(
    "/lessons/{lesson_id}", status_code=204, operation_id="delete_lesson", responses=_READ
)
async def delete_lesson(
    lesson_id: uuid.UUID, _admin: CurrentAdmin, session: SessionDep, clock: ClockDep
) -> None:
    """Delete a lesson and the learners' progress on it (administrators)."""
    await service.delete_lesson(session, lesson_id, now=clock.now())


@authoring_router.put(
    "/lessons/{lesson_id}/items", operation_id="set_lesson_items", responses=_AUTHOR
)
async def set_lesson_items(
    lesson_id: uuid.UUID,
    body: LessonItemsUpdate,
    _admin: CurrentAdmin,
    session: SessionDep,
    clock: ClockDep,
) -> LessonDetail:
    """Replace the items a lesson teaches, in order (administrators)."""
    return await service.set_lesson_items(session, lesson_id, body.item_ids, now=clock.now())


@authoring_router.post("/items", status_code=201, operation_id="create_item", responses=_AUTHOR)
async def create_item(
    body: ItemCreate, admin: CurrentAdmin, session: SessionDep, clock: ClockDep
) -> ItemDetail:
    """Create an item; a character's actor, set and room follow from its pinyin (administrators)."""
    return await service.create_item(session, admin, body, now=clock.now())


@authoring_router.patch("/items/{item_id}", operation_id="update_item", responses=_AUTHOR)
async def update_item(
    item_id: uuid.UUID,
    body: ItemUpdate,
    admin: CurrentAdmin,
    session: SessionDep,
    clock: ClockDep,
) -> ItemDetail:
    """Change an item (administrators)."""
    return await service.update_item(session, admin, item_id, body, now=clock.now())


@authoring_router.delete(
    "/items/{item_id}",
    status_code=204,
    operation_id="delete_item",
    responses=problem_responses(*AUTHENTICATED_ERRORS, 404, 409, 422),
)
async def delete_item(item_id: uuid.UUID, _admin: CurrentAdmin, session: SessionDep) -> None:
    """Delete an item no learner is reviewing (administrators)."""
    await service.delete_item(session, item_id)


@authoring_router.put("/items/{item_id}/parts", operation_id="set_item_parts", responses=_AUTHOR)
async def set_item_parts(
    item_id: uuid.UUID,
    body: ItemPartsUpdate,
    admin: CurrentAdmin,
    session: SessionDep,
    clock: ClockDep,
) -> ItemDetail:
    """Replace an item's composition, in order (administrators)."""
    return await service.set_item_parts(session, admin, item_id, body.parts, now=clock.now())
