"""The parity runner for the whole session: scratch databases, seeded templates, one report."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from cutover.parity import report as reports
from cutover.parity.cli import TEST_DATABASE_URL_ENV, new_report, open_runner
from cutover.parity.results import RunReport
from cutover.parity.runner import ParityRunner
from cutover.reference import ReferenceUnavailable, reference_bin


@pytest.fixture(scope="session")
def flask_installed() -> None:
    """Without the Flask server there is nothing to compare with: fail, never skip quietly."""
    try:
        for program in ("cornflow", "flask", "gunicorn"):
            reference_bin(program)
    except ReferenceUnavailable as error:
        pytest.fail(f"parity tests need the Flask server: {error}", pytrace=False)


@pytest.fixture(scope="session")
def parity_runner(
    flask_installed: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ParityRunner]:
    """One runner per session: each set of users is seeded once, each scenario gets copies."""
    base_url = os.environ.get(TEST_DATABASE_URL_ENV)
    with open_runner(
        database="postgres" if base_url else "sqlite",
        database_url=base_url,
        log_dir=tmp_path_factory.mktemp("parity-logs"),
    ) as runner:
        yield runner


@pytest.fixture(scope="session")
def parity_report(parity_runner: ParityRunner) -> Iterator[RunReport]:
    """The scenarios' results, written under cutover/reports/ when the session ends."""
    report = new_report(parity_runner)
    started = datetime.now(UTC)
    yield report
    if report.scenarios:
        report.seconds = (datetime.now(UTC) - started).total_seconds()
        stamp = started.strftime("%Y%m%dT%H%M%SZ")
        reports.write(report, reports.REPORTS_DIR / f"{stamp}-pytest-{report.database}")
