"""What Cornflow needs from whatever solves executions (CORNFLOW_BACKEND: local or airflow)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from cornflow_fastapi.models import ExecutionState


class OrchestratorError(Exception):
    """The backend refused or failed; `status_code` is what the Flask server would answer."""

    def __init__(self, message: str, *, status_code: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


@dataclass(frozen=True)
class WorkflowInfo:
    """What Cornflow checks before running a workflow (Airflow: GET /dags/<id>)."""

    name: str
    is_paused: bool


@dataclass(frozen=True)
class RunRequest:
    """One run to start: the execution, its workflow and what kind of run it is."""

    execution_id: str
    workflow: str
    checks_and_kpis_only: bool = False
    case_id: int | None = None


class Orchestrator(Protocol):
    """A place executions are solved. Dispatch must be idempotent per execution."""

    name: str

    async def is_alive(self) -> bool:
        """Whether runs can be started now."""
        ...

    async def workflow_info(self, workflow: str) -> WorkflowInfo:
        """Raises OrchestratorError when the workflow is unknown."""
        ...

    async def run(self, request: RunRequest) -> str:
        """Start (or find the already started) run; returns its run id."""
        ...

    async def status(self, workflow: str, run_id: str) -> ExecutionState:
        """The state of a run, mapped to Cornflow's codes."""
        ...

    async def stop(self, workflow: str, run_id: str) -> None:
        """Stop a run; raises OrchestratorError when the backend cannot."""
        ...

    async def schemas(self, workflow: str) -> dict[str, Any] | None:
        """The workflow's six JSON schemas, when the backend publishes them."""
        ...

    async def examples(self, workflow: str) -> list[dict[str, Any]]:
        """The workflow's example data sets (name, description, instance, solution)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
