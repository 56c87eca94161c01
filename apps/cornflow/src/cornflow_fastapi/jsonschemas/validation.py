"""A workflow's JSON schemas, and data validated against them.

A workflow (an Airflow DAG, or an app of the local runner) is a `deployed_workflows` row with
six schemas. When a column is null the Flask server asks Airflow; here the orchestrator is
asked through a SchemaSource, whatever backend it is.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any, Protocol

import anyio
from jsonschema import Draft7Validator, validators  # type: ignore[import-untyped]
from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped]
from referencing.exceptions import Unresolvable
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.errors import InvalidData, ObjectDoesNotExist
from cornflow_fastapi.models import DeployedWorkflow

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
        return [str(error) for error in _validator(validator_class, schema).iter_errors(data)]
    except (SchemaError, Unresolvable):
        raise _InvalidSchema from None


# Checking a schema against the metaschema and building its validator costs more than checking
# a typical body against it, and a workflow's six schemas rarely change: validators are kept,
# keyed by the schema's canonical text (the rows are read afresh for every request).
_VALIDATORS: dict[tuple[Any, str], Any] = {}
_MAX_VALIDATORS = 256


def _validator(validator_class: Any, schema: Any) -> Any:
    key = (validator_class, json.dumps(schema, sort_keys=True))
    validator = _VALIDATORS.get(key)
    if validator is None:
        validator_class.check_schema(schema)
        validator = validator_class(schema)
        if len(_VALIDATORS) >= _MAX_VALIDATORS:
            _VALIDATORS.clear()
        _VALIDATORS[key] = validator
    return validator


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
