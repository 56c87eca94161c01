"""Mandarin test fixtures: one migrated database per session, a rollback per test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from mandarin_support import ManualClock, make_settings
from sqlalchemy.ext.asyncio import AsyncEngine

from mandarin import schema_migrations
from mandarin.config import MandarinSettings
from mandarin.main import create_app
from svckit.db import Database, create_engine
from svckit.testing import app_client, rollback_database, scratch_database


@pytest.fixture(scope="session")
async def database_url(scratch_dir: Path) -> AsyncIterator[str]:
    """SQLite by default; a scratch PostgreSQL database with TEST_DATABASE_URL."""
    async with scratch_database(scratch_dir, prefix="mandarin") as url:
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


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def settings() -> MandarinSettings:
    return make_settings()


@pytest.fixture
def app(settings: MandarinSettings, database: Database, clock: ManualClock) -> FastAPI:
    return create_app(settings, database=database, clock=clock)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with app_client(app) as client:
        yield client


@pytest.fixture
def build_app(database: Database, clock: ManualClock) -> Callable[..., FastAPI]:
    """An app with other settings on the same test database: `app_client(build_app(...))`."""

    def build(**overrides: Any) -> FastAPI:
        return create_app(make_settings(**overrides), database=database, clock=clock)

    return build
