"""Helpers for the /dag/..., /schema/... and /example/... tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import select

from cornflow_fastapi.models import Case, DeployedWorkflow, Execution, Instance, PermissionDag
from cornflow_support import DENIED, NO_TOKEN, Expected, pulp_model
from svckit.db import Database


def expect_roles(allowed: tuple[str, ...], success: tuple[int, Any]) -> Expected:
    """success for the allowed roles, 403 for the others, the missing-token 400 for anonymous."""
    expected: Expected = {None: NO_TOKEN}
    for role in ("service", "admin", "planner", "viewer", "dummy", "norole"):
        expected[role] = success if role in allowed else DENIED
    return expected


def deployed_payload(name: str, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": name,
        "description": f"{name} workflow",
        "instance_schema": {"type": "object"},
        "solution_schema": {"type": "object", "required": ["x"]},
        "config_schema": {"type": "object"},
        "instance_checks_schema": {},
        "solution_checks_schema": {},
        "kpis_schema": {},
    }
    payload.update(overrides)
    return payload


async def deployed_rows(database: Database) -> dict[str, DeployedWorkflow]:
    async with database.sessionmaker() as session:
        rows = (await session.execute(select(DeployedWorkflow))).scalars().all()
    return {row.id: row for row in rows}


async def dag_permissions(database: Database, workflow: str) -> set[int]:
    async with database.sessionmaker() as session:
        statement = select(PermissionDag.user_id).where(PermissionDag.dag_id == workflow)
        return set((await session.execute(statement)).scalars())


async def read_execution(database: Database, execution_id: str) -> Execution | None:
    async with database.sessionmaker() as session:
        return await session.get(Execution, execution_id)


async def read_instance(database: Database, instance_id: str) -> Instance | None:
    async with database.sessionmaker() as session:
        return await session.get(Instance, instance_id)


async def insert_instance(
    database: Database,
    user_id: int,
    *,
    data: Any = None,
    schema: str | None = "solve_model_dag",
    name: str = "instance",
) -> Instance:
    from cornflow_fastapi.records.identifiers import aware_now, data_hash, new_instance_id

    created = aware_now()
    data = pulp_model() if data is None else data
    instance = Instance(
        id=new_instance_id(created, user_id),
        data=data,
        name=name,
        description="an instance",
        user_id=user_id,
        data_hash=data_hash(data),
        schema=schema,
        checks=None,
        created_at=created.replace(tzinfo=None),
        updated_at=created.replace(tzinfo=None),
    )
    async with database.sessionmaker() as session, session.begin():
        session.add(instance)
    return instance


async def insert_execution(
    database: Database,
    instance: Instance,
    *,
    user_id: int | None = None,
    schema: str | None = "solve_model_dag",
    state: int = -4,
    **fields: Any,
) -> Execution:
    from cornflow_fastapi.records.identifiers import NULL_HASH, aware_now, new_execution_id

    created = aware_now()
    owner = instance.user_id if user_id is None else user_id
    values: dict[str, Any] = {
        "id": new_execution_id(created, owner, instance.id),
        "instance_id": instance.id,
        "name": "execution",
        "description": None,
        "config": {"solver": "PULP_CBC_CMD", "timeLimit": 10},
        "user_id": owner,
        "state": state,
        "state_message": "The execution wasn't run by user choice.",
        "data": None,
        "data_hash": NULL_HASH,
        "schema": schema,
        "execution_files_status": 0,
        "created_at": created.replace(tzinfo=None),
        "updated_at": created.replace(tzinfo=None),
    }
    values.update(fields)
    execution = Execution(**values)
    async with database.sessionmaker() as session, session.begin():
        session.add(execution)
    return execution


@pytest.fixture
def post_deployed(client: AsyncClient, headers: dict[str, dict[str, str]]) -> Callable[..., Any]:
    async def post(name: str, **overrides: Any) -> dict[str, Any]:
        response = await client.post(
            "/dag/deployed/", json=deployed_payload(name, **overrides), headers=headers["service"]
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    return post


async def insert_case(database: Database, user_id: int, **fields: Any) -> Case:
    from cornflow_fastapi.models import utcnow
    from cornflow_fastapi.records.identifiers import NULL_HASH

    now = utcnow()
    values: dict[str, Any] = {
        "name": "case",
        "description": "a case",
        "path": "",
        "user_id": user_id,
        "schema": "solve_model_dag",
        "data": {"a": 1},
        "data_hash": NULL_HASH,
        "solution": None,
        "solution_hash": NULL_HASH,
        "created_at": now,
        "updated_at": now,
    }
    values.update(fields)
    case = Case(**values)
    async with database.sessionmaker() as session, session.begin():
        session.add(case)
    return case


async def read_case(database: Database, case_id: int) -> Case | None:
    async with database.sessionmaker() as session:
        return await session.get(Case, case_id)
