"""A real Apache Airflow for tests, installed in its own virtualenv and run as separate parts.

Airflow pins FastAPI, SQLAlchemy and jsonschema versions that cannot live beside ours, so
`make airflow` (3.3.2, REST API v2) and `make airflow2` (2.11.2, REST API v1) install it with
cornflow-client 1.3.9 into `.reference/airflow3` and `.reference/airflow2` from the locks in
`tools/airflow/`. `AirflowServer` runs it on SQLite from a scratch AIRFLOW_HOME with the DAGs of
`tools/airflow/dags`: `airflow db migrate`, then the API server (Airflow 2: webserver), the
scheduler and the DAG processor as separate processes in one process group of their own, which
`stop()` ends with SIGTERM and, after a grace period, SIGKILL (a shutdown sometimes hangs).

Model DAGs reach a Cornflow server through `cornflow_uri` (the `CF_URI` connection).

    with AirflowServer(home=tmp_path, cornflow_uri="cornflow://service_user:pwd@127.0.0.1:5000"):
        ...

`python apps/cornflow/tests/airflow_support.py [2|3]` starts one and waits for Ctrl-C.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[3]
TOOLS = ROOT / "tools" / "airflow"
DAGS_FOLDER = TOOLS / "dags"
VERSIONS = {3: "3.3.2", 2: "2.11.2"}
MAKE_TARGETS = {3: "airflow", 2: "airflow2"}
# DAGs every test session may rely on (the DAG processor parses them at start).
TEST_DAGS = (
    "cornflow_test_success",
    "cornflow_test_success_check_kpis",
    "cornflow_test_sleep",
    "cornflow_test_fail",
    "cornflow_test_paused",
    "cornflow_test_connection",
    "solve_model_dag",
    "update_all_schemas",
)
STOP_GRACE_SECONDS = 20.0


class AirflowUnavailable(RuntimeError):
    """The Airflow virtualenv is missing and could not be built."""


def selected_major() -> int:
    """The Airflow generation tests run against: CORNFLOW_TEST_AIRFLOW=3 (default) or 2."""
    major = int(os.environ.get("CORNFLOW_TEST_AIRFLOW", "3"))
    if major not in VERSIONS:
        raise ValueError(f"CORNFLOW_TEST_AIRFLOW must be one of {sorted(VERSIONS)}")
    return major


def airflow_venv(major: int) -> Path:
    return ROOT / ".reference" / f"airflow{major}"


def ensure_installed(major: int) -> Path:
    """The virtualenv of Airflow `major`, built with its make target when missing."""
    venv = airflow_venv(major)
    if not (venv / "bin" / "airflow").exists():
        result = subprocess.run(
            ["make", "--no-print-directory", MAKE_TARGETS[major]],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if result.returncode != 0 or not (venv / "bin" / "airflow").exists():
            raise AirflowUnavailable(
                f"`make {MAKE_TARGETS[major]}` could not install Airflow {VERSIONS[major]}:\n"
                f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
            )
    return venv


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class AirflowServer:
    """Airflow on SQLite with the LocalExecutor (Airflow 2: SequentialExecutor, its only SQLite
    executor), low parallelism and a DAG folder rescanned every few seconds."""

    home: Path
    major: int = 3
    cornflow_uri: str | None = None
    user: str = "admin"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(64))
    port: int = field(default_factory=free_port)
    parallelism: int = 2
    environment: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _token: str | None = None

    @property
    def venv(self) -> Path:
        return airflow_venv(self.major)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v{2 if self.major == 3 else 1}"

    @property
    def env(self) -> dict[str, str]:
        env = {
            "PATH": f"{self.venv / 'bin'}:{os.environ.get('PATH', '')}",
            "HOME": os.environ.get("HOME", str(self.home)),
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__PARALLELISM": str(self.parallelism),
            "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(self.parallelism),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.home / 'airflow.db'}",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            # Parsing a DAG file imports cornflow-client (PuLP, OR-Tools): ~2 s of CPU each time.
            "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "120",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "PYTHONUNBUFFERED": "1",
            "NO_PROXY": "*",
        }
        if self.major == 3:
            env.update(
                {
                    "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
                    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{self.user}:admin",
                    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(
                        self.home / "passwords.json"
                    ),
                    "AIRFLOW__API__BASE_URL": self.url,
                    "AIRFLOW__API__SECRET_KEY": self.secret,
                    "AIRFLOW__API__WORKERS": "1",
                    "AIRFLOW__API_AUTH__JWT_SECRET": self.secret,
                    # New DAG files are otherwise noticed only every 300 s.
                    "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                    "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "120",
                    "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
                }
            )
        else:
            env.update(
                {
                    "AIRFLOW__CORE__EXECUTOR": "SequentialExecutor",
                    "AIRFLOW__API__AUTH_BACKENDS": (
                        "airflow.api.auth.backend.basic_auth,airflow.api.auth.backend.session"
                    ),
                    "AIRFLOW__WEBSERVER__SECRET_KEY": self.secret,
                    "AIRFLOW__WEBSERVER__WORKERS": "1",
                    "AIRFLOW__WEBSERVER__WEB_SERVER_HOST": "127.0.0.1",
                    "AIRFLOW__WEBSERVER__WEB_SERVER_PORT": str(self.port),
                    "AIRFLOW__SCHEDULER__DAG_DIR_LIST_INTERVAL": "5",
                    "AIRFLOW__SCHEDULER__PARSING_PROCESSES": "1",
                }
            )
        if self.cornflow_uri:
            env["AIRFLOW_CONN_CF_URI"] = self.cornflow_uri
        env.update(self.environment)
        return env

    def cli(self, *args: str, timeout: float = 300) -> str:
        """Run the `airflow` command line of this instance."""
        result = subprocess.run(
            [str(self.venv / "bin" / "airflow"), *args],
            env=self.env,
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"airflow {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result.stdout

    def start(self, timeout: float = 240, dags: Iterable[str] = TEST_DAGS) -> AirflowServer:
        ensure_installed(self.major)
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "passwords.json").write_text(json.dumps({self.user: self.password}))
        self.cli("db", "migrate")
        if self.major == 2:
            self.cli(
                "users", "create", "--role", "Admin", "--username", self.user,
                "--password", self.password, "--firstname", "Cornflow", "--lastname", "Tests",
                "--email", "airflow@cornflow.test",
            )  # fmt: skip
            server = ["webserver", "--port", str(self.port), "--hostname", "127.0.0.1"]
        else:
            server = ["api-server", "--port", str(self.port), "--host", "127.0.0.1"]
        parts = {"api-server": server, "scheduler": ["scheduler", "--skip-serve-logs"]}
        if self.major == 3:
            # Airflow 2 refuses a standalone DAG processor on SQLite; its scheduler parses.
            parts["dag-processor"] = ["dag-processor"]
        try:
            for name, args in parts.items():
                self._spawn(name, args)
            self._wait_until_ready(timeout, list(dags))
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, name: str, args: list[str]) -> None:
        leader = next(iter(self.processes.values()), None)
        with (self.home / f"{name}.log").open("ab") as output:
            self.processes[name] = subprocess.Popen(
                [str(self.venv / "bin" / "airflow"), *args],
                env=self.env,
                cwd=self.home,
                stdout=output,
                stderr=subprocess.STDOUT,
                # One group for every part, so stop() reaches the workers they fork too.
                process_group=0 if leader is None else leader.pid,
            )

    def _wait_until_ready(self, timeout: float, dags: list[str]) -> None:
        deadline = time.monotonic() + timeout
        waiting_for = "health"
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(
                        f"Airflow {name} exited with {process.returncode}:\n{self.log_tail(name)}"
                    )
            try:
                if waiting_for == "health" and self._healthy():
                    waiting_for = "dags"
                if waiting_for == "dags":
                    dags = [dag for dag in dags if not self._dag_registered(dag)]
                    if not dags:
                        return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(
            f"Airflow at {self.url} not ready after {timeout} s (waiting for {waiting_for}"
            f"{': ' + ', '.join(dags) if waiting_for == 'dags' else ''}):\n"
            + "\n".join(self.log_tail(name) for name in self.processes)
        )

    def _healthy(self) -> bool:
        path = "/api/v2/monitor/health" if self.major == 3 else "/api/v1/health"
        response = httpx.get(f"{self.url}{path}", timeout=5)
        if response.status_code != 200:
            return False
        payload = response.json()
        return bool(
            payload["metadatabase"]["status"] == "healthy"
            and payload["scheduler"]["status"] == "healthy"
        )

    def _dag_registered(self, dag_id: str) -> bool:
        response = httpx.get(f"{self.api_url}/dags/{dag_id}", headers=self.headers(), timeout=10)
        return response.status_code == 200

    def headers(self) -> dict[str, str]:
        """Credentials for Airflow's REST API: a JWT on Airflow 3, basic auth on Airflow 2."""
        if self.major == 2:
            credentials = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            return {"Authorization": f"Basic {credentials}"}
        if self._token is None:
            response = httpx.post(
                f"{self.url}/auth/token",
                json={"username": self.user, "password": self.password},
                timeout=10,
            )
            response.raise_for_status()
            self._token = str(response.json()["access_token"])
        return {"Authorization": f"Bearer {self._token}"}

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A call to Airflow's REST API (`path` below /api/v1 or /api/v2)."""
        async with httpx.AsyncClient(timeout=30, headers=self.headers()) as client:
            return await client.request(method, f"{self.api_url}{path}", **kwargs)

    async def set_variable(self, key: str, value: Any) -> None:
        """Store `value` (JSON-encoded unless a string) as Airflow variable `key`."""
        text = value if isinstance(value, str) else json.dumps(value)
        await self.request("DELETE", f"/variables/{key}")
        response = await self.request("POST", "/variables", json={"key": key, "value": text})
        response.raise_for_status()

    async def set_connection(self, conn_id: str, uri: str) -> None:
        """Create (or replace) connection `conn_id`, e.g. CF_URI for a Cornflow started later."""
        parts = urlsplit(uri)
        await self.request("DELETE", f"/connections/{conn_id}")
        response = await self.request(
            "POST",
            "/connections",
            json={
                "connection_id": conn_id,
                "conn_type": parts.scheme,
                "host": parts.hostname,
                "port": parts.port,
                "login": parts.username,
                "password": parts.password,
                "schema": parts.path.lstrip("/") or None,
            },
        )
        response.raise_for_status()

    async def dag_runs(self, dag_id: str) -> list[dict[str, Any]]:
        response = await self.request("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100})
        response.raise_for_status()
        return list(response.json()["dag_runs"])

    async def task_instance(self, dag_id: str, run_id: str) -> dict[str, Any]:
        response = await self.request(
            "GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{dag_id}"
        )
        response.raise_for_status()
        return dict(response.json())

    def log_tail(self, name: str, characters: int = 3000) -> str:
        path = self.home / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return f"--- {name} ---\n{text[-characters:]}"

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """SIGTERM to the group, SIGKILL after `grace` seconds if any part is still there."""
        leader = next(iter(self.processes.values()), None)
        if leader is None:
            return
        group = leader.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                break
        # Forked workers may outlive their parent: anything left in the group goes now.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        for process in self.processes.values():
            process.wait(timeout=10)
        self.processes.clear()
        self._kill_strays()

    def _kill_strays(self) -> None:
        """Task processes that left the group (a run starting as Airflow stopped) go too.

        They are found by what they took from this server: its AIRFLOW_HOME as their working
        folder or in their environment.
        """
        processes = Path("/proc")
        if not processes.is_dir():
            return
        home = self.home.resolve()
        marker = f"AIRFLOW_HOME={self.home}".encode()
        for entry in processes.iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                cwd = (entry / "cwd").resolve(strict=True)
                environment = (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if cwd == home or home in cwd.parents or marker in environment:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(entry.name), signal.SIGKILL)

    def __enter__(self) -> AirflowServer:
        return self.start()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()


@contextlib.contextmanager
def airflow_for_tests(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowServer]:
    """An Airflow of the generation CORNFLOW_TEST_AIRFLOW selects, for a module's tests.

    Skips only when the virtualenv cannot be built; an Airflow that fails to start is an error.
    Module-scoped fixtures use it, so that Airflow is gone once those tests are done.
    """
    major = selected_major()
    try:
        ensure_installed(major)
    except AirflowUnavailable as error:
        pytest.skip(str(error))
    with AirflowServer(home=tmp_path_factory.mktemp(f"airflow{major}"), major=major) as server:
        yield server


def main() -> None:
    major = int(sys.argv[1]) if len(sys.argv) > 1 else selected_major()
    # Started in the background, a shell hands us SIGINT ignored; both signals must stop Airflow.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with tempfile.TemporaryDirectory(prefix="airflow-") as home:
        server = AirflowServer(
            home=Path(home), major=major, cornflow_uri=os.environ.get("AIRFLOW_CONN_CF_URI")
        )
        started = time.monotonic()
        with server:
            print(
                f"Airflow {VERSIONS[major]} at {server.url} (user {server.user}, password "
                f"{server.password}), ready in {time.monotonic() - started:.1f} s; Ctrl-C stops it",
                flush=True,
            )
            with contextlib.suppress(KeyboardInterrupt):
                signal.pause()


if __name__ == "__main__":
    main()
