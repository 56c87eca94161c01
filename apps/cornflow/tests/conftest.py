"""Cornflow test fixtures: one migrated database per session, a rollback per test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cornflow_fastapi import schema_migrations
from sqlalchemy.ext.asyncio import AsyncEngine
from svckit.db import Database, create_engine
from svckit.testing import rollback_database, scratch_database


@pytest.fixture(scope="session")
async def database_url(scratch_dir: Path) -> AsyncIterator[str]:
    async with scratch_database(scratch_dir, prefix="cornflow") as url:
        await asyncio.to_thread(schema_migrations.upgrade, url)
        yield url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def database(engine: AsyncEngine) -> AsyncIterator[Database]:
    async with rollback_database(engine) as database:
        yield database
