"""Cornflow's Alembic chain: the Flask server's revisions, schema and version row, both dialects."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import IntegrityError

from cornflow_fastapi import schema_migrations
from cornflow_fastapi.models import metadata
from svckit.db import create_engine
from svckit.testing import postgres_base_url, scratch_database

FIXTURES = Path(__file__).parent / "fixtures"

T = TypeVar("T")

# The Flask server's chain (Cornflow 1.3.9), oldest first.
FLASK_CHAIN = [
    "e1a50dae1ac9",
    "a472b5ad50b7",
    "e937a5234ce4",
    "1af47a419bbd",
    "d1b5be1f0549",
    "c2db9409cb5f",
    "c8a6c762e818",
    "4aac5e0c6e66",
    "ca449af8034c",
    "f3bee20314a2",
    "00757b557b02",
    "d0e0700dcd8e",
    "7c3ea5ab5501",
    "ebdd955fcc5e",
    "991b98e24225",
    "999b98e24225",
    "cef1df240b27",
    "509d280698e4",
    "9cacf194fa1c",
    "4729cd156460",
]

CORNFLOW_TABLES = {
    "actions",
    "alarms",
    "api_view",
    "cases",
    "deployed_workflows",
    "executions",
    "instances",
    "main_alarms",
    "permission_dag",
    "permission_view",
    "roles",
    "user_role",
    "users",
}

on_postgres = pytest.mark.skipif(
    postgres_base_url() is None, reason="needs PostgreSQL (TEST_DATABASE_URL)"
)
on_sqlite = pytest.mark.skipif(postgres_base_url() is not None, reason="SQLite run only")


@pytest.fixture
async def empty_url(scratch_dir: Path) -> AsyncIterator[str]:
    async with scratch_database(scratch_dir, prefix="cfmig") as url:
        yield url


async def upgrade(url: str, revision: str = "head") -> None:
    await asyncio.to_thread(schema_migrations.upgrade, url, revision)


async def downgrade(url: str, revision: str) -> None:
    await asyncio.to_thread(schema_migrations.downgrade, url, revision)


async def current(url: str) -> str | None:
    return await asyncio.to_thread(schema_migrations.current, url)


async def run_sync_on(url: str, function: Callable[[Connection], T]) -> T:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(function)
    finally:
        await engine.dispose()


async def execute(url: str, *statements: tuple[str, dict[str, Any]]) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for statement, parameters in statements:
                await connection.execute(sa.text(statement), parameters)
    finally:
        await engine.dispose()


async def fetch(
    url: str, query: str, *, json_columns: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Rows as dicts; json_columns decoded where the driver leaves JSON as text (SQLite)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(sa.text(query))
            rows = [dict(row) for row in result.mappings()]
    finally:
        await engine.dispose()
    for row in rows:
        for column in json_columns:
            if isinstance(row[column], str):
                row[column] = json.loads(row[column])
    return rows


def sql_statements(script: str) -> list[str]:
    """The statements of a schema script: `--` lines dropped, split at each `;` ending a line."""
    code = "\n".join(line for line in script.splitlines() if not line.startswith("--"))
    return [s.strip() for s in re.split(r";\s*$", code, flags=re.MULTILINE) if s.strip()]


async def run_script(url: str, script: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for statement in sql_statements(script):
                await connection.exec_driver_sql(statement)
    finally:
        await engine.dispose()


def describe(connection: Connection, *, column_order: bool = True) -> dict[str, Any]:
    """Everything the inspector sees of each table, in comparable form."""
    inspector = sa.inspect(connection)
    tables: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        columns = [
            (c["name"], str(c["type"]), c["nullable"], c.get("default"))
            for c in inspector.get_columns(table)
        ]
        primary_key = inspector.get_pk_constraint(table)
        tables[table] = {
            "columns": columns if column_order else sorted(columns),
            "primary_key": (primary_key.get("name"), primary_key["constrained_columns"]),
            "unique": sorted(
                (u["name"] or "", tuple(u["column_names"]))
                for u in inspector.get_unique_constraints(table)
            ),
            "foreign_keys": sorted(
                (
                    f["name"] or "",
                    tuple(f["constrained_columns"]),
                    f["referred_table"],
                    tuple(f["referred_columns"]),
                )
                for f in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (i["name"] or "", tuple(str(c) for c in i["column_names"]), i["unique"])
                for i in inspector.get_indexes(table)
            ),
            "checks": sorted(str(c["sqltext"]) for c in inspector.get_check_constraints(table)),
        }
    return tables


async def schema_of(url: str, *, column_order: bool = True) -> dict[str, Any]:
    return await run_sync_on(url, lambda c: describe(c, column_order=column_order))


def test_chain_carries_exactly_the_flask_revisions() -> None:
    script = ScriptDirectory.from_config(schema_migrations.config("sqlite://"))
    chain = [r.revision for r in reversed(list(script.walk_revisions("base", "heads")))]
    assert chain == FLASK_CHAIN
    assert script.get_heads() == [schema_migrations.HEAD_REVISION] == [FLASK_CHAIN[-1]]


async def test_empty_database_upgrades_to_cornflow_head(empty_url: str) -> None:
    assert await current(empty_url) is None

    await upgrade(empty_url)

    assert await current(empty_url) == schema_migrations.HEAD_REVISION
    assert await fetch(empty_url, "SELECT version_num FROM alembic_version") == [
        {"version_num": "4729cd156460"}
    ]
    tables = await run_sync_on(empty_url, lambda c: set(sa.inspect(c).get_table_names()))
    assert tables == CORNFLOW_TABLES | {"alembic_version"}


async def test_upgrade_at_head_changes_nothing(empty_url: str) -> None:
    await upgrade(empty_url)
    before = await schema_of(empty_url)

    await upgrade(empty_url)

    assert await schema_of(empty_url) == before
    assert await fetch(empty_url, "SELECT version_num FROM alembic_version") == [
        {"version_num": "4729cd156460"}
    ]


async def test_models_match_migrated_schema(empty_url: str) -> None:
    await upgrade(empty_url)

    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        differences: list[Any] = compare_metadata(context, metadata)
        return differences

    assert await run_sync_on(empty_url, differences) == []


async def test_downgrade_to_base_and_back(empty_url: str) -> None:
    await upgrade(empty_url)
    at_head = await schema_of(empty_url)

    await downgrade(empty_url, "base")

    assert await current(empty_url) is None
    tables = await run_sync_on(empty_url, lambda c: set(sa.inspect(c).get_table_names()))
    assert tables <= {"alembic_version"}

    await upgrade(empty_url)

    assert await schema_of(empty_url) == at_head
    assert await current(empty_url) == schema_migrations.HEAD_REVISION


async def test_each_downgrade_restores_the_schema_of_the_revision_before(empty_url: str) -> None:
    # Columns a downgrade puts back land at the end of their table: compare them as sets.
    upgraded: dict[str, dict[str, Any]] = {}
    for revision in FLASK_CHAIN:
        await upgrade(empty_url, revision)
        upgraded[revision] = await schema_of(empty_url, column_order=False)

    for revision in reversed(FLASK_CHAIN[:-1]):
        await downgrade(empty_url, "-1")
        assert await current(empty_url) == revision
        assert await schema_of(empty_url, column_order=False) == upgraded[revision], revision


async def test_first_revision_with_data_upgrades_to_head(empty_url: str) -> None:
    await upgrade(empty_url, "e1a50dae1ac9")
    now = datetime(2021, 1, 20, 12, 0, 0)
    await execute(
        empty_url,
        (
            "INSERT INTO users (created_at, updated_at, id, name, email, password, admin)"
            " VALUES (:now, :now, 7, 'Ada', 'ada@example.com', 'hash', :admin)",
            {"now": now, "admin": True},
        ),
        (
            "INSERT INTO instances (created_at, updated_at, id, data, name, user_id)"
            " VALUES (:now, :now, 'i1', :data, 'first instance', 7)",
            {"now": now, "data": '{"parameters": {"size": 3}}'},
        ),
        (
            "INSERT INTO executions (created_at, updated_at, id, instance_id, name, config,"
            " dag_run_id, execution_results, finished, user_id)"
            " VALUES (:now, :now, 'e1', 'i1', 'first run', :config, 'run-1', :results, :done, 7)",
            {"now": now, "config": '{"timeLimit": 60}', "results": '{"x": 1}', "done": True},
        ),
    )

    await upgrade(empty_url)

    [user] = await fetch(empty_url, "SELECT id, email, username, first_name, password FROM users")
    assert user == {
        "id": 7,
        "email": "ada@example.com",
        "username": "7",
        "first_name": None,
        "password": "hash",
    }
    [instance] = await fetch(
        empty_url,
        "SELECT id, name, data, data_hash, checks FROM instances",
        json_columns=("data", "checks"),
    )
    assert instance == {
        "id": "i1",
        "name": "first instance",
        "data": {"parameters": {"size": 3}},
        "data_hash": "",
        "checks": None,
    }
    [execution] = await fetch(
        empty_url,
        "SELECT id, run_id, config, state, data, data_hash, execution_files_status FROM executions",
        json_columns=("config", "data"),
    )
    assert execution == {
        "id": "e1",
        "run_id": "run-1",
        "config": {"timeLimit": 60},
        "state": 0,
        "data": None,
        "data_hash": "",
        "execution_files_status": 0,
    }


async def test_usernames_set_before_they_were_required_are_kept(empty_url: str) -> None:
    await upgrade(empty_url, "c8a6c762e818")
    now = datetime(2021, 6, 10)
    await execute(
        empty_url,
        *[
            (
                "INSERT INTO users (created_at, updated_at, id, name, email, username)"
                " VALUES (:now, :now, :id, :name, :email, :username)",
                {"now": now, "id": i, "name": n, "email": f"{n}@example.com", "username": u},
            )
            for i, n, u in [(1, "ada", "ada"), (2, "bob", None)]
        ],
        (
            "INSERT INTO roles (created_at, updated_at, id, name)"
            " VALUES (:now, :now, 2, 'planner')",
            {"now": now},
        ),
        (
            "INSERT INTO user_role (created_at, updated_at, user_id, role_id)"
            " VALUES (:now, :now, 1, 2)",
            {"now": now},
        ),
    )

    await upgrade(empty_url)

    users = await fetch(empty_url, "SELECT id, username FROM users ORDER BY id")
    assert users == [{"id": 1, "username": "ada"}, {"id": 2, "username": "2"}]
    duplicate_role = (
        "INSERT INTO roles (created_at, updated_at, id, name) VALUES (:now, :now, 12, 'planner')",
        {"now": now},
    )
    await execute(empty_url, duplicate_role)  # role names stopped being unique
    with pytest.raises(IntegrityError):
        await execute(
            empty_url,
            (
                "INSERT INTO user_role (created_at, updated_at, user_id, role_id)"
                " VALUES (:now, :now, 1, 2)",
                {"now": now},
            ),
        )


async def test_deployed_dags_and_dag_run_ids_survive_their_renames(empty_url: str) -> None:
    await upgrade(empty_url, "ebdd955fcc5e")
    now = datetime(2023, 4, 1)
    await execute(
        empty_url,
        (
            "INSERT INTO users (created_at, updated_at, id, email, username)"
            " VALUES (:now, :now, 1, 'ada@example.com', 'ada')",
            {"now": now},
        ),
        (
            "INSERT INTO deployed_dags (created_at, updated_at, id, description, config_schema)"
            " VALUES (:now, :now, 'solve_model_dag', 'a solver', :schema)",
            {"now": now, "schema": '{"type": "object"}'},
        ),
        (
            "INSERT INTO permission_dag (created_at, updated_at, dag_id, user_id)"
            " VALUES (:now, :now, 'solve_model_dag', 1)",
            {"now": now},
        ),
        (
            "INSERT INTO instances (created_at, updated_at, id, data, name, user_id, data_hash)"
            " VALUES (:now, :now, 'i1', '{}', 'instance', 1, 'h')",
            {"now": now},
        ),
        (
            "INSERT INTO executions (created_at, updated_at, id, instance_id, name, config,"
            " dag_run_id, user_id, state, data_hash)"
            " VALUES (:now, :now, 'e1', 'i1', 'run', '{}', 'manual__2023', 1, 1, 'h')",
            {"now": now},
        ),
    )

    await upgrade(empty_url)

    assert await fetch(
        empty_url,
        "SELECT id, config_schema, kpis_schema FROM deployed_workflows",
        json_columns=("config_schema", "kpis_schema"),
    ) == [{"id": "solve_model_dag", "config_schema": {"type": "object"}, "kpis_schema": None}]
    assert await fetch(
        empty_url,
        "SELECT run_id, state, kpis, last_run_checks_and_kpis, checks_and_kpis_only,"
        " execution_files_status FROM executions",
        json_columns=("kpis",),
    ) == [
        {
            "run_id": "manual__2023",
            "state": 1,
            "kpis": None,
            "last_run_checks_and_kpis": None,
            "checks_and_kpis_only": None,
            "execution_files_status": 0,
        }
    ]
    # The permission table's foreign key follows the renamed table.
    with pytest.raises(IntegrityError):
        await execute(
            empty_url,
            (
                "INSERT INTO permission_dag (created_at, updated_at, dag_id, user_id)"
                " VALUES (:now, :now, 'no_such_dag', 1)",
                {"now": now},
            ),
        )


def flask_schema_script(url: str) -> str:
    """The Flask server's schema at head for the dialect of url."""
    dialect = make_url(url).get_backend_name()
    return (FIXTURES / f"flask_schema.{dialect}.sql").read_text()


