"""Pytest plugin: a scratch database per test session, rollback per test, in-process HTTP client.

Loaded with `-p svckit.testing`. `TEST_DATABASE_URL` (a PostgreSQL URL) makes every test run on
a fresh database created beside it and dropped afterwards; without it tests use a SQLite file.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from svckit.db import Database, create_engine

TEST_DATABASE_URL_ENV = "TEST_DATABASE_URL"


def postgres_base_url() -> str | None:
    """The PostgreSQL server tests were pointed at, if any."""
    return os.environ.get(TEST_DATABASE_URL_ENV) or None


@asynccontextmanager
async def scratch_postgres_database(base_url: str, prefix: str = "t") -> AsyncIterator[str]:
    """Create an empty database next to base_url's and drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url)
    try:
        async with admin.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@asynccontextmanager
async def scratch_database(directory: Path, prefix: str = "t") -> AsyncIterator[str]:
    """A fresh empty database: on the PostgreSQL of TEST_DATABASE_URL, else a SQLite file."""
    base = postgres_base_url()
    if base:
        async with scratch_postgres_database(base, prefix) as url:
            yield url
        return
    yield f"sqlite:///{directory / f'{prefix}_{uuid.uuid4().hex[:8]}.db'}"


@asynccontextmanager
async def rollback_database(engine: AsyncEngine) -> AsyncIterator[Database]:
    """A Database whose sessions all run inside one transaction that is rolled back at exit.

    Commits made by the code under test only release savepoints, so each test starts from the
    state the migrations (and session-wide seeds) left.
    """
    async with engine.connect() as connection:
        transaction = await connection.begin()
        database = Database(engine)
        database.sessionmaker = async_sessionmaker(
            bind=connection,
            expire_on_commit=False,
            autoflush=False,
            join_transaction_mode="create_savepoint",
        )
        try:
            yield database
        finally:
            if transaction.is_active:
                await transaction.rollback()


@asynccontextmanager
async def app_client(
    app: FastAPI, base_url: str = "http://testserver"
) -> AsyncIterator[AsyncClient]:
    """An httpx client calling the app in-process, with its lifespan running."""
    async with LifespanManager(app) as manager:
        transport = ASGITransport(app=manager.app)
        async with AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def scratch_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("databases")
