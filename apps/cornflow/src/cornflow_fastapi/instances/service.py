"""Instances: create, list, read, edit and delete, with the Flask server's rules.

- Data is validated against the instance schema of its workflow (`pulp` read as
  `solve_model_dag`); an instance created without `schema` is validated against
  `solve_model_dag` but stored without one, and its later edits are not validated.
- Editing makes the editor the owner, and editing `data` clears the checks of the instance and
  of its executions (they were computed on the old data).
- Deleting removes the instance and its executions for good.
- Someone else's instance is missing (404) unless the caller sees everything (records.ownership).

Validation and hashing grow with the data, so they run in a worker thread. Functions only
flush: the request owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anyio
from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer, load_only

from cornflow_fastapi.callers.guard import Caller
from cornflow_fastapi.config import CornflowSettings
from cornflow_fastapi.errors import InvalidData, InvalidUsage, ObjectDoesNotExist
from cornflow_fastapi.jsonschemas.validation import (
    SOLVE_MODEL_DAG,
    SchemaKind,
    SchemaSource,
    raise_if_invalid,
    schema_of,
)
from cornflow_fastapi.models import Execution, Instance, utcnow
from cornflow_fastapi.orchestrators.base import OrchestratorError
from cornflow_fastapi.records.identifiers import aware_now, data_hash, new_instance_id
from cornflow_fastapi.records.listing import QueryFilters, apply_filters
from cornflow_fastapi.records.ownership import visible
from cornflow_fastapi.records.persistence import flush_or_refuse
from cornflow_fastapi.records.values import all_finite, nesting_depth

_WITHOUT_DATA = (defer(Instance.data, raiseload=True), defer(Instance.checks, raiseload=True))
# What ExecutionBase shows of an execution; solutions and logs stay in the database.
_EXECUTION_BASE = load_only(
    Execution.id,
    Execution.name,
    Execution.description,
    Execution.created_at,
    Execution.user_id,
    Execution.data_hash,
    Execution.schema,
    Execution.config,
    Execution.instance_id,
    Execution.state,
    Execution.state_message,
    raiseload=True,
)


MAX_DEPTH = 200
"""The deepest nesting of arrays and objects stored: deeper data could not be written or read
back as JSON (every JSON library on the way recurses once per level)."""


def _storable(data: Any, checks: Any) -> bool:
    """Whether data and checks hold only finite numbers, once they are shallow enough (blocking).

    Raises InvalidData for data too deep to store.
    """
    if nesting_depth(data, checks, limit=MAX_DEPTH) > MAX_DEPTH:
        raise InvalidData(f"The data sent is nested more than {MAX_DEPTH} levels deep")
    return all_finite(data, checks)


async def _instance_schema(
    session: AsyncSession, workflow: str, schemas: SchemaSource | None
) -> Any:
    try:
        return await schema_of(session, workflow, SchemaKind.INSTANCE, source=schemas)
    except OrchestratorError as error:
        raise InvalidUsage(error.message, status_code=error.status_code) from None


async def _validated_hash(
    session: AsyncSession,
    *,
    workflow: str | None,
    data: Any,
    checks: Any,
    schemas: SchemaSource | None,
    failure: str,
) -> str:
    """data's hash once it fits workflow's instance schema (not checked without a workflow).

    Numbers JSON cannot hold (NaN, Infinity) get the answer the Flask server gives on
    PostgreSQL, which refuses to store them: `failure`. Data too deep to store is refused
    first, invalid data next.
    """
    schema = None if workflow is None else await _instance_schema(session, workflow, schemas)
    finite = await anyio.to_thread.run_sync(_storable, data, checks)
    await raise_if_invalid(schema, data, workflow=workflow, kind=SchemaKind.INSTANCE)
    if not finite:
        raise InvalidData(failure)
    digest: str = await anyio.to_thread.run_sync(data_hash, data)
    return digest


async def _flush(session: AsyncSession, action: str, instance_id: str) -> None:
    await flush_or_refuse(session, action, f"<Instance {instance_id}>")


def _visible_instance(idx: str, caller: Caller, settings: CornflowSettings) -> Select[Any]:
    statement = visible(select(Instance), Instance, caller, settings)
    return statement.where(Instance.id == idx)


async def list_instances(
    session: AsyncSession, caller: Caller, settings: CornflowSettings, filters: QueryFilters
) -> Sequence[Instance]:
    """The caller's page of instances, newest first, without their data."""
    statement = visible(select(Instance).options(*_WITHOUT_DATA), Instance, caller, settings)
    statement = apply_filters(statement, Instance, filters)
    instances: Sequence[Instance] = (await session.execute(statement)).scalars().all()
    return instances


