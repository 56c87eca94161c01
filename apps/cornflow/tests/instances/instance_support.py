"""Factories and expected answers shared by the /instance/ and /instancefile/ tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from httpx import AsyncClient

from cornflow_fastapi.models import Execution, Instance, utcnow
from cornflow_fastapi.records.identifiers import NULL_HASH, new_execution_id
from cornflow_support import pulp_model
from svckit.db import Database

NOT_FOUND = (404, {"error": "The data entity does not exist on the database"})
UPDATED = (200, {"message": "Updated correctly"})
DELETED = (200, {"message": "The object has been deleted"})
BASE_KEYS = ["id", "name", "description", "created_at", "user_id", "data_hash", "schema"]


async def create_instance(
    client: AsyncClient,
    auth: dict[str, str],
    *,
    name: str = "instance",
    data: Any = None,
    schema: str | None = "solve_model_dag",
    **fields: Any,
) -> dict[str, Any]:
    """POST /instance/ (schema None: left out of the body); the 201 body."""
    body = {"name": name, "data": pulp_model() if data is None else data, **fields}
    if schema is not None:
        body["schema"] = schema
    response = await client.post("/instance/", json=body, headers=auth)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def add_execution(
    database: Database,
    instance_id: str,
    user_id: int,
    *,
    name: str = "execution",
    checks: Any = None,
    created_at: datetime | None = None,
    deleted: bool = False,
) -> Execution:
    """An execution row of an instance, as the executions endpoints would store it."""
    moment = created_at or utcnow()
    execution = Execution(
        id=new_execution_id(moment, user_id, instance_id),
        instance_id=instance_id,
        name=name,
        description=None,
        config={"solver": "PULP_CBC_CMD"},
        user_id=user_id,
        state=-4,
        state_message="The execution wasn't run by user choice.",
        data=None,
        data_hash=NULL_HASH,
        schema="solve_model_dag",
        checks=checks,
        created_at=moment,
        updated_at=moment,
        deleted_at=moment + timedelta(seconds=1) if deleted else None,
    )
    async with database.sessionmaker() as session, session.begin():
        session.add(execution)
    return execution


async def load_instance(database: Database, instance_id: str) -> Instance | None:
    async with database.sessionmaker() as session:
        return await session.get(Instance, instance_id)


async def load_execution(database: Database, execution_id: str) -> Execution | None:
    async with database.sessionmaker() as session:
        return await session.get(Execution, execution_id)
