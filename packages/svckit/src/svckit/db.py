"""Async engines, sessions and the per-request transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import MetaData, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def naming_metadata() -> MetaData:
    """A MetaData whose unnamed constraints get predictable names."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def async_url(url: str | URL) -> URL:
    """Map a plain database URL (as Flask apps write them) to its async driver."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend in {"postgresql", "postgres"}:
        return parsed.set(drivername="postgresql+asyncpg")
    raise ValueError(f"unsupported database backend: {backend}")


# Execution option naming the statement that opens a SQLite transaction. A writer opens with
# BEGIN IMMEDIATE: a deferred transaction that has read and then writes fails at once with
# "database is locked" when another process holds the write lock, where an immediate one waits
# for it (busy timeout), as the Flask servers sharing the file do.
SQLITE_BEGIN = "svckit_sqlite_begin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _enable_sqlite_transactions(engine: AsyncEngine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT and delays BEGIN; let SQLAlchemy
    # emit BEGIN itself, and enforce foreign keys as the Flask servers do.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(connection.get_execution_options().get(SQLITE_BEGIN, "BEGIN"))


def create_engine(
    url: str | URL,
    *,
    pool_size: int = 10,
    max_overflow: int = 10,
    transaction_pooler: bool = False,
    echo: bool = False,
) -> AsyncEngine:
    """An async engine for SQLite (aiosqlite) or PostgreSQL (asyncpg).

    transaction_pooler: the database sits behind a transaction-mode pooler (Supabase's
    port 6543, PgBouncer), which cannot keep prepared statements between transactions.
    """
    target = async_url(url)
    options: dict[str, Any] = {"echo": echo, "pool_pre_ping": True}
    if target.get_backend_name() == "sqlite":
        options["poolclass"] = NullPool if target.database in (None, "", ":memory:") else None
        options = {k: v for k, v in options.items() if v is not None}
        options["connect_args"] = {"timeout": 30}
        engine = create_async_engine(target, **options)
        _enable_sqlite_transactions(engine)
        return engine
    options.update(pool_size=pool_size, max_overflow=max_overflow)
    if transaction_pooler:
        options["poolclass"] = NullPool
        options.pop("pool_size")
        options.pop("max_overflow")
        options["connect_args"] = {
            "statement_cache_size": 0,
            "prepared_statement_cache_size": 0,
        }
    return create_async_engine(target, **options)


class Database:
    """An engine and the session factory bound to it, owned by one app."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessionmaker: async_sessionmaker[AsyncSession] = async_sessionmaker(
            engine, expire_on_commit=False, autoflush=False
        )

    @classmethod
    def from_url(cls, url: str | URL, **options: Any) -> Database:
        return cls(create_engine(url, **options))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def dispose(self) -> None:
        await self.engine.dispose()


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def session_per_request(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent."""
    database = get_database(request)
    async with database.sessionmaker() as session:
        if database.dialect == "sqlite" and request.method not in SAFE_METHODS:
            await session.connection(execution_options={SQLITE_BEGIN: "BEGIN IMMEDIATE"})
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


# scope="function": the commit runs when the route returns, before the response goes out,
# so a client never sees a 200 for a write that then fails to commit.
SessionDep = Annotated[AsyncSession, Depends(session_per_request, scope="function")]
