"""The `cornflow` command line, run as the installed console script against a scratch database."""

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import jwt
import pytest
from sqlalchemy import select

from cornflow_fastapi.models import User, UserRole
from svckit.db import Database
from svckit.testing import scratch_database

SECRET = "cli-test-secret-key-long-enough-for-hs256-0123"
BI_SECRET = "cli-test-bi-secret-key-long-enough-for-hs256-0"
CORNFLOW = [sys.executable, "-m", "cornflow_fastapi"]


@pytest.fixture
async def database_env(tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    async with scratch_database(tmp_path, prefix="cli") as url:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("CORNFLOW_", "SECRET", "AUTH_", "SIGNUP", "DATABASE_URL"))
        }
        env.update(
            DATABASE_URL=url, SECRET_KEY=SECRET, SECRET_BI_KEY=BI_SECRET, FLASK_ENV="testing"
        )
        yield env


async def cornflow(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run, [*CORNFLOW, *args], env=env, capture_output=True, text=True, timeout=120
    )


async def roles_of(url: str, username: str) -> set[int]:
    database = Database.from_url(url)
    try:
        async with database.sessionmaker() as session:
            user = await session.scalar(select(User).where(User.username == username))
            assert user is not None
            rows = await session.execute(
                select(UserRole.role_id).where(UserRole.user_id == user.id)
            )
            return set(rows.scalars())
    finally:
        await database.dispose()


@pytest.mark.slow
async def test_users_create_and_bi_token(database_env: dict[str, str]) -> None:
    assert (await cornflow(database_env, "migrations", "upgrade")).returncode == 0
    assert (await cornflow(database_env, "permissions", "init")).returncode == 0
    created = await cornflow(
        database_env, "users", "create", "service", "-u", "worker", "-p", "Worker_1234",
        "-e", "worker@example.com", "-v",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "User worker is created and assigned service user role" in created.stdout
    again = await cornflow(
        database_env, "users", "create", "admin", "-u", "worker", "-p", "Worker_1234",
        "-e", "worker@example.com", "-v",
    )  # fmt: skip
    assert "User worker already exists and is assigned a admin role" in again.stdout
    assert await roles_of(database_env["DATABASE_URL"], "worker") == {3, 4}
    for role in ("planner", "viewer"):
        result = await cornflow(
            database_env, "users", "create", role, "-u", role, "-p", "Someone_1234",
            "-e", f"{role}@example.com",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    weak = await cornflow(
        database_env, "users", "create", "viewer", "-u", "weak", "-p", "weak", "-e", "w@example.com"
    )
    assert weak.returncode == 1
    assert "Password must contain at least 5 characters." in weak.stderr

    token = await cornflow(
        database_env, "users", "create", "token", "-i", "2", "-u", "worker", "-p", "Worker_1234"
    )
    assert token.returncode == 0, token.stderr
    claims = jwt.decode(token.stdout.strip(), BI_SECRET, algorithms=["HS256"])
    assert set(claims) == {"iat", "sub", "iss"}
    assert claims["sub"] == "planner"
    refused = await cornflow(
        database_env, "users", "create", "token", "-i", "2", "-u", "planner", "-p", "Someone_1234"
    )
    assert refused.returncode == 1
    assert "The asking user has no permissions to generate tokens" in refused.stderr


async def test_config_list_and_get_mask_secrets(database_env: dict[str, str]) -> None:
    listing = await cornflow(database_env, "config", "list")
    assert listing.returncode == 0
    assert "AUTH_TYPE = 1" in listing.stdout
    assert SECRET not in listing.stdout
    assert (await cornflow(database_env, "config", "get", "-k", "SIGNUP_ACTIVATED")).stdout == "2\n"
    assert (
        await cornflow(database_env, "config", "get", "-k", "SECRET_KEY")
    ).stdout == "********\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
async def test_service_init_outside_docker(database_env: dict[str, str]) -> None:
    port = free_port()
    env = {
        **database_env,
        "CORNFLOW_ADMIN_USER": "boss",
        "CORNFLOW_ADMIN_PWD": "Boss_12345",
        "CORNFLOW_SERVICE_USER": "svc",
        "CORNFLOW_SERVICE_PWD": "Svc_123456",
    }
    process = await asyncio.create_subprocess_exec(
        *CORNFLOW, "service", "init", "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    health = await client.get("/health/")
                    break
                except httpx.TransportError:
                    assert process.returncode is None, "service init exited"
                    assert time.monotonic() < deadline, "service init never served"
                    await asyncio.sleep(0.3)
            assert health.json()["cornflow_status"] == "healthy"
            login = await client.post(
                "/login/", json={"username": "boss", "password": "Boss_12345"}
            )
            assert login.status_code == 200
            users = await client.get(
                "/user/", headers={"Authorization": f"Bearer {login.json()['token']}"}
            )
            assert {user["username"] for user in users.json()} == {"boss", "svc"}
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=30)
