"""Helpers shared by the Mandarin tests (importable: the tests folder is on pythonpath)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource
from sqlalchemy import select

from mandarin.config import MandarinSettings
from mandarin.models import User
from svckit.db import Database

TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256"
LEGACY_SECRET = "legacy-flask-secret-key-long-enough-0123456789"
SUPABASE_URL = "https://project-ref.supabase.test"
SUPABASE_ISSUER = f"{SUPABASE_URL}/auth/v1"
SUPABASE_SECRET = "supabase-project-jwt-secret-long-enough-for-hs256"
ALLOWED_ORIGIN = "https://app.mandarin.test"
PASSWORD = "correct horse battery"
PROBLEM_JSON = "application/problem+json"


class IsolatedSettings(MandarinSettings):
    """Settings built only from the arguments given: the test process's env never leaks in."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def make_settings(**overrides: Any) -> MandarinSettings:
    values: dict[str, Any] = {
        "environment": "testing",
        "secret_key": TEST_SECRET,
        "legacy": {"secret_key": LEGACY_SECRET},
        "supabase": {"url": SUPABASE_URL, "jwt_secret": SUPABASE_SECRET},
        "allowed_origins": [ALLOWED_ORIGIN],
        # Cheap hashes keep the suite fast; production cost is a setting like any other.
        "password": {"argon2_time_cost": 1, "argon2_memory_cost": 8192, "argon2_parallelism": 1},
    }
    values.update(overrides)
    return IsolatedSettings(**values)


class ManualClock:
    """A clock that stands still until the test moves it."""

    def __init__(self, start: datetime = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        """Move forward by timedelta(**delta): `clock.advance(days=1)`."""
        self._now += timedelta(**delta)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


def unique_email(prefix: str = "learner") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


async def register(
    client: httpx.AsyncClient, email: str | None = None, password: str = PASSWORD, **fields: Any
) -> dict[str, Any]:
    """Register an account; returns the token pair (plus the email used)."""
    email = email or unique_email()
    response = await client.post(
        "/api/auth/register", json={"email": email, "password": password, **fields}
    )
    assert response.status_code == 201, response.text
    return {**response.json(), "email": email}


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def add_user(database: Database, **columns: Any) -> User:
    """A users row written directly, as a migrated account would be."""
    columns.setdefault("email", unique_email("imported"))
    async with database.sessionmaker() as session, session.begin():
        user = User(**columns)
        session.add(user)
    return user


async def get_user(database: Database, user_id: uuid.UUID) -> User:
    async with database.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.id == user_id))
        assert user is not None
        return user


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body


def mint_token(
    claims: dict[str, Any],
    *,
    key: Any = TEST_SECRET,
    algorithm: str = "HS256",
    headers: dict[str, Any] | None = None,
) -> str:
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


def access_claims(user_id: uuid.UUID | str, **overrides: Any) -> dict[str, Any]:
    """The claims of one of our access tokens, valid now, with overrides applied."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "iat": now,
        "exp": now + timedelta(minutes=30),
        "iss": "mandarin",
        "aud": "mandarin-api",
        "jti": uuid.uuid4().hex,
        "type": "access",
        "ver": 0,
    }
    claims.update(overrides)
    return claims


def supabase_claims(user_id: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    """A Supabase Auth access token's claims, as GoTrue writes them."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": SUPABASE_ISSUER,
        "sub": str(user_id),
        "aud": "authenticated",
        "exp": now + timedelta(hours=1),
        "iat": now,
        "role": "authenticated",
        "aal": "aal1",
        "session_id": str(uuid.uuid4()),
        "email": f"{user_id.hex[:10]}@supabase-user.example.com",
        "phone": "",
        "is_anonymous": False,
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {"full_name": "Supa Learner"},
    }
    claims.update(overrides)
    return claims


def metric(client_app: Any, name: str, labels: dict[str, str] | None = None) -> float:
    """A sample of the app's Prometheus registry (0 when never recorded)."""
    value = client_app.state.metrics.registry.get_sample_value(name, labels or {})
    return float(value or 0)
