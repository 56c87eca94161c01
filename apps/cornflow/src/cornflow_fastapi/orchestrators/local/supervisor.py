"""The supervisor of the local runner: owns N worker processes and keeps the queue honest.

It starts the workers (fresh interpreters: `spawn`), replaces any that dies, and takes back the
runs of workers that are gone: at once for its own workers, after the lease
(LOCAL_LEASE_SECONDS without a heartbeat) for any other, which covers a server that was killed.
Runs taken back are queued again, or failed after LOCAL_MAX_ATTEMPTS starts.

One supervisor per deployment is the intended setup (the server's, or a `cornflow worker`
process). More are safe, since workers claim runs atomically, but each adds N workers polling
the database: with `uvicorn --workers K`, every server process starts its own supervisor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import shutil
import time
from dataclasses import dataclass, field
from datetime import timedelta
from multiprocessing.process import BaseProcess

from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.config import LocalRunnerSettings
from cornflow_fastapi.models import utcnow
from cornflow_fastapi.orchestrators.local import queue
from cornflow_fastapi.orchestrators.local.worker import (
    new_worker_id,
    runs_root,
    wait_exit,
    worker_process_main,
)
from svckit.db import Database

logger = logging.getLogger("cornflow_fastapi.local")

# A worker that dies sooner than this after starting is restarted with a growing delay.
QUICK_DEATH_SECONDS = 30.0
MAX_RESTART_DELAY = 60.0


@dataclass
class WorkerHandle:
    worker_id: str
    process: BaseProcess
    started: float = field(default_factory=time.monotonic)
    quick_deaths: int = 0


class LocalSupervisor:
    """Start with start(), end with stop(); workers=0 only recovers runs (no solving)."""

    def __init__(self, settings: LocalRunnerSettings) -> None:
        self.settings = settings
        self._context = multiprocessing.get_context("spawn")
        self._handles: dict[int, WorkerHandle] = {}
        self._database: Database | None = None
        self._monitor: asyncio.Task[None] | None = None
        self._monitor_interval = min(1.0, settings.poll_interval)

    @property
    def worker_pids(self) -> list[int]:
        return [handle.process.pid for handle in self._handles.values() if handle.process.pid]

    @property
    def worker_ids(self) -> list[str]:
        return [handle.worker_id for handle in self._handles.values()]

    async def start(self) -> None:
        self._database = Database.from_url(self.settings.database_url, pool_size=1, max_overflow=1)
        await self.recover(stale=True)
        for slot in range(self.settings.workers):
            await self._spawn(slot)
        self._monitor = asyncio.create_task(self._watch(), name="local-runner-supervisor")

    async def stop(self) -> None:
        """Stop the workers (they give their runs back to the queue), then the rest."""
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
            self._monitor = None
        handles = list(self._handles.values())
        self._handles.clear()
        for handle in handles:
            if handle.process.is_alive():
                handle.process.terminate()
        # A worker gives its solve a moment to end, then its run back to the queue.
        deadline = time.monotonic() + self.settings.stop_grace + 5.0
        for handle in handles:
            await wait_exit(handle.process, max(0.0, deadline - time.monotonic()))
        for handle in handles:
            if handle.process.is_alive():
                logger.warning("worker %s did not stop; killing it", handle.worker_id)
                handle.process.kill()
            await asyncio.to_thread(handle.process.join, 5.0)
        await self._recover_workers([handle.worker_id for handle in handles])
        if self._database is not None:
            await self._database.dispose()
            self._database = None

    async def recover(self, *, stale: bool = True, worker_ids: list[str] | None = None) -> None:
        """Take back runs of the given workers, and of any silent for the lease time."""
        if self._database is None:
            return
        stale_before = utcnow() - timedelta(seconds=self.settings.lease_seconds) if stale else None

        async def work(session: AsyncSession) -> queue.Recovery:
            return await queue.recover_claims(
                session,
                now=utcnow(),
                max_attempts=self.settings.max_attempts,
                worker_ids=worker_ids or (),
                stale_before=stale_before,
            )

        try:
            async with self._database.sessionmaker() as session, session.begin():
                report = await work(session)
        except Exception:
            logger.exception("could not recover the runs of lost workers")
            return
        if report.requeued or report.failed:
            logger.warning(
                "runs of lost workers: queued again %s, failed %s", report.requeued, report.failed
            )

    async def _recover_workers(self, worker_ids: list[str]) -> None:
        if worker_ids:
            await self.recover(stale=False, worker_ids=worker_ids)
        for worker_id in worker_ids:
            shutil.rmtree(runs_root(worker_id), ignore_errors=True)

    async def _spawn(self, slot: int, quick_deaths: int = 0) -> None:
        worker_id = new_worker_id()
        process = self._context.Process(
            target=worker_process_main,
            args=(self.settings, worker_id),
            name=f"cornflow-worker-{slot}",
        )
        await asyncio.to_thread(process.start)
        self._handles[slot] = WorkerHandle(worker_id, process, quick_deaths=quick_deaths)
        logger.info("started worker %s (pid %s)", worker_id, process.pid)

    async def _watch(self) -> None:
        last_sweep = time.monotonic()
        while True:
            await asyncio.sleep(self._monitor_interval)
            for slot, handle in list(self._handles.items()):
                if handle.process.is_alive():
                    continue
                handle.process.join()
                logger.error(
                    "worker %s ended (exit code %s); starting another",
                    handle.worker_id,
                    handle.process.exitcode,
                )
                await self._recover_workers([handle.worker_id])
                quick = time.monotonic() - handle.started < QUICK_DEATH_SECONDS
                deaths = handle.quick_deaths + 1 if quick else 0
                if deaths:
                    await asyncio.sleep(min(MAX_RESTART_DELAY, 2.0**deaths))
                await self._spawn(slot, deaths)
            if time.monotonic() - last_sweep >= min(self.settings.lease_seconds / 2, 30.0):
                await self.recover(stale=True)
                last_sweep = time.monotonic()
