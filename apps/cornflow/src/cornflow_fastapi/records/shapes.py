"""Response bodies shared by several data domains, in the Flask server's field order.

BaseData is what every instance, execution and case answer starts with; ExecutionBase is the
execution answer of `POST /execution/`, `POST /dag/`, the data-check POSTs, and the
`executions` list nested in an instance.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cornflow_fastapi.models import Case, Execution, Instance


def iso(value: datetime | None) -> str | None:
    """marshmallow's DateTime: ISO 8601, naive, microseconds left out when zero."""
    return None if value is None else value.isoformat()


def indicators(solution: Any) -> str:
    """`solution["indicators"]` as "k1: v1; k2: v2", keys sorted; "" when there are none.

    Values are rendered by Python's str(), as the Flask server does (True, None, 0.5...).
    Indicators that are not an object are left out (the Flask server answers 500).
    """
    values = solution.get("indicators") if isinstance(solution, dict) else None
    if not isinstance(values, dict):
        return ""
    return "; ".join(f"{key}: {value}" for key, value in sorted(values.items()))


class BaseData(BaseModel):
    """`id, name, description, created_at, user_id, data_hash, schema`."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    name: str
    description: str | None
    created_at: str | None
    user_id: int
    data_hash: str
    schema_: str | None = Field(alias="schema", serialization_alias="schema")

    @staticmethod
    def fields_of(row: Instance | Execution | Case) -> dict[str, Any]:
        return {
            "id": row.id,
            "name": row.name,
            "description": row.description,
            "created_at": iso(row.created_at),
            "user_id": row.user_id,
            "data_hash": row.data_hash,
            "schema": row.schema,
        }


class InstanceBase(BaseData):
    @classmethod
    def of(cls, instance: Instance) -> InstanceBase:
        return cls.model_validate(cls.fields_of(instance))


class ExecutionBase(BaseData):
    """BaseData + `config, instance_id, state, message`."""

    config: Any
    instance_id: str
    state: int
    message: str | None

    @classmethod
    def execution_fields(cls, execution: Execution) -> dict[str, Any]:
        return {
            **cls.fields_of(execution),
            "config": execution.config,
            "instance_id": execution.instance_id,
            "state": execution.state,
            "message": execution.state_message,
        }

    @classmethod
    def of(cls, execution: Execution) -> ExecutionBase:
        return cls.model_validate(cls.execution_fields(execution))
