"""Liveness and readiness probes: `/livez` (the process answers) and `/readyz` (it can serve)."""

# No `from __future__ import annotations`: FastAPI resolves a route's string annotations in
# module globals, and the database dependency below is local to health_router().
import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from svckit.db import Database, get_database

logger = logging.getLogger(__name__)

# Reads the app's version table on the probe's connection; True when the schema is at head.
SchemaCheck = Callable[[AsyncConnection], Awaitable[bool]]
CheckOutcome = Literal["ok", "failed", "skipped"]


class ShutdownFlag:
    """Set by the app's lifespan when it starts stopping, so readiness fails before the exit."""

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class ReadinessChecks(BaseModel):
    shutdown: CheckOutcome
    database: CheckOutcome
    migrations: CheckOutcome


class Readiness(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: ReadinessChecks


async def _check_database(
    database: Database, schema_is_current: SchemaCheck, *, seconds: float
) -> tuple[CheckOutcome, CheckOutcome]:
    try:
        async with asyncio.timeout(seconds), database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            try:
                current = await schema_is_current(connection)
            except Exception:
                logger.warning("readiness: schema check failed", exc_info=True)
                return "ok", "failed"
    except Exception:
        # The error text can name hosts and users; it goes to the log, not to the prober.
        logger.warning("readiness: database unreachable", exc_info=True)
        return "failed", "skipped"
    return "ok", "ok" if current else "failed"


def health_router(
    *,
    schema_is_current: SchemaCheck,
    shutdown: ShutdownFlag,
    database: Callable[[Request], Database] = get_database,
    timeout: float = 2.0,
    include_in_schema: bool = False,
) -> APIRouter:
    """Routes for `/livez` and `/readyz`; timeout bounds the database checks in seconds."""
    router = APIRouter(include_in_schema=include_in_schema, tags=["health"])
    database_dep = Annotated[Database, Depends(database)]

    @router.get("/livez", operation_id="livez", response_model=Liveness)
    async def livez() -> Liveness:
        """The process is up and answering; it never touches the database."""
        return Liveness()

    @router.get(
        "/readyz",
        operation_id="readyz",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "Not ready to serve"}},
    )
    async def readyz(db: database_dep, response: Response) -> Readiness:
        """The database answers, its schema is at head and the app is not shutting down."""
        if shutdown.is_set():
            checks = ReadinessChecks(shutdown="failed", database="skipped", migrations="skipped")
        else:
            database_outcome, migrations_outcome = await _check_database(
                db, schema_is_current, seconds=timeout
            )
            checks = ReadinessChecks(
                shutdown="ok", database=database_outcome, migrations=migrations_outcome
            )
        ready = all(outcome == "ok" for outcome in checks.model_dump().values())
        if not ready:
            response.status_code = 503
        return Readiness(status="ok" if ready else "unavailable", checks=checks)

    return router
