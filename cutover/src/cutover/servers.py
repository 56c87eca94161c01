"""Our Cornflow server (`cornflow_fastapi`) as a real process, the counterpart of `reference`.

`CornflowServer` runs `cornflow serve` (uvicorn) from this interpreter on a free loopback port,
and `run_cli` runs our `cornflow ...` command line. Both take the environment of
`reference.flask_environment`, so a pair built from the same arguments is configured alike:

    env = cornflow_environment(url, secret, SIGNUP_ACTIVATED="1")
    run_cli(env, "migrations", "upgrade")
    with CornflowServer(url, secret, environment={"SIGNUP_ACTIVATED": "1"}) as ours:
        httpx.get(f"{ours.base_url}/health/")
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cutover.process import ServerProcess
from cutover.process import free_port as free_port
from cutover.reference import flask_environment

PYTHON = Path(sys.executable)


def cornflow_environment(database_url: str, secret_key: str, **overrides: str) -> dict[str, str]:
    """The Flask server's environment (same variable names, same values) for our server.

    CORNFLOW_BACKEND is spelled out as Flask's default (1, Airflow) because ours defaults to its
    local runner, whose worker would otherwise poll and write to the database in the background.
    """
    env = flask_environment(database_url, secret_key, **{"CORNFLOW_BACKEND": "1", **overrides})
    # The reference virtualenv comes first on the Flask server's PATH; ours must not see it.
    env["PATH"] = f"{PYTHON.parent}:{os.environ.get('PATH', '')}"
    return env


def run_cli(env: Mapping[str, str], *args: str, timeout: float = 300) -> str:
    """Run our `cornflow` command line with exactly env; its output, or RuntimeError."""
    result = subprocess.run(
        [str(PYTHON), "-m", "cornflow_fastapi", *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"cornflow {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result.stdout + result.stderr


@dataclass
class CornflowServer(ServerProcess):
    """Our server, running: `with CornflowServer(url, secret) as ours: ours.base_url`.

    environment overrides variables of `cornflow_environment`; log_path, when given, receives
    the server's output (and its tail is quoted if the server fails to start).
    """

    label = "our Cornflow"
    ready_path = "/livez"

    @property
    def env(self) -> dict[str, str]:
        return cornflow_environment(self.database_url, self.secret_key, **self.environment)

    def init_database(self) -> None:
        """`cornflow migrations upgrade` and `cornflow permissions init`."""
        run_cli(self.env, "migrations", "upgrade")
        run_cli(self.env, "permissions", "init")

    def command(self) -> list[str]:
        return [
            str(PYTHON), "-m", "cornflow_fastapi", "serve",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--workers", str(self.workers),
        ]  # fmt: skip

    def worker_pids(self) -> list[int]:
        """Pids of the processes serving requests: the worker processes, else the server."""
        pids = self.child_pids()
        return pids or ([self.process.pid] if self.process is not None else [])
