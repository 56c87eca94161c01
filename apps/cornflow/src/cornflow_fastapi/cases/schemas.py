"""Bodies of /case/..., in the Flask server's field order and with its validation messages."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cornflow_fastapi.errors import InvalidUsage
from cornflow_fastapi.models import Case
from cornflow_fastapi.records.shapes import BaseData, indicators, iso
from cornflow_fastapi.request_parsing import (
    INVALID_INPUT,
    NULL,
    UNKNOWN,
    Bool,
    NullableInt,
    NullableRaw,
    OptStr,
    QuerySchema,
    Raw,
    RequestSchema,
    Str,
    marshmallow_messages,
)


class CaseRawRequest(RequestSchema):
    """A case from raw data; without `data` it is a directory."""

    name: Str
    description: OptStr = None
    schema_: Str = Field(alias="schema")
    parent_id: NullableInt = None
    data: Raw = None
    checks: Raw = None
    solution: NullableRaw = None
    solution_checks: NullableRaw = None
    kpis: NullableRaw = None


class CaseFromInstanceExecution(RequestSchema):
    """A case holding an instance's data, or an execution's instance and solution."""

    instance_id: OptStr = None
    execution_id: OptStr = None
    name: Str
    description: OptStr = None
    parent_id: NullableInt = None
    schema_: Str = Field(alias="schema")


class CaseEditRequest(RequestSchema):
    """`parent_id: null` moves the case to the root; a left-out or 0 `parent_id` leaves it."""

    name: OptStr = None
    description: OptStr = None
    parent_id: NullableInt = None


class CaseCompareQuery(QuerySchema):
    data: Bool = True
    solution: Bool = True


class PatchOperation(RequestSchema):
    """One JSON Patch (RFC 6902) operation as Cornflow reads it: only `op`, `path`, `value`."""

    op: Str
    path: Str
    value: Raw = None

    def as_operation(self) -> dict[str, Any]:
        operation: dict[str, Any] = {"op": self.op, "path": self.path}
        if "value" in self.model_fields_set:
            operation["value"] = self.value
        return operation


class CasePatchRequest(BaseModel):
    """`PATCH /case/<id>/data/`: a patch of the data, of the solution, or both."""

    model_config = ConfigDict(extra="forbid")

    data_patch: list[PatchOperation] | None = None
    solution_patch: list[PatchOperation] | None = None


PATCH_FIELDS = ("data_patch", "solution_patch")
INVALID_TYPE = "Invalid type."


def _operations(value: Any) -> tuple[list[dict[str, Any]], Any]:
    """The operations of one patch field, or marshmallow's errors for it (Nested, many=True)."""
    if value is None:
        return [], [NULL]
    if not isinstance(value, list):
        return [], [INVALID_TYPE]
    operations: list[dict[str, Any]] = []
    errors: dict[int, Any] = {}
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            errors[index] = {"_schema": [INVALID_INPUT]}
            continue
        try:
            operations.append(PatchOperation.model_validate(item).as_operation())
        except ValidationError as error:
            errors[index] = marshmallow_messages(error)
    return operations, errors or None


def read_patch_request(body: Any) -> dict[str, list[dict[str, Any]]]:
    """The patches sent, keyed by field; only the fields present in the body.

    Parsed by hand because marshmallow nests the errors of a list of objects by index, with
    messages of its own for a value that is not a list ("Invalid type.") or not an object.
    """
    if not isinstance(body, dict):
        raise InvalidUsage(str({"json": {"_schema": [INVALID_INPUT]}}))
    patches: dict[str, list[dict[str, Any]]] = {}
    errors: dict[str, Any] = {}
    for name in PATCH_FIELDS:
        if name not in body:
            continue
        operations, field_errors = _operations(body[name])
        if field_errors:
            errors[name] = field_errors
        else:
            patches[name] = operations
    for key in body:
        if key not in PATCH_FIELDS:
            errors[key] = [UNKNOWN]
    if errors:
        raise InvalidUsage(str({"json": errors}))
    return patches


class CaseList(BaseModel):
    """BaseData with an integer id, then `solution_hash, path, updated_at, is_dir`."""

    model_config = ConfigDict(populate_by_name=True)

    id: int
    name: str
    description: str | None
    created_at: str | None
    user_id: int
    data_hash: str
    schema_: str | None = Field(alias="schema", serialization_alias="schema")
    solution_hash: str
    path: str
    updated_at: str | None
    is_dir: bool

    @staticmethod
    def fields_of(case: Case) -> dict[str, Any]:
        return {
            **BaseData.fields_of(case),
            "solution_hash": case.solution_hash,
            "path": case.path,
            "updated_at": iso(case.updated_at),
            "is_dir": case.data is None,
        }

    @classmethod
    def of(cls, case: Case) -> CaseList:
        return cls.model_validate(cls.fields_of(case))


class CaseDetail(CaseList):
    """CaseList + `indicators` (`GET /case/` and `GET /case/<id>/`)."""

    indicators: str

    @classmethod
    def of(cls, case: Case) -> CaseDetail:
        return cls.model_validate({**cls.fields_of(case), "indicators": indicators(case.solution)})


class CaseData(CaseDetail):
    """CaseDetail + `data, checks, solution, solution_checks, kpis`."""

    data: Any
    checks: Any
    solution: Any
    solution_checks: Any
    kpis: Any

    @classmethod
    def of(cls, case: Case) -> CaseData:
        return cls.model_validate(
            {
                **cls.fields_of(case),
                "indicators": indicators(case.solution),
                "data": case.data,
                "checks": case.checks,
                "solution": case.solution,
                "solution_checks": case.solution_checks,
                "kpis": case.kpis,
            }
        )


class CaseToInstanceResponse(BaseModel):
    """The instance made from a case."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    schema_: str | None = Field(alias="schema", serialization_alias="schema")


class PatchOperationOut(BaseModel):
    """An operation of a comparison; `value` only when the operation has one, `from` never
    (Cornflow's response schema declares only `op`, `path` and `value`)."""

    op: Any = None
    path: Any = None
    value: Any = None


class CaseCompareResponse(BaseModel):
    """The JSON Patches that turn the first case into the second; a key per part compared."""

    data_patch: list[PatchOperationOut] | None = None
    solution_patch: list[PatchOperationOut] | None = None
