"""Pooled connections: pinged only after sitting idle, replaced when the database cut them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from svckit.db import create_engine
from svckit.testing import postgres_base_url, scratch_postgres_database

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(postgres_base_url() is None, reason="needs PostgreSQL (TEST_DATABASE_URL)"),
]


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    base = postgres_base_url()
    assert base is not None
    async with scratch_postgres_database(base, "pool") as url:
        yield url


def count_pings(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pings: list[int] = []
    dialect = engine.sync_engine.dialect
    original = dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(1)
        return bool(original(dbapi_connection))

    monkeypatch.setattr(dialect, "do_ping", counted)
    return pings


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(text("SELECT pg_backend_pid()")))


async def test_a_connection_used_moments_ago_is_not_pinged(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(database_url, pool_size=1, max_overflow=0, ping_after_idle_s=60)
    pings = count_pings(engine, monkeypatch)
    try:
        first = await backend_pid(engine)
        assert await backend_pid(engine) == first
        assert pings == []
    finally:
        await engine.dispose()


async def test_an_idle_connection_is_pinged_before_use(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(database_url, pool_size=1, max_overflow=0, ping_after_idle_s=0)
    pings = count_pings(engine, monkeypatch)
    try:
        await backend_pid(engine)
        await backend_pid(engine)
        assert pings == [1]
    finally:
        await engine.dispose()


async def test_a_connection_the_database_cut_is_replaced_before_the_request_sees_it(
    database_url: str,
) -> None:
    engine = create_engine(database_url, pool_size=2, max_overflow=0, ping_after_idle_s=0)
    admin = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        # Two pooled connections, both then killed as a database restart would.
        async with engine.connect() as one, engine.connect() as two:
            pids = {
                int(await one.scalar(text("SELECT pg_backend_pid()"))),
                int(await two.scalar(text("SELECT pg_backend_pid()"))),
            }
        async with admin.connect() as connection:
            for pid in pids:
                await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        for _ in range(3):
            assert await backend_pid(engine) not in pids
    finally:
        await engine.dispose()
        await admin.dispose()
