"""The old Flask app's session cookie, issued here by a real Flask 3.1 app."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from typing import Any

import flask
import pytest
import time_machine
from fastapi import FastAPI
from httpx import AsyncClient
from itsdangerous import URLSafeTimedSerializer
from mandarin_support import (
    ALLOWED_ORIGIN,
    LEGACY_SECRET,
    add_user,
    assert_problem,
    bearer,
    metric,
)

from svckit.db import Database
from svckit.testing import app_client

LEGACY_ID = 4242


def flask_session_cookie(secret: str, values: dict[str, Any]) -> str:
    """Log in on a Flask app as the old server did and return its `session` cookie."""
    legacy = flask.Flask("legacy_mandarin")
    legacy.secret_key = secret

    @legacy.post("/login")
    def log_in() -> str:
        flask.session.permanent = True
        flask.session.update(values)
        return "logged in"

    response = legacy.test_client().post("/login")
    assert response.status_code == 200
    cookie: SimpleCookie = SimpleCookie()
    cookie.load(response.headers["Set-Cookie"])
    return cookie["session"].value


def cookie_header(value: str) -> dict[str, str]:
    return {"Cookie": f"session={value}"}


@pytest.fixture
async def legacy_user(database: Database) -> Any:
    return await add_user(database, legacy_user_id=LEGACY_ID, password_hash=None)


@pytest.mark.parametrize(
    "values",
    [
        {"user_id": LEGACY_ID},
        # Flask-Login keeps the id as a string, beside its own keys.
        {"_user_id": str(LEGACY_ID), "_fresh": True, "_id": "f" * 128},
    ],
)
async def test_a_flask_session_cookie_authenticates_reads(
    client: AsyncClient, legacy_user: Any, app: FastAPI, values: dict[str, Any]
) -> None:
    cookie = flask_session_cookie(LEGACY_SECRET, values)

    response = await client.get("/api/auth/me", headers=cookie_header(cookie))

    assert response.status_code == 200, response.text
    assert response.json()["id"] == str(legacy_user.id)
    assert response.json()["authenticated_with"] == "legacy_cookie"
    assert metric(app, "mandarin_auth_legacy_cookie_total", {"result": "accepted"}) == 1


async def test_a_large_compressed_session_is_read(client: AsyncClient, legacy_user: Any) -> None:
    cookie = flask_session_cookie(LEGACY_SECRET, {"user_id": LEGACY_ID, "cart": ["x" * 50] * 40})
    # Flask zlib-compresses a payload when that makes it shorter, and marks it with a dot.
    assert cookie.startswith(".")

    response = await client.get("/api/auth/me", headers=cookie_header(cookie))

    assert response.status_code == 200, response.text


async def test_the_cookie_is_exchanged_for_our_tokens(
    client: AsyncClient, legacy_user: Any
) -> None:
    cookie = flask_session_cookie(LEGACY_SECRET, {"user_id": LEGACY_ID})

    response = await client.post(
        "/api/auth/legacy-exchange", headers={**cookie_header(cookie), "Origin": ALLOWED_ORIGIN}
    )

    assert response.status_code == 200, response.text
    pair = response.json()
    me = await client.get("/api/auth/me", headers=bearer(pair["access_token"]))
    assert me.json()["id"] == str(legacy_user.id)
    assert me.json()["authenticated_with"] == "token"
    refreshed = await client.post(
        "/api/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert refreshed.status_code == 200
    # Same-origin requests (the API serving the old pages) are allowed too.
    same_origin = await client.post(
        "/api/auth/legacy-exchange",
        headers={**cookie_header(cookie), "Origin": "http://testserver"},
    )
    assert same_origin.status_code == 200


async def test_cross_origin_writes_with_only_the_cookie_are_refused(
    client: AsyncClient, legacy_user: Any, app: FastAPI
) -> None:
    cookie = flask_session_cookie(LEGACY_SECRET, {"user_id": LEGACY_ID})

    for origin in ("https://evil.example", "null", None):
        headers = cookie_header(cookie) | ({"Origin": origin} if origin else {})
        exchange = await client.post("/api/auth/legacy-exchange", headers=headers)
        logout = await client.post("/api/auth/logout", json={"all_devices": True}, headers=headers)
        assert_problem(exchange, 403)
        assert_problem(logout, 403)

    assert metric(app, "mandarin_auth_failures_total", {"reason": "cross_origin_cookie"}) == 6
    # From an allowed origin the same cookie may write.
    allowed = await client.post(
        "/api/auth/logout",
        json={"all_devices": True},
        headers={**cookie_header(cookie), "Origin": ALLOWED_ORIGIN},
    )
    assert allowed.status_code == 204


async def test_tampered_cookie_is_refused(client: AsyncClient, legacy_user: Any) -> None:
    cookie = flask_session_cookie(LEGACY_SECRET, {"user_id": LEGACY_ID})
    other = flask_session_cookie(LEGACY_SECRET, {"user_id": LEGACY_ID + 1})
    payload, timestamp, signature = cookie.split(".")
    # Someone else's payload under this cookie's signature.
    swapped = ".".join([other.split(".")[0], timestamp, signature])
    flipped = ".".join(
        [payload, timestamp, signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")]
    )

    for forged in (swapped, flipped, "garbage", cookie + "x"):
        response = await client.get("/api/auth/me", headers=cookie_header(forged))
        assert_problem(response, 401)


async def test_cookie_signed_with_another_key_or_salt_is_refused(
    client: AsyncClient, legacy_user: Any, app: FastAPI
) -> None:
    wrong_key = flask_session_cookie(LEGACY_SECRET[::-1], {"user_id": LEGACY_ID})
    wrong_salt = URLSafeTimedSerializer(
        LEGACY_SECRET,
        salt="not-cookie-session",
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    ).dumps({"user_id": LEGACY_ID})
    default_signer = URLSafeTimedSerializer(LEGACY_SECRET, salt="cookie-session").dumps(
        {"user_id": LEGACY_ID}
    )

    for cookie in (wrong_key, wrong_salt, default_signer):
        response = await client.get("/api/auth/me", headers=cookie_header(cookie))
        assert_problem(response, 401)
    assert metric(app, "mandarin_auth_failures_total", {"reason": "bad_signature"}) == 3


async def test_expired_cookie_is_refused(client: AsyncClient, legacy_user: Any) -> None:
    issued = datetime.now(UTC) - timedelta(days=31, minutes=1)
    with time_machine.travel(issued, tick=False):
        stale = flask_session_cookie(LEGACY_SECRET, {"user_id": LEGACY_ID})
    with time_machine.travel(issued + timedelta(days=30), tick=False):
        recent = flask_session_cookie(LEGACY_SECRET, {"user_id": LEGACY_ID})

    expired = await client.get("/api/auth/me", headers=cookie_header(stale))
    fresh = await client.get("/api/auth/me", headers=cookie_header(recent))

    body = assert_problem(expired, 401)
    assert body["detail"] == "The session cookie is not valid; log in again"
    assert fresh.status_code == 200


async def test_cookie_of_an_unknown_user_or_without_one(
    client: AsyncClient, legacy_user: Any
) -> None:
    for values in ({"user_id": LEGACY_ID + 1}, {"cart": []}, {"user_id": True}, {"_user_id": "x"}):
        cookie = flask_session_cookie(LEGACY_SECRET, values)
        response = await client.get("/api/auth/me", headers=cookie_header(cookie))
        assert_problem(response, 401)


async def test_fallback_keys_still_verify(
    build_app: Callable[..., FastAPI], legacy_user: Any
) -> None:
    rotated = "rotated-legacy-secret-key-long-enough-012345678"
    app = build_app(legacy={"secret_key": rotated, "secret_key_fallbacks": [LEGACY_SECRET]})
    cookie = flask_session_cookie(LEGACY_SECRET, {"user_id": LEGACY_ID})

    async with app_client(app) as client:
        response = await client.get("/api/auth/me", headers=cookie_header(cookie))

    assert response.status_code == 200, response.text


async def test_a_bearer_token_wins_over_the_cookie(client: AsyncClient, legacy_user: Any) -> None:
    cookie = flask_session_cookie(LEGACY_SECRET, {"user_id": LEGACY_ID})

    response = await client.get(
        "/api/auth/me", headers={**cookie_header(cookie), "Authorization": "Bearer nonsense"}
    )

    assert_problem(response, 401)


async def test_cookies_are_ignored_when_no_legacy_key_is_set(
    build_app: Callable[..., FastAPI], legacy_user: Any
) -> None:
    app = build_app(legacy={})
    cookie = flask_session_cookie(LEGACY_SECRET, {"user_id": LEGACY_ID})

    async with app_client(app) as client:
        me = await client.get("/api/auth/me", headers=cookie_header(cookie))
        exchange = await client.post(
            "/api/auth/legacy-exchange", headers={**cookie_header(cookie), "Origin": ALLOWED_ORIGIN}
        )

    assert_problem(me, 401)
    assert_problem(exchange, 401)
