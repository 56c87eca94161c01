"""Rate limits on the `limits` library: in process memory by default, Redis when configured."""

from __future__ import annotations

import asyncio
import functools
import math
import time
from dataclasses import dataclass
from typing import Literal

from limits import RateLimitItem, parse_many
from limits.aio.storage import Storage
from limits.aio.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    SlidingWindowCounterRateLimiter,
)
from limits.aio.strategies import RateLimiter as WindowStrategy
from limits.errors import ConfigurationError, StorageError
from limits.storage import storage_from_string

Strategy = Literal["moving-window", "sliding-window-counter", "fixed-window"]

_STRATEGIES: dict[str, type[WindowStrategy]] = {
    "moving-window": MovingWindowRateLimiter,
    "sliding-window-counter": SlidingWindowCounterRateLimiter,
    "fixed-window": FixedWindowRateLimiter,
}


class RateLimitUnavailable(Exception):
    """The storage (Redis) could not be reached; the caller decides whether to fail open."""


@dataclass(frozen=True, slots=True)
class RateLimitDecision:
    """Whether a hit was allowed; retry_after (seconds, >= 1) is set only when it was refused."""

    allowed: bool
    limit: int
    remaining: int
    retry_after: int = 0


@functools.lru_cache(maxsize=256)
def parse_limit(limit: str) -> RateLimitItem:
    """One limit in the `limits` notation ("5/minute", "100 per day"); ValueError otherwise."""
    try:
        items = parse_many(limit)
    except ValueError as error:
        raise ValueError(f"invalid rate limit {limit!r}: {error}") from None
    if len(items) != 1:
        raise ValueError(f"expected exactly one rate limit, got {limit!r}")
    return items[0]


def async_storage_url(url: str) -> str:
    """Map a plain storage URL (memory://, redis://host:port) to its asyncio storage."""
    return url if url.startswith("async+") else f"async+{url}"


class RateLimiter:
    """Counts hits per key against limits such as "5/minute".

    storage_url: ``memory://`` (one process) or ``redis://host:port[/db]`` (shared by workers).
    strategy: ``moving-window`` (exact, one entry per hit), ``sliding-window-counter`` (two counters
    per key, approximate) or ``fixed-window``. namespace prefixes the Redis keys, so apps sharing
    one Redis neither see nor reset each other's counters.
    """

    def __init__(
        self,
        storage_url: str = "memory://",
        *,
        strategy: Strategy = "moving-window",
        namespace: str = "svckit",
    ) -> None:
        if strategy not in _STRATEGIES:
            raise ValueError(f"unknown rate limit strategy: {strategy!r}")
        self.storage_url = storage_url
        self.strategy: Strategy = strategy
        self.namespace = namespace
        url = async_storage_url(storage_url)
        options: dict[str, str | bool] = {"wrap_exceptions": True}
        if url.startswith(("async+redis", "async+valkey")):
            options["key_prefix"] = namespace
        try:
            storage = storage_from_string(url, **options)
        except ConfigurationError as error:
            raise ValueError(f"unusable rate limit storage {storage_url!r}: {error}") from None
        if not isinstance(storage, Storage):
            raise ValueError(f"{storage_url!r} is not a storage usable from asyncio")
        self._storage = storage
        self._limiter = _STRATEGIES[strategy](storage)

    async def hit(self, key: str, limit: str, *, cost: int = 1) -> RateLimitDecision:
        """Record one hit (of weight cost) for key under limit, unless that would exceed it."""
        item = parse_limit(limit)
        try:
            allowed = await self._limiter.hit(item, key, cost=cost)
            stats = await self._limiter.get_window_stats(item, key)
        except StorageError as error:
            raise RateLimitUnavailable(str(error.storage_error)) from error
        remaining = max(0, stats.remaining)
        if allowed:
            return RateLimitDecision(allowed=True, limit=item.amount, remaining=remaining)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        return RateLimitDecision(
            allowed=False, limit=item.amount, remaining=remaining, retry_after=retry_after
        )

    async def clear(self, key: str, limit: str) -> None:
        """Forget the hits recorded for key under limit."""
        try:
            await self._limiter.clear(parse_limit(limit), key)
        except StorageError as error:
            raise RateLimitUnavailable(str(error.storage_error)) from error

    async def reset(self) -> None:
        """Forget every hit recorded by this limiter's storage and namespace: for tests."""
        try:
            await self._storage.reset()
        except StorageError as error:
            raise RateLimitUnavailable(str(error.storage_error)) from error

    async def check(self) -> bool:
        """True when the storage answers (for readiness probes)."""
        try:
            return await self._storage.check()
        except Exception:
            return False

    async def aclose(self) -> None:
        """Close the storage's connections, if it holds any."""
        bridge = getattr(self._storage, "bridge", None)
        client = getattr(bridge, "storage", None)
        pool = getattr(client, "connection_pool", None)
        disconnect = getattr(pool, "disconnect", None)
        if callable(disconnect):
            disconnect()
            # Transports finish closing on the next loop iteration.
            await asyncio.sleep(0)
