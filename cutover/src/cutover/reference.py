"""The real Flask Cornflow 1.3.9, installed in its own virtualenv and run as a peer.

Its pins (Flask 2.3, SQLAlchemy 1.3) cannot live beside ours, so `make reference` installs it
into `.reference/venv` from PyPI. `FlaskCornflow` runs its CLI and starts it under gunicorn with
gevent workers, the worker class of upstream's Docker image, on a free loopback port.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

ROOT = Path(__file__).resolve().parents[3]
REFERENCE_VENV = Path(os.environ.get("CORNFLOW_REFERENCE_VENV", ROOT / ".reference" / "venv"))
CORNFLOW_VERSION = "1.3.9"
UNREACHABLE_AIRFLOW = "http://127.0.0.1:9"


class ReferenceUnavailable(RuntimeError):
    """The reference virtualenv is missing (run `make reference`)."""


def reference_bin(name: str) -> Path:
    path = REFERENCE_VENV / "bin" / name
    if not path.exists():
        raise ReferenceUnavailable(
            f"{path} is missing: `make reference` installs Flask Cornflow {CORNFLOW_VERSION}"
        )
    return path


def reference_available() -> bool:
    return (REFERENCE_VENV / "bin" / "gunicorn").exists()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def flask_environment(database_url: str, secret_key: str, **overrides: str) -> dict[str, str]:
    """The environment of spec §12.1: database auth, no Airflow, the given secret."""
    env = {
        "PATH": f"{REFERENCE_VENV / 'bin'}:{os.environ.get('PATH', '')}",
        "HOME": os.environ.get("HOME", str(ROOT)),
        "FLASK_ENV": "development",
        "FLASK_APP": "cornflow.app",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secret_key,
        "AUTH_TYPE": "1",
        "SIGNUP_ACTIVATED": "1",
        "OPEN_DEPLOYMENT": "1",
        "CORNFLOW_SERVICE_USER": "service_user",
        "AIRFLOW_URL": UNREACHABLE_AIRFLOW,
        "AIRFLOW_USER": "admin",
        "AIRFLOW_PWD": "admin",
        # Without it some gevent requests hang on the DNS look-up of AIRFLOW_URL.
        "GEVENT_RESOLVER": "block",
    }
    env.update(overrides)
    return env


def run_cli(env: Mapping[str, str], *args: str, timeout: float = 300) -> str:
    """Run the Flask server's `cornflow` CLI (or `flask ...` when args start with "flask")."""
    program = "flask" if args and args[0] == "flask" else "cornflow"
    arguments = args[1:] if program == "flask" else args
    result = subprocess.run(
        [str(reference_bin(program)), *arguments],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{program} {' '.join(arguments)} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result.stdout + result.stderr


@dataclass
class FlaskCornflow:
    """A running Flask Cornflow: `with FlaskCornflow(url, secret) as flask: flask.base_url`."""

    database_url: str
    secret_key: str
    workers: int = 2
    environment: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return flask_environment(self.database_url, self.secret_key, **self.environment)

    def init_database(self) -> None:
        """`cornflow migrations upgrade` and `cornflow permissions init`, as service init does."""
        run_cli(self.env, "migrations", "upgrade")
        run_cli(self.env, "permissions", "init")

    def start(self, timeout: float = 60) -> FlaskCornflow:
        # Recycling off: upstream's max_requests=1000 with graceful_timeout=300 lets a recycling
        # gevent worker stop accepting for minutes under load.
        command = [
            str(reference_bin("gunicorn")),
            "--worker-class", "gevent",
            "--workers", str(self.workers),
            "--bind", f"127.0.0.1:{self.port}",
            "--timeout", "300",
            "--keep-alive", "300",
            "--max-requests", "0",
            "--graceful-timeout", "5",
            "cornflow.app:create_app('development')",
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
                raise RuntimeError(f"Flask Cornflow exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.base_url}/health/", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"Flask Cornflow did not answer on {self.base_url} in {timeout} s")

    def stop(self) -> None:
        """Stop gunicorn by its own pid (its workers go with it)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def worker_pids(self) -> list[int]:
        """Pids of the gunicorn workers (children of the master)."""
        if self.process is None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def __enter__(self) -> FlaskCornflow:
        return self.start()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()
