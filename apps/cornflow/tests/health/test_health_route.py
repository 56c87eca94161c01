"""GET /health/: the service user and the backend, each checked at most once per interval."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from cornflow_fastapi.main import create_app
from cornflow_fastapi.models import User
from cornflow_support import make_settings
from svckit.db import Database
from svckit.testing import app_client


async def soft_delete_service_user(database: Database) -> None:
    async with database.sessionmaker() as session:
        await session.execute(
            update(User).where(User.username == "service_user").values(deleted_at=User.created_at)
        )
        await session.commit()


async def health_of(database: Database, **settings: Any) -> dict[str, Any]:
    async with app_client(create_app(make_settings(**settings), database=database)) as client:
        response = await client.get("/health/")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_healthy_while_the_service_user_exists(database: Database) -> None:
    body = await health_of(database, cornflow_backend="local", local_workers=0)
    assert body["cornflow_status"] == "healthy"
    assert body["backend_status"] == "healthy"


async def test_unhealthy_without_the_service_user(database: Database) -> None:
    await soft_delete_service_user(database)
    body = await health_of(database, cornflow_backend="local", local_workers=0)
    assert body["cornflow_status"] == "unhealthy"


async def test_polls_within_the_interval_share_one_answer(database: Database) -> None:
    app = create_app(
        make_settings(cornflow_backend="local", local_workers=0, health_check_interval=60),
        database=database,
    )
    async with app_client(app) as client:
        first = (await client.get("/health/")).json()
        await soft_delete_service_user(database)
        second = (await client.get("/health/")).json()
    assert first["cornflow_status"] == second["cornflow_status"] == "healthy"


async def test_interval_zero_checks_on_every_poll(database: Database) -> None:
    app = create_app(
        make_settings(cornflow_backend="local", local_workers=0, health_check_interval=0),
        database=database,
    )
    async with app_client(app) as client:
        first = (await client.get("/health/")).json()
        await soft_delete_service_user(database)
        second = (await client.get("/health/")).json()
    assert (first["cornflow_status"], second["cornflow_status"]) == ("healthy", "unhealthy")


async def test_a_database_that_cannot_be_reached_reads_as_unhealthy() -> None:
    unreachable = Database.from_url("postgresql://nobody@127.0.0.1:9/nothing")
    try:
        body = await health_of(unreachable, cornflow_backend="local", local_workers=0)
    finally:
        await unreachable.dispose()
    assert body["cornflow_status"] == "unhealthy"