async def get_instance(
    session: AsyncSession,
    caller: Caller,
    settings: CornflowSettings,
    idx: str,
    *,
    with_data: bool = False,
) -> Instance:
    """One instance the caller may reach (404 otherwise); its data only when asked for."""
    statement = _visible_instance(idx, caller, settings)
    if not with_data:
        statement = statement.options(*_WITHOUT_DATA)
    instance: Instance | None = (await session.execute(statement)).scalars().first()
    if instance is None:
        raise ObjectDoesNotExist()
    return instance


async def list_executions(session: AsyncSession, instance_id: str) -> list[Execution]:
    """The instance's executions (everyone's), oldest first: the order they were created in."""
    statement = (
        select(Execution)
        .options(_EXECUTION_BASE)
        .where(Execution.instance_id == instance_id, Execution.deleted_at.is_(None))
        .order_by(Execution.created_at, Execution.id)
    )
    return list((await session.execute(statement)).scalars().all())


async def create_instance(
    session: AsyncSession,
    *,
    user_id: int,
    name: str,
    description: str | None,
    data: Any,
    checks: Any,
    schema: str | None,
    schemas: SchemaSource | None,
) -> Instance:
    """Store a new instance once its data fits its workflow (`solve_model_dag` when none given)."""
    now = aware_now()
    instance_id = new_instance_id(now, user_id)
    digest = await _validated_hash(
        session,
        workflow=schema or SOLVE_MODEL_DAG,
        data=data,
        checks=checks,
        schemas=schemas,
        failure=f"Unknown database error on saving with data <Instance {instance_id}>",
    )
    created_at = now.replace(tzinfo=None)
    instance = Instance(
        id=instance_id,
        created_at=created_at,
        updated_at=created_at,
        user_id=user_id,
        name=name,
        description=description,
        data=data,
        data_hash=digest,
        schema=schema,
        checks=checks,
    )
    session.add(instance)
    await _flush(session, "saving", instance_id)
    return instance


async def create_instance_from_model(
    session: AsyncSession, *, user_id: int, name: str, description: str, model: dict[str, Any]
) -> Instance:
    """Store a PuLP model read from a file: a `solve_model_dag` instance, not validated."""
    now = aware_now()
    instance_id = new_instance_id(now, user_id)
    digest = await anyio.to_thread.run_sync(data_hash, model)
    created_at = now.replace(tzinfo=None)
    instance = Instance(
        id=instance_id,
        created_at=created_at,
        updated_at=created_at,
        user_id=user_id,
        name=name,
        description=description,
        data=model,
        data_hash=digest,
        schema=SOLVE_MODEL_DAG,
        checks=None,
    )
    session.add(instance)
    await _flush(session, "saving", instance_id)
    return instance


async def update_instance(
    session: AsyncSession,
    caller: Caller,
    settings: CornflowSettings,
    idx: str,
    *,
    changes: dict[str, Any],
    schemas: SchemaSource | None,
) -> None:
    """Apply the fields sent; the editor becomes the owner (as on the Flask server)."""
    instance = await get_instance(session, caller, settings, idx)
    if "data" in changes:
        data = changes["data"]
        instance.data_hash = await _validated_hash(
            session,
            workflow=instance.schema,
            data=data,
            checks=None,
            schemas=schemas,
            failure=f"Unknown database error on updating with data <Instance {idx}>",
        )
        instance.data = data
        instance.checks = None
        # The executions' checks were computed on the old data; the Flask server leaves their
        # update time as it is.
        await session.execute(
            update(Execution)
            .where(Execution.instance_id == idx, Execution.deleted_at.is_(None))
            .values(checks=None, updated_at=Execution.updated_at)
            .execution_options(synchronize_session=False)
        )
    if "name" in changes:
        instance.name = changes["name"]
    if "description" in changes:
        instance.description = changes["description"]
    instance.user_id = caller.id
    instance.updated_at = utcnow()
    await _flush(session, "updating", idx)


async def delete_instance(
    session: AsyncSession, caller: Caller, settings: CornflowSettings, idx: str
) -> None:
    """Delete the instance and every execution of it."""
    instance = await get_instance(session, caller, settings, idx)
    await session.execute(delete(Execution).where(Execution.instance_id == instance.id))
    await session.delete(instance)
    await _flush(session, "deleting", idx)
