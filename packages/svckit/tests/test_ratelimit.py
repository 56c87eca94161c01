from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator, Callable
from typing import get_args

import pytest

from svckit.ratelimit import (
    RateLimitDecision,
    RateLimiter,
    RateLimitUnavailable,
    Strategy,
    async_storage_url,
    parse_limit,
)

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}"
STRATEGIES: tuple[Strategy, ...] = get_args(Strategy)


def redis_reachable() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture(params=["memory", "redis"])
def storage_url(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return "memory://"
    if not redis_reachable():
        pytest.skip(f"no Redis answering PING at {REDIS_URL}")
    return REDIS_URL


MakeLimiter = Callable[..., RateLimiter]


@pytest.fixture
async def make_limiter(storage_url: str) -> AsyncIterator[MakeLimiter]:
    """Builds limiters on the parametrized storage, in a namespace no other test uses."""
    namespace = f"svckit-test-{uuid.uuid4().hex}"
    created: list[RateLimiter] = []

    def make(strategy: Strategy = "moving-window") -> RateLimiter:
        limiter = RateLimiter(storage_url, strategy=strategy, namespace=namespace)
        created.append(limiter)
        return limiter

    yield make
    for limiter in created:
        await limiter.reset()
        await limiter.aclose()


async def hits(limiter: RateLimiter, key: str, limit: str, count: int) -> list[RateLimitDecision]:
    return [await limiter.hit(key, limit) for _ in range(count)]


@pytest.mark.parametrize("strategy", STRATEGIES)
async def test_n_hits_allowed_then_refused_with_retry_after(
    make_limiter: MakeLimiter, strategy: Strategy
) -> None:
    limiter = make_limiter(strategy)

    decisions = await hits(limiter, "login:alice", "3/minute", 5)

    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0, 0]
    assert all(d.limit == 3 for d in decisions)
    assert all(d.retry_after == 0 for d in decisions[:3])
    assert all(1 <= d.retry_after <= 60 for d in decisions[3:])


async def test_moving_window_retry_after_points_at_the_oldest_hit(
    make_limiter: MakeLimiter,
) -> None:
    limiter = make_limiter("moving-window")

    refused = (await hits(limiter, "k", "2/hour", 3))[-1]

    # The oldest hit leaves the window an hour after it was made, i.e. a few seconds from now
    # at most; retry_after must not be the 1-second floor or a whole extra window.
    assert not refused.allowed
    assert 3500 <= refused.retry_after <= 3600


async def test_keys_are_counted_apart(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter()

    await hits(limiter, "ip:10.0.0.1", "2/minute", 2)
    exhausted = await limiter.hit("ip:10.0.0.1", "2/minute")
    other = await limiter.hit("ip:10.0.0.2", "2/minute")

    assert not exhausted.allowed
    assert other.allowed
    assert other.remaining == 1


async def test_each_limit_on_a_key_is_counted_apart(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter()

    await hits(limiter, "k", "1/minute", 1)

    assert not (await limiter.hit("k", "1/minute")).allowed
    assert (await limiter.hit("k", "10/hour")).allowed


async def test_cost_weighs_a_hit(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter()

    first = await limiter.hit("export", "5/minute", cost=3)
    second = await limiter.hit("export", "5/minute", cost=3)

    assert first.allowed
    assert first.remaining == 2
    assert not second.allowed
    assert (await limiter.hit("export", "5/minute", cost=2)).allowed


async def test_clear_forgets_one_key(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter()
    await hits(limiter, "a", "1/minute", 1)
    await hits(limiter, "b", "1/minute", 1)

    await limiter.clear("a", "1/minute")

    assert (await limiter.hit("a", "1/minute")).allowed
    assert not (await limiter.hit("b", "1/minute")).allowed


@pytest.mark.parametrize("strategy", STRATEGIES)
async def test_reset_forgets_every_key(make_limiter: MakeLimiter, strategy: Strategy) -> None:
    limiter = make_limiter(strategy)
    await hits(limiter, "a", "1/minute", 1)
    await hits(limiter, "b", "1/day", 1)

    await limiter.reset()

    assert (await limiter.hit("a", "1/minute")).allowed
    assert (await limiter.hit("b", "1/day")).allowed


async def test_check_reports_a_working_storage(make_limiter: MakeLimiter) -> None:
    assert await make_limiter().check()


async def test_redis_counts_are_shared_between_limiters_of_one_namespace() -> None:
    if not redis_reachable():
        pytest.skip(f"no Redis answering PING at {REDIS_URL}")
    namespace = f"svckit-test-{uuid.uuid4().hex}"
    worker_a = RateLimiter(REDIS_URL, namespace=namespace)
    worker_b = RateLimiter(REDIS_URL, namespace=namespace)
    other_app = RateLimiter(REDIS_URL, namespace=f"{namespace}-other")
    try:
        await hits(worker_a, "login:alice", "2/minute", 2)

        assert not (await worker_b.hit("login:alice", "2/minute")).allowed
        assert (await other_app.hit("login:alice", "2/minute")).allowed

        # Resetting one namespace leaves another app's counters alone.
        await other_app.hit("login:alice", "2/minute")
        await worker_a.reset()
        assert (await worker_b.hit("login:alice", "2/minute")).allowed
        assert not (await other_app.hit("login:alice", "2/minute")).allowed
    finally:
        for limiter in (worker_a, worker_b, other_app):
            await limiter.reset()
            await limiter.aclose()


async def test_memory_limiters_do_not_share_counts() -> None:
    first, second = RateLimiter(), RateLimiter()

    await hits(first, "k", "1/minute", 1)

    assert not (await first.hit("k", "1/minute")).allowed
    assert (await second.hit("k", "1/minute")).allowed


async def test_unreachable_redis_raises_rate_limit_unavailable() -> None:
    limiter = RateLimiter(f"redis://127.0.0.1:{closed_port()}")
    try:
        with pytest.raises(RateLimitUnavailable):
            await limiter.hit("k", "1/minute")
        assert not await limiter.check()
    finally:
        await limiter.aclose()


@pytest.mark.parametrize("limit", ["", "five per minute", "5/fortnight", "1/second;5/minute"])
async def test_malformed_limits_are_value_errors(limit: str) -> None:
    with pytest.raises(ValueError, match="limit"):
        await RateLimiter().hit("k", limit)


def test_limit_notation() -> None:
    item = parse_limit("100 per 2 hours")

    assert (item.amount, item.get_expiry()) == (100, 7200)


def test_configuration_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="strategy"):
        RateLimiter(strategy="leaky-bucket")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="storage"):
        RateLimiter("nosuchstore://somewhere")


def test_plain_storage_urls_map_to_async_storages() -> None:
    assert async_storage_url("memory://") == "async+memory://"
    assert async_storage_url("redis://127.0.0.1:6379/1") == "async+redis://127.0.0.1:6379/1"
    assert async_storage_url("async+redis://h:1") == "async+redis://h:1"
