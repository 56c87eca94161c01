"""A scratch database both servers share, with the same seeded data for both."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from svckit.db import async_url

# Satisfies Cornflow's password policy (length, upper, lower, digit, special character).
PASSWORD = "Bench_passw0rd!"
ROLE_USERS = {
    "admin": "bench_admin",
    "planner": "bench_planner",
    "viewer": "bench_viewer",
    "service": "service_user",
}
PLANNER_ROLE_ID = 2
EXTRA_PLANNERS = 46
SMALL_INSTANCES = 1000
LARGE_INSTANCES = 5
LARGE_INSTANCE_BYTES = 1_000_000


@dataclass(frozen=True)
class Seeded:
    database_url: str
    backend: str
    server_version: str
    users: int
    small_instances: int
    large_instances: int
    large_instance_id: str
    large_instance_bytes: int
    password_hash_prefix: str


@contextmanager
def scratch_database(admin_url: str) -> Iterator[tuple[str, str]]:
    """Yield (url, note): a fresh PostgreSQL database dropped afterwards, else a SQLite file."""
    name = f"cornflow_bench_{secrets.token_hex(4)}"
    try:
        asyncio.run(_execute_autocommit(admin_url, f'CREATE DATABASE "{name}"'))
    except (OSError, SQLAlchemyError) as error:
        with tempfile.TemporaryDirectory(prefix="cornflow-bench-") as folder:
            note = f"PostgreSQL unreachable at {_redacted(admin_url)} ({error!r}); SQLite instead"
            yield f"sqlite:///{Path(folder) / 'bench.db'}", note
        return
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url, f"PostgreSQL scratch database {name}, dropped afterwards"
    finally:
        asyncio.run(
            _execute_autocommit(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )


def _redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


async def _execute_autocommit(url: str, statement: str) -> None:
    engine = create_async_engine(
        async_url(url), isolation_level="AUTOCOMMIT", connect_args={"timeout": 5}
    )
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def run_ours(env: Mapping[str, str], *args: str) -> None:
    """Our `cornflow` command line, as an operator would run it."""
    subprocess.run(
        [sys.executable, "-m", "cornflow_fastapi", *args],
        env=dict(env),
        check=True,
        capture_output=True,
        timeout=300,
    )


def create_role_users(env: Mapping[str, str]) -> None:
    for role, username in ROLE_USERS.items():
        run_ours(
            env, "users", "create", role,
            "-u", username, "-e", f"{username}@cornflow.local", "-p", PASSWORD,
        )  # fmt: skip


def instance_data(size: int, seed: int) -> dict[str, Any]:
    """A solve_model_dag-shaped payload of about `size` bytes of JSON."""
    count = max(1, size // 48)  # one constraint is ~48 bytes of JSON
    return {
        "parameters": {"seed": seed, "horizon": 24},
        "constraints": [
            {"name": f"c_{seed}_{i}", "coefficient": (i * 7919 + seed) % 1000 / 10}
            for i in range(count)
        ],
    }


def _hash(data: Any) -> str:
    # The Flask server's hash_json_256, so the seeded rows look like rows it wrote itself.
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def seed_bulk(database_url: str) -> Seeded:
    """Extra users and the instances, written directly: the same rows for both servers."""
    return asyncio.run(_seed_bulk(database_url))


async def _seed_bulk(database_url: str) -> Seeded:
    engine = create_async_engine(async_url(database_url))
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        async with engine.begin() as connection:
            planner = (
                await connection.execute(
                    text("SELECT id, password FROM users WHERE username = :u"),
                    {"u": ROLE_USERS["planner"]},
                )
            ).one()
            planner_id, password_hash = int(planner[0]), str(planner[1])
            for number in range(EXTRA_PLANNERS):
                username = f"bench_user_{number:03d}"
                user_id = await connection.scalar(
                    text(
                        "INSERT INTO users (email, password, username, first_name, last_name,"
                        " pwd_last_change, created_at, updated_at)"
                        " VALUES (:email, :password, :username, 'Bench', :last, :now, :now, :now)"
                        " RETURNING id"
                    ),
                    {
                        "email": f"{username}@cornflow.local",
                        "password": password_hash,
                        "username": username,
                        "last": f"User {number}",
                        "now": now,
                    },
                )
                await connection.execute(
                    text(
                        "INSERT INTO user_role (user_id, role_id, created_at, updated_at)"
                        " VALUES (:user_id, :role_id, :now, :now)"
                    ),
                    {"user_id": user_id, "role_id": PLANNER_ROLE_ID, "now": now},
                )
            rows = []
            sizes = [2_000] * SMALL_INSTANCES + [LARGE_INSTANCE_BYTES] * LARGE_INSTANCES
            for number, size in enumerate(sizes):
                data = instance_data(size, number)
                created = now - timedelta(minutes=len(sizes) - number)
                rows.append(
                    {
                        "id": hashlib.sha1(
                            f"bench instance {number}".encode(), usedforsecurity=False
                        ).hexdigest(),
                        "data": json.dumps(data),
                        "data_hash": _hash(data),
                        "name": f"bench instance {number}",
                        "description": "seeded by the benchmark",
                        "user_id": planner_id,
                        "schema": "solve_model_dag",
                        "created": created,
                    }
                )
            await connection.execute(
                text(
                    "INSERT INTO instances (id, data, name, description, user_id, data_hash,"
                    " schema, checks, created_at, updated_at)"
                    " VALUES (:id, :data, :name, :description, :user_id, :data_hash, :schema,"
                    " NULL, :created, :created)"
                ),
                rows,
            )
            users = await connection.scalar(text("SELECT count(*) FROM users"))
            if engine.dialect.name == "postgresql":
                version = str(await connection.scalar(text("SHOW server_version")))
            else:
                version = str(await connection.scalar(text("SELECT sqlite_version()")))
    finally:
        await engine.dispose()
    large = rows[-1]
    return Seeded(
        database_url=database_url,
        backend=engine.dialect.name,
        server_version=version,
        users=int(users or 0),
        small_instances=SMALL_INSTANCES,
        large_instances=LARGE_INSTANCES,
        large_instance_id=str(large["id"]),
        large_instance_bytes=len(str(large["data"])),
        password_hash_prefix=password_hash[:7],
    )
