"""The course tree: reading it (learners see published courses) and authoring it (admins)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mandarin import pinyin
from mandarin.courses import repository
from mandarin.courses.schemas import (
    Attribution,
    CourseAttribution,
    CourseCreate,
    CourseDetail,
    CourseSummary,
    CourseUpdate,
    ItemCreate,
    ItemDetail,
    ItemPartDetail,
    ItemPartInput,
    ItemSummary,
    ItemUpdate,
    LessonCreate,
    LessonDetail,
    LessonSummary,
    LessonUpdate,
    LevelCreate,
    LevelDetail,
    LevelSummary,
    LevelUpdate,
    PhaseCreate,
    PhaseDetail,
    PhaseUpdate,
)
from mandarin.errors import Conflict, NotFound, UnprocessableContent
from mandarin.mnemonics import chart
from mandarin.mnemonics import service as mnemonics_service
from mandarin.models import (
    Course,
    Item,
    ItemKind,
    Lesson,
    Level,
    Phase,
    SlotKind,
    User,
)

USED_IN_LIMIT = 50


# --- presenting ---------------------------------------------------------------------------------


def item_summary(item: Item) -> ItemSummary:
    return ItemSummary(
        id=item.id,
        kind=item.kind,
        hanzi=item.hanzi,
        hanzi_traditional=item.hanzi_traditional,
        sense_key=item.sense_key,
        pinyin_numbered=item.pinyin_numbered,
        pinyin_marks=pinyin.to_marks(item.pinyin_numbered) if item.pinyin_numbered else None,
        keyword=item.keyword,
        hsk3_level=item.hsk3_level,
        frequency_rank=item.frequency_rank,
    )


def _attribution(course: Course) -> list[Attribution]:
    return [Attribution.model_validate(source) for source in course.attribution or []]


def _level_summary(level: Level, lesson_count: int) -> LevelSummary:
    return LevelSummary(
        id=level.id,
        phase_id=level.phase_id,
        ordinal=level.ordinal,
        title=level.title,
        unlock_rule=level.unlock_rule,
        lesson_count=lesson_count,
    )


def _lesson_summary(lesson: Lesson, item_count: int) -> LessonSummary:
    return LessonSummary(
        id=lesson.id,
        level_id=lesson.level_id,
        ordinal=lesson.ordinal,
        kind=lesson.kind,
        title=lesson.title,
        est_minutes=lesson.est_minutes,
        item_count=item_count,
    )


# --- visibility ---------------------------------------------------------------------------------


def is_visible(course: Course, user: User, now: datetime) -> bool:
    """Learners see published courses; administrators see drafts too."""
    if user.is_admin:
        return True
    return course.published_at is not None and course.published_at <= now


async def visible_course(
    session: AsyncSession, user: User, course_id: uuid.UUID, now: datetime
) -> Course:
    course = await repository.get_course(session, course_id)
    if course is None or not is_visible(course, user, now):
        raise NotFound("No such course")
    return course


async def visible_lesson(
    session: AsyncSession, user: User, lesson_id: uuid.UUID, now: datetime
) -> tuple[Lesson, Level, Course]:
    """A lesson with its level and course, if the caller may see the course."""
    found = await repository.get_lesson(session, lesson_id)
    if found is None:
        raise NotFound("No such lesson")
    lesson, level = found
    course = await repository.get_course(session, level.course_id)
    if course is None or not is_visible(course, user, now):
        raise NotFound("No such lesson")
    return lesson, level, course


# --- reading ------------------------------------------------------------------------------------


async def list_courses(
    session: AsyncSession, user: User, *, now: datetime, offset: int, limit: int
) -> tuple[list[CourseSummary], int]:
    courses, total = await repository.list_courses(
        session, published_before=None if user.is_admin else now, offset=offset, limit=limit
    )
    return [CourseSummary.model_validate(course) for course in courses], total


async def course_detail(session: AsyncSession, course: Course) -> CourseDetail:
    phases = await repository.phases_of(session, course.id)
    levels = await repository.levels_of(session, course.id)
    lesson_count, item_count = await repository.course_counts(session, course.id)
    by_phase: dict[uuid.UUID, list[LevelSummary]] = {phase.id: [] for phase in phases}
    for level, count in levels:
        by_phase.setdefault(level.phase_id, []).append(_level_summary(level, count))
    return CourseDetail(
        **CourseSummary.model_validate(course).model_dump(),
        attribution=_attribution(course),
        lesson_count=lesson_count,
        item_count=item_count,
        phases=[
            PhaseDetail(
                id=phase.id,
                ordinal=phase.ordinal,
                kind=phase.kind,
                title=phase.title,
                description=phase.description,
                levels=by_phase[phase.id],
            )
            for phase in phases
        ],
    )


async def get_course(
    session: AsyncSession, user: User, course_id: uuid.UUID, *, now: datetime
) -> CourseDetail:
    return await course_detail(session, await visible_course(session, user, course_id, now))


async def list_levels(
    session: AsyncSession,
    user: User,
    course_id: uuid.UUID,
    *,
    phase_id: uuid.UUID | None,
    now: datetime,
    offset: int,
    limit: int,
) -> tuple[list[LevelSummary], int]:
    await visible_course(session, user, course_id, now)
    levels, total = await repository.page_levels(
        session, course_id, phase_id=phase_id, offset=offset, limit=limit
    )
    return [_level_summary(level, count) for level, count in levels], total


async def get_level(
    session: AsyncSession, user: User, level_id: uuid.UUID, *, now: datetime
) -> LevelDetail:
    level = await repository.get_level(session, level_id)
    if level is None:
        raise NotFound("No such level")
    course = await repository.get_course(session, level.course_id)
    if course is None or not is_visible(course, user, now):
        raise NotFound("No such level")
    lessons = await repository.lessons_of(session, level.id)
    return LevelDetail(
        **_level_summary(level, len(lessons)).model_dump(),
        course_id=level.course_id,
        lessons=[_lesson_summary(lesson, count) for lesson, count in lessons],
    )


async def lesson_detail(session: AsyncSession, lesson: Lesson, level: Level) -> LessonDetail:
    items = await repository.lesson_items(session, lesson.id)
    return LessonDetail(
        **_lesson_summary(lesson, len(items)).model_dump(),
        course_id=level.course_id,
        video_url=lesson.video_url,
        body_md=lesson.body_md,
        items=[item_summary(item) for item in items],
    )


async def get_lesson(
    session: AsyncSession, user: User, lesson_id: uuid.UUID, *, now: datetime
) -> LessonDetail:
    lesson, level, _course = await visible_lesson(session, user, lesson_id, now)
    return await lesson_detail(session, lesson, level)


async def lesson_item_ids(session: AsyncSession, lesson_id: uuid.UUID) -> list[uuid.UUID]:
    return [item.id for item in await repository.lesson_items(session, lesson_id)]


async def get_item(session: AsyncSession, user: User, item_id: uuid.UUID) -> ItemDetail:
    item = await repository.get_item(session, item_id)
    if item is None:
        raise NotFound("No such item")
    return await _item_detail(session, item, user)


async def _item_detail(session: AsyncSession, item: Item, user: User) -> ItemDetail:
    parts = await repository.item_parts(session, item.id)
    parents = await repository.item_parents(session, item.id, USED_IN_LIMIT)
    mnemonics = await mnemonics_service.item_mnemonics(session, user.id, item.id)
    return ItemDetail(
        **item_summary(item).model_dump(),
        meaning=item.meaning,
        definitions=item.definitions,
        hsk2_level=item.hsk2_level,
        strokes=item.strokes,
        audio_url=item.audio_url,
        suggested_prop=item.suggested_prop,
        introduced_level_id=item.introduced_level_id,
        tone=item.tone,
        parts=[
            ItemPartDetail(
                position=part.position, ids_operator=part.ids_operator, item=item_summary(child)
            )
            for part, child in parts
        ],
        used_in=[item_summary(parent) for parent in parents],
        mnemonics=mnemonics,
    )


async def list_items(
    session: AsyncSession,
    *,
    kind: ItemKind | None,
    hanzi: str | None,
    search: str | None,
    hsk3_level: int | None,
    offset: int,
    limit: int,
) -> tuple[list[ItemSummary], int]:
    items, total = await repository.list_items(
        session,
        kind=kind,
        hanzi=hanzi,
        search=search,
        hsk3_level=hsk3_level,
        offset=offset,
        limit=limit,
    )
    return [item_summary(item) for item in items], total


async def attributions(
    session: AsyncSession, *, slug: str | None, now: datetime
) -> list[CourseAttribution]:
    courses = await repository.published_courses(session, now, slug)
    if slug is not None and not courses:
        raise NotFound("No published course has this slug")
    return [
        CourseAttribution(
            course_id=course.id, slug=course.slug, title=course.title, sources=_attribution(course)
        )
        for course in courses
    ]


# --- authoring ----------------------------------------------------------------------------------


async def _flush(session: AsyncSession, conflict: str) -> None:
    """Flush; a unique constraint that a concurrent request beat us to becomes a 409."""
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(conflict) from None


async def _touch(session: AsyncSession, course_id: uuid.UUID, now: datetime) -> None:
    """Bump the course's content version: clients holding a copy know to fetch it again."""
    course = await repository.get_course(session, course_id)
    if course is not None:
        course.content_version += 1
        course.updated_at = now


