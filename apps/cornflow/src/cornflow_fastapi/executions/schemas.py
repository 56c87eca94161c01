"""Bodies and query strings of /execution/..., in the Flask server's field order."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, ValidationError
from pydantic_core import PydanticCustomError

from cornflow_fastapi.errors import InvalidUsage
from cornflow_fastapi.models import Execution, User
from cornflow_fastapi.records.listing import QueryFilters
from cornflow_fastapi.records.shapes import ExecutionBase, indicators, iso
from cornflow_fastapi.request_parsing import (
    INVALID_INPUT,
    UNKNOWN,
    Bool,
    OptBool,
    OptInt,
    OptStr,
    Raw,
    RequestSchema,
    Str,
    marshmallow_messages,
)
from cornflow_fastapi.writeback.log_schema import PROGRESS_FIELDS


def _fail(message: str) -> PydanticCustomError:
    # The error type request_parsing renders with marshmallow's own message.
    return PydanticCustomError("marshmallow", "{message}", {"message": message})


def _float(value: Any) -> float:
    """marshmallow's Float (not allow_nan): a number or numeric string, never a bool or null."""
    if value is None:
        raise _fail("Field may not be null.")
    if value is True or value is False:
        raise _fail("Not a valid number.")
    try:
        number = float(value)
    except OverflowError:
        raise _fail("Number too large.") from None
    except (TypeError, ValueError):
        raise _fail("Not a valid number.") from None
    if math.isnan(number) or math.isinf(number):
        raise _fail("Special numeric values (nan or infinity) are not permitted.")
    return number


def _list(value: Any) -> Any:
    if value is None:
        raise _fail("Field may not be null.")
    if not isinstance(value, list | tuple):
        raise _fail("Not a valid list.")
    return list(value)


OptFloat = Annotated[float | None, BeforeValidator(_float)]
OptStrList = Annotated[list[Str] | None, BeforeValidator(_list)]


class ExecutionQuery(QueryFilters):
    """The list's filters; `checks_and_kpis` also lists the executions of data checks."""

    checks_and_kpis: Bool = False


class ExecutionRequest(RequestSchema):
    config: Raw
    name: Str
    description: OptStr = None
    instance_id: Str
    schema_: OptStr = Field(default=None, alias="schema")
    # An initial solution; null is refused, so None means "not sent".
    data: Raw = None


class ExecutionEditRequest(RequestSchema):
    name: OptStr = None
    description: OptStr = None
    data: Raw = None
    instance_id: OptStr = None


class ExecutionStatusUpdate(RequestSchema):
    id: OptStr = None
    status: OptInt = None


class SolverConfig(RequestSchema):
    """Cornflow's ConfigSchema (the relaunch config): PuLP's solver options, nothing else."""

    solver: Str = "PULP_CBC_CMD"
    mip: OptBool = None
    msg: OptBool = None
    warmStart: OptBool = None  # noqa: N815 (PuLP's option names)
    timeLimit: OptInt = None  # noqa: N815
    seconds: OptInt = None
    options: OptStrList = None
    keepFiles: OptBool = None  # noqa: N815
    gapRel: OptFloat = None  # noqa: N815
    gapAbs: OptFloat = None  # noqa: N815
    maxMemory: OptInt = None  # noqa: N815
    maxNodes: OptInt = None  # noqa: N815
    threads: OptInt = None
    logPath: OptStr = None  # noqa: N815
    MIPGap: OptFloat = None

    def as_config(self) -> dict[str, Any]:
        """The options sent plus the default solver, in the schema's order (marshmallow's load)."""
        config: dict[str, Any] = self.model_dump(include=self.model_fields_set | {"solver"})
        return config


def _not_null(value: Any) -> Any:
    if value is None:
        raise _fail("Field may not be null.")
    return value


class RelaunchRequest(RequestSchema):
    config: Annotated[SolverConfig, BeforeValidator(_not_null)]


def parse_relaunch(body: Any) -> RelaunchRequest:
    """The relaunch body, with marshmallow's messages (a config that is no object: `_schema`)."""
    if not isinstance(body, dict):
        raise InvalidUsage(str({"json": {"_schema": [INVALID_INPUT]}}))
    config = body.get("config")
    if config is not None and not isinstance(config, dict):
        # marshmallow reports a nested schema fed something else than an object inside it.
        messages: dict[str, Any] = {"config": {"_schema": [INVALID_INPUT]}}
        messages.update((key, [UNKNOWN]) for key in body if key != "config")
        raise InvalidUsage(str({"json": messages}))
    try:
        return RelaunchRequest.model_validate(body)
    except ValidationError as error:
        raise InvalidUsage(str({"json": marshmallow_messages(error)})) from None


