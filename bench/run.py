"""`make bench`: our Cornflow server against Flask Cornflow 1.3.9, side by side.

Both servers run on one scratch database with the same seeded data and the same number of worker
processes, one at a time, loaded by wrk from its own process; every round warms each scenario
up, measures it, and reads each worker's resident memory. The report takes the median of each
figure over the rounds.

    uv run python -m bench.run [--rounds 3] [--duration 8] [--note "machine busy"]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path
from tempfile import mkdtemp

import httpx

from bench import report, seed, servers
from bench.load import LoadShape, Request, run_wrk, wrk_binary, wrk_version
from bench.login_timing import LoginTiming
from bench.report import BARE, FLASK, MINIMAL, OURS, Results, Sample, Scenario
from cutover.reference import FlaskCornflow, flask_environment, reference_bin

ROOT = Path(__file__).resolve().parent.parent

SCENARIOS = (
    Scenario("health", "GET /health/"),
    Scenario("user_list", "GET /user/ (admin)"),
    Scenario("user_read", "GET /user/<id>/ (own, planner)"),
    Scenario("login_ok", "POST /login/ right password", slow=True),
    Scenario("login_wrong", "POST /login/ wrong password", slow=True),
    Scenario("instance_list", "GET /instance/ (planner)"),
    Scenario("instance_data", "GET /instance/<id>/data/ 1 MB", slow=True),
    Scenario("case_tree", "GET /case/?limit=100 (a tree of 200 cases)"),
    Scenario("dag_write_back", "PUT /dag/<id>/ solution write-back (service)"),
)
SERVERS = (BARE, MINIMAL, OURS, FLASK)
CEILING_APPS = {BARE: "bare_app", MINIMAL: "fastapi_app"}
# Flask's default backend (Airflow) set explicitly: our server's default differs, and the
# comparison is of the same configuration.
COMMON_ENVIRONMENT = {"CORNFLOW_BACKEND": "1"}


@dataclass(frozen=True)
class Options:
    rounds: int
    duration_s: float
    slow_duration_s: float
    warmup_s: float
    connections: int
    threads: int
    workers: int
    login_samples: int
    postgres: str
    results_dir: Path
    note: str
    keep_logs: bool
    render: Path | None


def parse_options(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=8, help="seconds per measured run")
    parser.add_argument(
        "--slow-duration", type=float, default=15, help="seconds for logins and 1 MB reads"
    )
    parser.add_argument("--warmup", type=float, default=2, help="seconds of load dropped first")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="worker processes per server")
    parser.add_argument("--login-samples", type=int, default=100)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL database to create the scratch database from",
    )
    parser.add_argument("--results-dir", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--note", default="", help="a caveat for the report header")
    parser.add_argument("--keep-logs", action="store_true", help="keep the servers' logs")
    parser.add_argument(
        "--render", type=Path, help="rewrite the report and plot of a saved .json, run nothing"
    )
    raw = parser.parse_args(argv)
    return Options(
        rounds=raw.rounds,
        duration_s=raw.duration,
        slow_duration_s=raw.slow_duration,
        warmup_s=raw.warmup,
        connections=raw.connections,
        threads=raw.threads,
        workers=raw.workers,
        login_samples=raw.login_samples,
        postgres=raw.postgres,
        results_dir=raw.results_dir,
        note=raw.note,
        keep_logs=raw.keep_logs,
        render=raw.render,
    )


def cpu_busy_fraction(interval: float = 0.5) -> float:
    """Share of the machine's CPU time busy over interval, from /proc/stat."""

    def snapshot() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = fields[3] + fields[4]
        return idle, sum(fields)

    idle_before, total_before = snapshot()
    time.sleep(interval)
    idle_after, total_after = snapshot()
    total = total_after - total_before
    return 1 - (idle_after - idle_before) / total if total else 0.0


@dataclass(frozen=True)
class Cornflow:
    """What the scenarios need from a seeded Cornflow server."""

    admin_token: str
    planner_token: str
    planner_id: int
    large_instance_id: str
    service_token: str
    execution_id: str


