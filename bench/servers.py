"""The servers under load: ours and the ceiling apps under uvicorn, Flask's under gunicorn."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx

from cutover.process import ManagedProcess, free_port
from cutover.reference import FlaskCornflow

ROOT = Path(__file__).resolve().parent.parent


class Served(Protocol):
    @property
    def base_url(self) -> str: ...

    def worker_pids(self) -> list[int]: ...


@dataclass
class UvicornServer(ManagedProcess):
    """A uvicorn master with its workers, started from a command line."""

    arguments: list[str]
    environment: Mapping[str, str]
    log_path: Path | None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    cwd: Path | None = ROOT

    label = "uvicorn"

    @property
    def env(self) -> dict[str, str]:
        return dict(self.environment)

    def command(self) -> list[str]:
        return [sys.executable, *self.arguments, "--port", str(self.port)]

    def is_ready(self, response: httpx.Response) -> bool:
        # Any answer means it is up; whether the answer is right is the probe's business.
        return True

    def worker_pids(self) -> list[int]:
        """uvicorn's spawned workers, leaving out multiprocessing's resource tracker."""
        if self.process is None:
            return []
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children")
        if not children.exists():
            return []
        workers = []
        for child in children.read_text().split():
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"multiprocessing.spawn" in command:
                workers.append(int(child))
        return workers


def wait_for_workers(server: Served, count: int, timeout: float = 30) -> None:
    """Block until the server has `count` worker processes (they start one after the other)."""
    deadline = time.monotonic() + timeout
    while len(server.worker_pids()) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server.base_url}: fewer than {count} workers after {timeout} s")
        time.sleep(0.2)


@contextmanager
def ours(env: Mapping[str, str], workers: int, log_path: Path) -> Iterator[UvicornServer]:
    """Our server as operators start it: `cornflow serve`."""
    server = UvicornServer(
        arguments=[
            "-m", "cornflow_fastapi", "serve", "--host", "127.0.0.1", "--workers", str(workers),
        ],
        environment=env,
        log_path=log_path,
    )  # fmt: skip
    server.start()
    try:
        wait_for_workers(server, workers)
        yield server
    finally:
        server.stop()


@contextmanager
def ceiling(app: str, workers: int, log_path: Path) -> Iterator[UvicornServer]:
    """An app of bench/ceiling.py under the same uvicorn, without its access log."""
    server = UvicornServer(
        arguments=[
            "-m", "uvicorn", f"bench.ceiling:{app}", "--host", "127.0.0.1",
            "--workers", str(workers), "--no-access-log", "--log-level", "warning",
        ],
        environment=os.environ,
        log_path=log_path,
    )  # fmt: skip
    server.start()
    try:
        wait_for_workers(server, workers)
        yield server
    finally:
        server.stop()


@contextmanager
def flask(
    database_url: str,
    secret_key: str,
    environment: Mapping[str, str],
    workers: int,
    log_path: Path,
) -> Iterator[FlaskCornflow]:
    """Flask Cornflow under gunicorn, as cutover.reference starts it."""
    server = FlaskCornflow(
        database_url, secret_key, workers=workers, environment=dict(environment), log_path=log_path
    )
    with server:
        wait_for_workers(server, workers)
        yield server


def resident_mib(pid: int) -> float | None:
    """VmRSS of a process, in MiB; None once it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def worker_memory_mib(server: Served) -> list[float]:
    return [rss for pid in server.worker_pids() if (rss := resident_mib(pid)) is not None]


def _cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def wait_until_idle(server: Served, timeout: float = 120, interval: float = 0.5) -> float:
    """Wait until the workers stop using CPU; return how long that took.

    Neither server abandons a request whose client has gone, so when wrk stops, up to one
    request per connection is still queued; a slow scenario (a login, a 1 MB read) leaves
    seconds of work behind that would otherwise be billed to the next scenario.
    """
    started = time.monotonic()
    pids = server.worker_pids()
    before = _cpu_seconds(pids)
    while time.monotonic() - started < timeout:
        time.sleep(interval)
        after = _cpu_seconds(pids)
        # Under a tenth of one core over the interval, summed over the workers.
        if after - before < 0.1 * interval:
            break
        before = after
    return time.monotonic() - started
