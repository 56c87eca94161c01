"""Mandarin reviews under load: 200 learners reading their queue and answering cards.

One `mandarin serve` worker on a scratch PostgreSQL database seeded with learners, cards and a
month of review history; wrk drives the load from its own process with a Lua script that gives
every request a learner's token, one of that learner's cards and a fresh idempotency key.

Four measurements, each after a short warm-up: queue reads, then answers, each
- as learners: 200 connections, each one learner who thinks 1-3 s between requests (wrk's
  `delay()`), about 100 requests/s offered, the load the p99 target is about;
- at saturation: the same 200 connections without think time (closed loop), which shows what
  one worker can do and how latency grows past it.

    uv run python -m bench.mandarin_reviews                 # ~3 minutes
    uv run python -m bench.mandarin_reviews --duration 5 --note "tests running"
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from mandarin.auth.tokens import AccessTokens
from mandarin.config import JwtSettings
from mandarin.models import (
    CardState,
    Item,
    ItemKind,
    ReviewCard,
    ReviewLog,
    ReviewSource,
    SchedulerKind,
    User,
    new_id,
)
from mandarin.reviews.calendar import LocalCalendar
from mandarin.reviews.card_state import CardSnapshot
from mandarin.scheduling import fsrs_adapter, sm2
from svckit.db import async_url

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
RESULT_MARKER = "BENCH_RESULT "
TIMEZONES = ("Asia/Shanghai", "Europe/Madrid", "America/New_York", "UTC")
# Far above any latency expected, so slow answers count in the percentiles instead of vanishing
# as wrk timeouts.
REQUEST_TIMEOUT_S = 30

LUA = r"""
-- Requests are spread over (learner, card) pairs so that no two in flight share a card: each
-- wrk thread takes every threads-th pair, and one pair comes back only after all the others.
-- Each run starts where the previous one stopped, as answers of a run that ended may still be
-- in the server's hands.
local kind = os.getenv("BENCH_KIND")
local think_min = tonumber(os.getenv("BENCH_THINK_MIN_MS"))
local think_max = tonumber(os.getenv("BENCH_THINK_MAX_MS"))
local thread_total = tonumber(os.getenv("BENCH_THREADS"))
local run_prefix = os.getenv("BENCH_RUN_PREFIX")
local offset = tonumber(os.getenv("BENCH_OFFSET"))
local queue_path = "/api/reviews/queue?limit=" .. os.getenv("BENCH_QUEUE_LIMIT")

local learners = {}
for line in io.lines(os.getenv("BENCH_DATA")) do
  local token, cards = line:match("^(%S+) (%S+)$")
  local list = {}
  for card in cards:gmatch("[^,]+") do table.insert(list, card) end
  table.insert(learners, { token = token, cards = list })
end

local threads = {}
local created = 0
function setup(thread)
  thread:set("id", created)
  created = created + 1
  table.insert(threads, thread)
end

local sent = 0
client_errors = 0
server_errors = 0

function init(args)
  math.randomseed(1000 + id)
end

