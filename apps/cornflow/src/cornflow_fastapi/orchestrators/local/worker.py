"""A worker process of the local runner: takes queued runs one at a time, solves each in a
process of its own (`child`), watches it and writes its results back.

While a run goes on, the worker reports it alive (the claim's heartbeat), polls the execution's
state (anything but "running" means it was stopped or taken back: the solve is killed), and
enforces the time limit: the configuration's (`timeLimit`), which the solver itself is given,
plus a grace period, after which the solve is killed.

Results are stored the way the Airflow worker (`cf_solve`, `cf_check_generate_kpis`) stores
them through `PUT /dag/...`, with the same service functions the `/dag/` endpoints use. Where a
run fails, the execution ends in -1 with the process's output as its log (the Airflow worker
writes its task log), or in -6 when the solution could not be stored (the Airflow worker's
first write after such a failure; its later writes are not replayed).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.apps.discovery import (
    PULP_ALIAS,
    SOLVE_MODEL_DAG,
    InstalledApp,
    load_apps,
    resolve_workflow,
)
from cornflow_fastapi.config import LocalRunnerSettings
from cornflow_fastapi.errors import InvalidData
from cornflow_fastapi.models import Execution, ExecutionState, Instance, utcnow
from cornflow_fastapi.orchestrators.local import child, queue
from cornflow_fastapi.orchestrators.local.runs import RunKind, RunRef, parse_run_id
from cornflow_fastapi.writeback import results
from svckit.db import Database
from svckit.errors import AppError

logger = logging.getLogger("cornflow_fastapi.local")

# Configuration keys apps use for their time limit, in the order they are looked for.
TIME_LIMIT_KEYS = ("timeLimit", "time_limit", "TimeLimit", "seconds")
# Longest stretch of a log kept in log_text (the end of it, where failures show).
MAX_LOG_CHARS = 4_000_000
KILL_WAIT_SECONDS = 5.0


def new_worker_id() -> str:
    return f"{socket.gethostname()[:80]}-{uuid.uuid4().hex[:12]}"


def runs_root(worker_id: str) -> Path:
    """Where a worker keeps the folders of its runs (removed when the worker is gone)."""
    return Path(tempfile.gettempdir()) / "cornflow-runs" / worker_id


def time_limit(config: Any) -> float | None:
    """The run's own time limit in seconds, from its configuration."""
    if not isinstance(config, dict):
        return None
    for key in TIME_LIMIT_KEYS:
        value = config.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return float(value)
    return None


class Outcome(Enum):
    EXITED = "exited"
    STOPPED = "stopped"
    LOST = "lost"
    TIMED_OUT = "timed out"
    SHUTDOWN = "shutdown"


@dataclass(frozen=True)
class Job:
    claim: queue.Claim
    ref: RunRef
    app: InstalledApp
    instance_id: str
    config: Any
    data: Any
    solution_data: Any

    @property
    def execution_id(self) -> str:
        return self.claim.execution_id


class SolveLauncher:
    """Starts solve processes from a fork server that has the apps imported already."""

    def __init__(self, preload: Sequence[str]) -> None:
        self._forkserver = "forkserver" in multiprocessing.get_all_start_methods()
        self._context = (
            multiprocessing.get_context("forkserver")
            if self._forkserver
            else multiprocessing.get_context("spawn")
        )
        if self._forkserver:
            self._context.set_forkserver_preload(list(preload))

    def warm_up(self) -> None:
        """Have the fork server import the apps now rather than during the first run."""
        if self._forkserver:
            # Its first fork returns once the preloaded imports are done.
            probe = self._context.Process(target=child.ready, name="cornflow-solve-warm-up")
            probe.start()
            probe.join()

    def start(self, run_dir: Path) -> BaseProcess:
        process = self._context.Process(
            target=child.run, args=(str(run_dir),), name=f"cornflow-solve-{run_dir.name}"
        )
        process.start()
        return process


def signal_group(process: BaseProcess, signum: int) -> None:
    """Signal the solve process and everything it started; its group may not exist yet."""
    if process.pid is None:
        return
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        if process.exitcode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signum)


async def wait_exit(process: BaseProcess, seconds: float) -> bool:
    """Wait up to seconds for process to end; True when it has."""
    if process.exitcode is not None:
        return True
    loop = asyncio.get_running_loop()
    ended: asyncio.Future[None] = loop.create_future()

    def on_exit() -> None:
        if not ended.done():
            ended.set_result(None)

    loop.add_reader(process.sentinel, on_exit)
    try:
        await asyncio.wait_for(ended, seconds)
    except TimeoutError:
        return process.exitcode is not None
    finally:
        loop.remove_reader(process.sentinel)
    # The sentinel closes as the process exits, a moment before it can be reaped.
    for _ in range(200):
        if process.exitcode is not None:
            return True
        await asyncio.sleep(0.01)
    return process.exitcode is not None


