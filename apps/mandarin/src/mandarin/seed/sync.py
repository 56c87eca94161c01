"""Write a built course into the database so that writing it again changes nothing.

Rows are matched by their natural keys (course slug; phase, level and lesson ordinals; an item's
hanzi and sense), compared, and only the differences are written. Rows of the course the data no
longer has are deleted; items are shared between courses and never deleted here.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from mandarin.mnemonics import chart
from mandarin.models import (
    Course,
    Item,
    ItemKind,
    ItemPart,
    Lesson,
    LessonItem,
    Level,
    Phase,
    SlotKind,
    UnlockRule,
    new_id,
)

if TYPE_CHECKING:
    # Only the types: the builder loads pypinyin's dictionaries on import.
    from mandarin.seed.hsk import CourseData, ItemData

SYNC_STEPS = (
    "Writing the course, phases and levels",
    "Writing items",
    "Writing lessons",
    "Writing lesson items",
    "Writing composition",
)

_ITEM_COLUMNS = (
    "kind",
    "hanzi_traditional",
    "pinyin_numbered",
    "keyword",
    "meaning",
    "definitions",
    "frequency_rank",
    "hsk2_level",
    "hsk3_level",
    "introduced_level_id",
    "actor_slot_id",
    "set_slot_id",
    "tone",
)


@dataclass(slots=True)
class SyncResult:
    course_id: uuid.UUID
    skipped: bool = False
    inserted: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(+self.inserted or +self.updated or +self.deleted)


def source_digest(inputs: dict[str, Any]) -> str:
    """A digest of what a course is built from (`hsk.digest_inputs`)."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


async def current_course(session: AsyncSession, slug: str, digest: str) -> Course | None:
    """The course if it was already built from exactly this data."""
    course = await session.scalar(select(Course).where(Course.slug == slug))
    if course is not None and course.source_digest == digest:
        return course
    return None


def _assign(row: Any, values: dict[str, Any], result: SyncResult, table: str) -> bool:
    changed = {name: value for name, value in values.items() if getattr(row, name) != value}
    for name, value in changed.items():
        setattr(row, name, value)
    if changed:
        result.updated[table] += 1
    return bool(changed)


async def _delete(
    session: AsyncSession, model: type[Any], ids: list[uuid.UUID], result: SyncResult, table: str
) -> None:
    if ids:
        await session.execute(
            delete(model).where(model.id.in_(ids)).execution_options(synchronize_session=False)
        )
        result.deleted[table] += len(ids)


async def _sync_tree(
    session: AsyncSession, data: CourseData, result: SyncResult, *, now: datetime
) -> tuple[Course, dict[int, Level]]:
    course = await session.scalar(select(Course).where(Course.slug == data.slug))
    if course is None:
        course = Course(
            slug=data.slug,
            title=data.title,
            description=data.description,
            target_lang="zh-CN",
            published_at=now,
            attribution=data.attribution,
            content_version=1,
            created_at=now,
            updated_at=now,
        )
        session.add(course)
        await session.flush()
        result.inserted["courses"] += 1
    else:
        values: dict[str, Any] = {
            "title": data.title,
            "description": data.description,
            "attribution": data.attribution,
        }
        _assign(course, values, result, "courses")
    result.course_id = course.id

    phases = {
        phase.ordinal: phase
        for phase in await session.scalars(select(Phase).where(Phase.course_id == course.id))
    }
    for wanted in data.phases:
        values = {"kind": wanted.kind, "title": wanted.title, "description": wanted.description}
        phase = phases.pop(wanted.ordinal, None)
        if phase is None:
            session.add(Phase(course_id=course.id, ordinal=wanted.ordinal, **values))
            result.inserted["phases"] += 1
        else:
            _assign(phase, values, result, "phases")
    await _delete(session, Phase, [phase.id for phase in phases.values()], result, "phases")
    await session.flush()
    phase_ids = {
        phase.ordinal: phase.id
        for phase in await session.scalars(select(Phase).where(Phase.course_id == course.id))
    }

    levels = {
        level.ordinal: level
        for level in await session.scalars(select(Level).where(Level.course_id == course.id))
    }
    kept: dict[int, Level] = {}
    for wanted_level in data.levels:
        values = {
            "phase_id": phase_ids[wanted_level.phase_ordinal],
            "title": wanted_level.title,
            "unlock_rule": UnlockRule.PREVIOUS_COMPLETED,
        }
        level = levels.pop(wanted_level.ordinal, None)
        if level is None:
            level = Level(course_id=course.id, ordinal=wanted_level.ordinal, **values)
            session.add(level)
            result.inserted["levels"] += 1
        else:
            _assign(level, values, result, "levels")
        kept[wanted_level.ordinal] = level
    await _delete(session, Level, [level.id for level in levels.values()], result, "levels")
    await session.flush()
    return course, kept


