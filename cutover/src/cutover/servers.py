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
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

from cutover.reference import flask_environment, free_port

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
class CornflowServer:
    """Our server, running: `with CornflowServer(url, secret) as ours: ours.base_url`.

    environment overrides variables of `cornflow_environment`; log_path, when given, receives
    the server's output (and its tail is quoted if the server fails to start).
    """

    database_url: str
    secret_key: str
    workers: int = 1
    environment: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return cornflow_environment(self.database_url, self.secret_key, **self.environment)

    def init_database(self) -> None:
        """`cornflow migrations upgrade` and `cornflow permissions init`."""
        run_cli(self.env, "migrations", "upgrade")
        run_cli(self.env, "permissions", "init")

    def start(self, timeout: float = 60) -> CornflowServer:
        command = [
            str(PYTHON), "-m", "cornflow_fastapi", "serve",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--workers", str(self.workers),
        ]  # fmt: skip
        output = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(
                command,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            # The child holds its own copy of the descriptor.
            if not isinstance(output, int):
                output.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"our Cornflow exited with {self.process.returncode}{self._log_tail()}"
                )
            try:
                if httpx.get(f"{self.base_url}/livez", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"our Cornflow did not answer on {self.base_url} in {timeout} s{self._log_tail()}"
        )

    def stop(self) -> None:
        """Stop the server by its own pid (uvicorn's worker processes go with it)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def worker_pids(self) -> list[int]:
        """Pids of the processes serving requests: the worker processes, else the server."""
        if self.process is None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = [int(pid) for pid in children.read_text().split()] if children.exists() else []
        return pids or [self.process.pid]

    def _log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        tail = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return "\n" + "\n".join(tail)

    def __enter__(self) -> CornflowServer:
        return self.start()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()
