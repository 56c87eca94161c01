"""Local runner tests: a database of their own (worker processes see only committed rows, so the
rollback-per-test database of the other tests cannot serve), migrated with both chains."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from orchestrators.local_runner_apps import SPEC
from orchestrators.runner_support import clear

from cornflow_fastapi import extension_schema, schema_migrations
from cornflow_fastapi.access import seed
from cornflow_fastapi.access.catalog import RoleId
from cornflow_fastapi.apps.discovery import InstalledApp, load_apps
from cornflow_fastapi.orchestrators.local.runtime import register_installed_apps
from cornflow_fastapi.users import service as users_service
from cornflow_support import ACCOUNTS, Account, make_settings
from svckit.db import Database
from svckit.passwords import PasswordHasher
from svckit.testing import scratch_database

RUNNER_ACCOUNTS = ("service", "admin", "planner", "viewer")


@pytest.fixture(scope="session")
async def runner_seeded(scratch_dir: Path) -> AsyncIterator[tuple[str, dict[str, Account]]]:
    async with scratch_database(scratch_dir, prefix="runner") as url:
        await asyncio.to_thread(schema_migrations.upgrade, url)
        await asyncio.to_thread(extension_schema.upgrade, url)
        database = Database.from_url(url)
        hasher = PasswordHasher(scheme="bcrypt")
        accounts: dict[str, Account] = {}
        async with database.sessionmaker() as session, session.begin():
            await seed.init_access(session, make_settings())
            for key in RUNNER_ACCOUNTS:
                username, email, password, role = ACCOUNTS[key]
                user = await users_service.create_user(
                    session, hasher, username=username, email=email, password=password
                )
                assert role is not None
                await users_service.assign_role(session, user.id, RoleId(role))
                accounts[key] = Account(user.id, username, email, password, role)
        await database.dispose()
        yield url, accounts


@pytest.fixture(scope="session")
def runner_url(runner_seeded: tuple[str, dict[str, Account]]) -> str:
    return runner_seeded[0]


@pytest.fixture(scope="session")
def runner_accounts(runner_seeded: tuple[str, dict[str, Account]]) -> dict[str, Account]:
    return runner_seeded[1]


@pytest.fixture
async def runner_db(runner_url: str) -> AsyncIterator[Database]:
    """The runner database, emptied of instances and executions before and after the test."""
    database = Database.from_url(runner_url)
    await clear(database)
    try:
        yield database
    finally:
        await clear(database)
        await database.dispose()


@pytest.fixture
def planner_id(runner_accounts: dict[str, Account]) -> int:
    return runner_accounts["planner"].id


@pytest.fixture(scope="session")
async def registered_apps(runner_url: str) -> dict[str, InstalledApp]:
    """Every test app, installed ones and `scripted`, registered as deployed workflows."""
    apps = await asyncio.to_thread(load_apps, (SPEC,))
    database = Database.from_url(runner_url)
    try:
        await register_installed_apps(database, apps, open_deployment=1)
    finally:
        await database.dispose()
    return apps
