"""`python -m cutover.parity run|replay`: exit status 0 only when every difference is explained."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from cutover.parity import report as reports
from cutover.parity.deviations import DEVIATIONS_FILE, load_deviations
from cutover.parity.replay import LogError, read_log, replay
from cutover.parity.results import RunReport
from cutover.parity.runner import ParityRunner
from cutover.parity.scenario import Scenario, ScenarioError, load_scenarios
from cutover.parity.servers import Databases, PostgresDatabases, SqliteDatabases, Templates
from cutover.reference import CORNFLOW_VERSION, ROOT, ReferenceUnavailable, reference_available

SCENARIOS_DIR = ROOT / "cutover" / "scenarios"
TEST_DATABASE_URL_ENV = "TEST_DATABASE_URL"
EXIT_OK, EXIT_DIFFERENT, EXIT_USAGE = 0, 1, 2


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


class UsageError(ValueError):
    """The command line asks for something this machine cannot do."""


def require_reference() -> None:
    if not reference_available():
        raise ReferenceUnavailable(
            "the Flask reference server is not installed: run `make reference` "
            "(it installs Flask Cornflow into .reference/venv)"
        )


@contextmanager
def open_runner(
    *,
    database: str,
    database_url: str | None = None,
    deviations_file: Path = DEVIATIONS_FILE,
    log_dir: Path | None = None,
    ours_environment: Mapping[str, str] | None = None,
) -> Iterator[ParityRunner]:
    """A runner with its scratch databases, all removed when the block ends."""
    require_reference()
    deviations = load_deviations(deviations_file)
    secret = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory(prefix="parity-") as scratch:
        databases: Databases
        if database == "postgres":
            if not database_url:
                raise UsageError(f"PostgreSQL needs --database-url or {TEST_DATABASE_URL_ENV}")
            databases = PostgresDatabases(database_url)
        else:
            databases = SqliteDatabases(Path(scratch))
        try:
            yield ParityRunner(
                templates=Templates(databases, secret, log_dir),
                secret_key=secret,
                deviations=deviations,
                log_dir=log_dir,
                ours_environment=dict(ours_environment or {}),
            )
        finally:
            databases.close()


def new_report(runner: ParityRunner) -> RunReport:
    return RunReport(
        mode="scenarios",
        left=f"Flask Cornflow {CORNFLOW_VERSION} (gunicorn, 1 gevent worker)",
        right="cornflow-fastapi (`cornflow serve`, 1 worker)"
        + "".join(f", {name}={value}" for name, value in runner.ours_environment.items()),
        database=runner.templates.databases.kind,
        deviations=runner.deviations,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def run_scenarios(
    runner: ParityRunner,
    scenarios: Sequence[Scenario],
    *,
    report_dir: Path | None = None,
    progress: bool = True,
) -> RunReport:
    """Run scenarios one after the other; write the report when report_dir is given."""
    started = time.monotonic()
    report = new_report(runner)
    for scenario in scenarios:
        result = runner.run(scenario)
        report.scenarios.append(result)
        if progress:
            state = "ok" if result.ok else f"{len(result.failing)} failing {result.error}".strip()
            print(
                f"  {scenario.name}: {len(result.steps)} steps, {state} ({result.seconds:.1f} s)",
                flush=True,
            )
    report.seconds = time.monotonic() - started
    if report_dir is not None:
        reports.write(report, report_dir)
    return report


def exit_status(report: RunReport) -> int:
    """0 when every difference is listed in DEVIATIONS.md and every step ran, else 1."""
    return EXIT_OK if report.ok else EXIT_DIFFERENT


def _environment_pairs(pairs: Sequence[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals:
            raise UsageError(f"--ours-env expects NAME=VALUE, got {pair!r}")
        values[name] = value
    return values


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cutover.parity",
        description="Differential parity between Flask Cornflow and cornflow-fastapi.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the scenarios against both servers")
    run.add_argument("--scenarios", type=Path, default=SCENARIOS_DIR, help="scenario folder")
    run.add_argument("--only", nargs="+", metavar="NAME", help="scenario file names (no .yaml)")
    run.add_argument(
        "--database",
        choices=("sqlite", "postgres"),
        default="postgres" if os.environ.get(TEST_DATABASE_URL_ENV) else "sqlite",
        help=f"default: postgres when {TEST_DATABASE_URL_ENV} is set, else sqlite",
    )
    run.add_argument(
        "--database-url",
        default=os.environ.get(TEST_DATABASE_URL_ENV),
        help="PostgreSQL server (scratch databases are created next to this one and dropped)",
    )
    run.add_argument(
        "--ours-env",
        nargs="+",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for our server only (what-if runs)",
    )
    _common(run)

    replay_command = commands.add_parser("replay", help="replay a JSON-lines request log")
    replay_command.add_argument("log", type=Path)
    replay_command.add_argument("--left", required=True, help="reference base URL (Flask)")
    replay_command.add_argument("--right", required=True, help="candidate base URL (ours)")
    replay_command.add_argument("--secret", help="SECRET_KEY, to check token signatures")
    replay_command.add_argument(
        "--safe-only", action="store_true", help="replay only GET, HEAD and OPTIONS"
    )
    _common(replay_command)
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--report-dir", type=Path, help="where to write report.md and report.json "
        "(default: cutover/reports/<time>-<command>/)"
    )  # fmt: skip
    parser.add_argument("--deviations", type=Path, default=DEVIATIONS_FILE)


def main(argv: Sequence[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    report_dir: Path = options.report_dir or (
        reports.REPORTS_DIR / f"{_timestamp()}-{options.command}"
    )
    try:
        if options.command == "run":
            scenarios = load_scenarios(options.scenarios, options.only)
            print(f"{len(scenarios)} scenarios on {options.database}", flush=True)
            with open_runner(
                database=options.database,
                database_url=options.database_url,
                deviations_file=options.deviations,
                log_dir=report_dir / "logs",
                ours_environment=_environment_pairs(options.ours_env),
            ) as runner:
                report = run_scenarios(runner, scenarios, report_dir=report_dir)
        else:
            started = time.monotonic()
            report = RunReport(
                mode="replay",
                left=options.left,
                right=options.right,
                deviations=load_deviations(options.deviations),
                started_at=datetime.now(UTC).isoformat(timespec="seconds"),
            )
            # Read whole first: a malformed line stops the replay before anything is sent.
            recorded = list(read_log(options.log))
            report.scenarios.append(
                replay(
                    recorded,
                    options.left,
                    options.right,
                    deviations=report.deviations,
                    secret=options.secret,
                    safe_only=options.safe_only,
                )
            )
            report.seconds = time.monotonic() - started
            reports.write(report, report_dir)
    except (ScenarioError, LogError, ReferenceUnavailable, UsageError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    counts = report.counts()
    print(
        f"{'PASS' if report.ok else 'FAIL'}: {len(report.steps)} steps, "
        + ", ".join(f"{name} {count}" for name, count in counts.items())
    )
    print(f"report: {report_dir / 'report.md'}")
    return exit_status(report)
