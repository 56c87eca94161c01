"""Bodies and query strings of /alarms/, /alarms/<idx>/ and /main-alarms/."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from cornflow_fastapi.models import Alarm, MainAlarm
from cornflow_fastapi.request_parsing import (
    Int,
    OptInt,
    OptStr,
    QuerySchema,
    RequestSchema,
    Str,
)


def _invalid(message: str) -> PydanticCustomError:
    # The error kind request_parsing renders with the message as given (marshmallow's text).
    return PydanticCustomError("marshmallow", "{message}", {"message": message})


def number(value: Any) -> float:
    """marshmallow's Number: a number or a numeric string, as a float; never a bool or null.

    NaN and the infinities are refused: the database would keep them, but no JSON answer can
    carry them.
    """
    if value is None:
        raise _invalid("Field may not be null.")
    if value is True or value is False:
        raise _invalid("Not a valid number.")
    try:
        result = float(value)
    except OverflowError as error:
        raise _invalid("Number too large.") from error
    except (TypeError, ValueError) as error:
        raise _invalid("Not a valid number.") from error
    if not math.isfinite(result):
        raise _invalid("Not a valid number.")
    return result


Number = Annotated[float, BeforeValidator(number)]
OptNumber = Annotated[float | None, BeforeValidator(number)]


class AlarmCreate(RequestSchema):
    name: Str
    criticality: Number
    description: Str
    schema_: OptStr = Field(default=None, alias="schema")


class AlarmEdit(RequestSchema):
    name: OptStr = None
    criticality: OptNumber = None
    description: OptStr = None
    schema_: OptStr = Field(default=None, alias="schema")


class AlarmFilters(QuerySchema):
    # Declared by Cornflow but never applied: its alarm listing drops the `schema` filter.
    schema_: OptStr = Field(default=None, alias="schema")
    criticality: OptNumber = None


class MainAlarmCreate(RequestSchema):
    id_alarm: Int
    criticality: Number
    message: Str
    schema_: OptStr = Field(default=None, alias="schema")


class MainAlarmFilters(QuerySchema):
    # Declared but never applied, as for alarms.
    schema_: OptStr = Field(default=None, alias="schema")
    id_alarm: OptInt = None
    criticality: OptNumber = None


class AlarmDetail(BaseModel):
    """`name, criticality, description, schema, id`."""

    model_config = ConfigDict(populate_by_name=True)

    name: str
    criticality: float
    description: str
    schema_: str | None = Field(alias="schema")
    id: int

    @classmethod
    def of(cls, alarm: Alarm) -> AlarmDetail:
        return cls(
            name=alarm.name,
            criticality=alarm.criticality,
            description=alarm.description,
            schema_=alarm.schema,
            id=alarm.id,
        )


class MainAlarmDetail(BaseModel):
    """`id_alarm, criticality, message, schema, id`."""

    model_config = ConfigDict(populate_by_name=True)

    id_alarm: int
    criticality: float
    message: str
    schema_: str | None = Field(alias="schema")
    id: int

    @classmethod
    def of(cls, alarm: MainAlarm) -> MainAlarmDetail:
        return cls(
            id_alarm=alarm.id_alarm,
            criticality=alarm.criticality,
            message=alarm.message,
            schema_=alarm.schema,
            id=alarm.id,
        )
