"""`mandarin seed-demo`: the HSK 3.0 demo course, built from open data installed with the app."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from mandarin.clock import SystemClock
from mandarin.config import MandarinSettings
from mandarin.seed import source, sync
from svckit.db import Database

if TYPE_CHECKING:
    from mandarin.seed.hsk import CourseData

BUILD_STEPS = 4

MaxLevel = Annotated[
    int,
    typer.Option("--max-level", min=1, max=7, help="Last HSK level to include (7 is the band 7-9)"),
]
Force = Annotated[
    bool, typer.Option("--force", help="Rebuild and compare even if the data did not change")
]


async def _current(url: str, data_digest: str) -> bool:
    database = Database.from_url(url)
    try:
        async with database.sessionmaker() as session:
            return await sync.current_course(session, source.SLUG, data_digest) is not None
    finally:
        await database.dispose()


async def _write(url: str, data: CourseData, progress: Progress, task: TaskID) -> sync.SyncResult:
    database = Database.from_url(url)
    try:
        async with database.sessionmaker() as session, session.begin():
            return await sync.write_course(
                session,
                data,
                now=SystemClock().now(),
                report=lambda step: progress.update(task, description=step, advance=1),
            )
    finally:
        await database.dispose()


def _summary(data: CourseData, result: sync.SyncResult, seconds: float) -> str:
    characters = sum(1 for item in data.items.values() if item.kind.value == "character")
    words = len(data.items) - characters
    lessons = sum(len(level.lessons) for level in data.levels)
    defined = sum(1 for item in data.items.values() if item.definitions)

    def changes(counter: dict[str, int]) -> str:
        return ", ".join(f"{count} {table}" for table, count in sorted(counter.items()) if count)

    changed = (
        "; ".join(
            f"{verb} {text}"
            for verb, text in (
                ("inserted", changes(result.inserted)),
                ("updated", changes(result.updated)),
                ("deleted", changes(result.deleted)),
            )
            if text
        )
        or "nothing changed"
    )
    return (
        f"Course {data.slug}: {len(data.phases)} phases, {len(data.levels)} levels, "
        f"{lessons} lessons, {characters} characters and {words} words "
        f"({defined} with CC-CEDICT definitions), in {seconds:.1f} s; {changed}."
    )


def seed_demo(max_level: MaxLevel = source.BAND, force: Force = False) -> None:
    """Build (or bring up to date) the HSK 3.0 demo course; running it again changes nothing."""
    url = MandarinSettings().database.url
    started = time.perf_counter()
    digest = sync.source_digest(source.digest_inputs(max_level))
    if not force and asyncio.run(_current(url, digest)):
        typer.echo(f"Course {source.SLUG} is up to date with its data; nothing to do.")
        return
    # Loaded only now: pypinyin reads its dictionaries on import.
    from mandarin.seed import hsk

    console = Console(stderr=True)
    columns = (TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("Starting", total=BUILD_STEPS + len(sync.SYNC_STEPS))
        data = hsk.build(
            max_level, report=lambda step: progress.update(task, description=step, advance=1)
        )
        result = asyncio.run(_write(url, data, progress, task))
        progress.update(task, description="Done")
    typer.echo(_summary(data, result, time.perf_counter() - started))
