"""The process one run is solved in: it loads the app, solves, and leaves its result in a file.

It never touches the database: the worker that started it reads the result and writes it back,
so killing this process (stop, time limit, crash) can never leave a half-written execution.
It leads a process group of its own so the solver binaries it starts (CBC) die with it, and it
exits by itself if its parent goes away (a worker killed with SIGKILL).

Files in the run folder: `job.json` (written by the worker), `output.log` (everything this
process and its solvers print), `result.json` (written last, atomically).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from cornflow_fastapi.apps.discovery import load_application
from cornflow_fastapi.orchestrators.local.runs import RunKind

JOB_FILE = "job.json"
RESULT_FILE = "result.json"
OUTPUT_FILE = "output.log"

PARENT_CHECK_SECONDS = 0.5


def run(run_dir: str) -> None:
    """Entry point of the solve process (a multiprocessing target)."""
    os.setsid()
    folder = Path(run_dir)
    _capture_output(folder / OUTPUT_FILE)
    _exit_with_parent()
    os.chdir(folder)
    job = json.loads((folder / JOB_FILE).read_text())
    # Before the app loads: the solver binaries it starts inherit the priority.
    _lower_priority(int(job.get("niceness", 0)))
    try:
        result = _execute(job)
    except Exception:
        traceback.print_exc()
        outcome: dict[str, Any] = {"error": traceback.format_exc()}
    else:
        try:
            outcome = {"result": _jsonable(result)}
        except (TypeError, ValueError) as error:
            outcome = {"save_error": f"The results cannot be stored as JSON: {error}"}
    sys.stdout.flush()
    sys.stderr.flush()
    temporary = folder / f"{RESULT_FILE}.tmp"
    temporary.write_text(json.dumps(outcome, allow_nan=False))
    temporary.replace(folder / RESULT_FILE)


def _lower_priority(niceness: int) -> None:
    """Nice this process and its session's scheduling group.

    Where Linux groups processes by session for scheduling (autogroup, on by default), the
    session setsid started competes with the server's as a whole, whatever the nice of its
    processes: a CPU-bound solver would still take half the machine. The group is niced too.
    """
    if niceness <= 0:
        return
    os.nice(niceness)
    # Without autogroups (another system, or turned off) the process nice is all there is.
    with contextlib.suppress(OSError):
        Path("/proc/self/autogroup").write_text(f"{niceness}\n")


def ready() -> None:
    """A process that does nothing: started once to have the fork server ready."""


def _execute(job: dict[str, Any]) -> dict[str, Any]:
    app = load_application(job["spec"])
    config = job["config"] if isinstance(job["config"], dict) else {}
    if job["kind"] == RunKind.SOLVE:
        (
            solution,
            solution_checks,
            instance_checks,
            kpis,
            _files,
            files_status,
            log_text,
            log_json,
        ) = app.solve(job["data"], config, job["solution_data"])
        return {
            "solution": solution,
            "solution_checks": solution_checks,
            "instance_checks": instance_checks,
            "kpis": kpis,
            "files_status": files_status,
            "log_text": log_text,
            "log_json": log_json,
        }
    instance_checks, solution_checks, kpis, _files, files_status, log_json = (
        app.check_generate_kpis(job["data"], job["solution_data"])
    )
    return {
        "solution_checks": solution_checks,
        "instance_checks": instance_checks,
        "kpis": kpis,
        "files_status": files_status,
        "log_json": log_json,
    }


def _jsonable(value: Any) -> Any:
    # Apps return what their libraries give them: pytups containers (dict and list
    # subclasses), tuples, numpy scalars and arrays. json.dumps takes the first three as they are.
    def convert(item: Any) -> Any:
        for method in ("item", "tolist"):
            if callable(getattr(item, method, None)):
                return getattr(item, method)()
        if isinstance(item, set | frozenset):
            return list(item)
        raise TypeError(f"{type(item).__name__} is not JSON serializable")

    return json.loads(json.dumps(value, default=convert, allow_nan=False))


def _capture_output(path: Path) -> None:
    # At the descriptor level, so what solver libraries and binaries print is captured too.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    os.close(descriptor)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(line_buffering=True)


def _exit_with_parent() -> None:
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            if os.getppid() != parent:
                os.killpg(0, signal.SIGKILL)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
