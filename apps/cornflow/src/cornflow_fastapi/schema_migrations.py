"""Bring a database to Cornflow's schema (temporary: replaced by the Alembic chain)."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from svckit.db import create_engine

from cornflow_fastapi.models import metadata

HEAD_REVISION = "4729cd156460"


async def _create(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        await connection.execute(
            text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL)")
        )
        await connection.execute(text("DELETE FROM alembic_version"))
        await connection.execute(
            text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": HEAD_REVISION}
        )
    await engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at url (a plain or async SQLAlchemy URL) to revision."""
    asyncio.run(_create(url))
