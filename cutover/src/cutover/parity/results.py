"""Outcomes of a parity run: per step, per scenario, and the whole run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cutover.parity.compare import BODY_LIST_ORDER
from cutover.parity.deviations import Deviation, StepPattern

EQUAL = "equal"
EXPLAINED = "explained"  # different, and listed in DEVIATIONS.md
DIFFERENT = "different"
ERROR = "error"  # the step could not be compared (scenario expectation failed, server down...)
FAILING = frozenset({DIFFERENT, ERROR})


@dataclass
class StepResult:
    id: str
    endpoint: str
    role: str
    method: str
    path: str
    outcome: str
    differences: tuple[str, ...] = ()
    diff: str = ""
    deviation: Deviation | None = None
    message: str = ""
    note: str = ""
    left: dict[str, Any] | None = None
    right: dict[str, Any] | None = None
    recorded_status: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "endpoint": self.endpoint,
            "role": self.role,
            "method": self.method,
            "path": self.path,
            "outcome": self.outcome,
            "differences": list(self.differences),
            "diff": self.diff,
            "deviation": self.deviation.as_dict() if self.deviation else None,
            "message": self.message,
            "note": self.note,
            "recorded_status": self.recorded_status,
            "left": self.left,
            "right": self.right,
        }


@dataclass
class ScenarioResult:
    name: str
    description: str = ""
    steps: list[StepResult] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0

    @property
    def failing(self) -> list[StepResult]:
        return [step for step in self.steps if step.outcome in FAILING]

    @property
    def ok(self) -> bool:
        return not self.error and not self.failing

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "error": self.error,
            "seconds": round(self.seconds, 2),
            "steps": [step.as_dict() for step in self.steps],
        }


@dataclass
class RunReport:
    mode: str  # "scenarios" or "replay"
    left: str
    right: str
    database: str = ""
    scenarios: list[ScenarioResult] = field(default_factory=list)
    deviations: list[Deviation] = field(default_factory=list)
    started_at: str = ""
    seconds: float = 0.0

    @property
    def steps(self) -> list[StepResult]:
        return [step for scenario in self.scenarios for step in scenario.steps]

    @property
    def ok(self) -> bool:
        return all(scenario.ok for scenario in self.scenarios)

    def counts(self) -> dict[str, int]:
        counts = {EQUAL: 0, EXPLAINED: 0, DIFFERENT: 0, ERROR: 0}
        for step in self.steps:
            counts[step.outcome] += 1
        counts["scenario errors"] = sum(1 for scenario in self.scenarios if scenario.error)
        return counts

    def unused_deviations(self) -> list[tuple[Deviation, str]]:
        """Listed step patterns that explained no step of this run (stale or mistyped)."""
        unused = []
        explained = [step for step in self.steps if step.outcome == EXPLAINED]
        for deviation in self.deviations:
            for text in deviation.steps:
                pattern = StepPattern.parse(text)
                if not any(
                    step.deviation == deviation
                    and pattern.explains(
                        step.id,
                        only_order=step.differences == (BODY_LIST_ORDER,),
                        database=self.database,
                    )
                    for step in explained
                ):
                    unused.append((deviation, text))
        return unused