async def test_flask_database_at_head_is_left_alone(empty_url: str) -> None:
    await run_script(empty_url, flask_schema_script(empty_url))
    await execute(
        empty_url, ("INSERT INTO alembic_version (version_num) VALUES ('4729cd156460')", {})
    )
    before = await schema_of(empty_url)

    await upgrade(empty_url)

    assert await schema_of(empty_url) == before
    assert await current(empty_url) == schema_migrations.HEAD_REVISION


async def test_schema_equals_the_flask_servers(empty_url: str, scratch_dir: Path) -> None:
    """Structurally: the inspector sees the same tables, columns, keys, indexes and checks."""
    await upgrade(empty_url)
    async with scratch_database(scratch_dir, prefix="cfflask") as flask_url:
        await run_script(flask_url, flask_schema_script(flask_url))
        flask_schema = await schema_of(flask_url)

    assert await schema_of(empty_url) == flask_schema


# SQLite keeps each table's CREATE statement as written, edited in place by ALTER TABLE.
_CONSTRAINT = re.compile(r"^(PRIMARY KEY|UNIQUE|FOREIGN KEY|CHECK|CONSTRAINT)\b")


def _top_level_items(body: str) -> list[str]:
    items, depth, start = [], 0, 0
    for position, character in enumerate(body):
        if character == "(":
            depth += 1
        elif character == ")":
            depth -= 1
        elif character == "," and depth == 0:
            items.append(body[start:position])
            start = position + 1
    items.append(body[start:])
    return [" ".join(item.split()) for item in items if item.strip()]


