"""Data-check fixtures: instances, executions and cases owned by the seeded users, inserted
directly (their own endpoints are not under test), and a stand-in orchestrator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI

from cornflow_fastapi.models import Case, Execution, Instance, utcnow
from cornflow_fastapi.orchestrators.base import OrchestratorError, RunRequest, WorkflowInfo
from cornflow_fastapi.records.identifiers import (
    aware_now,
    data_hash,
    new_execution_id,
    new_instance_id,
)
from cornflow_support import Account, pulp_model
from svckit.db import Database

MakeRow = Callable[..., Awaitable[Any]]


@pytest.fixture
def make_instance(
    database: Database, accounts: dict[str, Account], workflows: list[str]
) -> MakeRow:
    async def make(
        owner: str = "planner", *, schema: str | None = "solve_model_dag", data: Any = ...
    ) -> str:
        created = aware_now()
        user_id = accounts[owner].id
        content = pulp_model() if data is ... else data
        moment = created.replace(tzinfo=None)
        instance = Instance(
            id=new_instance_id(created, user_id),
            data=content,
            name="inst",
            description="an instance",
            user_id=user_id,
            data_hash=data_hash(content),
            schema=schema,
            checks=None,
            created_at=moment,
            updated_at=moment,
        )
        async with database.sessionmaker() as session, session.begin():
            session.add(instance)
        return instance.id

    return make


@pytest.fixture
def make_execution(
    database: Database, accounts: dict[str, Account], make_instance: MakeRow
) -> MakeRow:
    async def make(owner: str = "planner", *, state: int = 1, **fields: Any) -> str:
        instance_id = await make_instance(owner)
        created = aware_now()
        user_id = accounts[owner].id
        moment = created.replace(tzinfo=None)
        values: dict[str, Any] = {
            "id": new_execution_id(created, user_id, instance_id),
            "instance_id": instance_id,
            "name": "exec",
            "description": "an execution",
            "config": {"solver": "cbc"},
            "user_id": user_id,
            "state": state,
            "state_message": "whatever it was",
            "data": None,
            "data_hash": data_hash(None),
            "schema": "solve_model_dag",
            "checks_and_kpis_only": False,
            "last_run_checks_and_kpis": False,
            "execution_files_status": 0,
            "created_at": moment,
            "updated_at": moment,
            **fields,
        }
        async with database.sessionmaker() as session, session.begin():
            session.add(Execution(**values))
        return str(values["id"])

    return make


@pytest.fixture
def make_case(database: Database, accounts: dict[str, Account], workflows: list[str]) -> MakeRow:
    async def make(
        owner: str = "planner",
        *,
        schema: str | None = "solve_model_dag",
        data: Any = ...,
        solution: Any = None,
        name: str = "case",
    ) -> int:
        content = pulp_model() if data is ... else data
        now = utcnow()
        case = Case(
            name=name,
            path="",
            user_id=accounts[owner].id,
            data=content,
            data_hash=data_hash(content),
            solution=solution,
            solution_hash=data_hash(solution),
            schema=schema,
            description=None,
            created_at=now,
            updated_at=now,
        )
        async with database.sessionmaker() as session, session.begin():
            session.add(case)
            await session.flush()
            return case.id

    return make


@dataclass
class FakeOrchestrator:
    """Stands in for Airflow (which cannot run in these tests) with scripted answers."""

    name: str = "airflow"
    alive: bool = True
    paused: bool = False
    info_error: OrchestratorError | None = None
    run_error: OrchestratorError | None = None
    runs: list[RunRequest] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)

    async def is_alive(self) -> bool:
        return self.alive

    async def workflow_info(self, workflow: str) -> WorkflowInfo:
        self.asked.append(workflow)
        if self.info_error is not None:
            raise self.info_error
        return WorkflowInfo(name=workflow, is_paused=self.paused)

    async def run(self, request: RunRequest) -> str:
        if self.run_error is not None:
            raise self.run_error
        self.runs.append(request)
        return f"run-{len(self.runs)}"

    async def schemas(self, workflow: str) -> dict[str, Any] | None:
        return None

    async def aclose(self) -> None:
        return None


@pytest.fixture
def fake_orchestrator(app: FastAPI) -> FakeOrchestrator:
    """Replace the app's orchestrator (the `client` fixture talks to this same app)."""
    fake = FakeOrchestrator()
    app.state.orchestrator = fake
    return fake


async def load(database: Database, model: type[Any], idx: Any) -> Any:
    async with database.sessionmaker() as session:
        return await session.get(model, idx)
