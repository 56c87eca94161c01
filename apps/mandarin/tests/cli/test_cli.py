"""The `mandarin` command line against scratch databases."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from mandarin_support import PASSWORD, make_settings
from sqlalchemy import select
from typer.testing import CliRunner, Result

from mandarin import schema_migrations
from mandarin.cli import app
from mandarin.main import create_app
from mandarin.models import User
from svckit.db import Database
from svckit.testing import app_client, scratch_database

SECRET = "cli-test-secret-key-long-enough-for-hs256-0123"


@pytest.fixture
async def empty_url(scratch_dir: Path) -> AsyncIterator[str]:
    async with scratch_database(scratch_dir, prefix="mdcli") as url:
        yield url


async def mandarin(url: str, *arguments: str) -> Result:
    # Settings come from the environment, as in production. A worker thread, because the
    # commands run their own event loop.
    env = {"DATABASE_URL": url, "ENVIRONMENT": "testing", "SECRET_KEY": SECRET}
    return await asyncio.to_thread(CliRunner().invoke, app, list(arguments), env=env)


async def test_db_upgrade_current_downgrade(empty_url: str) -> None:
    assert (await mandarin(empty_url, "db", "current")).stdout.strip() == "None"

    upgraded = await mandarin(empty_url, "db", "upgrade")

    assert upgraded.exit_code == 0, upgraded.output
    assert "Running upgrade  -> 0001" in upgraded.stderr
    current = await mandarin(empty_url, "db", "current")
    assert current.stdout.strip() == f"{schema_migrations.head_revision()} (head)"

    downgraded = await mandarin(empty_url, "db", "downgrade", "-r", "base")

    assert downgraded.exit_code == 0, downgraded.output
    assert (await mandarin(empty_url, "db", "current")).stdout.strip() == "None"


async def test_create_admin_then_log_in(empty_url: str) -> None:
    await asyncio.to_thread(schema_migrations.upgrade, empty_url)

    created = await mandarin(
        empty_url, "users", "create-admin", "--email", "Root@Example.com", "--password", PASSWORD
    )
    again = await mandarin(
        empty_url, "users", "create-admin", "--email", "root@example.com", "--password", "other pw"
    )

    assert created.exit_code == 0, created.output
    assert "Administrator root@example.com created" in created.output
    assert again.exit_code == 0, again.output
    assert "already exists" in again.output
    database = Database.from_url(empty_url)
    try:
        async with database.sessionmaker() as session:
            user = await session.scalar(select(User).where(User.email == "root@example.com"))
            assert user is not None
            assert user.is_admin
        async with app_client(create_app(make_settings(), database=database)) as client:
            response = await client.post(
                "/api/auth/login", json={"email": "root@example.com", "password": PASSWORD}
            )
            me = await client.get(
                "/api/auth/me",
                headers={"Authorization": f"Bearer {response.json()['access_token']}"},
            )
    finally:
        await database.dispose()
    assert response.status_code == 200, response.text
    assert me.json()["is_admin"] is True


async def test_create_admin_validates_its_input(empty_url: str) -> None:
    await asyncio.to_thread(schema_migrations.upgrade, empty_url)

    bad_email = await mandarin(
        empty_url, "users", "create-admin", "--email", "nope", "--password", PASSWORD
    )
    short = await mandarin(
        empty_url, "users", "create-admin", "--email", "a@example.com", "--password", "short"
    )

    assert bad_email.exit_code == 1
    assert short.exit_code == 1
    assert "Error:" in short.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.slow
async def test_serve_starts_the_app(empty_url: str) -> None:
    await asyncio.to_thread(schema_migrations.upgrade, empty_url)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": empty_url,
        "ENVIRONMENT": "testing",
        "SECRET_KEY": SECRET,
    }
    server = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "mandarin", "serve", "--port", str(port)],
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            while True:
                try:
                    ready = await client.get("/readyz")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "server did not start"
                    await asyncio.sleep(0.2)
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), timeout=30)

    assert ready.status_code == 200, ready.text
