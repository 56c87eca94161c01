"""Bodies of /instance/... and /instancefile/, in the Flask server's field order."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from cornflow_fastapi.models import Execution, Instance
from cornflow_fastapi.records.shapes import BaseData, ExecutionBase
from cornflow_fastapi.request_parsing import (
    NullableRaw,
    OptBool,
    OptStr,
    Raw,
    RequestSchema,
    Str,
)


class InstanceCreate(RequestSchema):
    """`POST /instance/`: `schema` may be left out but not sent as null; `data_schema` is unused."""

    name: Str
    description: OptStr = None
    data: Raw
    checks: NullableRaw = None
    data_schema: OptStr = None
    schema_: OptStr = Field(default=None, alias="schema")


class InstanceEdit(RequestSchema):
    """`PUT /instance/<idx>/`: only the fields sent are changed."""

    name: OptStr = None
    description: OptStr = None
    data: Raw = None


class InstanceFileForm(RequestSchema):
    """The text fields of `POST /instancefile/` (the file itself is the `file` part)."""

    name: Str
    description: OptStr = None
    minimize: OptBool = None


class InstanceDetail(BaseData):
    """BaseData + `executions`: the instance's executions as ExecutionBase."""

    executions: list[ExecutionBase]

    @classmethod
    def of(cls, instance: Instance, executions: list[Execution]) -> InstanceDetail:
        return cls.model_validate(
            {
                **cls.fields_of(instance),
                "executions": [ExecutionBase.of(execution) for execution in executions],
            }
        )


class InstanceData(BaseData):
    """BaseData + `data, checks`."""

    data: Any
    checks: Any

    @classmethod
    def of(cls, instance: Instance) -> InstanceData:
        return cls.model_validate(
            {**cls.fields_of(instance), "data": instance.data, "checks": instance.checks}
        )
