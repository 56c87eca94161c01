"""Login and register are rate-limited per client address and per account."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from mandarin_support import PASSWORD, assert_problem, metric, unique_email

from svckit.testing import app_client

LIMITS = {
    "login_per_ip": "5/minute",
    "login_per_account": "2/minute",
    "register_per_ip": "3/minute",
    "register_per_account": "1/minute",
}


@pytest.fixture
def app(build_app: Callable[..., FastAPI]) -> FastAPI:
    return build_app(rate_limit=LIMITS)


async def test_login_attempts_per_account(app: FastAPI) -> None:
    email = unique_email()
    async with app_client(app) as client:
        attempts = [
            await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
            for _ in range(3)
        ]
        # The limit is per account: another email from the same address still gets through.
        other = await client.post(
            "/api/auth/login", json={"email": unique_email(), "password": PASSWORD}
        )

    assert [response.status_code for response in attempts] == [401, 401, 429]
    body = assert_problem(attempts[-1], 429)
    retry_after = int(attempts[-1].headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert body["retry_after"] == retry_after
    assert other.status_code == 401
    assert metric(app, "mandarin_auth_failures_total", {"reason": "rate_limited"}) == 1


async def test_login_attempts_per_address(app: FastAPI) -> None:
    async with app_client(app) as client:
        statuses = [
            (
                await client.post(
                    "/api/auth/login", json={"email": unique_email(), "password": PASSWORD}
                )
            ).status_code
            for _ in range(6)
        ]

    assert statuses == [401] * 5 + [429]


async def test_register_per_account_and_address(app: FastAPI) -> None:
    email = unique_email()
    async with app_client(app) as client:
        first = await client.post("/api/auth/register", json={"email": email, "password": PASSWORD})
        again = await client.post("/api/auth/register", json={"email": email, "password": PASSWORD})
        others = [
            await client.post(
                "/api/auth/register", json={"email": unique_email(), "password": PASSWORD}
            )
            for _ in range(2)
        ]

    assert first.status_code == 201
    assert_problem(again, 429)
    assert [response.status_code for response in others] == [201, 429]


async def test_limits_can_be_switched_off(build_app: Callable[..., FastAPI]) -> None:
    app = build_app(rate_limit={**LIMITS, "enabled": False})
    email = unique_email()
    async with app_client(app) as client:
        statuses = {
            (
                await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
            ).status_code
            for _ in range(4)
        }

    assert statuses == {401}


async def test_unreachable_redis_fails_open(build_app: Callable[..., FastAPI]) -> None:
    app = build_app(rate_limit=LIMITS, redis_url="redis://127.0.0.1:9")
    email = unique_email()
    async with app_client(app) as client:
        statuses = [
            (
                await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
            ).status_code
            for _ in range(3)
        ]

    assert statuses == [401, 401, 401]
