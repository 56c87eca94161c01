"""Run ids of the local runner: derived from the execution id, so dispatch is idempotent.

`local:<execution id>` solves the execution; `local:<execution id>:checks` computes its checks
and KPIs; `:checks:<case id>` also writes them to that case. Dispatching the same request twice
gives the same run id, and an execution queued or running under a run id is never queued twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

RUN_ID_PREFIX = "local:"
_CHECKS = "checks"


class RunKind(StrEnum):
    SOLVE = "solve"
    CHECKS = "checks"


@dataclass(frozen=True)
class RunRef:
    """What a local run id says: which execution, which kind of run, which case if any."""

    execution_id: str
    kind: RunKind = RunKind.SOLVE
    case_id: int | None = None

    @property
    def run_id(self) -> str:
        if self.kind is RunKind.SOLVE:
            return f"{RUN_ID_PREFIX}{self.execution_id}"
        suffix = "" if self.case_id is None else f":{self.case_id}"
        return f"{RUN_ID_PREFIX}{self.execution_id}:{_CHECKS}{suffix}"


def run_id_for(
    execution_id: str, *, checks_and_kpis_only: bool = False, case_id: int | None = None
) -> str:
    """The run id of a run of execution_id (a checks run when checks_and_kpis_only)."""
    kind = RunKind.CHECKS if checks_and_kpis_only or case_id is not None else RunKind.SOLVE
    return RunRef(execution_id, kind, case_id).run_id


def parse_run_id(run_id: str | None) -> RunRef | None:
    """The run a local run id names; None for any other run id (Airflow's, a typo)."""
    if not run_id or not run_id.startswith(RUN_ID_PREFIX):
        return None
    execution_id, *rest = run_id[len(RUN_ID_PREFIX) :].split(":")
    if not execution_id:
        return None
    if not rest:
        return RunRef(execution_id)
    if rest[0] != _CHECKS or len(rest) > 2:
        return None
    if len(rest) == 1:
        return RunRef(execution_id, RunKind.CHECKS)
    if not rest[1].isdigit():
        return None
    return RunRef(execution_id, RunKind.CHECKS, int(rest[1]))
