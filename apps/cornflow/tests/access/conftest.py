"""Fixtures for the access tables: blank migrated databases and Flask's observed rows."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource
from sqlalchemy import text

from cornflow_fastapi import schema_migrations
from cornflow_fastapi.config import CornflowSettings
from svckit.db import Database
from svckit.testing import scratch_database

DATA = Path(__file__).parent / "data"

Tables = dict[str, list[list[Any]]]

EXPORT_QUERIES = {
    "actions": "SELECT id, name FROM actions ORDER BY id",
    "roles": "SELECT id, name FROM roles ORDER BY id",
    "api_view": "SELECT id, name, url_rule, description FROM api_view ORDER BY id",
    "permission_view": (
        "SELECT id, action_id, api_view_id, role_id FROM permission_view"
        " WHERE deleted_at IS NULL ORDER BY id"
    ),
}


class ExplicitSettings(CornflowSettings):
    """Settings from the arguments only, so the test process's environment cannot leak in."""

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


def settings_from_flask_environment(environment: dict[str, str]) -> CornflowSettings:
    """Our settings for the environment a Flask fixture was made with."""
    values: dict[str, Any] = {"flask_env": "testing"}
    values.update({name.lower(): int(value) for name, value in environment.items()})
    return ExplicitSettings(**values)


def load_flask_tables(name: str) -> tuple[CornflowSettings, Tables]:
    document = json.loads((DATA / f"{name}.json").read_text())
    settings = settings_from_flask_environment(document.pop("flask_environment"))
    return settings, document


async def export_tables(database: Database) -> Tables:
    """The access tables in the fixtures' shape."""
    async with database.sessionmaker() as session:
        return {
            table: [list(row) for row in (await session.execute(text(query))).all()]
            for table, query in EXPORT_QUERIES.items()
        }


@pytest.fixture
async def blank_url(scratch_dir: Path) -> AsyncIterator[str]:
    """A migrated database nobody has seeded, new for each test.

    Not a rolled-back transaction: PostgreSQL sequences ignore rollbacks, and the ids the
    tests compare come from them.
    """
    async with scratch_database(scratch_dir, prefix="access") as url:
        await asyncio.to_thread(schema_migrations.upgrade, url)
        yield url


@pytest.fixture
async def blank_database(blank_url: str) -> AsyncIterator[Database]:
    database = Database.from_url(blank_url)
    yield database
    await database.dispose()


@pytest.fixture
def flask_tables() -> Callable[[str], tuple[CornflowSettings, Tables]]:
    """Loader of a Flask fixture: the settings it corresponds to and its rows."""
    return load_flask_tables


@pytest.fixture
def read_tables() -> Callable[[Database], Awaitable[Tables]]:
    return export_tables


@pytest.fixture
def settings_for() -> Callable[..., CornflowSettings]:
    """Settings from keyword arguments only (flask_env defaults to testing)."""

    def build(**values: Any) -> CornflowSettings:
        return ExplicitSettings(**{"flask_env": "testing", **values})

    return build
