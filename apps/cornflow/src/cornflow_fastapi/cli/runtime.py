"""Running the CLI's async work against the configured database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.config import CornflowSettings
from svckit.db import Database

RESULT = TypeVar("RESULT")


def run_in_transaction(
    work: Callable[[AsyncSession, CornflowSettings], Awaitable[RESULT]],
    settings: CornflowSettings | None = None,
) -> RESULT:
    """Run work in one transaction on DATABASE_URL, committed when it returns."""
    chosen = settings or CornflowSettings()

    async def main() -> RESULT:
        database = Database.from_url(chosen.database_url)
        try:
            async with database.sessionmaker() as session, session.begin():
                return await work(session, chosen)
        finally:
            await database.dispose()

    return asyncio.run(main())