def log_in(base_url: str, username: str) -> tuple[str, int]:
    response = httpx.post(
        f"{base_url}/login/", json={"username": username, "password": seed.PASSWORD}, timeout=30
    )
    if response.status_code != 200:
        raise RuntimeError(f"{base_url}: {username} cannot log in: {response.text}")
    body = response.json()
    return str(body["token"]), int(body["id"])


def cornflow_session(base_url: str, seeded: seed.Seeded) -> Cornflow:
    admin_token, _ = log_in(base_url, seed.ROLE_USERS["admin"])
    planner_token, planner_id = log_in(base_url, seed.ROLE_USERS["planner"])
    service_token, _ = log_in(base_url, seed.ROLE_USERS["service"])
    return Cornflow(
        admin_token,
        planner_token,
        planner_id,
        seeded.large_instance_id,
        service_token,
        seeded.execution_id,
    )


def cornflow_requests(session: Cornflow) -> dict[str, Request]:
    def login(password: str) -> str:
        return json.dumps({"username": seed.ROLE_USERS["planner"], "password": password})

    planner = session.planner_token
    return {
        "health": Request("GET", "/health/"),
        "user_list": Request("GET", "/user/", token=session.admin_token),
        "user_read": Request("GET", f"/user/{session.planner_id}/", token=planner),
        "login_ok": Request("POST", "/login/", body=login(seed.PASSWORD)),
        "login_wrong": Request(
            "POST", "/login/", body=login("Wrong_passw0rd!"), expected_status=400
        ),
        "instance_list": Request("GET", "/instance/", token=planner),
        "instance_data": Request(
            "GET", f"/instance/{session.large_instance_id}/data/", token=planner
        ),
        "case_tree": Request("GET", "/case/?limit=100", token=planner),
        # The worker's write-back of a solved model; the same body each time, so every request
        # validates and stores a solution, as after a solve.
        "dag_write_back": Request(
            "PUT",
            f"/dag/{session.execution_id}/",
            token=session.service_token,
            body=json.dumps(
                {
                    "data": seed.solution_data(),
                    "state": 1,
                    "log_text": "Result - Optimal solution found\n",
                    "log_json": {"status": "Optimal", "status_code": 1, "sol_code": 1},
                    "solution_schema": "solve_model_dag",
                }
            ),
        ),
    }


def probe(base_url: str, request: Request) -> str | None:
    """None when the server answers the request as expected, else why it is skipped."""
    headers = {"Authorization": f"Bearer {request.token}"} if request.token else {}
    if request.body:
        headers["Content-Type"] = "application/json"
    response = httpx.request(
        request.method, base_url + request.path, headers=headers, content=request.body, timeout=60
    )
    if response.status_code == request.expected_status:
        return None
    if response.status_code == 404:
        return "not served yet"
    return f"probe answered {response.status_code}, expected {request.expected_status}"


class Bench:
    def __init__(self, options: Options, logs: Path) -> None:
        self.options = options
        self.logs = logs
        self.results = Results(SCENARIOS)
        self.busy: list[float] = []

    def shape(self, scenario: Scenario, duration: float | None = None) -> LoadShape:
        chosen = self.options.slow_duration_s if scenario.slow else self.options.duration_s
        return LoadShape(self.options.connections, self.options.threads, duration or chosen)

    def start(
        self, server: str, database_url: str, secret_key: str
    ) -> AbstractContextManager[servers.Served]:
        workers, log = self.options.workers, self.logs / f"{server}.log"
        if server == FLASK:
            return servers.flask(database_url, secret_key, COMMON_ENVIRONMENT, workers, log)
        if server == OURS:
            return servers.ours(ours_environment(database_url, secret_key), workers, log)
        return servers.ceiling(CEILING_APPS[server], workers, log)

    def measure(
        self, server: str, served: servers.Served, requests: dict[str, Request], round_: int
    ) -> None:
        wrk_log = self.logs / f"wrk-{server}.log"
        for scenario in SCENARIOS:
            request = requests.get(scenario.key)
            if request is None:
                continue
            cell = self.results.cell(server, scenario.key)
            reason = probe(served.base_url, request)
            if reason is not None:
                cell.skipped = reason
                print(
                    f"  round {round_} {server:16} {scenario.key:14} skipped: {reason}", flush=True
                )
                continue
            servers.wait_until_idle(served)
            run_wrk(served.base_url, request, self.shape(scenario, self.options.warmup_s), None)
            servers.wait_until_idle(served)
            result = run_wrk(served.base_url, request, self.shape(scenario), wrk_log)
            rss = servers.worker_memory_mib(served)
            cell.samples.append(Sample(result, rss))
            print(
                f"  round {round_} {server:16} {scenario.key:14} "
                f"{result.requests_per_s:9.1f} req/s  p99 {result.percentile('99'):9.1f} ms  "
                f"errors {result.errors}  RSS {' '.join(f'{m:.0f}' for m in rss)} MiB",
                flush=True,
            )

    def run_round(
        self, round_: int, database_url: str, secret_key: str, seeded: seed.Seeded
    ) -> None:
        # Each round starts with a different server, so a drift of the machine's load does
        # not always fall on the same one.
        order = SERVERS[round_ % len(SERVERS) :] + SERVERS[: round_ % len(SERVERS)]
        for server in order:
            self.busy.append(cpu_busy_fraction())
            with self.start(server, database_url, secret_key) as served:
                if server in (OURS, FLASK):
                    requests = cornflow_requests(cornflow_session(served.base_url, seeded))
                else:
                    requests = {"health": Request("GET", "/health/")}
                self.measure(server, served, requests, round_ + 1)


