"""Every scenario file against Flask Cornflow and ours: no difference DEVIATIONS.md does not list."""

from __future__ import annotations

import pytest

from cutover.parity.cli import SCENARIOS_DIR
from cutover.parity.results import RunReport, ScenarioResult
from cutover.parity.runner import ParityRunner
from cutover.parity.scenario import Scenario, load_scenarios

SCENARIOS = load_scenarios(SCENARIOS_DIR)


def describe_failures(result: ScenarioResult) -> str:
    lines = [f"{len(result.failing)} unexplained differences or errors in {result.name}:"]
    for step in result.failing:
        lines.append(f"\n{step.id} ({step.endpoint}, as {step.role}): {step.differences}")
        if step.message:
            lines.append(step.message)
        lines.append(step.diff[:3000])
    return "\n".join(lines)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[scenario.name for scenario in SCENARIOS])
def test_scenario_matches_flask(
    scenario: Scenario, parity_runner: ParityRunner, parity_report: RunReport
) -> None:
    result = parity_runner.run(scenario)
    parity_report.scenarios.append(result)
    assert not result.error, result.error
    assert result.steps, "no step ran"
    assert not result.failing, describe_failures(result)
