"""The app's sense of time, injectable so tests can live through days in milliseconds.

Everything the learning domain decides by time (when a review happened, which local day it
counts for, what is due) reads `Clock.now()`. Credentials are the exception: JWT expiry and the
legacy cookie's age are checked by PyJWT and itsdangerous against the wall clock, so tokens are
stamped with wall time too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Protocol

from fastapi import Depends, Request


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


ClockDep = Annotated[Clock, Depends(get_clock)]
