from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from svckit.db import Database
from svckit.health import ShutdownFlag, health_router
from svckit.testing import app_client

HEAD = "4729cd156460"


async def schema_at_head(connection: AsyncConnection) -> bool:
    version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    return bool(version == HEAD)


def build_app(database: Database | None, shutdown: ShutdownFlag) -> FastAPI:
    app = FastAPI()
    app.state.database = database
    app.include_router(health_router(schema_is_current=schema_at_head, shutdown=shutdown))
    return app


async def stamp(database: Database, version: str) -> None:
    async with database.engine.begin() as connection:
        await connection.execute(
            text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL)")
        )
        await connection.execute(text("DELETE FROM alembic_version"))
        await connection.execute(
            text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": version}
        )


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database.from_url(f"sqlite:///{tmp_path / 'health.db'}")
    yield database
    await database.dispose()


async def test_livez_answers_without_a_database() -> None:
    async with app_client(build_app(None, ShutdownFlag())) as client:
        response = await client.get("/livez")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ok_when_every_check_passes(database: Database) -> None:
    await stamp(database, HEAD)
    async with app_client(build_app(database, ShutdownFlag())) as client:
        response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"shutdown": "ok", "database": "ok", "migrations": "ok"},
    }


async def test_readyz_fails_when_the_schema_is_behind(database: Database) -> None:
    await stamp(database, "00000000aaaa")
    async with app_client(build_app(database, ShutdownFlag())) as client:
        response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"shutdown": "ok", "database": "ok", "migrations": "failed"},
    }


async def test_readyz_fails_when_the_version_table_is_missing(database: Database) -> None:
    async with app_client(build_app(database, ShutdownFlag())) as client:
        response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"] == {"shutdown": "ok", "database": "ok", "migrations": "failed"}


async def test_readyz_fails_when_the_database_is_unreachable() -> None:
    unreachable = Database.from_url("postgresql://nobody:nothing@127.0.0.1:9/none")
    try:
        async with app_client(build_app(unreachable, ShutdownFlag())) as client:
            response = await client.get("/readyz")
    finally:
        await unreachable.dispose()

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"shutdown": "ok", "database": "failed", "migrations": "skipped"},
    }
    assert "127.0.0.1" not in response.text


async def test_readyz_fails_once_shutdown_starts(database: Database) -> None:
    await stamp(database, HEAD)
    shutdown = ShutdownFlag()
    async with app_client(build_app(database, shutdown)) as client:
        before = await client.get("/readyz")
        shutdown.set()
        after = await client.get("/readyz")
        live = await client.get("/livez")

    assert before.status_code == 200
    assert after.status_code == 503
    assert after.json()["checks"]["shutdown"] == "failed"
    assert live.status_code == 200


async def test_probes_stay_out_of_the_openapi_document_unless_asked() -> None:
    hidden = build_app(None, ShutdownFlag())
    shown = FastAPI()
    shown.include_router(
        health_router(
            schema_is_current=schema_at_head, shutdown=ShutdownFlag(), include_in_schema=True
        )
    )

    assert "/readyz" not in hidden.openapi()["paths"]
    readyz = shown.openapi()["paths"]["/readyz"]["get"]
    assert readyz["operationId"] == "readyz"
    assert set(readyz["responses"]) == {"200", "503"}
