"""The check is not vacuous: a server that answers differently fails it, step by step."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from cutover.parity import results
from cutover.parity.cli import EXIT_DIFFERENT, exit_status, run_scenarios
from cutover.parity.runner import ParityRunner
from cutover.parity.scenario import load_scenario

SCENARIO = """
description: three steps whose answers the broken settings change, or not
steps:
  - name: health
    get: /health/
    expect: 200
  - name: login
    post: /login/
    json: {username: planner, password: Planner_1234}
    expect: 200
  - name: no-token
    get: /user/
    expect: 400
"""


@pytest.mark.slow
def test_a_wrongly_configured_server_fails_the_check(
    parity_runner: ParityRunner, tmp_path: Path
) -> None:
    # Our server only: the health check looks for a service user that does not exist, and
    # tokens live one hour instead of Flask's 24.
    broken = dataclasses.replace(
        parity_runner,
        ours_environment={"CORNFLOW_SERVICE_USER": "nobody", "TOKEN_DURATION": "1"},
    )
    path = tmp_path / "broken.yaml"
    path.write_text(SCENARIO)
    report_dir = tmp_path / "report"

    report = run_scenarios(broken, [load_scenario(path)], report_dir=report_dir, progress=False)

    assert exit_status(report) == EXIT_DIFFERENT
    steps = {step.id: step for step in report.steps}
    health = steps["broken/health"]
    assert health.outcome == results.DIFFERENT
    assert health.differences == ("body",)
    assert '-  "cornflow_status": "healthy",' in health.diff
    assert '+  "cornflow_status": "unhealthy",' in health.diff
    login = steps["broken/login"]
    assert login.outcome == results.DIFFERENT
    assert "lifetime=1440min" in login.diff
    assert "lifetime=60min" in login.diff
    assert steps["broken/no-token"].outcome == results.EQUAL

    markdown = (report_dir / "report.md").read_text()
    assert "# Parity report (scenarios): FAIL" in markdown
    assert "- `broken/health` (GET /health/): body" in markdown
    assert "| `GET /health/` | 1 | 0 | 0 | 1 | 0 | anonymous |" in markdown
    data = json.loads((report_dir / "report.json").read_text())
    assert data["ok"] is False
    assert data["summary"]["different"] == 2
    by_id = {step["id"]: step for step in data["scenarios"][0]["steps"]}
    assert by_id["broken/health"]["right"]["body"]["cornflow_status"] == "unhealthy"


@pytest.mark.slow
def test_the_same_steps_pass_on_a_rightly_configured_server(
    parity_runner: ParityRunner, tmp_path: Path
) -> None:
    path = tmp_path / "control.yaml"
    path.write_text(SCENARIO)

    report = run_scenarios(parity_runner, [load_scenario(path)], progress=False)

    assert exit_status(report) == 0
    assert [step.outcome for step in report.steps] == [results.EQUAL] * 3
