"""Around the runner: app discovery and registration, the Orchestrator protocol, /health/, and
the separate migration chain of the runner's table."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from orchestrators.local_runner_apps import SPEC
from orchestrators.runner_support import (
    create_execution,
    create_instance,
    dispatch,
    runner_settings,
)
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection
from typer.testing import CliRunner

from cornflow_fastapi import extension_schema, schema_migrations
from cornflow_fastapi.access import seed
from cornflow_fastapi.access.catalog import RoleId
from cornflow_fastapi.apps import registration
from cornflow_fastapi.apps.discovery import (
    InstalledApp,
    entry_point_specs,
    load_application,
    load_apps,
)
from cornflow_fastapi.cli import app as cli
from cornflow_fastapi.config import CornflowBackend
from cornflow_fastapi.main import create_app
from cornflow_fastapi.models import DeployedWorkflow, ExecutionState, PermissionDag
from cornflow_fastapi.orchestrators.base import OrchestratorError, RunRequest
from cornflow_fastapi.orchestrators.local import LocalOrchestrator
from cornflow_fastapi.users import service as users_service
from cornflow_support import make_settings
from svckit.db import Database, create_engine
from svckit.passwords import PasswordHasher
from svckit.testing import scratch_database

SCHEMA_KEYS = {"instance", "solution", "config", "instance_checks", "solution_checks", "kpis"}


def test_apps_are_found_through_the_entry_point_group() -> None:
    specs = entry_point_specs()

    assert "cornflow_fastapi.apps.solve_model:SolveModel" in specs
    assert "cornflow_knapsack:Knapsack" in specs
    assert load_application("cornflow_knapsack:Knapsack").name == "knapsack"


def test_a_broken_app_is_skipped_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        apps = load_apps(("no_such_module:App", "cornflow_fastapi.config:CornflowSettings"))

    assert {"solve_model_dag", "knapsack"} <= set(apps)
    assert "no_such_module:App" in caplog.text
    assert "is not a cornflow-client ApplicationCore" in caplog.text


@pytest.fixture
async def fresh_url(scratch_dir: Path) -> AsyncIterator[str]:
    """An empty database at Cornflow's head, with a planner, an admin and a service user."""
    async with scratch_database(scratch_dir, prefix="setup") as url:
        await asyncio.to_thread(schema_migrations.upgrade, url)
        database = Database.from_url(url)
        hasher = PasswordHasher(scheme="bcrypt")
        async with database.sessionmaker() as session, session.begin():
            await seed.init_access(session, make_settings())
            for name, role in (("planner", RoleId.PLANNER), ("admin", RoleId.ADMIN)):
                user = await users_service.create_user(
                    session, hasher, username=name, email=f"{name}@x.com", password="Pass_1234"
                )
                await users_service.assign_role(session, user.id, role)
        await database.dispose()
        yield url


async def registered_rows(url: str) -> tuple[dict[str, DeployedWorkflow], set[tuple[str, int]]]:
    database = Database.from_url(url)
    try:
        async with database.sessionmaker() as session:
            dags = {row.id: row for row in (await session.scalars(select(DeployedWorkflow)))}
            pairs = await session.execute(select(PermissionDag.dag_id, PermissionDag.user_id))
            return dags, {(dag_id, user_id) for dag_id, user_id in pairs}
    finally:
        await database.dispose()


async def register(url: str, apps: dict[str, InstalledApp], open_deployment: int) -> Any:
    database = Database.from_url(url)
    try:
        async with database.sessionmaker() as session, session.begin():
            return await registration.register_apps(
                session, apps.values(), open_deployment=open_deployment
            )
    finally:
        await database.dispose()


