"""`cornflow worker`: the local runner's workers, apart from the web server."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Annotated

import typer

from cornflow_fastapi.config import CornflowSettings
from cornflow_fastapi.orchestrators.local import LocalOrchestrator, LocalSupervisor
from cornflow_fastapi.orchestrators.local.runtime import (
    register_installed_apps,
    runner_tables_ready,
)
from svckit.db import Database

Workers = Annotated[
    int | None, typer.Option("--workers", help="Worker processes (default: LOCAL_WORKERS)")
]


def worker(workers: Workers = None) -> None:
    """Solve queued executions (CORNFLOW_BACKEND=local) until stopped with SIGTERM or Ctrl-C.

    Run it on the machines that solve, with LOCAL_WORKERS=0 on the web servers: one supervisor
    per deployment is enough (more are safe, they only add polling).
    """
    logging.basicConfig(level=logging.INFO, format="%(levelname)s [%(name)s] %(message)s")
    settings = CornflowSettings()
    runner = settings.local_runner
    if workers is not None:
        runner = runner.model_copy(update={"workers": workers})
    if runner.workers < 1:
        raise typer.BadParameter("at least one worker is needed", param_hint="--workers")
    asyncio.run(_run(settings, runner.workers))


async def _run(settings: CornflowSettings, workers: int) -> None:
    runner = settings.local_runner.model_copy(update={"workers": workers})
    if not await runner_tables_ready(runner):
        raise typer.Exit(_fail("the runner's table is missing: run `cornflow migrations upgrade`"))
    database = Database.from_url(settings.database_url)
    try:
        # Apps installed only where the workers run become visible to the API this way.
        apps = await LocalOrchestrator(database, app_specs=runner.app_specs).apps()
        await register_installed_apps(database, apps, open_deployment=settings.open_deployment)
    finally:
        await database.dispose()
    supervisor = LocalSupervisor(runner)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await supervisor.start()
    typer.echo(f"{workers} worker(s) started; SIGTERM or Ctrl-C stops them", err=True)
    try:
        await stopping.wait()
    finally:
        await supervisor.stop()


def _fail(message: str) -> int:
    typer.echo(message, err=True)
    return 1
