"""Register, login, /me, and passwords stored by the old app."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import bcrypt
import jwt
import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from mandarin_support import (
    PASSWORD,
    TEST_SECRET,
    ManualClock,
    add_user,
    assert_problem,
    bearer,
    get_user,
    login,
    metric,
    register,
    unique_email,
)
from werkzeug.security import generate_password_hash

from mandarin.models import User
from svckit.db import Database
from svckit.testing import app_client


async def test_register_signs_the_new_account_in(client: AsyncClient, clock: ManualClock) -> None:
    email = unique_email()
    response = await client.post(
        "/api/auth/register",
        json={
            "email": email.upper(),
            "password": PASSWORD,
            "display_name": "Lǐ Míng 李明",
            "timezone": "Asia/Shanghai",
        },
    )

    assert response.status_code == 201, response.text
    pair = response.json()
    assert set(pair) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert pair["token_type"] == "bearer"
    assert pair["expires_in"] == 30 * 60
    claims = jwt.decode(
        pair["access_token"], TEST_SECRET, algorithms=["HS256"], audience="mandarin-api"
    )
    assert set(claims) >= {"sub", "exp", "iat", "iss", "aud", "jti", "type"}
    assert claims["iss"] == "mandarin"
    assert claims["type"] == "access"
    assert claims["exp"] - claims["iat"] == 30 * 60

    me = await client.get("/api/auth/me", headers=bearer(pair["access_token"]))

    assert me.status_code == 200, me.text
    account = me.json()
    assert account["id"] == claims["sub"]
    assert account["email"] == email
    assert account["display_name"] == "Lǐ Míng 李明"
    assert account["timezone"] == "Asia/Shanghai"
    assert account["day_start_hour"] == 4
    assert (account["new_per_day"], account["reviews_per_day"]) == (20, 200)
    assert account["scheduler"] == "sm2"
    assert account["is_admin"] is False
    assert account["authenticated_with"] == "token"
    # The account's creation is a domain event: it happened at the app clock's time.
    assert account["created_at"].startswith(clock.now().isoformat()[:19])


async def test_register_refuses_a_taken_email_in_any_case(client: AsyncClient) -> None:
    account = await register(client)

    response = await client.post(
        "/api/auth/register", json={"email": account["email"].upper(), "password": PASSWORD}
    )

    assert_problem(response, 409)


async def test_register_validates_its_fields(client: AsyncClient) -> None:
    for payload in (
        {"email": unique_email(), "password": "seven77"},
        {"email": unique_email(), "password": "x" * 1025},
        {"email": unique_email(), "password": PASSWORD, "timezone": "Mars/Olympus"},
        {"email": unique_email(), "password": PASSWORD, "timezone": "../../etc/passwd"},
        {"email": unique_email(), "password": PASSWORD, "display_name": "x" * 101},
        {"email": unique_email(), "password": PASSWORD, "is_admin": True},
    ):
        assert_problem(await client.post("/api/auth/register", json=payload), 422)


async def test_login_returns_a_fresh_pair(client: AsyncClient) -> None:
    account = await register(client)

    pair = await login(client, account["email"].title())

    assert pair["access_token"] != account["access_token"]
    assert pair["refresh_token"] != account["refresh_token"]
    me = await client.get("/api/auth/me", headers=bearer(pair["access_token"]))
    assert me.json()["email"] == account["email"]


async def test_wrong_password_and_unknown_email_look_the_same(
    client: AsyncClient, app: FastAPI
) -> None:
    account = await register(client)

    wrong = await client.post(
        "/api/auth/login", json={"email": account["email"], "password": "not the password"}
    )
    unknown = await client.post(
        "/api/auth/login", json={"email": unique_email("nobody"), "password": PASSWORD}
    )

    for response in (wrong, unknown):
        body = assert_problem(response, 401)
        assert body["detail"] == "Invalid email or password"
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert metric(app, "mandarin_auth_failures_total", {"reason": "bad_password"}) == 1
    assert metric(app, "mandarin_auth_failures_total", {"reason": "unknown_user"}) == 1


async def test_unknown_emails_cost_a_password_check_too(
    build_app: Callable[..., FastAPI],
) -> None:
    # OWASP's Argon2id floor (19 MiB, t=2): slow enough that skipping the hash would show.
    app = build_app(
        password={"argon2_time_cost": 2, "argon2_memory_cost": 19456, "argon2_parallelism": 1},
        rate_limit={"enabled": False},
    )

    async def fastest_seconds(email: str) -> float:
        # The fastest of several runs: other load on the machine only ever adds time.
        timings = []
        for _ in range(7):
            started = time.perf_counter()
            response = await client.post(
                "/api/auth/login", json={"email": email, "password": "not the password"}
            )
            timings.append(time.perf_counter() - started)
            assert response.status_code == 401
        return min(timings)

    async with app_client(app) as client:
        account = await register(client)
        known = await fastest_seconds(account["email"])
        unknown = await fastest_seconds(unique_email("nobody"))

    # Without the dummy hash an unknown email answers in well under a tenth of the time.
    assert unknown > known / 3, (unknown, known)


async def test_login_of_a_disabled_account_is_refused(
    client: AsyncClient, database: Database, app: FastAPI
) -> None:
    account = await register(client)
    me = await client.get("/api/auth/me", headers=bearer(account["access_token"]))
    async with database.sessionmaker() as session, session.begin():
        user = await session.get(User, uuid.UUID(me.json()["id"]))
        assert user is not None
        user.is_active = False

    response = await client.post(
        "/api/auth/login", json={"email": account["email"], "password": PASSWORD}
    )
    token_use = await client.get("/api/auth/me", headers=bearer(account["access_token"]))

    assert_problem(response, 401)
    assert_problem(token_use, 401)
    assert metric(app, "mandarin_auth_failures_total", {"reason": "inactive_user"}) == 2


@pytest.mark.parametrize(
    ("scheme", "stored_hash"),
    [
        ("scrypt", generate_password_hash(PASSWORD, method="scrypt")),
        ("pbkdf2", generate_password_hash(PASSWORD, method="pbkdf2:sha256:600000")),
        ("bcrypt", bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()),
    ],
)
async def test_legacy_password_hashes_log_in_and_are_upgraded(
    client: AsyncClient, database: Database, app: FastAPI, scheme: str, stored_hash: str
) -> None:
    user = await add_user(database, password_hash=stored_hash)
    assert user.email is not None

    await login(client, user.email)

    upgraded = (await get_user(database, user.id)).password_hash
    assert upgraded is not None
    assert upgraded.startswith("$argon2id$")
    await login(client, user.email)
    assert (await get_user(database, user.id)).password_hash == upgraded
    assert metric(app, "mandarin_legacy_password_hashes_total", {"scheme": scheme}) == 1
    wrong = await client.post(
        "/api/auth/login", json={"email": user.email, "password": PASSWORD + "!"}
    )
    assert_problem(wrong, 401)


async def test_supabase_only_accounts_cannot_use_a_password(
    client: AsyncClient, database: Database
) -> None:
    user = await add_user(database, password_hash=None, supabase_user_id=uuid.uuid4())
    assert user.email is not None

    response = await client.post("/api/auth/login", json={"email": user.email, "password": ""})
    assert_problem(response, 422)
    response = await client.post(
        "/api/auth/login", json={"email": user.email, "password": PASSWORD}
    )
    assert_problem(response, 401)