async def test_registration_writes_the_apps_and_grants_every_user(fresh_url: str) -> None:
    apps = await asyncio.to_thread(load_apps, ())

    first = await register(fresh_url, apps, open_deployment=1)
    again = await register(fresh_url, apps, open_deployment=1)

    dags, permissions = await registered_rows(fresh_url)
    assert set(first.created) == {"solve_model_dag", "knapsack"} == set(dags)
    assert (again.created, again.updated, again.permissions_added) == ([], [], 0)
    knapsack = dags["knapsack"]
    schemas = apps["knapsack"].schemas()
    assert set(schemas) == SCHEMA_KEYS
    assert knapsack.description == apps["knapsack"].description
    assert knapsack.instance_schema == schemas["instance"]
    assert knapsack.solution_schema == schemas["solution"]
    assert knapsack.config_schema == schemas["config"]
    assert knapsack.instance_checks_schema == schemas["instance_checks"]
    assert knapsack.solution_checks_schema == schemas["solution_checks"]
    assert knapsack.kpis_schema == schemas["kpis"]
    assert dags["solve_model_dag"].config_schema["properties"]["solver"]["enum"] == [
        "PULP_CBC_CMD", "HiGHS", "cbc", "highs",
    ]  # fmt: skip
    users = {user_id for _, user_id in permissions}
    assert len(users) == 2
    assert permissions == {(dag, user) for dag in dags for user in users}


async def test_a_closed_deployment_grants_only_admins_and_service_users(fresh_url: str) -> None:
    apps = await asyncio.to_thread(load_apps, ())

    await register(fresh_url, apps, open_deployment=0)

    _, permissions = await registered_rows(fresh_url)
    database = Database.from_url(fresh_url)
    try:
        async with database.sessionmaker() as session:
            admin = await session.scalar(text("SELECT id FROM users WHERE username = 'admin'"))
    finally:
        await database.dispose()
    assert permissions == {("solve_model_dag", admin), ("knapsack", admin)}


async def test_changed_schemas_are_updated(fresh_url: str) -> None:
    apps = await asyncio.to_thread(load_apps, ())
    await register(fresh_url, apps, open_deployment=1)
    database = Database.from_url(fresh_url)
    try:
        async with database.sessionmaker() as session, session.begin():
            row = await session.get(DeployedWorkflow, "knapsack")
            assert row is not None
            row.config_schema = {"outdated": True}
    finally:
        await database.dispose()

    result = await register(fresh_url, apps, open_deployment=1)

    dags, _ = await registered_rows(fresh_url)
    assert result.updated == ["knapsack"]
    assert dags["knapsack"].config_schema == apps["knapsack"].schemas()["config"]


async def test_the_server_registers_the_apps_when_it_starts(fresh_url: str) -> None:
    app = create_app(runner_settings(fresh_url, local_workers=0))

    async with LifespanManager(app):
        dags, permissions = await registered_rows(fresh_url)

    assert {"solve_model_dag", "knapsack", "scripted"} <= set(dags)
    assert ("scripted", 1) in permissions


async def test_service_init_registers_the_apps(fresh_url: str) -> None:
    from cornflow_fastapi.cli import server

    await asyncio.to_thread(server.initialise, make_settings(database_url=fresh_url))

    dags, _ = await registered_rows(fresh_url)
    assert {"solve_model_dag", "knapsack"} <= set(dags)
    assert await asyncio.to_thread(extension_schema.current, fresh_url) == (
        extension_schema.HEAD_REVISION
    )


async def test_the_orchestrator_protocol(
    runner_db: Database, planner_id: int, registered_apps: dict[str, InstalledApp]
) -> None:
    orchestrator = LocalOrchestrator(runner_db, app_specs=(SPEC,))
    instance = await create_instance(runner_db, user_id=planner_id, data={}, schema="knapsack")
    execution = await create_execution(runner_db, instance)

    assert await orchestrator.is_alive()
    info = await orchestrator.workflow_info("pulp")
    assert (info.name, info.is_paused) == ("solve_model_dag", False)
    with pytest.raises(OrchestratorError) as unknown:
        await orchestrator.workflow_info("nodag")
    assert unknown.value.status_code == 404
    request = RunRequest(execution_id=execution.id, workflow="knapsack")
    assert await orchestrator.run(request) == f"local:{execution.id}"
    checks = RunRequest(execution.id, "knapsack", checks_and_kpis_only=True, case_id=7)
    assert await orchestrator.run(checks) == f"local:{execution.id}:checks:7"
    assert await orchestrator.status("knapsack", f"local:{execution.id}") == (
        ExecutionState.NOT_RUN
    )
    run_id = await dispatch(runner_db, execution.id)
    assert await orchestrator.status("knapsack", run_id) == ExecutionState.QUEUED
    assert await orchestrator.status("knapsack", "manual__airflow") == ExecutionState.UNKNOWN
    await orchestrator.stop("knapsack", run_id)
    assert await orchestrator.schemas("knapsack") == registered_apps["knapsack"].schemas()
    examples = await orchestrator.examples("knapsack")
    assert [example["name"] for example in examples] == ["small", "fifteen_items"]
    assert {"name", "description", "instance", "solution"} <= set(examples[0])


