"""The packaged Alembic chain builds exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from mandarin_support import make_settings
from sqlalchemy.engine import Connection

from mandarin import schema_migrations
from mandarin.main import create_app
from mandarin.models import metadata
from svckit.db import Database, create_engine
from svckit.testing import app_client, postgres_base_url, scratch_database


@pytest.fixture
async def empty_url(scratch_dir: Path) -> AsyncIterator[str]:
    async with scratch_database(scratch_dir, prefix="mdmig") as url:
        yield url


async def run_on(url: str, function: Any) -> Any:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(function)
    finally:
        await engine.dispose()


def differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    found: list[Any] = compare_metadata(context, metadata)
    return found


def tables(connection: Connection) -> set[str]:
    return set(sa.inspect(connection).get_table_names())


async def test_models_match_the_migrations(database_url: str) -> None:
    dialect = "postgresql" if postgres_base_url() else "sqlite"
    assert database_url.startswith(dialect)

    assert await run_on(database_url, differences) == []


async def test_downgrade_to_base_and_back(empty_url: str) -> None:
    await asyncio.to_thread(schema_migrations.upgrade, empty_url)
    assert await asyncio.to_thread(schema_migrations.current, empty_url) == (
        schema_migrations.head_revision()
    )
    assert await run_on(empty_url, tables) == {*metadata.tables, "alembic_version"}

    await asyncio.to_thread(schema_migrations.downgrade, empty_url, "base")

    assert await asyncio.to_thread(schema_migrations.current, empty_url) is None
    assert await run_on(empty_url, tables) <= {"alembic_version"}

    await asyncio.to_thread(schema_migrations.upgrade, empty_url)
    assert await run_on(empty_url, differences) == []


async def test_hot_queries_have_their_indexes(database_url: str) -> None:
    def indexes(connection: Connection) -> dict[str, list[list[str | None]]]:
        inspector = sa.inspect(connection)
        return {
            table: [index["column_names"] for index in inspector.get_indexes(table)]
            for table in ("review_cards", "items", "review_logs")
        }

    found = await run_on(database_url, indexes)

    assert ["user_id", "suspended", "due_at"] in found["review_cards"]
    assert ["actor_slot_id"] in found["items"]
    assert ["card_id", "reviewed_at"] in found["review_logs"]


async def test_readiness_fails_until_the_schema_is_at_head(empty_url: str) -> None:
    database = Database.from_url(empty_url)
    try:
        async with app_client(create_app(make_settings(), database=database)) as client:
            before = await client.get("/readyz")
            await asyncio.to_thread(schema_migrations.upgrade, empty_url)
            after = await client.get("/readyz")
    finally:
        await database.dispose()

    assert before.status_code == 503
    assert before.json()["checks"]["migrations"] == "failed"
    assert after.status_code == 200