# Cornflow's LogSchema (BasicLogSchema is its first three fields), as marshmallow dumps it: the
# declared fields present in the stored log, in declaration order, each cast to its type.
_MATRIX = {"constraints": int, "variables": int, "nonzeros": int}
_PRESOLVE = {"cols": int, "rows": int, "time": float}
_FIRST_SOLUTION = {"Node": int, "NodesLeft": int, "BestInteger": float, "CutsBestBound": float}
_PROGRESS = dict.fromkeys(PROGRESS_FIELDS, list)
_BASIC_LOG: dict[str, Any] = {"status": str, "status_code": int, "sol_code": int}
_FULL_LOG: dict[str, Any] = {
    **_BASIC_LOG,
    "version": str,
    "solver": str,
    "best_bound": float,
    "best_solution": float,
    "gap": float,
    "time": float,
    "matrix": _MATRIX,
    "matrix_post": _MATRIX,
    "rootTime": float,
    "presolve": _PRESOLVE,
    "first_relaxed": float,
    "first_solution": _FIRST_SOLUTION,
    "nodes": int,
    "progress": _PROGRESS,
    "cut_info": None,
}


def _dump_value(kind: Any, value: Any) -> Any:
    if value is None or kind is None:
        return value
    if isinstance(kind, dict):
        return _dump(kind, value) if isinstance(value, dict) else value
    if kind is list:
        return [str(item) for item in value] if isinstance(value, list) else value
    try:
        return kind(value)
    except (TypeError, ValueError, OverflowError):
        # Not what the schema says; shown as stored rather than failing the whole answer.
        return value


def _dump(fields: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    return {
        name: _dump_value(kind, stored[name]) for name, kind in fields.items() if name in stored
    }


def basic_log(log_json: Any) -> dict[str, Any] | None:
    """`status, status_code, sol_code` of the stored log (the list and data answers)."""
    return _dump(_BASIC_LOG, log_json) if isinstance(log_json, dict) else None


def full_log(log_json: Any) -> dict[str, Any] | None:
    """The stored log as Cornflow's LogSchema shows it (the log answer)."""
    return _dump(_FULL_LOG, log_json) if isinstance(log_json, dict) else None


def _owner_fields(execution: Execution, owner: User | None) -> dict[str, Any]:
    return {
        "updated_at": iso(execution.updated_at),
        "username": None if owner is None else owner.username,
        "first_name": None if owner is None else owner.first_name,
        "last_name": None if owner is None else owner.last_name,
    }


class ExecutionDetail(ExecutionBase):
    """ExecutionBase + the last update and the owner's names."""

    updated_at: str | None
    username: str | None
    first_name: str | None
    last_name: str | None

    @classmethod
    def of_owned(cls, execution: Execution, owner: User | None) -> ExecutionDetail:
        return cls.model_validate(
            {**cls.execution_fields(execution), **_owner_fields(execution, owner)}
        )


class ExecutionListItem(ExecutionDetail):
    """ExecutionDetail + the basic log."""

    log: dict[str, Any] | None

    @classmethod
    def of_owned(cls, execution: Execution, owner: User | None) -> ExecutionListItem:
        return cls.model_validate(
            {
                **cls.execution_fields(execution),
                **_owner_fields(execution, owner),
                "log": basic_log(execution.log_json),
            }
        )


class ExecutionData(ExecutionBase):
    """ExecutionBase + the solution, its checks and KPIs, and the basic log."""

    data: Any
    checks: Any
    kpis: Any
    log: dict[str, Any] | None

    @classmethod
    def of(cls, execution: Execution) -> ExecutionData:
        return cls.model_validate(
            {
                **cls.execution_fields(execution),
                "data": execution.data,
                "checks": execution.checks,
                "kpis": execution.kpis,
                "log": basic_log(execution.log_json),
            }
        )


class ExecutionLog(ExecutionBase):
    """ExecutionBase + indicators, the owner, the full log and the solver's text log."""

    indicators: str
    updated_at: str | None
    username: str | None
    first_name: str | None
    last_name: str | None
    log: dict[str, Any] | None
    log_text: str | None

    @classmethod
    def of_owned(cls, execution: Execution, owner: User | None) -> ExecutionLog:
        return cls.model_validate(
            {
                **cls.execution_fields(execution),
                "indicators": indicators(execution.data),
                **_owner_fields(execution, owner),
                "log": full_log(execution.log_json),
                "log_text": execution.log_text,
            }
        )


class ExecutionStatus(BaseModel):
    id: str
    state: int
    message: str | None
    data_hash: str

    @classmethod
    def of(cls, execution: Execution) -> ExecutionStatus:
        return cls(
            id=execution.id,
            state=execution.state,
            message=execution.state_message,
            data_hash=execution.data_hash,
        )
