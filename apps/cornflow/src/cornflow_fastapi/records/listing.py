"""List filters of `/instance/`, `/execution/` and `/case/` (Cornflow's QueryFilters).

The Flask server honours `schema`, the creation dates, `offset` and `limit` (default 10,
newest first). It answers 500 to `update_date_*` and to the text filters it declares but
cannot apply; here `update_date_*` filter on `updated_at`, the text filters on their column
where the table has one, and `limit` has an upper bound (DEVIATIONS.md).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError
from sqlalchemy import ColumnElement, Integer, Select, false

from cornflow_fastapi.models import is_row_id
from cornflow_fastapi.request_parsing import OptInt, OptStr, QuerySchema
from cornflow_fastapi.request_parsing import integer as _integer

DEFAULT_LIMIT = 10
MAX_LIMIT = 5000
"""The largest page a list answers; a bigger `limit` is a 400, not a truncated list."""

# marshmallow's ISO 8601 reading (utils.from_iso_datetime): a bare date is not a datetime.
_ISO_DATETIME = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"[T ](?P<hour>\d{1,2}):(?P<minute>\d{1,2})"
    r"(?::(?P<second>\d{1,2})(?:\.(?P<microsecond>\d{1,6})\d{0,6})?)?"
    r"(?P<tzinfo>Z|[+-]\d{2}(?::?\d{2})?)?$"
)


def _fail(message: str) -> PydanticCustomError:
    return PydanticCustomError("marshmallow", "{message}", {"message": message})


def _offset(text: str) -> timezone:
    if text == "Z":
        return UTC
    minutes = 60 * int(text[1:3]) + (int(text[-2:]) if len(text) > 3 else 0)
    return timezone(timedelta(minutes=-minutes if text[0] == "-" else minutes))


def parse_datetime(value: Any) -> datetime:
    """A marshmallow DateTime, as the naive UTC the tables store."""
    if value is None:
        raise _fail("Field may not be null.")
    match = _ISO_DATETIME.match(value) if isinstance(value, str) else None
    if match is None:
        raise _fail("Not a valid datetime.")
    parts = match.groupdict()
    zone = parts.pop("tzinfo")
    micro = parts.pop("microsecond")
    try:
        second = int(parts["second"]) if parts["second"] else 0
        moment = datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            int(parts["hour"]),
            int(parts["minute"]),
            second,
            int(micro.ljust(6, "0")) if micro else 0,
        )
    except (ValueError, OverflowError):
        raise _fail("Not a valid datetime.") from None
    if zone is not None:
        moment = moment.replace(tzinfo=_offset(zone)).astimezone(UTC).replace(tzinfo=None)
    return moment


OptDateTime = Annotated[datetime | None, BeforeValidator(parse_datetime)]


def _limit(value: Any) -> int:
    number = _integer(value)
    if not 0 <= number <= MAX_LIMIT:
        raise _fail(f"Must be greater than or equal to 0 and less than or equal to {MAX_LIMIT}.")
    return number


def _offset_value(value: Any) -> int:
    number = _integer(value)
    if number < 0:
        raise _fail("Must be greater than or equal to 0.")
    return number


class QueryFilters(QuerySchema):
    """The query string of a data list; `schema_` is the `schema` parameter."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    limit: Annotated[int, BeforeValidator(_limit)] = DEFAULT_LIMIT
    offset: Annotated[int, BeforeValidator(_offset_value)] = 0
    schema_: OptStr = Field(default=None, alias="schema")
    creation_date_gte: OptDateTime = None
    creation_date_lte: OptDateTime = None
    deletion_date_gte: OptDateTime = None
    deletion_date_lte: OptDateTime = None
    update_date_gte: OptDateTime = None
    update_date_lte: OptDateTime = None
    id: OptStr = None
    name: OptStr = None
    description: OptStr = None
    user_name: OptStr = None
    last_name: OptStr = None
    email: OptStr = None
    role_id: OptInt = None
    url_rule: OptStr = None


def _equals(column: Any, value: str) -> ColumnElement[bool]:
    """column = value; an integer column is compared with value as a number (PostgreSQL does
    not compare an integer with text), and text that names no integer row matches nothing."""
    if not isinstance(column.type, Integer):
        result: ColumnElement[bool] = column == value
        return result
    number = int(value) if value.isdecimal() and value.isascii() else None
    if number is None or not is_row_id(number):
        return false()
    matches: ColumnElement[bool] = column == number
    return matches


def apply_filters(statement: Select[Any], model: Any, filters: QueryFilters) -> Select[Any]:
    """Filter, order newest first and page a select of `model` (a table with trace columns).

    Rows with `deleted_at` set are never listed, so the deletion-date filters leave an empty
    list as soon as one is given, as on the Flask server.
    """
    statement = statement.where(model.deleted_at.is_(None))
    bounds = (
        (filters.creation_date_gte, model.created_at, True),
        (filters.creation_date_lte, model.created_at, False),
        (filters.deletion_date_gte, model.deleted_at, True),
        (filters.deletion_date_lte, model.deleted_at, False),
        (filters.update_date_gte, model.updated_at, True),
        (filters.update_date_lte, model.updated_at, False),
    )
    for bound, column, lower in bounds:
        if bound is not None:
            statement = statement.where(column >= bound if lower else column <= bound)
    equalities = (
        ("schema", filters.schema_),
        ("id", filters.id),
        ("name", filters.name),
        ("description", filters.description),
    )
    for column_name, value in equalities:
        if value:
            statement = statement.where(_equals(getattr(model, column_name), value))
    return statement.order_by(model.created_at.desc()).offset(filters.offset).limit(filters.limit)
