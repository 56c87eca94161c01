"""Starting the local runner with the server (lifespan) or alone (`cornflow worker`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from cornflow_fastapi import extension_schema
from cornflow_fastapi.apps import registration
from cornflow_fastapi.apps.discovery import InstalledApp
from cornflow_fastapi.config import CornflowSettings, LocalRunnerSettings
from cornflow_fastapi.orchestrators.local.orchestrator import LocalOrchestrator
from cornflow_fastapi.orchestrators.local.supervisor import LocalSupervisor
from svckit.db import Database

logger = logging.getLogger("cornflow_fastapi.local")


async def register_installed_apps(
    database: Database, apps: Mapping[str, InstalledApp], *, open_deployment: int
) -> registration.RegistrationResult:
    """Register apps in their own transaction; a server starting alongside may race us."""
    for attempt in (1, 2):
        try:
            async with database.sessionmaker() as session, session.begin():
                return await registration.register_apps(
                    session, apps.values(), open_deployment=open_deployment
                )
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def runner_tables_ready(settings: LocalRunnerSettings) -> bool:
    """Whether `cornflow migrations upgrade` created the runner's table."""
    revision = await asyncio.to_thread(extension_schema.current, settings.database_url)
    return revision == extension_schema.HEAD_REVISION


@dataclass
class LocalRunner:
    """What the server started for CORNFLOW_BACKEND=local; stop() at shutdown."""

    supervisor: LocalSupervisor | None

    async def stop(self) -> None:
        if self.supervisor is not None:
            await self.supervisor.stop()


async def start_local_runner(
    settings: CornflowSettings, database: Database, orchestrator: LocalOrchestrator
) -> LocalRunner:
    """Register the installed apps, then start LOCAL_WORKERS workers under a supervisor.

    Failures are logged, not raised: the API keeps serving, and executions wait in the queue.
    """
    runner = settings.local_runner
    try:
        apps = await orchestrator.apps()
        result = await register_installed_apps(
            database, apps, open_deployment=settings.open_deployment
        )
        logger.info(
            "apps %s registered (new %s, updated %s)", sorted(apps), result.created, result.updated
        )
    except Exception:
        logger.exception("the installed apps could not be registered")
    if runner.workers < 1:
        return LocalRunner(supervisor=None)
    try:
        ready = await runner_tables_ready(runner)
    except Exception:
        logger.exception("the local runner's table could not be checked")
        ready = False
    if not ready:
        logger.error("local runner not started: run `cornflow migrations upgrade` first")
        return LocalRunner(supervisor=None)
    supervisor = LocalSupervisor(runner)
    await supervisor.start()
    return LocalRunner(supervisor=supervisor)
