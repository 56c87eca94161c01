"""A workflow's JSON schemas, data validated against them, and who may use a workflow.

A workflow (an Airflow DAG, or an app of the local runner) is a `deployed_workflows` row with
six schemas. When a column is null the Flask server asks Airflow; here the orchestrator is
asked through a SchemaSource, whatever backend it is.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol

import anyio
from fastapi import Depends, Request
from jsonschema import Draft7Validator, validators  # type: ignore[import-untyped]
from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped]
from referencing.exceptions import Unresolvable
from sqlalchemy import exists
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.access.catalog import View
from cornflow_fastapi.auth.guard import Caller, requires_caller
from cornflow_fastapi.config import CornflowSettings
from cornflow_fastapi.dependencies import SessionDep, SettingsDep
from cornflow_fastapi.errors import InvalidData, NoPermission, ObjectDoesNotExist
from cornflow_fastapi.models import DeployedWorkflow, PermissionDag
from cornflow_fastapi.request_parsing import flask_request_json

PULP_ALIAS = "pulp"
SOLVE_MODEL_DAG = "solve_model_dag"


class SchemaKind(StrEnum):
    """The schema columns, named as Airflow's schema variable names them."""

    INSTANCE = "instance"
    SOLUTION = "solution"
    CONFIG = "config"
    INSTANCE_CHECKS = "instance_checks"
    SOLUTION_CHECKS = "solution_checks"
    KPIS = "kpis"

    @property
    def column(self) -> str:
        return f"{self.value}_schema"


class SchemaSource(Protocol):
    """Where a workflow's schemas come from when its deployed_workflows row has none."""

    async def schemas(self, workflow: str) -> dict[str, Any] | None: ...


def canonical_name(workflow: str) -> str:
    """`pulp` is another name of `solve_model_dag`."""
    return SOLVE_MODEL_DAG if workflow == PULP_ALIAS else workflow


async def get_workflow(session: AsyncSession, workflow: str) -> DeployedWorkflow:
    row = await session.get(DeployedWorkflow, workflow)
    if row is None or row.deleted_at is not None:
        raise ObjectDoesNotExist(f"The DAG {workflow} does not exist in the database.")
    return row


async def schema_of(
    session: AsyncSession,
    workflow: str,
    kind: SchemaKind,
    *,
    source: SchemaSource | None = None,
) -> Any:
    """One JSON schema of a workflow (DeployedWorkflow.get_one_schema); 404 for an unknown one."""
    name = canonical_name(workflow)
    row = await get_workflow(session, name)
    stored = getattr(row, kind.column)
    if stored is not None or source is None:
        return stored
    published = await source.schemas(name)
    return None if published is None else published.get(kind.value)


class _InvalidSchema(Exception):
    """The stored schema is no JSON schema (or names a $ref that cannot be resolved)."""


def _errors(validator_class: Any, schema: Any, data: Any) -> list[str]:
    """Draft 7 errors of data, as Cornflow lists them; none when there is no schema (blocking).

    None means no schema; `false` is a schema, which refuses everything.
    """
    if schema is None:
        return []
    try:
        validator_class.check_schema(schema)
        return [str(error) for error in validator_class(schema).iter_errors(data)]
    except (SchemaError, Unresolvable):
        raise _InvalidSchema from None


def _invalid_schema(workflow: str | None, kind: SchemaKind) -> InvalidData:
    return InvalidData(f"The {kind.value} schema of the DAG {workflow} is not a valid JSON schema")


async def jsonschema_errors(
    schema: Any, data: Any, *, workflow: str | None, kind: SchemaKind
) -> list[str]:
    """Cornflow's `jsonschema_errors` of data against workflow's schema of that kind.

    Validation grows with the data: it runs in a worker thread. A stored schema that is not a
    valid JSON schema is the client's 400, not a server error.
    """
    try:
        errors: list[str] = await anyio.to_thread.run_sync(_errors, Draft7Validator, schema, data)
    except _InvalidSchema:
        raise _invalid_schema(workflow, kind) from None
    return errors


async def raise_if_invalid(
    schema: Any, data: Any, *, workflow: str | None, kind: SchemaKind
) -> None:
    """InvalidData (400) with `jsonschema_errors` when data does not fit schema."""
    errors = await jsonschema_errors(schema, data, workflow=workflow, kind=kind)
    if errors:
        raise InvalidData(extra={"jsonschema_errors": errors})


def _with_defaults(validator_class: Any) -> Any:
    check_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator: Any, properties: Any, instance: Any, schema: Any) -> Any:
        if isinstance(instance, dict) and isinstance(properties, dict):
            for name, subschema in properties.items():
                if isinstance(subschema, dict) and "default" in subschema:
                    instance.setdefault(name, subschema["default"])
        yield from check_properties(validator, properties, instance, schema)

    return validators.extend(validator_class, {"properties": set_defaults})


_DefaultingValidator = _with_defaults(Draft7Validator)


async def extend_and_validate(
    schema: Any, data: Any, *, workflow: str | None, kind: SchemaKind
) -> tuple[Any, list[str]]:
    """data with the schema's defaults filled in, and its errors (config of a new execution)."""
    extended = dict(data) if isinstance(data, dict) else data
    try:
        errors: list[str] = await anyio.to_thread.run_sync(
            _errors, _DefaultingValidator, schema, extended
        )
    except _InvalidSchema:
        raise _invalid_schema(workflow, kind) from None
    return extended, errors


async def check_dag_permission(
    session: AsyncSession, settings: CornflowSettings, caller: Caller, workflow: Any
) -> None:
    """With OPEN_DEPLOYMENT=0, the caller needs a permission_dag row for the body's `schema`."""
    if int(settings.open_deployment) != 0:
        return
    if workflow is None:
        raise InvalidData("The request does not specify a schema to use")
    granted = await session.scalar(
        exists()
        .where(PermissionDag.user_id == caller.id, PermissionDag.dag_id == str(workflow))
        .select()
    )
    if not granted:
        raise NoPermission("You do not have permission to use this DAG")


def requires_dag_caller(view: View) -> Any:
    """The permitted caller, who with OPEN_DEPLOYMENT=0 also needs the body's workflow.

    As Flask's `dag_permission_required`, this runs before the body is validated and reads the
    `schema` of the raw body (Flask's `request.json`, with its 415 and 400), whatever else it
    holds; a JSON body that is no object names no workflow.
    """
    caller_dependency = requires_caller(view)

    async def dag_caller(
        request: Request,
        session: SessionDep,
        settings: SettingsDep,
        # A default, not Annotated: string annotations cannot name this local dependency.
        caller: Caller = caller_dependency,
    ) -> Caller:
        if int(settings.open_deployment) == 0:
            body = await flask_request_json(request, settings)
            workflow = body.get("schema") if isinstance(body, dict) else None
            await check_dag_permission(session, settings, caller, workflow)
        return caller

    dag_caller.__name__ = f"requires_dag_caller_{view.name.replace('-', '_')}"
    return Depends(dag_caller)
