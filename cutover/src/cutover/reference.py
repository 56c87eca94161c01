"""The real Flask Cornflow 1.3.9, installed in its own virtualenv and run as a peer.

Its pins (Flask 2.3, SQLAlchemy 1.3) cannot live beside ours, so `make reference` installs it
into `.reference/venv` from PyPI. `FlaskCornflow` runs its CLI and starts it under gunicorn with
gevent workers, the worker class of upstream's Docker image, on a free loopback port.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from cutover.process import ServerProcess
from cutover.process import free_port as free_port

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
class FlaskCornflow(ServerProcess):
    """A running Flask Cornflow: `with FlaskCornflow(url, secret) as flask: flask.base_url`."""

    workers: int = 2
    _own_cwd: bool = field(default=False, repr=False)

    label = "Flask Cornflow"

    @property
    def env(self) -> dict[str, str]:
        return flask_environment(self.database_url, self.secret_key, **self.environment)

    def init_database(self) -> None:
        """`cornflow migrations upgrade` and `cornflow permissions init`, as service init does."""
        run_cli(self.env, "migrations", "upgrade")
        run_cli(self.env, "permissions", "init")

    def command(self) -> list[str]:
        # Recycling off: upstream's max_requests=1000 with graceful_timeout=300 lets a recycling
        # gevent worker stop accepting for minutes under load.
        return [
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

    def worker_pids(self) -> list[int]:
        """Pids of the gunicorn workers (children of the master)."""
        return self.child_pids()

    def start(self, timeout: float = 60) -> Self:
        # The Flask server writes what /instancefile/ receives into its working directory: a
        # folder of its own, not wherever the caller happens to be.
        if self.cwd is None:
            self.cwd = Path(tempfile.mkdtemp(prefix="flask-cornflow-"))
            self._own_cwd = True
        return super().start(timeout)

    def stop(self) -> None:
        super().stop()
        if self._own_cwd and self.cwd is not None:
            shutil.rmtree(self.cwd, ignore_errors=True)
            self.cwd = None
            self._own_cwd = False