async def test_health_reports_the_local_backend(build_client: Callable[..., Any]) -> None:
    async with build_client() as client:
        response = await client.get("/health/")

    assert response.status_code == 200
    assert response.json()["backend_status"] == "healthy"


def _tables(connection: Connection) -> dict[str, Any]:
    inspector = inspect(connection)
    described = {}
    for table in inspector.get_table_names():
        described[table] = (
            [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
            inspector.get_pk_constraint(table),
            # Order-free: SQLite table rebuilds emit foreign keys in no fixed order.
            sorted(str(foreign_key) for foreign_key in inspector.get_foreign_keys(table)),
            sorted(str(index) for index in inspector.get_indexes(table)),
            sorted(str(unique) for unique in inspector.get_unique_constraints(table)),
        )
    return described


async def describe(url: str) -> tuple[dict[str, Any], list[str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(_tables)
            versions = (await connection.execute(text("SELECT * FROM alembic_version"))).all()
    finally:
        await engine.dispose()
    return tables, [row[0] for row in versions]


async def cornflow(url: str, *arguments: str) -> None:
    env = {"DATABASE_URL": url, "FLASK_ENV": "testing"}
    result = await asyncio.to_thread(CliRunner().invoke, cli, list(arguments), env=env)
    assert result.exit_code == 0, result.output


async def test_upgrade_adds_our_chain_and_leaves_cornflows_untouched(scratch_dir: Path) -> None:
    async with (
        scratch_database(scratch_dir, prefix="flaskonly") as flask_only,
        scratch_database(scratch_dir, prefix="both") as both,
    ):
        await asyncio.to_thread(schema_migrations.upgrade, flask_only)
        await cornflow(both, "migrations", "upgrade")

        reference, reference_versions = await describe(flask_only)
        ours, versions = await describe(both)
        assert versions == reference_versions == [schema_migrations.HEAD_REVISION]
        assert set(ours) - set(reference) == {"local_run_claims", extension_schema.VERSION_TABLE}
        assert {table: ours[table] for table in reference} == reference
        assert await asyncio.to_thread(extension_schema.current, both) == "ef9b48b71f3a"

        # Ours goes away alone; Cornflow's chain still moves with our table in place.
        await cornflow(both, "migrations", "extensions", "downgrade", "-r", "base")
        after, after_versions = await describe(both)
        # Alembic keeps a chain's version table, emptied, at base.
        assert set(after) - set(reference) == {extension_schema.VERSION_TABLE}
        assert {table: after[table] for table in reference} == reference
        assert after_versions == reference_versions
        assert await asyncio.to_thread(extension_schema.current, both) is None
        await cornflow(both, "migrations", "upgrade")
        await cornflow(both, "migrations", "downgrade")
        assert await asyncio.to_thread(schema_migrations.current, both) == "9cacf194fa1c"
        assert await asyncio.to_thread(extension_schema.current, both) == "ef9b48b71f3a"


@pytest.mark.parametrize(
    ("value", "backend"),
    [
        ("local", CornflowBackend.LOCAL),
        ("airflow", CornflowBackend.AIRFLOW),
        ("1", CornflowBackend.AIRFLOW),
        (1, CornflowBackend.AIRFLOW),
        ("databricks", CornflowBackend.DATABRICKS),
        ("2", CornflowBackend.DATABRICKS),
    ],
)
def test_cornflow_backend_takes_names_and_flasks_numbers(value: Any, backend: Any) -> None:
    settings = make_settings(cornflow_backend=value)

    assert settings.cornflow_backend is backend
    assert settings.cornflow_backend == int(backend)


def test_local_is_the_default_backend() -> None:
    assert make_settings().cornflow_backend is CornflowBackend.LOCAL
    assert make_settings().model_dump(mode="json")["cornflow_backend"] == "local"
    with pytest.raises(ValueError, match="cornflow_backend"):
        make_settings(cornflow_backend="kubernetes")