def ours_environment(database_url: str, secret_key: str) -> dict[str, str]:
    """The Flask server's environment (spec §12.1), with our own PATH."""
    env = dict(os.environ)
    flask_env = flask_environment(database_url, secret_key, **COMMON_ENVIRONMENT)
    env.update({k: v for k, v in flask_env.items() if k not in ("PATH", "HOME")})
    return env


def prepare_database(database_url: str, secret_key: str) -> seed.Seeded:
    """Flask's migrations and permissions, then ours (no-ops), users, then the bulk rows."""
    FlaskCornflow(database_url, secret_key, environment=COMMON_ENVIRONMENT).init_database()
    env = ours_environment(database_url, secret_key)
    seed.run_ours(env, "migrations", "upgrade")
    seed.run_ours(env, "permissions", "init")
    seed.create_role_users(env)
    return seed.seed_bulk(database_url)


def login_timing(
    database_url: str, secret_key: str, options: Options, logs: Path
) -> LoginTiming | None:
    """bench/login_timing.py against our server, in its own process, nothing else loading."""
    output = logs / "login-timing.json"
    env = ours_environment(database_url, secret_key)
    with servers.ours(env, options.workers, logs / "ours-login-timing.log") as served:
        subprocess.run(
            [
                sys.executable, str(ROOT / "bench" / "login_timing.py"),
                "--base-url", served.base_url, "--username", seed.ROLE_USERS["planner"],
                "--samples", str(options.login_samples), "--json", str(output),
            ],
            check=False,
            timeout=1800,
        )  # fmt: skip
    if not output.exists():
        return None
    return LoginTiming(**json.loads(output.read_text()))


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in cpuinfo.splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    memory_kib = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )  # fmt: skip
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "memory": f"{memory_kib / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def reference_versions() -> str:
    code = (
        "import importlib.metadata as m; "
        "print(', '.join(f'{p} {m.version(p)}' for p in "
        "('cornflow', 'gunicorn', 'gevent', 'flask', 'sqlalchemy')))"
    )
    completed = subprocess.run(
        [str(reference_bin("python")), "-c", code], capture_output=True, text=True, check=False
    )
    return completed.stdout.strip() or completed.stderr.strip()


def our_versions() -> str:
    names = ("uvicorn", "fastapi", "starlette", "pydantic", "sqlalchemy", "asyncpg")
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in names)
    loop = "uvloop" if find_spec("uvloop") else "asyncio"
    parser = "httptools" if find_spec("httptools") else "h11"
    return f"{versions}; uvicorn runs the {loop} loop and the {parser} HTTP parser"


