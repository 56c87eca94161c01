"""The per-request transaction: committed on success and on KeepChanges, rolled back otherwise."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from svckit.db import Database, KeepChanges, SessionDep
from svckit.testing import app_client


class Recorded(KeepChanges):
    pass


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database.from_url(f"sqlite:///{tmp_path / 'session.db'}")
    async with database.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE notes (body TEXT)"))
    yield database
    await database.dispose()


def build_app(database: Database) -> FastAPI:
    app = FastAPI()
    app.state.database = database

    @app.post("/notes/{body}")
    async def add_note(body: str, session: SessionDep, outcome: str = "ok") -> dict[str, str]:
        await session.execute(text("INSERT INTO notes (body) VALUES (:body)"), {"body": body})
        if outcome == "recorded":
            raise Recorded(body)
        if outcome == "failed":
            raise LookupError(body)
        return {"body": body}

    async def recorded(_request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=400)

    async def failed(_request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=404)

    app.add_exception_handler(Recorded, recorded)
    app.add_exception_handler(LookupError, failed)
    return app


async def notes(database: Database) -> list[str]:
    async with database.engine.connect() as connection:
        return list((await connection.execute(text("SELECT body FROM notes"))).scalars())


async def test_changes_of_a_request_that_fails_with_keep_changes_are_committed(
    database: Database,
) -> None:
    async with app_client(build_app(database)) as client:
        kept = await client.post("/notes/kept", params={"outcome": "recorded"})
        lost = await client.post("/notes/lost", params={"outcome": "failed"})
        ok = await client.post("/notes/ok")

    assert (kept.status_code, lost.status_code, ok.status_code) == (400, 404, 200)
    assert sorted(await notes(database)) == ["kept", "ok"]
