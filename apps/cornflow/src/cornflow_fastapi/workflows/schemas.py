"""Bodies of /dag/..., /schema/... and /example/..., in the Flask server's field order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, Field, ValidationError

from cornflow_fastapi.errors import InvalidUsage
from cornflow_fastapi.models import DeployedWorkflow
from cornflow_fastapi.request_parsing import (
    INVALID_INPUT,
    NullableRaw,
    NullableStr,
    OptInt,
    OptStr,
    Raw,
    RequestSchema,
    Str,
    load_json,
    marshmallow_messages,
)
from cornflow_fastapi.writeback.log_schema import LogError, load_log

# --- deployed workflows ---------------------------------------------------------------------


class DeployedDagCreate(RequestSchema):
    """DeployedDAG: every schema required and not null."""

    id: Str
    description: NullableStr = None
    instance_schema: Raw
    solution_schema: Raw
    config_schema: Raw
    instance_checks_schema: Raw
    solution_checks_schema: Raw
    kpis_schema: Raw


class DeployedDagEdit(RequestSchema):
    """DeployedDAGEdit: the checks and KPIs schemas required, the others optional (not null)."""

    description: NullableStr = None
    instance_schema: Raw = None
    solution_schema: Raw = None
    config_schema: Raw = None
    instance_checks_schema: Raw
    solution_checks_schema: Raw
    kpis_schema: Raw


class DeployedDag(BaseModel):
    id: str
    description: str | None
    instance_schema: Any
    solution_schema: Any
    config_schema: Any
    instance_checks_schema: Any
    solution_checks_schema: Any
    kpis_schema: Any

    @classmethod
    def of(cls, row: DeployedWorkflow) -> DeployedDag:
        return cls(
            id=row.id,
            description=row.description,
            instance_schema=row.instance_schema,
            solution_schema=row.solution_schema,
            config_schema=row.config_schema,
            instance_checks_schema=row.instance_checks_schema,
            solution_checks_schema=row.solution_checks_schema,
            kpis_schema=row.kpis_schema,
        )


# --- the worker's write-back ----------------------------------------------------------------


class DagResults(RequestSchema):
    """ExecutionDagRequest (`PUT /dag/<id>/`); log_json is read by log_schema."""

    data: Raw = None
    log_text: OptStr = None
    log_json: Raw = None
    state: OptInt = None
    checks: Raw = None
    kpis: NullableRaw = None
    solution_schema: NullableStr = None


class ManualExecution(DagResults):
    """ExecutionDagPostRequest (`POST /dag/`): the write-back fields, then ExecutionRequest's."""

    config: Raw
    name: Str
    description: OptStr = None
    instance_id: Str
    schema_: OptStr = Field(default=None, alias="schema")


class InstanceChecks(RequestSchema):
    checks: Raw = None


class CaseChecks(RequestSchema):
    checks: Raw = None
    solution_checks: Raw = None
    kpis: Raw = None


RESULTS = TypeVar("RESULTS", bound="DagResults")


def _with_log(model: type[RESULTS], data: Any) -> tuple[RESULTS, dict[str, Any] | None]:
    """Validate data and its log together, with marshmallow's messages in its field order."""
    if not isinstance(data, dict):
        raise InvalidUsage(str({"json": {"_schema": [INVALID_INPUT]}}))
    messages: dict[Any, Any] = {}
    parsed: RESULTS | None = None
    try:
        parsed = model.model_validate(data)
    except ValidationError as error:
        messages = marshmallow_messages(error)
    log: dict[str, Any] | None = None
    if data.get("log_json") is not None:
        try:
            log = load_log(data["log_json"])
        except LogError as error:
            messages["log_json"] = error.messages
    if messages:
        # Declared fields first, in the schema's order, then the unknown ones.
        order = [field.alias or name for name, field in model.model_fields.items()]
        known = {key: messages[key] for key in order if key in messages}
        unknown = {key: value for key, value in messages.items() if key not in known}
        raise InvalidUsage(str({"json": {**known, **unknown}}))
    assert parsed is not None
    return parsed, log


def dag_body(model: type[RESULTS]) -> Any:
    """Dependency: a /dag/ body and its loaded log_json (None when not sent)."""

    async def parse(request: Request) -> tuple[RESULTS, dict[str, Any] | None]:
        return _with_log(model, await load_json(request))

    return Depends(parse)


# --- schemas and examples -------------------------------------------------------------------


class WorkflowName(BaseModel):
    name: str


class WorkflowSchemas(BaseModel):
    """SchemaOneApp: `name` first, then the schemas in marshmallow's field order."""

    name: str
    instance: Any
    solution: Any
    config: Any
    instance_checks: Any
    solution_checks: Any
    kpis: Any

    @classmethod
    def of(cls, name: str, row: DeployedWorkflow) -> WorkflowSchemas:
        return cls(
            name=name,
            instance=row.instance_schema,
            solution=row.solution_schema,
            config=row.config_schema,
            instance_checks=row.instance_checks_schema,
            solution_checks=row.solution_checks_schema,
            kpis=row.kpis_schema,
        )


def _text(value: Any) -> Any:
    # marshmallow's String dumps any value as its str().
    return None if value is None else str(value)


def dump_example(example: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """An example as marshmallow dumps it: the keys present, in the schema's order."""
    if not isinstance(example, Mapping):
        return {}
    dumped: dict[str, Any] = {}
    for field in fields:
        if field in example:
            value = example[field]
            dumped[field] = _text(value) if field in ("name", "description") else value
    return dumped


EXAMPLE_SUMMARY_FIELDS = ("name", "description")
EXAMPLE_DETAIL_FIELDS = ("name", "description", "instance", "solution")