function request()
  local n = offset + sent * thread_total + id
  sent = sent + 1
  local learner = learners[(n % #learners) + 1]
  local headers = { ["Authorization"] = "Bearer " .. learner.token }
  if kind == "queue" then
    return wrk.format("GET", queue_path, headers)
  end
  local card = learner.cards[(math.floor(n / #learners) % #learner.cards) + 1]
  local grade = math.random(0, 9) == 0 and 2 or math.random(3, 5)
  local key = string.format("%s-%04x-4%03x-8%03x-%012x", run_prefix, id, math.random(0, 4095),
    math.random(0, 4095), sent)
  headers["Content-Type"] = "application/json"
  local body = string.format(
    '{"card_id":"%s","grade":%d,"idempotency_key":"%s","duration_ms":%d}',
    card, grade, key, math.random(1500, 9000))
  return wrk.format("POST", "/api/reviews", headers, body)
end

if think_max > 0 then
  function delay()
    return math.random(think_min, think_max)
  end
end

function response(status, headers, body)
  if status >= 500 then
    server_errors = server_errors + 1
  elseif status >= 400 then
    client_errors = client_errors + 1
  end
end

local percentiles = { 50, 90, 95, 99, 99.9 }

function done(summary, latency, requests)
  local client_total, server_total = 0, 0
  for _, thread in ipairs(threads) do
    client_total = client_total + thread:get("client_errors")
    server_total = server_total + thread:get("server_errors")
  end
  local parts = {}
  for _, p in ipairs(percentiles) do
    table.insert(parts, string.format('"%s":%d', tostring(p), latency:percentile(p)))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"socket_errors":%d,"client_errors":%d,'
      .. '"server_errors":%d,"max_us":%d,"percentiles_us":{%s}}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout,
    client_total, server_total, latency.max, table.concat(parts, ",")))
end
"""


@dataclass(frozen=True)
class Options:
    admin_url: str
    users: int
    cards: int
    history: int
    connections: int
    threads: int
    duration: float
    warmup: float
    think_ms: tuple[int, int]
    queue_limit: int
    note: str
    results: Path


@dataclass(frozen=True)
class Measurement:
    scenario: str
    kind: str
    think: str
    requests: int
    duration_s: float
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    client_errors: int
    server_errors: int
    socket_errors: int


def parse_options(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL server where a scratch database can be created (and dropped)",
    )
    parser.add_argument("--users", type=int, default=200, help="learners, one per connection")
    parser.add_argument("--cards", type=int, default=60, help="cards per learner")
    parser.add_argument("--history", type=int, default=200, help="past answers per learner")
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--duration", type=float, default=30, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=5, help="seconds before each one")
    parser.add_argument("--think-min-ms", type=int, default=1000)
    parser.add_argument("--think-max-ms", type=int, default=3000)
    parser.add_argument("--queue-limit", type=int, default=20, help="cards per queue read")
    parser.add_argument("--note", default="", help="a caveat for the report header")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    return Options(
        admin_url=args.admin_url,
        users=args.users,
        cards=args.cards,
        history=args.history,
        connections=args.connections,
        threads=args.threads,
        duration=args.duration,
        warmup=args.warmup,
        think_ms=(args.think_min_ms, args.think_max_ms),
        queue_limit=args.queue_limit,
        note=args.note,
        results=args.results,
    )


# --- the database -----------------------------------------------------------------------------


async def _autocommit(url: str, statement: str) -> None:
    engine = create_async_engine(async_url(url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    name = f"mandarin_bench_{secrets.token_hex(4)}"
    asyncio.run(_autocommit(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_autocommit(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def mandarin(env: Mapping[str, str], *args: str) -> None:
    """The `mandarin` command line, as an operator runs it."""
    subprocess.run(
        [sys.executable, "-m", "mandarin", *args],
        env=dict(env),
        check=True,
        capture_output=True,
        timeout=300,
    )


def _snapshot(
    calendar: LocalCalendar, scheduler: SchedulerKind, reviewed_at: datetime, interval: int
) -> CardSnapshot:
    """A card in review, answered at reviewed_at and due interval days later."""
    due_day = calendar.day_of(reviewed_at) + timedelta(days=interval)
    due_at = calendar.start_of(due_day)
    fsrs = None
    if scheduler is SchedulerKind.FSRS:
        fsrs = fsrs_adapter.FSRSState(
            phase=fsrs_adapter.FSRSPhase.REVIEW,
            step=None,
            stability=float(interval),
            difficulty=5.0,
            due=due_at,
            last_review=reviewed_at,
        )
    return CardSnapshot(
        state=CardState.REVIEW,
        due_at=due_at,
        last_reviewed_at=reviewed_at,
        reps=3,
        lapses=0,
        sm2=sm2.SM2State(repetitions=3, easiness=Decimal("2.50"), interval=interval),
        sm2_due_day=due_day,
        fsrs=fsrs,
    )


def _card_row(
    user: dict[str, Any], item_id: uuid.UUID, snapshot: CardSnapshot | None, now: datetime
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": new_id(),
        "user_id": user["id"],
        "item_id": item_id,
        "state": CardState.NEW,
        "suspended": False,
        "due_at": now,
        "reps": 0,
        "lapses": 0,
        "sm2_repetitions": 0,
        "sm2_easiness": sm2.INITIAL_EASINESS,
        "sm2_interval_days": 0,
        "last_reviewed_at": None,
        "sm2_due_day": None,
        "fsrs_phase": None,
        "fsrs_step": None,
        "fsrs_stability": None,
        "fsrs_difficulty": None,
        "fsrs_due_at": None,
        "fsrs_last_review_at": None,
        "version": 1,
        "created_at": now - timedelta(days=40),
        "updated_at": now,
    }
    if snapshot is not None:
        card = ReviewCard(**row)
        snapshot.write_to(card)
        row |= {
            "state": card.state,
            "due_at": card.due_at,
            "last_reviewed_at": card.last_reviewed_at,
            "reps": card.reps,
            "sm2_repetitions": card.sm2_repetitions,
            "sm2_easiness": card.sm2_easiness,
            "sm2_interval_days": card.sm2_interval_days,
            "sm2_due_day": card.sm2_due_day,
            "fsrs_phase": card.fsrs_phase,
            "fsrs_step": card.fsrs_step,
            "fsrs_stability": card.fsrs_stability,
            "fsrs_difficulty": card.fsrs_difficulty,
            "fsrs_due_at": card.fsrs_due_at,
            "fsrs_last_review_at": card.fsrs_last_review_at,
        }
    return row


async def _seed(database_url: str, options: Options) -> list[tuple[uuid.UUID, list[uuid.UUID]]]:
    """Learners (a fifth on FSRS) with cards: 40 % due, 20 % due later, 40 % new; and history."""
    # Reproducible data, not secrets.
    rng = random.Random(6)  # noqa: S311
    now = datetime.now(UTC)
    engine = create_async_engine(async_url(database_url))
    learners: list[tuple[uuid.UUID, list[uuid.UUID]]] = []
    try:
        async with engine.begin() as connection:
            items: list[dict[str, Any]] = [
                {
                    "id": new_id(),
                    "kind": ItemKind.CHARACTER,
                    "hanzi": f"字{index}",
                    "sense_key": "",
                    "pinyin_numbered": "zi4",
                    "keyword": f"keyword {index}",
                    "meaning": "a character",
                    "frequency_rank": index,
                    "created_at": now,
                    "updated_at": now,
                }
                for index in range(options.cards)
            ]
            await connection.execute(insert(Item), items)
            users: list[dict[str, Any]] = [
                {
                    "id": new_id(),
                    "email": f"learner{index}@bench.example.com",
                    "timezone": TIMEZONES[index % len(TIMEZONES)],
                    "day_start_hour": 4,
                    "new_per_day": 20,
                    "reviews_per_day": 200,
                    "scheduler": SchedulerKind.FSRS if index % 5 == 0 else SchedulerKind.SM2,
                    "desired_retention": Decimal("0.90"),
                    "is_admin": False,
                    "is_active": True,
                    "token_version": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for index in range(options.users)
            ]
            await connection.execute(insert(User), users)
            cards: list[dict[str, Any]] = []
            logs: list[dict[str, Any]] = []
            for user in users:
                calendar = LocalCalendar(timezone=user["timezone"], day_start_hour=4)
                mine: list[dict[str, Any]] = []
                for position, item in enumerate(items):
                    share = position / options.cards
                    snapshot = None
                    if share < 0.6:
                        # Answered 1-20 days ago; the first 40 % are due by now.
                        ago = rng.randint(7, 20) if share < 0.4 else rng.randint(1, 5)
                        snapshot = _snapshot(
                            calendar, user["scheduler"], now - timedelta(days=ago), 6
                        )
                    mine.append(_card_row(user, item["id"], snapshot, now))
                cards.extend(mine)
                learners.append((user["id"], [card["id"] for card in mine]))
                for _ in range(options.history):
                    card = rng.choice(mine)
                    reviewed_at = now - timedelta(
                        days=rng.randint(1, 30), minutes=rng.randint(0, 600)
                    )
                    before = _snapshot(
                        calendar, user["scheduler"], reviewed_at - timedelta(days=6), 6
                    )
                    after = _snapshot(calendar, user["scheduler"], reviewed_at, 15)
                    logs.append(
                        {
                            "id": new_id(),
                            "user_id": user["id"],
                            "card_id": card["id"],
                            "idempotency_key": uuid.uuid4(),
                            "grade": rng.randint(2, 5),
                            "scheduler": user["scheduler"],
                            "source": ReviewSource.ONLINE,
                            "reviewed_at": reviewed_at,
                            "server_received_at": reviewed_at,
                            "duration_ms": rng.randint(1500, 9000),
                            "affects_schedule": True,
                            "state_before": before.to_dict(version=1),
                            "state_after": after.to_dict(version=2),
                        }
                    )
            await connection.execute(insert(ReviewCard), cards)
            await connection.execute(insert(ReviewLog), logs)
            await connection.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return learners


def seed(database_url: str, options: Options) -> list[tuple[uuid.UUID, list[uuid.UUID]]]:
    return asyncio.run(_seed(database_url, options))


def access_tokens(secret: str, user_ids: list[uuid.UUID]) -> list[str]:
    """Tokens as /api/auth/login issues them, valid for the whole run."""
    jwt = JwtSettings()
    tokens = AccessTokens(
        secret, issuer=jwt.issuer, audience=jwt.audience, lifetime=timedelta(hours=2)
    )
    now = datetime.now(UTC)
    return [tokens.issue(user_id, token_version=0, now=now) for user_id in user_ids]


# --- the server and the load ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    base_url: str
    pid: int
    # Requests sent so far, where the next run starts in the (learner, card) pairs.
    sent: int = 0


@contextmanager
def mandarin_server(env: Mapping[str, str], log_path: Path) -> Iterator[Server]:
    """`mandarin serve` with one worker, stopped (by its own pid) on the way out."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "mandarin", "serve", "--port", str(port), "--workers", "1"],
            cwd=ROOT,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"mandarin serve exited with {process.returncode}")
            try:
                if httpx.get(base_url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"mandarin serve did not become ready; see {log_path}")
            time.sleep(0.2)
        yield Server(base_url=base_url, pid=process.pid)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def run_wrk(
    base_url: str,
    script: Path,
    data: Path,
    options: Options,
    *,
    kind: str,
    duration: float,
    think_ms: tuple[int, int],
    offset: int,
) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is missing: `apt-get install wrk` (or `make bench`)")
    env = dict(os.environ)
    env.update(
        BENCH_KIND=kind,
        BENCH_DATA=str(data),
        BENCH_THREADS=str(options.threads),
        BENCH_THINK_MIN_MS=str(think_ms[0]),
        BENCH_THINK_MAX_MS=str(think_ms[1]),
        BENCH_QUEUE_LIMIT=str(options.queue_limit),
        # Idempotency keys are unique per run: the first group of each is the run's.
        BENCH_RUN_PREFIX=secrets.token_hex(4),
        BENCH_OFFSET=str(offset),
    )
    seconds = max(1, round(duration))
    command = [
        wrk,
        "--threads", str(options.threads),
        "--connections", str(options.connections),
        "--duration", f"{seconds}s",
        "--timeout", f"{REQUEST_TIMEOUT_S}s",
        "--latency",
        "--script", str(script),
        base_url,
    ]  # fmt: skip
    completed = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=seconds + 120, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    line = next(
        (line for line in completed.stdout.splitlines() if line.startswith(RESULT_MARKER)), None
    )
    if line is None:
        raise RuntimeError(f"wrk printed no result line:\n{completed.stdout}{completed.stderr}")
    result: dict[str, Any] = json.loads(line.removeprefix(RESULT_MARKER))
    return result


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_idle(pid: int, timeout: float = 60) -> None:
    """Let the server finish what the last run left in flight before the next one starts."""
    deadline = time.monotonic() + timeout
    before = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        after = cpu_seconds(pid)
        if after - before < 0.02:
            return
        before = after


def measure(
    server: Server,
    script: Path,
    data: Path,
    options: Options,
    *,
    scenario: str,
    kind: str,
    think_ms: tuple[int, int],
) -> Measurement:

    def run(duration: float) -> dict[str, Any]:
        wait_until_idle(server.pid)
        raw = run_wrk(
            server.base_url,
            script,
            data,
            options,
            kind=kind,
            duration=duration,
            think_ms=think_ms,
            offset=server.sent,
        )
        # Requests wrk sent but never saw answered are not counted: leave room for them.
        server.sent += raw["requests"] + options.connections
        return raw

    run(options.warmup)
    raw = run(options.duration)
    duration_s = raw["duration_us"] / 1e6
    percentiles = {name: value / 1000 for name, value in raw["percentiles_us"].items()}
    errors = raw["socket_errors"] + raw["client_errors"] + raw["server_errors"]
    return Measurement(
        scenario=scenario,
        kind=kind,
        think=f"{think_ms[0] / 1000:g}-{think_ms[1] / 1000:g} s" if think_ms[1] else "none",
        requests=raw["requests"],
        duration_s=round(duration_s, 2),
        requests_per_s=round(raw["requests"] / duration_s, 1),
        p50_ms=percentiles["50"],
        p95_ms=percentiles["95"],
        p99_ms=percentiles["99"],
        max_ms=raw["max_us"] / 1000,
        errors=errors,
        client_errors=raw["client_errors"],
        server_errors=raw["server_errors"],
        socket_errors=raw["socket_errors"],
    )


# --- the report -------------------------------------------------------------------------------


def unexpected_statuses(log_path: Path) -> str:
    """Non-2xx answers by status from uvicorn's access log, to tell what the errors were."""
    counts: Counter[str] = Counter(
        match.group(1)
        for match in re.finditer(r'HTTP/1\.1" (\d{3})', log_path.read_text(errors="replace"))
        if not match.group(1).startswith("2")
    )
    return ", ".join(f"{status} x {count}" for status, count in sorted(counts.items())) or "none"


def table(measurements: list[Measurement]) -> list[str]:
    lines = [
        "| scenario | request | think time | req/s | p50 ms | p95 ms | p99 ms | max ms | errors |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for m in measurements:
        request = "GET /api/reviews/queue" if m.kind == "queue" else "POST /api/reviews"
        errors = (
            f"{m.errors} ({m.client_errors} 4xx, {m.server_errors} 5xx, {m.socket_errors} socket)"
        )
        lines.append(
            f"| {m.scenario} | {request} | {m.think} | {m.requests_per_s:.0f} | {m.p50_ms:.1f} | "
            f"{m.p95_ms:.1f} | {m.p99_ms:.1f} | {m.max_ms:.0f} | {errors} |"
        )
    return lines


def write_report(options: Options, header: dict[str, str], measurements: list[Measurement]) -> Path:
    options.results.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d-%H%M")
    base = options.results / f"{stamp}-mandarin-reviews"
    lines = ["# Mandarin reviews under load", ""]
    lines += [f"- {name}: {value}" for name, value in header.items()]
    lines += ["", *table(measurements), ""]
    base.with_suffix(".md").write_text("\n".join(lines))
    base.with_suffix(".json").write_text(
        json.dumps({"header": header, "measurements": [asdict(m) for m in measurements]}, indent=2)
    )
    return base.with_suffix(".md")


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    secret = secrets.token_urlsafe(48)
    load_before = os.getloadavg()
    measurements: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="mandarin-bench-") as folder:
        work = Path(folder)
        log_path = work / "server.log"
        with scratch_database(options.admin_url) as database_url:
            env = {
                **os.environ,
                "ENVIRONMENT": "production",
                "SECRET_KEY": secret,
                "DATABASE_URL": database_url,
                "METRICS_ENABLED": "true",
            }
            print(f"migrating and seeding {options.users} learners x {options.cards} cards ...")
            mandarin(env, "db", "upgrade")
            learners = seed(database_url, options)
            tokens = access_tokens(secret, [user_id for user_id, _ in learners])
            data = work / "learners.txt"
            data.write_text(
                "".join(
                    f"{token} {','.join(str(card) for card in cards)}\n"
                    for token, (_, cards) in zip(tokens, learners, strict=True)
                )
            )
            script = work / "reviews.lua"
            script.write_text(LUA)
            with mandarin_server(env, log_path) as server:
                for scenario, think in (("learners", options.think_ms), ("saturation", (0, 0))):
                    for kind in ("queue", "submit"):
                        print(f"{scenario}: {kind} ...", flush=True)
                        measurements.append(
                            measure(
                                server,
                                script,
                                data,
                                options,
                                scenario=scenario,
                                kind=kind,
                                think_ms=think,
                            )
                        )
        load_after = os.getloadavg()
        header = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "server": (
                "`mandarin serve --workers 1` (uvicorn, default logging), default pool (10 + 10)"
            ),
            "database": "PostgreSQL scratch database, dropped afterwards",
            "data": (
                f"{options.users} learners (a fifth on FSRS, four time zones), {options.cards} "
                f"cards each (40 % due, 20 % due later, 40 % new), {options.history} past "
                "answers each"
            ),
            "load": (
                f"wrk, {options.connections} connections, {options.threads} threads, "
                f"{options.duration:g} s per row after {options.warmup:g} s of warm-up; queue "
                f"reads with limit={options.queue_limit}"
            ),
            "machine": f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f} before, "
            f"{load_after[0]:.2f} after",
        }
        header["non-2xx answers in the server log"] = unexpected_statuses(log_path)
        if options.note:
            header["note"] = options.note
        report = write_report(options, header, measurements)
    print()
    print("\n".join(table(measurements)))
    print(f"\nreport: {report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
