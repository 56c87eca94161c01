"""Does a long solve on the local runner slow the API down? p99 idle against p99 mid-solve.

Our server starts with its local runner (CORNFLOW_BACKEND=local, one solve worker) on a seeded
scratch database. `/health/` and the `/instance/` list are loaded with wrk (same shape as
`bench.run`) while nothing runs; then a planner starts a solve CBC cannot finish within a
minute (a market-split model, time limit 90 s), and the same loads run again while it is
running. The report gives both p99s and their ratio; the target is a ratio of at most 1.10.

    uv run python -m bench.solve_load [--rounds 3] [--duration 8]
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from tempfile import mkdtemp
from typing import Any

import httpx
import pulp  # type: ignore[import-untyped]

from bench import seed, servers
from bench.load import LoadResult, LoadShape, Request, run_wrk, wrk_binary, wrk_version
from bench.run import cpu_busy_fraction, log_in, machine, prepare_database

ROOT = Path(__file__).resolve().parent.parent
SOLVE_SECONDS = 90


@dataclass(frozen=True)
class Options:
    rounds: int
    duration_s: float
    connections: int
    threads: int
    workers: int
    postgres: str
    results_dir: Path


def parse_options(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--results-dir", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    return Options(
        rounds=args.rounds,
        duration_s=args.duration,
        connections=args.connections,
        threads=args.threads,
        workers=args.workers,
        postgres=args.postgres,
        results_dir=args.results_dir,
    )


def market_split(rows: int = 4, columns: int = 40, seed_: int = 11) -> dict[str, Any]:
    """A tiny model CBC cannot close for minutes: the solve is long without being large."""
    rng = random.Random(seed_)  # noqa: S311 (a fixed model, not a secret)
    problem = pulp.LpProblem("market_split", pulp.LpMinimize)
    chosen = [pulp.LpVariable(f"x{j}", cat="Binary") for j in range(columns)]
    over = [pulp.LpVariable(f"over{i}", lowBound=0) for i in range(rows)]
    under = [pulp.LpVariable(f"under{i}", lowBound=0) for i in range(rows)]
    problem += pulp.lpSum(over) + pulp.lpSum(under)
    for i in range(rows):
        weights = [rng.randint(0, 99) for _ in range(columns)]
        terms = pulp.lpSum(w * x for w, x in zip(weights, chosen, strict=True))
        problem += terms + under[i] - over[i] == sum(weights) // 2, f"split{i}"
    return dict(problem.to_dict())


def start_long_solve(base_url: str, token: str) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    instance = httpx.post(
        f"{base_url}/instance/",
        json={"name": "market split", "data": market_split(), "schema": "solve_model_dag"},
        headers=headers,
        timeout=60,
    )
    instance.raise_for_status()
    execution = httpx.post(
        f"{base_url}/execution/",
        json={
            "name": "long solve",
            "instance_id": instance.json()["id"],
            "config": {"solver": "PULP_CBC_CMD", "timeLimit": SOLVE_SECONDS},
            "schema": "solve_model_dag",
        },
        headers=headers,
        timeout=60,
    )
    execution.raise_for_status()
    return str(execution.json()["id"])


def state_of(base_url: str, token: str, execution_id: str) -> int:
    status = httpx.get(
        f"{base_url}/execution/{execution_id}/status/",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    status.raise_for_status()
    return int(status.json()["state"])


def wait_for_running(base_url: str, token: str, execution_id: str) -> None:
    deadline = time.monotonic() + 60
    while state_of(base_url, token, execution_id) != 0:
        if time.monotonic() > deadline:
            raise RuntimeError(f"execution {execution_id} did not start within 60 s")
        time.sleep(0.5)


def stop(base_url: str, token: str, execution_id: str) -> None:
    httpx.post(
        f"{base_url}/execution/{execution_id}/",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    wrk_binary()
    stamp = datetime.now().strftime("%Y-%m-%d-%H%M")
    logs = Path(mkdtemp(prefix="cornflow-solve-load-"))
    secret_key = secrets.token_urlsafe(48)
    shape = LoadShape(options.connections, options.threads, options.duration_s)
    samples: dict[tuple[str, str], list[LoadResult]] = {}
    solve_states: list[int] = []
    busy = cpu_busy_fraction(2.0)
    with seed.scratch_database(options.postgres) as (database_url, database_note):
        prepare_database(database_url, secret_key)
        env = dict(os.environ)
        env.update(
            DATABASE_URL=database_url,
            SECRET_KEY=secret_key,
            CORNFLOW_BACKEND="local",
            LOCAL_WORKERS="1",
            CORNFLOW_SERVICE_USER="service_user",
            FLASK_ENV="production",
        )
        with servers.ours(env, options.workers, logs / "ours.log") as served:
            token, _ = log_in(served.base_url, seed.ROLE_USERS["planner"])
            loads = {
                "health": Request("GET", "/health/"),
                "instance_list": Request("GET", "/instance/", token=token),
            }
            for round_ in range(options.rounds):
                for key, request in loads.items():
                    servers.wait_until_idle(served)
                    run_wrk(served.base_url, request, LoadShape(shape.connections, 1, 2), None)
                    servers.wait_until_idle(served)
                    idle = run_wrk(served.base_url, request, shape, logs / "wrk.log")
                    samples.setdefault((key, "idle"), []).append(idle)
                execution_id = start_long_solve(served.base_url, token)
                wait_for_running(served.base_url, token, execution_id)
                for key, request in loads.items():
                    run_wrk(served.base_url, request, LoadShape(shape.connections, 1, 2), None)
                    solving = run_wrk(served.base_url, request, shape, logs / "wrk.log")
                    samples.setdefault((key, "solving"), []).append(solving)
                solve_states.append(state_of(served.base_url, token, execution_id))
                stop(served.base_url, token, execution_id)
                print(f"round {round_ + 1}: " + ", ".join(
                    f"{key} {kind} p99 {results[-1].percentile('99'):.1f} ms"
                    for (key, kind), results in samples.items()
                ), flush=True)  # fmt: skip
    lines = report(options, samples, solve_states, database_note, busy, stamp)
    options.results_dir.mkdir(parents=True, exist_ok=True)
    path = options.results_dir / f"{stamp}-solve-load.md"
    path.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"Report: {path}")
    return 0


def report(
    options: Options,
    samples: dict[tuple[str, str], list[LoadResult]],
    solve_states: list[int],
    database_note: str,
    busy: float,
    stamp: str,
) -> list[str]:
    def median(key: str, kind: str, figure: str) -> float:
        results = samples[(key, kind)]
        if figure == "rps":
            return statistics.median(result.requests_per_s for result in results)
        return statistics.median(result.percentile(figure) for result in results)

    info = machine()
    lines = [
        f"# A long solve and the API's latency ({stamp})",
        "",
        f"- Machine: {info['cpu']}, {info['cores']} cores, {info['memory']}; CPU busy before "
        f"the run {busy:.0%}",
        f"- Database: {database_note}",
        f"- Ours: `cornflow serve --workers {options.workers}`, CORNFLOW_BACKEND=local, one "
        "solve worker; the solve runs at LOCAL_SOLVE_NICENESS (default 10)",
        f"- Load: {wrk_version()}, {options.connections} connections, {options.duration_s:g} s "
        f"per measure, {options.rounds} rounds, medians",
        f"- The solve: a market-split model on CBC with a {SOLVE_SECONDS} s time limit, still "
        f"running after each measure (states seen: {solve_states}; 0 = running)",
        "",
        "| endpoint | idle req/s | idle p50 / p99 ms | mid-solve req/s | mid-solve p50 / p99 ms "
        "| p99 ratio | errors |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for key in ("health", "instance_list"):
        errors = sum(result.errors for kind in ("idle", "solving") for result in
                     samples[(key, kind)])  # fmt: skip
        ratio = median(key, "solving", "99") / median(key, "idle", "99")
        lines.append(
            f"| {key} | {median(key, 'idle', 'rps'):.0f} | {median(key, 'idle', '50'):.1f} / "
            f"{median(key, 'idle', '99'):.1f} | {median(key, 'solving', 'rps'):.0f} | "
            f"{median(key, 'solving', '50'):.1f} / {median(key, 'solving', '99'):.1f} | "
            f"{ratio:.2f} | {errors} |"
        )
    return lines


if __name__ == "__main__":
    sys.exit(main())
