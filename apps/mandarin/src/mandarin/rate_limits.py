"""Rate limits as route-level checks: 429 problem+json with Retry-After when exceeded."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, Request

from mandarin.errors import TooManyRequests
from svckit.ratelimit import RateLimiter, RateLimitUnavailable

logger = logging.getLogger("mandarin")


async def get_rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]


def client_address(request: Request) -> str:
    """The caller's IP: the socket peer, or what a trusted proxy reported to uvicorn."""
    return request.client.host if request.client else "unknown"


async def enforce(limiter: RateLimiter, key: str, limit: str) -> None:
    """Count one hit on key; raise TooManyRequests once limit is exceeded."""
    try:
        decision = await limiter.hit(key, limit)
    except RateLimitUnavailable:
        # Availability over strictness: while Redis is down, logins go through unthrottled
        # (and the warning pages someone) rather than nobody being able to log in.
        logger.warning("rate limit storage unavailable; %s not enforced", key.split(":")[0])
        return
    if not decision.allowed:
        raise TooManyRequests(
            "Too many attempts; try again later",
            extra={"retry_after": decision.retry_after},
            headers={"Retry-After": str(decision.retry_after)},
        )
