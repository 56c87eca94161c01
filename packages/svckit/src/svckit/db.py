"""Async engines, sessions and the per-request transaction."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import MetaData, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import InvalidatePoolError
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


# A pooled connection idle for longer than this is pinged before it is handed out.
PING_AFTER_IDLE_S = 5.0
_CHECKED_IN_AT = "svckit_checked_in_at"


def _ping_idle_connections(engine: AsyncEngine, idle_s: float) -> None:
    """Ping a pooled connection before use only when it has sat idle for idle_s or longer.

    SQLAlchemy's pool_pre_ping costs a round trip on every checkout, a third of a simple
    request's database time. A connection that served a request moments ago is as alive as a
    ping would show; one that sat idle may have been cut by a database restart or a firewall.
    A failed ping invalidates the whole pool (the others are as old) and this checkout is
    retried on a fresh connection, so the request never sees the dead one. A restart while
    connections are busy still fails those requests, as it would with pool_pre_ping.
    """
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checked_in_at = record.info.get(_CHECKED_IN_AT)
        if checked_in_at is None or time.monotonic() - checked_in_at < idle_s:
            return
        try:
            sync_engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            record.info.pop(_CHECKED_IN_AT, None)
            raise InvalidatePoolError(f"idle connection failed its ping: {error}") from error


def create_engine(
    url: str | URL,
    *,
    pool_size: int = 10,
    max_overflow: int = 10,
    transaction_pooler: bool = False,
    echo: bool = False,
    ping_after_idle_s: float = PING_AFTER_IDLE_S,
) -> AsyncEngine:
    """An async engine for SQLite (aiosqlite) or PostgreSQL (asyncpg).

    transaction_pooler: the database sits behind a transaction-mode pooler (Supabase's
    port 6543, PgBouncer), which cannot keep prepared statements between transactions.
    ping_after_idle_s: pooled connections idle this long are pinged before use.
    """
    target = async_url(url)
    options: dict[str, Any] = {"echo": echo}
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
    engine = create_async_engine(target, **options)
    if not transaction_pooler:
        _ping_idle_connections(engine, ping_after_idle_s)
    return engine


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


class KeepChanges(Exception):
    """Fails a request whose changes must be committed all the same (a failure it recorded)."""


async def session_per_request(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent.

    An error rolls the transaction back, unless it is a KeepChanges: then what the request
    recorded is committed before the error is answered.
    """
    database = get_database(request)
    async with database.sessionmaker() as session:
        if database.dialect == "sqlite" and request.method not in SAFE_METHODS:
            await session.connection(execution_options={SQLITE_BEGIN: "BEGIN IMMEDIATE"})
        try:
            yield session
        except KeepChanges:
            await session.commit()
            raise
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


# scope="function": the commit runs when the route returns, before the response goes out,
# so a client never sees a 200 for a write that then fails to commit.
SessionDep = Annotated[AsyncSession, Depends(session_per_request, scope="function")]
