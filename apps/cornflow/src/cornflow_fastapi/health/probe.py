"""The backend's health as /health/ reports it: asked at most once per interval.

Load balancers and monitors poll /health/ many times a second; asking Airflow each time (as the
Flask server does) costs a connection per poll and, when Airflow is down, a refused or timed-out
connection per poll. One answer is shared by the polls of an interval, and concurrent polls wait
for the one probe in flight instead of each starting their own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


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
