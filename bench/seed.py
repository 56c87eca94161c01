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
CASE_FOLDERS = 20
CASES_PER_FOLDER = 9


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
    cases: int
    execution_id: str


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
            await _seed_workflow(connection, now)
            execution_id = await _seed_execution(connection, str(rows[0]["id"]), planner_id, now)
            cases = await _seed_cases(connection, planner_id, now)
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
        cases=cases,
        execution_id=execution_id,
    )


async def _seed_workflow(connection: Any, now: datetime) -> None:
    """solve_model_dag with the PuLP schema: write-backs are validated against it."""
    from cornflow_client import get_empty_schema, get_pulp_jsonschema

    pulp = json.dumps(get_pulp_jsonschema())
    await connection.execute(
        text(
            "INSERT INTO deployed_workflows (id, description, instance_schema, solution_schema,"
            " config_schema, instance_checks_schema, solution_checks_schema, kpis_schema,"
            " created_at, updated_at) VALUES ('solve_model_dag', 'PuLP models', :pulp, :pulp,"
            " :config, '{}', '{}', '{}', :now, :now)"
        ),
        {"pulp": pulp, "config": json.dumps(get_empty_schema(solvers=["cbc"])), "now": now},
    )


def solution_data() -> dict[str, Any]:
    """A solved PuLP model (the body of the write-back scenario), valid for the PuLP schema."""
    variables = [
        {"name": f"x_{i}", "lowBound": 0, "upBound": 1, "cat": "Integer", "varValue": i % 2,
         "dj": None}
        for i in range(200)
    ]  # fmt: skip
    return {
        "objective": {
            "name": "OBJ",
            "coefficients": [
                {"name": v["name"], "value": 1 + i % 7} for i, v in enumerate(variables)
            ],
        },
        "constraints": [
            {
                "name": f"c_{j}",
                "sense": -1,
                "pi": 0.0,
                "constant": -5,
                "coefficients": [{"name": f"x_{i}", "value": 1} for i in range(j, j + 10)],
            }
            for j in range(0, 190, 10)
        ],
        "variables": variables,
        "parameters": {"name": "bench", "sense": 1, "status": 1, "sol_status": 1},
        "sos1": [],
        "sos2": [],
    }


async def _seed_execution(connection: Any, instance_id: str, user_id: int, now: datetime) -> str:
    execution_id = hashlib.sha1(b"bench execution", usedforsecurity=False).hexdigest()
    await connection.execute(
        text(
            "INSERT INTO executions (id, instance_id, name, description, config, user_id, state,"
            " state_message, data_hash, schema, last_run_checks_and_kpis, checks_and_kpis_only,"
            " execution_files_status, created_at, updated_at) VALUES (:id, :instance, 'bench',"
            " 'seeded by the benchmark', :config, :user, 0, 'The execution is currently running.',"
            " :hash, 'solve_model_dag', false, false, 0, :now, :now)"
        ),
        {
            "id": execution_id,
            "instance": instance_id,
            "config": json.dumps({"solver": "cbc", "timeLimit": 60}),
            "user": user_id,
            "hash": _hash(None),
            "now": now,
        },
    )
    return execution_id


async def _seed_cases(connection: Any, user_id: int, now: datetime) -> int:
    """Folders with cases under them, the planner's: the `/case/` list shows a tree."""
    count = 0
    for folder in range(CASE_FOLDERS):
        created = now - timedelta(hours=1, minutes=folder)
        folder_id = await connection.scalar(
            text(
                "INSERT INTO cases (path, user_id, data, name, description, data_hash, schema,"
                " solution, solution_hash, created_at, updated_at) VALUES ('', :user, NULL,"
                " :name, 'a folder', :null_hash, 'solve_model_dag', NULL, :null_hash, :created,"
                " :created) RETURNING id"
            ),
            {"user": user_id, "name": f"folder {folder}", "null_hash": _hash(None),
             "created": created},
        )  # fmt: skip
        count += 1
        for number in range(CASES_PER_FOLDER):
            data = instance_data(2_000, folder * 100 + number)
            solution = {"indicators": {"cost": number, "gap": 0}, "rows": [number] * 20}
            await connection.execute(
                text(
                    "INSERT INTO cases (path, user_id, data, name, description, data_hash,"
                    " schema, solution, solution_hash, created_at, updated_at) VALUES (:path,"
                    " :user, :data, :name, 'a case', :data_hash, 'solve_model_dag', :solution,"
                    " :solution_hash, :created, :created)"
                ),
                {
                    "path": f"{folder_id}/",
                    "user": user_id,
                    "data": json.dumps(data),
                    "name": f"case {folder}.{number}",
                    "data_hash": _hash(data),
                    "solution": json.dumps(solution),
                    "solution_hash": _hash(solution),
                    "created": created + timedelta(seconds=number + 1),
                },
            )
            count += 1
    return count
