"""Helpers for the /case/ tests: cases made through the API, rows read straight from the DB."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import select

from cornflow_fastapi.models import Case, Execution, Instance, utcnow
from cornflow_fastapi.records.identifiers import data_hash
from cornflow_support import Account
from svckit.db import Database

MakeCase = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def make_case(client: AsyncClient, headers: dict[str, dict[str, str]]) -> MakeCase:
    """POST /case/ as `role` (planner by default); returns the 201 body."""

    async def make(role: str = "planner", **body: Any) -> dict[str, Any]:
        body.setdefault("schema", "solve_model_dag")
        response = await client.post("/case/", json=body, headers=headers[role])
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    return make


async def stored_case(database: Database, idx: int) -> Case | None:
    async with database.sessionmaker() as session:
        return await session.get(Case, idx)


async def stored_paths(database: Database) -> dict[int, str]:
    async with database.sessionmaker() as session:
        rows = (await session.execute(select(Case.id, Case.path))).all()
    return {row.id: row.path for row in rows}


async def insert_instance(
    database: Database, owner: Account, data: Any, *, idx: str, schema: str | None
) -> None:
    now = utcnow()
    async with database.sessionmaker() as session, session.begin():
        session.add(
            Instance(
                id=idx,
                name="stored instance",
                description=None,
                data=data,
                data_hash=data_hash(data),
                schema=schema,
                checks={"instance": []},
                user_id=owner.id,
                created_at=now,
                updated_at=now,
            )
        )


async def insert_execution(
    database: Database, owner: Account, instance_id: str, *, idx: str, solution: Any
) -> None:
    now = utcnow()
    async with database.sessionmaker() as session, session.begin():
        session.add(
            Execution(
                id=idx,
                instance_id=instance_id,
                name="stored execution",
                config={},
                user_id=owner.id,
                state=1,
                data=solution,
                data_hash=data_hash(solution),
                schema="solve_model_dag",
                checks={"solution": []},
                kpis={"kpi": 1},
                created_at=now,
                updated_at=now,
            )
        )
