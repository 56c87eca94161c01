"""Cornflow test fixtures: one migrated, seeded database per session, a rollback per test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncEngine

from cornflow_fastapi import schema_migrations
from cornflow_fastapi.apps.registration import register_dag_permissions
from cornflow_fastapi.config import CornflowSettings
from cornflow_fastapi.main import create_app
from cornflow_fastapi.models import DeployedWorkflow
from cornflow_fastapi.users import service as users_service
from cornflow_support import (
    ACCOUNTS,
    EMPTY_CONFIG_WORKFLOWS,
    ROLE_KEYS,
    Account,
    Expected,
    bearer,
    make_settings,
    open_workflow,
    pulp_workflow,
)
from svckit.db import Database, create_engine
from svckit.passwords import PasswordHasher
from svckit.testing import app_client, rollback_database, scratch_database


async def _seed(url: str) -> dict[str, Account]:
    from cornflow_fastapi.access import seed

    database = Database.from_url(url)
    hasher = PasswordHasher(scheme="bcrypt")
    accounts: dict[str, Account] = {}
    async with database.sessionmaker() as session, session.begin():
        await seed.init_access(session, make_settings())
        for key, (username, email, password, role) in ACCOUNTS.items():
            user = await users_service.create_user(
                session, hasher, username=username, email=email, password=password
            )
            if role is not None:
                await users_service.assign_role(session, user.id, role)
            accounts[key] = Account(user.id, username, email, password, role)
    await database.dispose()
    return accounts


@pytest.fixture(scope="session")
async def seeded(scratch_dir: Path) -> AsyncIterator[tuple[str, dict[str, Account]]]:
    async with scratch_database(scratch_dir, prefix="cornflow") as url:
        await asyncio.to_thread(schema_migrations.upgrade, url)
        yield url, await _seed(url)


@pytest.fixture(scope="session")
def database_url(seeded: tuple[str, dict[str, Account]]) -> str:
    return seeded[0]


@pytest.fixture(scope="session")
def accounts(seeded: tuple[str, dict[str, Account]]) -> dict[str, Account]:
    return seeded[1]


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def database(engine: AsyncEngine) -> AsyncIterator[Database]:
    async with rollback_database(engine) as database:
        yield database


@pytest.fixture
async def workflows(database: Database) -> list[str]:
    """solve_model_dag (the PuLP schema) and open-schema workflows, usable by every user."""
    rows = [pulp_workflow(), *(open_workflow(name) for name in EMPTY_CONFIG_WORKFLOWS)]
    async with database.sessionmaker() as session, session.begin():
        session.add_all(DeployedWorkflow(**row) for row in rows)
        await session.flush()
        await register_dag_permissions(session, open_deployment=1)
    return [row["id"] for row in rows]


@pytest.fixture
def settings() -> CornflowSettings:
    return make_settings()


@pytest.fixture
def app(settings: CornflowSettings, database: Database) -> FastAPI:
    return create_app(settings, database=database)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with app_client(app) as client:
        yield client


@pytest.fixture
def build_client(database: Database) -> Callable[..., Any]:
    """An app with other settings on the same test database: `async with build_client(...)`."""

    def build(**overrides: Any) -> Any:
        return app_client(create_app(make_settings(**overrides), database=database))

    return build


@pytest.fixture
def headers(accounts: dict[str, Account]) -> dict[str, dict[str, str]]:
    """Authorization headers per role name (service, admin, planner, viewer, dummy, norole)."""
    return {key: bearer(account.username) for key, account in accounts.items()}


Walk = Callable[..., Awaitable[None]]


@pytest.fixture
def walk_roles(client: AsyncClient, headers: dict[str, dict[str, str]]) -> Walk:
    """Call one route as anonymous (None) and as each role; check every (status, body).

    A body of ... only checks the status. `path` may be a callable of the role key.
    """

    async def walk(
        method: str, path: str | Callable[[str | None], str], expected: Expected, **kwargs: Any
    ) -> None:
        assert set(expected) == {None, *ROLE_KEYS}, "walk every role"
        for role, (status, body) in expected.items():
            url = path(role) if callable(path) else path
            auth = headers[role] if role else {}
            response = await client.request(method, url, headers=auth, **kwargs)
            assert response.status_code == status, (role, response.text)
            if body is not ...:
                assert response.json() == body, role

    return walk
