"""A solver log (`log_json`) read exactly as Cornflow's marshmallow LogSchema reads it.

Workers send whatever their solver produced; the Flask server keeps the known fields (unknown
top-level keys are dropped, unknown keys inside the nested parts are errors) and answers a
malformed one with marshmallow's nested messages, e.g.
`{'log_json': {'progress': {'Node': {0: ['Not a valid string.']}}}}`. The messages are part of
the wire format, so this is a small loader that mirrors marshmallow's rules field by field
rather than a pydantic model whose messages would have to be translated back.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

NULL = "Field may not be null."
REQUIRED = "Missing data for required field."
UNKNOWN = "Unknown field."
INVALID_INPUT = "Invalid input type."

Messages = list[str] | dict[Any, Any]


class LogError(Exception):
    """A value marshmallow would refuse; `messages` are its messages for that value."""

    def __init__(self, messages: Messages) -> None:
        super().__init__(str(messages))
        self.messages = messages


def _number(value: Any, convert: Callable[[Any], Any], invalid: str) -> Any:
    if value is True or value is False:
        raise LogError([invalid])
    try:
        return convert(value)
    except OverflowError:
        raise LogError(["Number too large."]) from None
    except (TypeError, ValueError):
        raise LogError([invalid]) from None


def _integer(value: Any) -> int:
    number: int = _number(value, int, "Not a valid integer.")
    return number


def _float(value: Any) -> float:
    number: float = _number(value, float, "Not a valid number.")
    if math.isnan(number) or math.isinf(number):
        raise LogError(["Special numeric values (nan or infinity) are not permitted."])
    return number


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise LogError(["Not a valid string."])
    return value


def _raw(value: Any) -> Any:
    return value


def _string_list(value: Any) -> list[str]:
    if isinstance(value, str | Mapping) or not isinstance(value, list | tuple):
        raise LogError(["Not a valid list."])
    items: list[str] = []
    errors: dict[int, Messages] = {}
    for index, item in enumerate(value):
        if item is None:
            errors[index] = [NULL]
            continue
        try:
            items.append(_string(item))
        except LogError as error:
            errors[index] = error.messages
    if errors:
        raise LogError(errors)
    return items


@dataclass(frozen=True)
class Field:
    load: Callable[[Any], Any]
    required: bool = False
    allow_none: bool = False


@dataclass(frozen=True)
class Schema:
    """Fields in marshmallow's order; unknown keys are errors (RAISE) or dropped (EXCLUDE)."""

    fields: Mapping[str, Field]
    unknown_is_error: bool = True

    def load(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise LogError({"_schema": [INVALID_INPUT]})
        loaded: dict[str, Any] = {}
        errors: dict[Any, Messages] = {}
        for name, field in self.fields.items():
            if name not in data:
                if field.required:
                    errors[name] = [REQUIRED]
                continue
            value = data[name]
            if value is None:
                if field.allow_none:
                    loaded[name] = None
                else:
                    errors[name] = [NULL]
                continue
            try:
                loaded[name] = field.load(value)
            except LogError as error:
                errors[name] = error.messages
        if self.unknown_is_error:
            for name in data:
                if name not in self.fields:
                    errors[name] = [UNKNOWN]
        if errors:
            raise LogError(errors)
        return loaded


def _nested(schema: Schema, *, required: bool = False, allow_none: bool = False) -> Field:
    return Field(schema.load, required=required, allow_none=allow_none)


_MATRIX = Schema(
    {name: Field(_integer) for name in ("constraints", "variables", "nonzeros")},
)
_PRESOLVE = Schema(
    {
        "cols": Field(_integer, required=True),
        "rows": Field(_integer, required=True),
        "time": Field(_float, required=True),
    }
)
# The columns of the solver's progress table, each a list of strings.
PROGRESS_FIELDS = (
    "Node",
    "NodesLeft",
    "Objective",
    "IInf",
    "BestInteger",
    "CutsBestBound",
    "ItpNode",
    "Gap",
    "Time",
    "Depth",
)
_PROGRESS = Schema({name: Field(_string_list) for name in PROGRESS_FIELDS})
_FIRST_SOLUTION = Schema(
    {
        "Node": Field(_integer, required=True, allow_none=True),
        "NodesLeft": Field(_integer, required=True, allow_none=True),
        "BestInteger": Field(_float, required=True, allow_none=True),
        "CutsBestBound": Field(_float, required=True, allow_none=True),
    }
)


def _optional(load: Callable[[Any], Any]) -> Field:
    return Field(load, allow_none=True)


LOG_SCHEMA = Schema(
    {
        "status": _optional(_string),
        "status_code": _optional(_integer),
        "sol_code": _optional(_integer),
        "version": _optional(_string),
        "solver": _optional(_string),
        "best_bound": _optional(_float),
        "best_solution": _optional(_float),
        "gap": _optional(_float),
        "time": _optional(_float),
        "matrix": _nested(_MATRIX, allow_none=True),
        "matrix_post": _nested(_MATRIX, allow_none=True),
        "rootTime": _optional(_float),
        "presolve": _nested(_PRESOLVE, allow_none=True),
        "first_relaxed": _optional(_float),
        "first_solution": _nested(_FIRST_SOLUTION, allow_none=True),
        "nodes": _optional(_integer),
        "progress": _nested(_PROGRESS),
        "cut_info": _optional(_raw),
    },
    unknown_is_error=False,
)


def load_log(value: Any) -> dict[str, Any]:
    """The log as Cornflow stores it (known fields, in LogSchema's order); LogError if malformed."""
    return LOG_SCHEMA.load(value)
