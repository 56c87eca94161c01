"""Load from wrk, a separate process: one request shape, a fixed duration, figures as JSON."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "scenario.lua"
RESULT_MARKER = "BENCH_RESULT "
# Far above any latency we expect, so slow answers land in the percentiles instead of being
# dropped as wrk timeouts (its default of 2 s would hide the Flask server's tail).
REQUEST_TIMEOUT_S = 30


class LoadGeneratorMissing(RuntimeError):
    """wrk is not installed (`make bench` installs it from Debian's packages)."""


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: str = ""
    token: str = ""
    expected_status: int = 200


@dataclass(frozen=True)
class LoadShape:
    connections: int
    threads: int
    duration_s: float


@dataclass(frozen=True)
class LoadResult:
    requests: int
    duration_s: float
    errors: int
    # Latency in milliseconds by percentile (50, 75, 90, 95, 99, 99.9) and the maximum.
    latency_ms: dict[str, float]
    max_ms: float
    # CPU time wrk itself used, to show how much of the machine the load generator took.
    generator_cpu_s: float = 0.0

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    def percentile(self, name: str) -> float:
        return self.latency_ms[name]


def wrk_binary() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise LoadGeneratorMissing("wrk is missing: `apt-get install wrk` (or `make bench`)")
    return path


def wrk_version() -> str:
    completed = subprocess.run(
        [wrk_binary(), "--version"], capture_output=True, text=True, check=False
    )
    first_line = (completed.stdout or completed.stderr).splitlines()[0]
    return first_line.split(" Copyright")[0].strip()


def run_wrk(base_url: str, request: Request, shape: LoadShape, log: Path | None) -> LoadResult:
    """Load base_url + request.path with wrk and return its figures."""
    env = dict(os.environ)
    env.update(
        BENCH_METHOD=request.method,
        BENCH_BODY=request.body,
        BENCH_TOKEN=request.token,
        # Only a non-2xx expectation needs the per-answer check (see scenario.lua).
        BENCH_EXPECT_STATUS=str(request.expected_status if request.expected_status >= 400 else 0),
    )
    duration = max(1, round(shape.duration_s))
    command = [
        wrk_binary(),
        "--threads", str(shape.threads),
        "--connections", str(shape.connections),
        "--duration", f"{duration}s",
        "--timeout", f"{REQUEST_TIMEOUT_S}s",
        "--latency",
        "--script", str(SCRIPT),
        base_url + request.path,
    ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=duration + 60, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if log is not None:
        with log.open("a") as out:
            out.write(f"$ {' '.join(command[:-1])} {base_url}{request.path}\n")
            out.write(completed.stdout + completed.stderr + "\n")
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    return replace(parse_result(completed.stdout), generator_cpu_s=cpu)


def parse_result(output: str) -> LoadResult:
    line = next((line for line in output.splitlines() if line.startswith(RESULT_MARKER)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result line:\n{output}")
    raw = json.loads(line.removeprefix(RESULT_MARKER))
    socket_errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    # With an expected 4xx, wrk's own count of non-2xx/3xx answers includes the expected ones.
    wrong_answers = raw["unexpected"] if raw["expect_status"] else raw["status"]
    duration_s = raw["duration_us"] / 1e6
    latency_ms = {name: value / 1000 for name, value in raw["percentiles_us"].items()}
    if not raw["requests"]:
        # Nothing came back within the run: every latency is at least the run's length, and a
        # zero here would read as instant.
        latency_ms = dict.fromkeys(latency_ms, duration_s * 1000)
    return LoadResult(
        requests=raw["requests"],
        duration_s=duration_s,
        errors=socket_errors + wrong_answers,
        latency_ms=latency_ms,
        max_ms=max(raw["max_us"] / 1000, max(latency_ms.values(), default=0.0)),
    )