def header_lines(
    options: Options,
    seeded: seed.Seeded,
    database_note: str,
    busy_before: float,
    busy_samples: list[float],
    results: Results,
) -> list[str]:
    box = machine()
    generator_median, generator_max = report.generator_share(results)
    busy_median = statistics.median(busy_samples) if busy_samples else busy_before
    noisy = max([busy_before, *busy_samples]) > 0.10
    lines = []
    if options.note or noisy:
        warning = options.note or "the machine was busy with other work during this run"
        lines += [
            f"> **Caveat: {warning}.** CPU busy before a server started (nothing of ours "
            f"running): median {busy_median:.0%}, max {max([busy_before, *busy_samples]):.0%}. "
            "Read the figures as indicative; rerun on a quiet machine for final numbers.",
            "",
        ]
    lines += [
        f"- Machine: {box['cpu']}, {box['cores']} cores, {box['memory']}, Linux {box['kernel']}, "
        f"Python {box['python']}",
        f"- Machine load with nothing of ours running: {busy_before:.0%} busy before the run, "
        f"median {busy_median:.0%} between servers",
        f"- Database: {database_note}; {seeded.backend} {seeded.server_version}; "
        f"{seeded.users} users (one per role, the rest planners), "
        f"{seeded.small_instances} instances of ~2 KB and {seeded.large_instances} of "
        f"{seeded.large_instance_bytes / 1e6:.1f} MB, seeded once, read by both servers; "
        f"password hashes `{seeded.password_hash_prefix}` (bcrypt, made by our CLI)",
        f"- Flask Cornflow: gunicorn, {options.workers} gevent workers, recycling off "
        "(`--max-requests 0`; upstream's max_requests=1000 with graceful_timeout=300 stalls a "
        "recycling worker for minutes), `GEVENT_RESOLVER=block` (else some requests hang on the "
        f"DNS look-up of AIRFLOW_URL); {reference_versions()}",
        f"- Ours: `cornflow serve --workers {options.workers}` (uvicorn with uvloop and "
        "httptools, a JSON access log line per request); "
        f"{our_versions()}",
        f"- Ceiling: bench/ceiling.py under the same uvicorn, {options.workers} workers, "
        "no access log",
        f"- Load: {wrk_version()}, {options.threads} threads, {options.connections} connections, "
        f"{options.warmup_s:g} s warm-up then {options.duration_s:g} s measured "
        f"({options.slow_duration_s:g} s for logins and 1 MB reads), {options.rounds} rounds; "
        "servers loaded one at a time, started afresh each round; wrk itself used a median "
        f"{generator_median:.0%} of one core (at most {generator_max:.0%})",
        "- Figures are medians over the rounds, except errors (non-2xx/3xx or an unexpected "
        "status, plus socket errors), summed over the rounds; RSS is each worker's VmRSS after "
        "the scenario, averaged over the workers",
        "- Both servers: `CORNFLOW_BACKEND=1` (Airflow, Flask's default) with an Airflow that "
        "refuses connections (`AIRFLOW_URL=http://127.0.0.1:9`), so /health/ answers "
        "`backend_status: unhealthy` on both after a refused connection",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    if options.render is not None:
        stamp, results, header, timing = report.load(options.render)
        report.write(options.render.with_suffix(""), stamp, results, header, timing)
        return 0
    wrk_binary()
    reference_bin("gunicorn")
    stamp = datetime.now().strftime("%Y-%m-%d-%H%M")
    logs = Path(mkdtemp(prefix="cornflow-bench-logs-"))
    busy_before = cpu_busy_fraction(2.0)
    secret_key = secrets.token_urlsafe(48)
    started = time.monotonic()
    print(f"Server and wrk logs in {logs}", flush=True)
    with seed.scratch_database(options.postgres) as (database_url, database_note):
        print(f"Database: {database_note}", flush=True)
        seeded = prepare_database(database_url, secret_key)
        bench = Bench(options, logs)
        for round_ in range(options.rounds):
            print(f"Round {round_ + 1} of {options.rounds}", flush=True)
            bench.run_round(round_, database_url, secret_key, seeded)
        print("Login timing against ours", flush=True)
        timing = login_timing(database_url, secret_key, options, logs)
        header = header_lines(
            options, seeded, database_note, busy_before, bench.busy, bench.results
        )
    stem = options.results_dir / f"{stamp}-side-by-side"
    path = report.write(stem, stamp, bench.results, header, timing)
    print(f"Report: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    print(f"Took {(time.monotonic() - started) / 60:.1f} min")
    if not options.keep_logs:
        for file in logs.iterdir():
            file.unlink()
        logs.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