async def _course(session: AsyncSession, course_id: uuid.UUID) -> Course:
    course = await repository.get_course(session, course_id)
    if course is None:
        raise NotFound("No such course")
    return course


async def _phase(session: AsyncSession, phase_id: uuid.UUID) -> Phase:
    phase = await repository.get_phase(session, phase_id)
    if phase is None:
        raise NotFound("No such phase")
    return phase


async def _level(session: AsyncSession, level_id: uuid.UUID) -> Level:
    level = await repository.get_level(session, level_id)
    if level is None:
        raise NotFound("No such level")
    return level


async def _lesson(session: AsyncSession, lesson_id: uuid.UUID) -> tuple[Lesson, Level]:
    found = await repository.get_lesson(session, lesson_id)
    if found is None:
        raise NotFound("No such lesson")
    return found


async def _item(session: AsyncSession, item_id: uuid.UUID) -> Item:
    item = await repository.get_item(session, item_id)
    if item is None:
        raise NotFound("No such item")
    return item


async def create_course(
    session: AsyncSession, body: CourseCreate, *, now: datetime
) -> CourseDetail:
    if await repository.get_course_by_slug(session, body.slug) is not None:
        raise Conflict(f"A course with slug {body.slug!r} exists")
    course = Course(
        slug=body.slug,
        title=body.title,
        description=body.description,
        target_lang=body.target_lang,
        published_at=now if body.published else None,
        attribution=[source.model_dump() for source in body.attribution],
        content_version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(course)
    await _flush(session, f"A course with slug {body.slug!r} exists")
    return await course_detail(session, course)


async def update_course(
    session: AsyncSession, course_id: uuid.UUID, body: CourseUpdate, *, now: datetime
) -> CourseDetail:
    course = await _course(session, course_id)
    changes = body.changes()
    slug = changes.get("slug")
    if (
        slug is not None
        and slug != course.slug
        and await repository.get_course_by_slug(session, slug) is not None
    ):
        raise Conflict(f"A course with slug {slug!r} exists")
    published = changes.pop("published", None)
    if published is True and course.published_at is None:
        course.published_at = now
    elif published is False:
        course.published_at = None
    if "attribution" in changes:
        changes["attribution"] = [dict(source) for source in changes["attribution"]]
    for name, value in changes.items():
        setattr(course, name, value)
    course.content_version += 1
    course.updated_at = now
    await _flush(session, f"A course with slug {slug!r} exists")
    return await course_detail(session, course)


async def delete_course(session: AsyncSession, course_id: uuid.UUID) -> None:
    await _course(session, course_id)
    await repository.delete_rows(session, Course, course_id)


def _phase_detail(phase: Phase, levels: Sequence[tuple[Level, int]] = ()) -> PhaseDetail:
    return PhaseDetail(
        id=phase.id,
        ordinal=phase.ordinal,
        kind=phase.kind,
        title=phase.title,
        description=phase.description,
        levels=[_level_summary(level, count) for level, count in levels],
    )


async def create_phase(
    session: AsyncSession, course_id: uuid.UUID, body: PhaseCreate, *, now: datetime
) -> PhaseDetail:
    await _course(session, course_id)
    phase = Phase(course_id=course_id, **body.model_dump())
    session.add(phase)
    await _flush(session, f"The course already has a phase {body.ordinal}")
    await _touch(session, course_id, now)
    return _phase_detail(phase)


async def update_phase(
    session: AsyncSession, phase_id: uuid.UUID, body: PhaseUpdate, *, now: datetime
) -> PhaseDetail:
    phase = await _phase(session, phase_id)
    for name, value in body.changes().items():
        setattr(phase, name, value)
    await _flush(session, "The course already has a phase with this ordinal")
    await _touch(session, phase.course_id, now)
    levels = [
        (level, count)
        for level, count in await repository.levels_of(session, phase.course_id)
        if level.phase_id == phase.id
    ]
    return _phase_detail(phase, levels)


async def delete_phase(session: AsyncSession, phase_id: uuid.UUID, *, now: datetime) -> None:
    phase = await _phase(session, phase_id)
    await repository.delete_rows(session, Phase, phase_id)
    await _touch(session, phase.course_id, now)


async def create_level(
    session: AsyncSession, phase_id: uuid.UUID, body: LevelCreate, *, now: datetime
) -> LevelDetail:
    phase = await _phase(session, phase_id)
    level = Level(course_id=phase.course_id, phase_id=phase.id, **body.model_dump())
    session.add(level)
    await _flush(session, f"The course already has a level {body.ordinal}")
    await _touch(session, phase.course_id, now)
    return LevelDetail(
        **_level_summary(level, 0).model_dump(), course_id=level.course_id, lessons=[]
    )


async def update_level(
    session: AsyncSession, level_id: uuid.UUID, body: LevelUpdate, *, now: datetime
) -> LevelDetail:
    level = await _level(session, level_id)
    changes = body.changes()
    phase_id = changes.get("phase_id")
    if phase_id is not None and phase_id != level.phase_id:
        phase = await repository.get_phase(session, phase_id)
        if phase is None or phase.course_id != level.course_id:
            raise UnprocessableContent("phase_id must be a phase of the level's course")
    for name, value in changes.items():
        setattr(level, name, value)
    await _flush(session, "The course already has a level with this ordinal")
    await _touch(session, level.course_id, now)
    lessons = await repository.lessons_of(session, level.id)
    return LevelDetail(
        **_level_summary(level, len(lessons)).model_dump(),
        course_id=level.course_id,
        lessons=[_lesson_summary(lesson, count) for lesson, count in lessons],
    )


async def delete_level(session: AsyncSession, level_id: uuid.UUID, *, now: datetime) -> None:
    level = await _level(session, level_id)
    await repository.delete_rows(session, Level, level_id)
    await _touch(session, level.course_id, now)


async def create_lesson(
    session: AsyncSession, level_id: uuid.UUID, body: LessonCreate, *, now: datetime
) -> LessonDetail:
    level = await _level(session, level_id)
    lesson = Lesson(level_id=level.id, **body.model_dump())
    session.add(lesson)
    await _flush(session, f"The level already has a lesson {body.ordinal}")
    await _touch(session, level.course_id, now)
    return await lesson_detail(session, lesson, level)


async def update_lesson(
    session: AsyncSession, lesson_id: uuid.UUID, body: LessonUpdate, *, now: datetime
) -> LessonDetail:
    lesson, level = await _lesson(session, lesson_id)
    for name, value in body.changes().items():
        setattr(lesson, name, value)
    await _flush(session, "The level already has a lesson with this ordinal")
    await _touch(session, level.course_id, now)
    return await lesson_detail(session, lesson, level)


async def delete_lesson(session: AsyncSession, lesson_id: uuid.UUID, *, now: datetime) -> None:
    _lesson_row, level = await _lesson(session, lesson_id)
    await repository.delete_rows(session, Lesson, lesson_id)
    await _touch(session, level.course_id, now)


async def _require_items(session: AsyncSession, item_ids: Sequence[uuid.UUID]) -> None:
    missing = set(item_ids) - await repository.existing_item_ids(session, item_ids)
    if missing:
        raise UnprocessableContent(
            "Some items do not exist", extra={"missing": sorted(str(item) for item in missing)}
        )


async def set_lesson_items(
    session: AsyncSession, lesson_id: uuid.UUID, item_ids: list[uuid.UUID], *, now: datetime
) -> LessonDetail:
    lesson, level = await _lesson(session, lesson_id)
    await _require_items(session, item_ids)
    await repository.replace_lesson_items(session, lesson.id, item_ids)
    await _touch(session, level.course_id, now)
    return await lesson_detail(session, lesson, level)


def _movie_reading(kind: ItemKind, numbered: str | None) -> dict[str, Any]:
    """A character's actor, set and tone, derived from its pinyin; none for other items."""
    reading = None
    if kind is ItemKind.CHARACTER and numbered and len(numbered.split()) == 1:
        reading = chart.reading(numbered)
    if reading is None:
        return {"actor_slot_id": None, "set_slot_id": None, "tone": None}
    return {
        "actor_slot_id": chart.slot_id(SlotKind.INITIAL, reading.actor),
        "set_slot_id": chart.slot_id(SlotKind.FINAL, reading.set),
        "tone": reading.tone,
    }


def _item_columns(values: dict[str, Any]) -> dict[str, Any]:
    columns = dict(values)
    if "pinyin" in columns:
        columns["pinyin_numbered"] = columns.pop("pinyin")
    return columns


async def create_item(
    session: AsyncSession, user: User, body: ItemCreate, *, now: datetime
) -> ItemDetail:
    if await repository.get_item_by_key(session, body.hanzi, body.sense_key) is not None:
        raise Conflict(f"An item {body.hanzi} with sense_key {body.sense_key!r} exists")
    columns = _item_columns(body.model_dump())
    item = Item(
        **columns,
        **_movie_reading(body.kind, columns["pinyin_numbered"]),
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    await _flush(session, f"An item {body.hanzi} with sense_key {body.sense_key!r} exists")
    return await _item_detail(session, item, user)


async def update_item(
    session: AsyncSession, user: User, item_id: uuid.UUID, body: ItemUpdate, *, now: datetime
) -> ItemDetail:
    item = await _item(session, item_id)
    columns = _item_columns(body.changes())
    hanzi = columns.get("hanzi", item.hanzi)
    sense_key = columns.get("sense_key", item.sense_key)
    if (hanzi, sense_key) != (item.hanzi, item.sense_key):
        other = await repository.get_item_by_key(session, hanzi, sense_key)
        if other is not None:
            raise Conflict(f"An item {hanzi} with sense_key {sense_key!r} exists")
    for name, value in columns.items():
        setattr(item, name, value)
    for name, value in _movie_reading(item.kind, item.pinyin_numbered).items():
        setattr(item, name, value)
    item.updated_at = now
    await _flush(session, f"An item {hanzi} with sense_key {sense_key!r} exists")
    return await _item_detail(session, item, user)


async def delete_item(session: AsyncSession, item_id: uuid.UUID) -> None:
    await _item(session, item_id)
    if await repository.item_has_cards(session, item_id):
        raise Conflict("Learners are reviewing this item; it cannot be deleted")
    await repository.delete_rows(session, Item, item_id)


async def set_item_parts(
    session: AsyncSession,
    user: User,
    item_id: uuid.UUID,
    parts: list[ItemPartInput],
    *,
    now: datetime,
) -> ItemDetail:
    item = await _item(session, item_id)
    child_ids = [part.item_id for part in parts]
    await _require_items(session, child_ids)
    if item.id in await repository.descendants(session, child_ids):
        raise UnprocessableContent(
            "An item cannot be made of itself, directly or through its parts"
        )
    await repository.replace_item_parts(
        session, item.id, [(part.item_id, part.ids_operator) for part in parts]
    )
    item.updated_at = now
    await session.flush()
    return await _item_detail(session, item, user)