def normalise_sqlite_schema(statements: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """Columns in order, table constraints as a set (their order is not stable across versions)."""
    normalised: list[tuple[str, tuple[str, ...]]] = []
    for statement in statements:
        statement = " ".join(statement.strip().rstrip(";").split())
        match = re.match(r"CREATE TABLE (?:IF NOT EXISTS )?\"?(\w+)\"? \((.*)\)$", statement)
        if not match:
            normalised.append((statement, ()))
            continue
        name, body = match.groups()
        items = [item.replace('"', "") for item in _top_level_items(body)]
        columns = [item for item in items if not _CONSTRAINT.match(item)]
        constraints = sorted(item for item in items if _CONSTRAINT.match(item))
        normalised.append((f"CREATE TABLE {name}", (*columns, *constraints)))
    return sorted(normalised)


@on_sqlite
async def test_sqlite_statements_equal_the_flask_servers(empty_url: str) -> None:
    await upgrade(empty_url)
    ours = await fetch(empty_url, "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL")
    flask = sql_statements((FIXTURES / "flask_schema.sqlite.sql").read_text())

    assert normalise_sqlite_schema([row["sql"] for row in ours]) == normalise_sqlite_schema(flask)


def normalise_pg_dump(dump: str) -> list[str]:
    """pg_dump's statements without comments, settings and owners, sorted.

    Statements rather than lines are sorted, so column order within a table still counts.
    """
    kept = [
        line.rstrip()
        for line in dump.splitlines()
        if line.strip()
        and not line.startswith(("--", "SET ", "SELECT pg_catalog.set_config"))
        and not line.startswith(("\\restrict", "\\unrestrict"))
        and not re.match(r"ALTER (TABLE|SEQUENCE) .* OWNER TO ", line)
    ]
    return sorted(sql_statements("\n".join(kept)))


@pytest.mark.postgres
@on_postgres
async def test_pg_dump_equals_the_flask_servers(empty_url: str) -> None:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed")
    await upgrade(empty_url)
    libpq_url = make_url(empty_url).set(drivername="postgresql")
    process = await asyncio.create_subprocess_exec(
        pg_dump,
        "--schema-only",
        "--no-owner",
        "--no-privileges",
        libpq_url.render_as_string(hide_password=False),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()

    expected = normalise_pg_dump((FIXTURES / "flask_schema.postgresql.sql").read_text())
    assert normalise_pg_dump(stdout.decode()) == expected
