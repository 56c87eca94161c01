"""Execution test fixtures: instances owned by the seeded users, and a stand-in orchestrator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from cornflow_fastapi.models import Execution, ExecutionState, Instance
from cornflow_fastapi.orchestrators.base import OrchestratorError, RunRequest, WorkflowInfo
from cornflow_fastapi.records.identifiers import aware_now, data_hash, new_instance_id
from cornflow_support import Account, pulp_model
from svckit.db import Database

MakeInstance = Callable[..., Awaitable[str]]
MakeExecution = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def make_instance(
    database: Database, accounts: dict[str, Account], workflows: list[str]
) -> MakeInstance:
    """Insert an instance owned by a seeded user (the /instance/ endpoints are not under test)."""

    async def make(
        owner: str = "planner",
        *,
        schema: str | None = "solve_model_dag",
        data: Any = None,
        name: str = "instance",
    ) -> str:
        created = aware_now()
        user_id = accounts[owner].id
        content = pulp_model() if data is None else data
        instance = Instance(
            id=new_instance_id(created, user_id),
            data=content,
            name=name,
            description="an instance",
            user_id=user_id,
            data_hash=data_hash(content),
            schema=schema,
            checks=None,
            created_at=created.replace(tzinfo=None),
            updated_at=created.replace(tzinfo=None),
        )
        async with database.sessionmaker() as session, session.begin():
            session.add(instance)
        return instance.id

    return make


@pytest.fixture
def make_execution(
    client: AsyncClient, headers: dict[str, dict[str, str]], make_instance: MakeInstance
) -> MakeExecution:
    """Create an execution through the API with `?run=0` (state -4); returns its answer."""

    async def make(owner: str = "planner", **fields: Any) -> dict[str, Any]:
        instance_id = fields.pop("instance_id", None) or await make_instance(owner)
        body = {"config": {"solver": "cbc"}, "name": "execution", "instance_id": instance_id}
        body.update(fields)
        response = await client.post("/execution/?run=0", json=body, headers=headers[owner])
        assert response.status_code == 201, response.text
        answer: dict[str, Any] = response.json()
        return answer

    return make


async def load_execution(database: Database, execution_id: str) -> Execution | None:
    async with database.sessionmaker() as session:
        return await session.get(Execution, execution_id)


async def update_execution(database: Database, execution_id: str, **values: Any) -> None:
    async with database.sessionmaker() as session, session.begin():
        execution = await session.get(Execution, execution_id)
        assert execution is not None
        for name, value in values.items():
            setattr(execution, name, value)


@dataclass
class FakeOrchestrator:
    """Stands in for Airflow (which cannot run in these tests) with scripted answers."""

    name: str = "airflow"
    alive: bool = True
    paused: bool = False
    info_error: OrchestratorError | None = None
    run_error: OrchestratorError | None = None
    status_answer: ExecutionState = ExecutionState.SOLVED
    status_error: OrchestratorError | None = None
    stop_error: OrchestratorError | None = None
    schema_answer: dict[str, Any] | None = None
    runs: list[RunRequest] = field(default_factory=list)
    stopped: list[tuple[str, str]] = field(default_factory=list)
    polled: list[tuple[str, str]] = field(default_factory=list)

    async def is_alive(self) -> bool:
        return self.alive

    async def workflow_info(self, workflow: str) -> WorkflowInfo:
        if self.info_error is not None:
            raise self.info_error
        return WorkflowInfo(name=workflow, is_paused=self.paused)

    async def run(self, request: RunRequest) -> str:
        if self.run_error is not None:
            raise self.run_error
        self.runs.append(request)
        return f"run-{request.execution_id}-{len(self.runs)}"

    async def status(self, workflow: str, run_id: str) -> ExecutionState:
        self.polled.append((workflow, run_id))
        if self.status_error is not None:
            raise self.status_error
        return self.status_answer

    async def stop(self, workflow: str, run_id: str) -> None:
        if self.stop_error is not None:
            raise self.stop_error
        self.stopped.append((workflow, run_id))

    async def schemas(self, workflow: str) -> dict[str, Any] | None:
        return self.schema_answer

    async def examples(self, workflow: str) -> list[dict[str, Any]]:
        return []

    async def aclose(self) -> None:
        return None


@pytest.fixture
def fake_orchestrator(app: FastAPI) -> FakeOrchestrator:
    """Replace the app's orchestrator (the `client` fixture talks to this same app)."""
    fake = FakeOrchestrator()
    app.state.orchestrator = fake
    return fake
