"""The checks behind /health/: each made at most once per interval.

Load balancers and monitors poll /health/ many times a second; asking Airflow and the database
each time (as the Flask server does) costs a connection and a query per poll and, when Airflow is
down, a refused or timed-out connection per poll. One answer is shared by the polls of an
interval, and concurrent polls wait for the one check in flight instead of each starting their
own.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from cornflow_fastapi.users import repository
from svckit.db import Database

logger = logging.getLogger(__name__)


class SharedProbe:
    """Calls `check` at most once per `interval` seconds; callers in between share its answer."""

    def __init__(
        self,
        check: Callable[[], Awaitable[bool]],
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._check = check
        self._clock = clock
        self._interval = interval
        self._lock = asyncio.Lock()
        self._answer = False
        self._checked_at: float | None = None

    def _fresh(self) -> bool:
        return self._checked_at is not None and self._clock() - self._checked_at < self._interval

    async def __call__(self) -> bool:
        if self._interval <= 0:
            return await self._check()
        if self._fresh():
            return self._answer
        async with self._lock:
            if not self._fresh():
                self._answer = await self._check()
                self._checked_at = self._clock()
            return self._answer


def service_user_check(database: Database, username: str) -> Callable[[], Awaitable[bool]]:
    """Whether the service user exists; a database that cannot answer is not healthy."""

    async def service_user_exists() -> bool:
        try:
            async with database.sessionmaker() as session:
                return await repository.get_user_by_username(session, username) is not None
        except (SQLAlchemyError, OSError) as error:
            logger.warning("health check: the database did not answer: %s", error)
            return False

    return service_user_exists


@dataclass(frozen=True)
class HealthProbes:
    """What /health/ reports, each asked through its own shared probe."""

    service_user: SharedProbe
    # None when there is no backend to ask (Databricks, not served here).
    backend: SharedProbe | None
