"""`LocalOrchestrator`: the Orchestrator protocol over the database queue of the local runner.

Nothing here starts a process or blocks the event loop. A run is queued by the caller storing
the run id `run()` returns and state -7 on the execution (as Cornflow does with Airflow's
`dag_run_id`), in the request's own transaction; workers pick it up once that commits. Stopping
is the execution's state becoming -2, which the worker running it notices and kills the solve.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from cornflow_fastapi.apps.discovery import InstalledApp, load_apps, resolve_workflow
from cornflow_fastapi.models import Execution, ExecutionState
from cornflow_fastapi.orchestrators.base import OrchestratorError, RunRequest, WorkflowInfo
from cornflow_fastapi.orchestrators.local.runs import parse_run_id, run_id_for
from svckit.db import Database

NOT_INSTALLED = "The workflow {workflow} is not installed on this server"


class LocalOrchestrator:
    """Runs executions with the apps installed next to the server (CORNFLOW_BACKEND=local)."""

    name = "local"

    def __init__(self, database: Database, *, app_specs: Sequence[str] = ()) -> None:
        self._database = database
        self._app_specs = tuple(app_specs)
        self._apps: dict[str, InstalledApp] | None = None
        self._loading = asyncio.Lock()

    async def apps(self) -> dict[str, InstalledApp]:
        """The installed apps, by name (imported once, off the event loop)."""
        async with self._loading:
            if self._apps is None:
                self._apps = await asyncio.to_thread(load_apps, self._app_specs)
        return self._apps

    async def app(self, workflow: str) -> InstalledApp:
        app = resolve_workflow(await self.apps(), workflow)
        if app is None:
            raise OrchestratorError(NOT_INSTALLED.format(workflow=workflow), status_code=404)
        return app

    async def is_alive(self) -> bool:
        # Runs wait in the database until a worker is free: queuing is always possible.
        return True

    async def workflow_info(self, workflow: str) -> WorkflowInfo:
        app = await self.app(workflow)
        return WorkflowInfo(name=app.name, is_paused=False)

    async def run(self, request: RunRequest) -> str:
        await self.app(request.workflow)
        return run_id_for(
            request.execution_id,
            checks_and_kpis_only=request.checks_and_kpis_only,
            case_id=request.case_id,
        )

    async def status(self, workflow: str, run_id: str) -> ExecutionState:
        ref = parse_run_id(run_id)
        if ref is None:
            return ExecutionState.UNKNOWN
        async with self._database.sessionmaker() as session:
            execution = await session.get(Execution, ref.execution_id)
            if execution is None or execution.deleted_at is not None:
                return ExecutionState.UNKNOWN
            try:
                return ExecutionState(execution.state)
            except ValueError:
                return ExecutionState.UNKNOWN

    async def stop(self, workflow: str, run_id: str) -> None:
        # The caller's state change to -2 is the signal: the worker polling that execution
        # kills its solve, and a queued execution is no longer taken.
        return None

    async def schemas(self, workflow: str) -> dict[str, Any] | None:
        app = await self.app(workflow)
        return await asyncio.to_thread(app.schemas)

    async def examples(self, workflow: str) -> list[dict[str, Any]]:
        app = await self.app(workflow)
        return await asyncio.to_thread(app.examples)

    async def aclose(self) -> None:
        return None