def _item_values(item: ItemData, level_id: uuid.UUID | None) -> dict[str, Any]:
    reading = item.reading
    return {
        "kind": item.kind,
        "hanzi_traditional": item.hanzi_traditional,
        "pinyin_numbered": item.pinyin_numbered,
        "keyword": item.keyword,
        "meaning": item.meaning,
        "definitions": item.definitions,
        "frequency_rank": item.frequency_rank,
        "hsk2_level": item.hsk2_level,
        "hsk3_level": item.hsk3_level,
        "introduced_level_id": level_id,
        "actor_slot_id": chart.slot_id(SlotKind.INITIAL, reading.actor) if reading else None,
        "set_slot_id": chart.slot_id(SlotKind.FINAL, reading.set) if reading else None,
        "tone": reading.tone if reading else None,
    }


async def _sync_items(
    session: AsyncSession,
    data: CourseData,
    levels: dict[int, Level],
    result: SyncResult,
    *,
    now: datetime,
) -> dict[str, uuid.UUID]:
    introduced: dict[str, uuid.UUID] = {}
    for wanted_level in data.levels:
        for lesson in wanted_level.lessons:
            for hanzi in lesson.items:
                introduced.setdefault(hanzi, levels[wanted_level.ordinal].id)
    existing = {
        row.hanzi: row
        for row in await session.execute(
            select(Item.id, Item.hanzi, *(getattr(Item, name) for name in _ITEM_COLUMNS)).where(
                Item.sense_key == ""
            )
        )
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    ids: dict[str, uuid.UUID] = {}
    for hanzi, item in data.items.items():
        values = _item_values(item, introduced.get(hanzi))
        row = existing.get(hanzi)
        if row is None:
            item_id = new_id()
            inserts.append(
                {
                    "id": item_id,
                    "hanzi": hanzi,
                    "sense_key": "",
                    "created_at": now,
                    "updated_at": now,
                    **values,
                }
            )
        else:
            item_id = row.id
            changed = {name: value for name, value in values.items() if getattr(row, name) != value}
            if changed:
                updates.append({"id": item_id, "updated_at": now, **changed})
        ids[hanzi] = item_id
    if inserts:
        # render_nulls: rows with NULLs in different columns still go out as one executemany.
        await session.execute(insert(Item).execution_options(render_nulls=True), inserts)
        result.inserted["items"] += len(inserts)
    if updates:
        await session.execute(update(Item), updates)
        result.updated["items"] += len(updates)
    return ids


async def _sync_lessons(
    session: AsyncSession,
    data: CourseData,
    levels: dict[int, Level],
    result: SyncResult,
) -> dict[tuple[int, int], uuid.UUID]:
    level_ids = [level.id for level in levels.values()]
    existing = {
        (lesson.level_id, lesson.ordinal): lesson
        for lesson in await session.scalars(select(Lesson).where(Lesson.level_id.in_(level_ids)))
    }
    inserts: list[dict[str, Any]] = []
    ids: dict[tuple[int, int], uuid.UUID] = {}
    for wanted_level in data.levels:
        level = levels[wanted_level.ordinal]
        for wanted in wanted_level.lessons:
            values = {
                "kind": wanted.kind,
                "title": wanted.title,
                "est_minutes": wanted.est_minutes,
            }
            lesson = existing.pop((level.id, wanted.ordinal), None)
            if lesson is None:
                lesson_id = new_id()
                inserts.append(
                    {"id": lesson_id, "level_id": level.id, "ordinal": wanted.ordinal, **values}
                )
            else:
                lesson_id = lesson.id
                _assign(lesson, values, result, "lessons")
            ids[(wanted_level.ordinal, wanted.ordinal)] = lesson_id
    await _delete(session, Lesson, [lesson.id for lesson in existing.values()], result, "lessons")
    if inserts:
        await session.execute(insert(Lesson), inserts)
        result.inserted["lessons"] += len(inserts)
    await session.flush()
    return ids


async def _sync_lesson_items(
    session: AsyncSession,
    data: CourseData,
    lesson_ids: dict[tuple[int, int], uuid.UUID],
    item_ids: dict[str, uuid.UUID],
    result: SyncResult,
) -> None:
    wanted = {
        (lesson_ids[(level.ordinal, lesson.ordinal)], item_ids[hanzi], position)
        for level in data.levels
        for lesson in level.lessons
        for position, hanzi in enumerate(lesson.items)
    }
    rows = await session.execute(
        select(LessonItem.lesson_id, LessonItem.item_id, LessonItem.position).where(
            LessonItem.lesson_id.in_(list(lesson_ids.values()))
        )
    )
    existing = {(lesson_id, item_id, position) for lesson_id, item_id, position in rows}
    stale = [(lesson_id, item_id) for lesson_id, item_id, _ in existing - wanted]
    for start in range(0, len(stale), 500):
        await session.execute(
            delete(LessonItem).where(
                tuple_(LessonItem.lesson_id, LessonItem.item_id).in_(stale[start : start + 500])
            )
        )
    result.deleted["lesson_items"] += len(stale)
    missing = [
        {"lesson_id": lesson_id, "item_id": item_id, "position": position}
        for lesson_id, item_id, position in wanted - existing
    ]
    if missing:
        await session.execute(insert(LessonItem), missing)
        result.inserted["lesson_items"] += len(missing)


async def _sync_parts(
    session: AsyncSession, data: CourseData, item_ids: dict[str, uuid.UUID], result: SyncResult
) -> None:
    wanted: dict[uuid.UUID, list[uuid.UUID]] = {
        item_ids[hanzi]: [item_ids[part] for part in item.parts]
        for hanzi, item in data.items.items()
        if item.parts
    }
    existing: dict[uuid.UUID, list[tuple[int, uuid.UUID]]] = {}
    rows = await session.execute(
        select(ItemPart.parent_item_id, ItemPart.position, ItemPart.child_item_id)
        .join(Item, Item.id == ItemPart.parent_item_id)
        .where(Item.kind == ItemKind.WORD, Item.sense_key == "")
    )
    for parent, position, child in rows:
        if parent in wanted:
            existing.setdefault(parent, []).append((position, child))
    changed = [
        parent
        for parent, children in wanted.items()
        if [child for _, child in sorted(existing.get(parent, []))] != children
    ]
    replaced = [parent for parent in changed if parent in existing]
    for start in range(0, len(replaced), 500):
        await session.execute(
            delete(ItemPart).where(ItemPart.parent_item_id.in_(replaced[start : start + 500]))
        )
    result.updated["item_parts"] += len(replaced)
    rows_to_insert = [
        {"parent_item_id": parent, "position": position, "child_item_id": child}
        for parent in changed
        for position, child in enumerate(wanted[parent])
    ]
    if rows_to_insert:
        await session.execute(insert(ItemPart).execution_options(render_nulls=True), rows_to_insert)
        result.inserted["item_parts"] += len(changed) - len(replaced)


async def write_course(
    session: AsyncSession,
    data: CourseData,
    *,
    now: datetime,
    report: Callable[[str], None] | None = None,
) -> SyncResult:
    """Bring the course in the database to data; flushes, the caller commits."""
    say = report or (lambda _step: None)
    result = SyncResult(course_id=uuid.UUID(int=0))
    say(SYNC_STEPS[0])
    course, levels = await _sync_tree(session, data, result, now=now)
    created = result.inserted["courses"] == 1
    say(SYNC_STEPS[1])
    item_ids = await _sync_items(session, data, levels, result, now=now)
    say(SYNC_STEPS[2])
    lesson_ids = await _sync_lessons(session, data, levels, result)
    say(SYNC_STEPS[3])
    await _sync_lesson_items(session, data, lesson_ids, item_ids, result)
    say(SYNC_STEPS[4])
    await _sync_parts(session, data, item_ids, result)
    if result.changed and not created:
        course.content_version += 1
    if result.changed:
        course.updated_at = now
    course.source_digest = source_digest(data.digest_inputs)
    await session.flush()
    return result