async def kill(process: BaseProcess, *, grace: float) -> None:
    """SIGTERM, then SIGKILL after grace; the group is always killed to reap the solvers."""
    if process.exitcode is None and grace > 0:
        signal_group(process, signal.SIGTERM)
        await wait_exit(process, grace)
    signal_group(process, signal.SIGKILL)
    await wait_exit(process, KILL_WAIT_SECONDS)
    if process.exitcode is not None:
        process.join()


def describe_exit(exitcode: int | None) -> str:
    if exitcode is None:
        return "did not end"
    if exitcode < 0:
        try:
            return f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"was killed by signal {-exitcode}"
    return f"exited with code {exitcode}"


def join_log(*parts: str | None) -> str:
    text = "\n".join(part.rstrip("\n") for part in parts if part)
    return text[-MAX_LOG_CHARS:]


class Worker:
    """One worker: a loop of claim, solve, store; stopped by request_stop() (or SIGTERM)."""

    def __init__(
        self,
        settings: LocalRunnerSettings,
        worker_id: str | None = None,
        *,
        parent_pid: int | None = None,
    ) -> None:
        self.settings = settings
        self.worker_id = worker_id or new_worker_id()
        self._parent_pid = parent_pid
        self._stopping = asyncio.Event()
        self._apps: dict[str, InstalledApp] = {}
        self._workflows: set[str] = set()
        self._database: Database | None = None
        self._launcher: SolveLauncher | None = None
        self._check_interval = min(settings.poll_interval, 0.5)

    def request_stop(self) -> None:
        self._stopping.set()

    async def serve(self) -> None:
        """Run until SIGTERM or SIGINT (the process entry point)."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.request_stop)
        await self.run()

    async def run(self) -> None:
        self._apps = await asyncio.to_thread(load_apps, self.settings.app_specs)
        self._workflows = set(self._apps)
        if SOLVE_MODEL_DAG in self._apps:
            self._workflows.add(PULP_ALIAS)
        modules = [child.__name__, *(app.module for app in self._apps.values())]
        self._launcher = SolveLauncher(modules)
        await asyncio.to_thread(self._launcher.warm_up)
        self._database = Database.from_url(self.settings.database_url, pool_size=2, max_overflow=2)
        runs_root(self.worker_id).mkdir(parents=True, exist_ok=True)
        logger.info("worker %s serves %s", self.worker_id, sorted(self._apps))
        try:
            while not self._should_stop():
                claim = await self._claim()
                if claim is None:
                    await self._pause(self.settings.poll_interval)
                    continue
                await self._run(claim)
        finally:
            await self._database.dispose()
            shutil.rmtree(runs_root(self.worker_id), ignore_errors=True)

    def _should_stop(self) -> bool:
        orphaned = self._parent_pid is not None and os.getppid() != self._parent_pid
        return orphaned or self._stopping.is_set()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _transaction(self, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        assert self._database is not None
        async with self._database.sessionmaker() as session, session.begin():
            return await work(session)

    async def _claim(self) -> queue.Claim | None:
        async def waiting(session: AsyncSession) -> bool:
            return await queue.has_queued(session, workflows=self._workflows)

        async def take(session: AsyncSession) -> queue.Claim | None:
            return await queue.claim_next(
                session, worker_id=self.worker_id, workflows=self._workflows, now=utcnow()
            )

        try:
            if not await self._transaction(waiting):
                return None
            claim: queue.Claim | None = await self._transaction(take)
        except Exception:
            # The database being away for a while must not end the worker.
            logger.exception("worker %s could not look for runs", self.worker_id)
            return None
        if claim is not None:
            logger.info(
                "worker %s took %s (attempt %d)", self.worker_id, claim.run_id, claim.attempts
            )
        return claim

    async def _load(self, claim: queue.Claim) -> Job | str | None:
        """The job to run; None when the execution is gone, a reason when it cannot run."""

        async def read(session: AsyncSession) -> Job | str | None:
            execution = await session.get(Execution, claim.execution_id)
            if execution is None:
                return None
            ref = parse_run_id(claim.run_id)
            instance = await session.get(Instance, execution.instance_id)
            app = resolve_workflow(self._apps, execution.schema)
            if ref is None or instance is None or app is None:
                return f"The run {claim.run_id} of workflow {execution.schema} cannot start here."
            return Job(
                claim=claim,
                ref=ref,
                app=app,
                instance_id=instance.id,
                config=execution.config,
                data=instance.data,
                solution_data=execution.data,
            )

        job: Job | str | None = await self._transaction(read)
        return job

    async def _run(self, claim: queue.Claim) -> None:
        try:
            job = await self._load(claim)
        except Exception:
            logger.exception("worker %s could not read %s", self.worker_id, claim.run_id)
            await self._release(claim)
            return
        if not isinstance(job, Job):
            reason = job
            await self._store(
                claim.execution_id,
                None if reason is None else self._failure(claim.execution_id, reason),
            )
            return
        folder = Path(tempfile.mkdtemp(prefix="run-", dir=runs_root(self.worker_id)))
        try:
            await self._solve(job, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    async def _solve(self, job: Job, folder: Path) -> None:
        assert self._launcher is not None
        payload = {
            "spec": job.app.spec,
            "kind": job.ref.kind.value,
            "data": job.data,
            "config": job.config,
            "solution_data": job.solution_data,
            "niceness": self.settings.solve_niceness,
        }
        await asyncio.to_thread(_write_json, folder / child.JOB_FILE, payload)
        limit = time_limit(job.config) if job.ref.kind is RunKind.SOLVE else None
        deadline = None if limit is None else limit + self.settings.time_limit_grace
        if self.settings.max_run_seconds is not None:
            deadline = min(deadline or self.settings.max_run_seconds, self.settings.max_run_seconds)
        started = time.monotonic()
        process = await asyncio.to_thread(self._launcher.start, folder)
        outcome = await self._watch(job, process, started, deadline)
        if outcome is not Outcome.EXITED:
            await kill(process, grace=0 if outcome is Outcome.TIMED_OUT else 1.0)
        else:
            process.join()
            # Solvers a finished process left behind are of no use to anyone.
            signal_group(process, signal.SIGKILL)
        elapsed = time.monotonic() - started
        logger.info("run %s %s after %.1f s", job.claim.run_id, outcome.value, elapsed)
        output = await asyncio.to_thread(_read_text, folder / child.OUTPUT_FILE)
        if outcome is Outcome.SHUTDOWN:
            await self._release(job.claim)
        elif outcome is Outcome.TIMED_OUT:
            note = (
                f"The run was stopped after {elapsed:.0f} s: its time limit is "
                f"{limit} s and the runner allows {self.settings.time_limit_grace} s more."
                if limit is not None
                else f"The run was stopped after {elapsed:.0f} s, the longest this runner allows."
            )
            await self._store_failure(job, join_log(output, note))
        elif outcome is Outcome.EXITED:
            await self._conclude(job, folder, process, output)
        else:
            # Stopped (the execution is no longer running) or lost (another worker took over):
            # nothing of this run is stored.
            await self._store(job.execution_id, None)

    async def _watch(
        self, job: Job, process: BaseProcess, started: float, deadline: float | None
    ) -> Outcome:
        last_beat = time.monotonic()
        while True:
            if await wait_exit(process, self._check_interval):
                return Outcome.EXITED
            if self._should_stop():
                return Outcome.SHUTDOWN
            now = time.monotonic()
            if deadline is not None and now - started >= deadline:
                return Outcome.TIMED_OUT
            try:
                state = await self._transaction(
                    lambda session: queue.execution_state(session, job.execution_id)
                )
                if state != ExecutionState.RUNNING:
                    return Outcome.STOPPED
                if now - last_beat >= self.settings.heartbeat_interval:
                    alive = await self._transaction(
                        lambda session: queue.heartbeat(
                            session,
                            execution_id=job.execution_id,
                            worker_id=self.worker_id,
                            now=utcnow(),
                        )
                    )
                    if not alive:
                        return Outcome.LOST
                    last_beat = now
            except Exception:
                # A solve is not killed because the database blinked; a longer outage ends in
                # the claim being recovered, which the next heartbeat notices.
                logger.exception("worker %s could not check %s", self.worker_id, job.claim.run_id)

    async def _conclude(self, job: Job, folder: Path, process: BaseProcess, output: str) -> None:
        result_file = folder / child.RESULT_FILE
        outcome: dict[str, Any] | None = None
        if result_file.exists():
            try:
                outcome = json.loads(await asyncio.to_thread(result_file.read_text))
            except ValueError:
                outcome = None
        if outcome is None:
            note = f"The solving process {describe_exit(process.exitcode)} before its results."
            await self._store_failure(job, join_log(output, note))
        elif "error" in outcome:
            await self._store_failure(job, join_log(output))
        elif "save_error" in outcome:
            await self._store_save_failure(job, join_log(output, outcome["save_error"]))
        else:
            await self._store_results(job, outcome["result"])

    async def _store(
        self, execution_id: str, write: Callable[[AsyncSession], Awaitable[None]] | None
    ) -> None:
        """Run write on the execution if this worker still holds it running; end the claim."""

        async def store(session: AsyncSession) -> None:
            execution = await queue.lock_running_execution(
                session, execution_id=execution_id, worker_id=self.worker_id, now=utcnow()
            )
            if execution is not None and write is not None:
                await write(session)
            await queue.finish(session, execution_id=execution_id, worker_id=self.worker_id)

        try:
            await self._transaction(store)
        except Exception:
            # Left claimed: the claim goes stale and the run is recovered, then run again.
            logger.exception("worker %s could not store %s", self.worker_id, execution_id)

    async def _release(self, claim: queue.Claim) -> None:
        async def release(session: AsyncSession) -> None:
            await queue.release(
                session, execution_id=claim.execution_id, worker_id=self.worker_id, now=utcnow()
            )

        try:
            await self._transaction(release)
        except Exception:
            logger.exception("worker %s could not release %s", self.worker_id, claim.run_id)

    @staticmethod
    def _failure(execution_id: str, log_text: str) -> Callable[[AsyncSession], Awaitable[None]]:
        async def write(session: AsyncSession) -> None:
            await results.save_execution_results(
                session, execution_id, state=ExecutionState.ERROR, log_text=log_text
            )

        return write

    async def _store_failure(self, job: Job, log_text: str) -> None:
        await self._store(job.execution_id, self._failure(job.execution_id, log_text))

    async def _store_save_failure(self, job: Job, log_text: str) -> None:
        async def write(session: AsyncSession) -> None:
            await results.save_execution_results(
                session, job.execution_id, state=ExecutionState.SAVE_FAILED, log_text=log_text
            )

        await self._store(job.execution_id, write)

    async def _store_results(self, job: Job, result: dict[str, Any]) -> None:
        async def write(session: AsyncSession) -> None:
            try:
                async with session.begin_nested():
                    await self._write_back(session, job, result)
            except AppError as error:
                reason = error.message
                if isinstance(error, InvalidData):
                    reason = join_log(reason, *error.extra.get("jsonschema_errors", []))
                log_text = join_log(
                    result.get("log_text"), f"The results could not be saved: {reason}"
                )
                await results.save_execution_results(
                    session,
                    job.execution_id,
                    state=ExecutionState.SAVE_FAILED,
                    log_text=log_text,
                )

        await self._store(job.execution_id, write)

    async def _write_back(self, session: AsyncSession, job: Job, result: dict[str, Any]) -> None:
        fields: dict[str, Any] = {"state": ExecutionState.SOLVED}
        config = job.config if isinstance(job.config, dict) else {}
        if job.ref.kind is RunKind.SOLVE:
            # cf_solve: the log always, the solution (with its checks and KPIs) when there is one.
            if result.get("log_json") is not None:
                fields["log_json"] = result["log_json"]
            if result.get("log_text") is not None:
                fields["log_text"] = result["log_text"]
            if result.get("solution"):
                fields["data"] = result["solution"]
                if result.get("solution_checks") is not None:
                    fields["checks"] = result["solution_checks"]
                if result.get("kpis") is not None:
                    fields["kpis"] = result["kpis"]
        else:
            # cf_check_generate_kpis: a run of the user's own execution keeps its solve's log.
            if config.get("checks_and_kpis_only"):
                if result.get("log_json") is not None:
                    fields["log_json"] = result["log_json"]
                fields["log_text"] = "Data checked."
            if result.get("solution_checks") is not None:
                fields["checks"] = result["solution_checks"]
            if result.get("kpis") is not None:
                fields["kpis"] = result["kpis"]
        await results.save_execution_results(session, job.execution_id, **fields)
        instance_checks = result.get("instance_checks")
        if instance_checks is not None:
            await results.save_instance_checks(session, job.instance_id, checks=instance_checks)
        if job.ref.kind is RunKind.CHECKS and job.ref.case_id is not None:
            case_fields: dict[str, Any] = {"checks": instance_checks}
            if result.get("solution_checks") is not None:
                case_fields["solution_checks"] = result["solution_checks"]
            if result.get("kpis") is not None:
                case_fields["kpis"] = result["kpis"]
            await results.save_case_checks(session, job.ref.case_id, **case_fields)


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value))


def _read_text(path: Path) -> str:
    try:
        with path.open("rb") as stream:
            size = stream.seek(0, os.SEEK_END)
            stream.seek(max(0, size - MAX_LOG_CHARS))
            return stream.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def worker_process_main(settings: LocalRunnerSettings, worker_id: str) -> None:
    """Entry point of a worker process started by the supervisor."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s [%(name)s] %(message)s")
    worker = Worker(settings, worker_id, parent_pid=os.getppid())
    asyncio.run(worker.serve())
    # Everything is released and every solve process reaped: skip the interpreter's teardown of
    # the solver libraries, which takes seconds and holds up the server's shutdown.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
