"""Raw rows of Cornflow's tables for service users (/table/<name>/, /table/<name>/<idx>/).

Rows are dicts of the table's columns, in the order the Flask server's models declare them,
with timestamps in Flask's default JSON date format (RFC 1123). Unlike the Flask server, the
password hashes of `users` are never shown.

How a list is read depends on the kind of table, as it does on the Flask server:

- data tables (instances, executions, cases): the data-list filters (`QueryFilters`), ten rows
  by default, newest first, only the caller's own rows unless they see everything; executions
  that only ran checks are left out;
- tables with trace columns: every row not deleted, or, with a `deletion_date_*` filter, the
  deleted rows in that range; no default limit (`limit=0` means none), and equality filters on
  the columns the table has;
- actions and api_view: every row, with the equality filters and the paging.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Select, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from cornflow_fastapi.callers.guard import Caller
from cornflow_fastapi.config import CornflowSettings
from cornflow_fastapi.errors import InvalidUsage, ObjectDoesNotExist
from cornflow_fastapi.models import (
    Action,
    Alarm,
    ApiView,
    Base,
    Case,
    DeployedWorkflow,
    Execution,
    Instance,
    MainAlarm,
    PermissionDag,
    PermissionView,
    Role,
    User,
    UserRole,
    is_row_id,
)
from cornflow_fastapi.records.listing import QueryFilters, apply_filters
from cornflow_fastapi.records.ownership import visible

INVALID_IDENTIFIER = "Invalid identifier."


class TableKind(Enum):
    DATA = "data"
    TRACE = "trace"
    PLAIN = "plain"


@dataclass(frozen=True)
class TableSpec:
    model: type[Base]
    kind: TableKind
    columns: tuple[str, ...]
    integer_id: bool = True

    @property
    def name(self) -> str:
        return str(self.model.__tablename__)


_TRACE = ("created_at", "updated_at", "deleted_at")
_DATA = (*_TRACE, "data", "checks", "name", "description", "data_hash", "schema")

_ALARM = ("id", "name", "criticality", "description", "schema")
_MAIN_ALARM = ("id", "id_alarm", "criticality", "message", "schema")
_CASE = ("id", "path", "solution", "solution_hash", "solution_checks", "kpis", "user_id")
_WORKFLOW = (
    "id",
    "description",
    "instance_schema",
    "solution_schema",
    "config_schema",
    "instance_checks_schema",
    "solution_checks_schema",
    "kpis_schema",
)
_EXECUTION = (
    "id",
    "instance_id",
    "config",
    "run_id",
    "log_text",
    "log_json",
    "state",
    "state_message",
    "kpis",
    "last_run_checks_and_kpis",
    "checks_and_kpis_only",
    "execution_files_status",
    "user_id",
)
# `users.password` is left out on purpose: password hashes never leave the server.
_USER = ("id", "first_name", "last_name", "username", "pwd_last_change", "email")

# Each table with its columns in the order Flask's models declare them.
TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(Action, TableKind.PLAIN, ("id", "name")),
        TableSpec(Alarm, TableKind.TRACE, (*_TRACE, *_ALARM)),
        TableSpec(ApiView, TableKind.PLAIN, ("id", "name", "url_rule", "description")),
        TableSpec(Case, TableKind.DATA, (*_DATA, *_CASE)),
        TableSpec(DeployedWorkflow, TableKind.TRACE, (*_TRACE, *_WORKFLOW), integer_id=False),
        TableSpec(Execution, TableKind.DATA, (*_DATA, *_EXECUTION), integer_id=False),
        TableSpec(Instance, TableKind.DATA, (*_DATA, "id", "user_id"), integer_id=False),
        TableSpec(MainAlarm, TableKind.TRACE, (*_TRACE, *_MAIN_ALARM)),
        TableSpec(PermissionDag, TableKind.TRACE, (*_TRACE, "id", "dag_id", "user_id")),
        TableSpec(
            PermissionView, TableKind.TRACE, (*_TRACE, "id", "action_id", "api_view_id", "role_id")
        ),
        TableSpec(Role, TableKind.TRACE, (*_TRACE, "id", "name")),
        TableSpec(UserRole, TableKind.TRACE, (*_TRACE, "id", "user_id", "role_id")),
        TableSpec(User, TableKind.TRACE, (*_TRACE, *_USER)),
    )
}

# Query parameters that filter by equality on the column of the same name, where there is one.
_EQUALITY_FILTERS = ("id", "name", "description", "email", "role_id", "url_rule", "last_name")


def table_spec(name: str) -> TableSpec:
    spec = TABLES.get(name)
    if spec is None:
        raise ObjectDoesNotExist(f"The table {name} does not exist.")
    return spec


def http_date(value: datetime) -> str:
    """Flask's JSON rendering of a datetime: RFC 1123, naive values read as UTC."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return email.utils.format_datetime(aware, usegmt=True)


def _rendered(value: Any) -> Any:
    return http_date(value) if isinstance(value, datetime) else value


def _select(spec: TableSpec) -> Select[Any]:
    table = spec.model.__table__
    return select(*(table.c[name] for name in spec.columns))


def _rows(spec: TableSpec, result: Any) -> list[dict[str, Any]]:
    return [{name: _rendered(row[name]) for name in spec.columns} for row in result.mappings()]


def parse_identifier(spec: TableSpec, idx: str) -> str | int:
    """The row id of the path: an integer on integer-keyed tables (Python's int() reading)."""
    if not spec.integer_id:
        return idx
    try:
        return int(idx)
    except ValueError:
        raise InvalidUsage(INVALID_IDENTIFIER) from None


def _equalities(spec: TableSpec, filters: QueryFilters) -> list[ColumnElement[bool]] | None:
    """Conditions of the equality filters given; None when one can match no row."""
    columns = spec.model.__table__.c
    conditions: list[ColumnElement[bool]] = []
    for name in _EQUALITY_FILTERS:
        value = getattr(filters, name)
        if value is None or name not in columns:
            continue
        if name == "id" and spec.integer_id:
            try:
                value = int(value)
            except ValueError:
                return None
            if not is_row_id(value):
                return None
        conditions.append(columns[name] == value)
    return conditions


async def list_rows(
    session: AsyncSession,
    spec: TableSpec,
    filters: QueryFilters,
    caller: Caller,
    settings: CornflowSettings,
) -> list[dict[str, Any]]:
    columns = spec.model.__table__.c
    statement = _select(spec)
    if spec.kind is TableKind.DATA:
        statement = apply_filters(visible(statement, columns, caller, settings), columns, filters)
        if spec.model is Execution:
            statement = statement.where(
                or_(columns.checks_and_kpis_only == false(), columns.checks_and_kpis_only.is_(None))
            )
        return _rows(spec, await session.execute(statement))

    conditions = _equalities(spec, filters)
    if conditions is None:
        return []
    statement = statement.where(*conditions)
    if spec.kind is TableKind.TRACE:
        statement = statement.where(*_trace_conditions(columns, filters))
    order = [columns.id] if spec.integer_id else [columns.created_at, columns.id]
    statement = statement.order_by(*order)
    # As on the Flask server, 0 (the default offset, and a limit of 0) means no bound.
    if filters.offset:
        statement = statement.offset(filters.offset)
    if "limit" in filters.model_fields_set and filters.limit:
        statement = statement.limit(filters.limit)
    return _rows(spec, await session.execute(statement))


def _trace_conditions(columns: Any, filters: QueryFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.deletion_date_gte is None and filters.deletion_date_lte is None:
        conditions.append(columns.deleted_at.is_(None))
    bounds = (
        (filters.deletion_date_gte, columns.deleted_at, True),
        (filters.deletion_date_lte, columns.deleted_at, False),
        (filters.update_date_gte, columns.updated_at, True),
        (filters.update_date_lte, columns.updated_at, False),
        (filters.creation_date_gte, columns.created_at, True),
        (filters.creation_date_lte, columns.created_at, False),
    )
    for bound, column, lower in bounds:
        if bound is not None:
            conditions.append(column >= bound if lower else column <= bound)
    return conditions


async def get_row(
    session: AsyncSession,
    spec: TableSpec,
    idx: str,
    caller: Caller,
    settings: CornflowSettings,
) -> dict[str, Any]:
    identifier = parse_identifier(spec, idx)
    if isinstance(identifier, int) and not is_row_id(identifier):
        raise ObjectDoesNotExist()
    columns = spec.model.__table__.c
    statement = _select(spec).where(columns.id == identifier)
    if spec.kind is TableKind.DATA:
        statement = visible(statement, columns, caller, settings)
    elif spec.kind is TableKind.TRACE:
        statement = statement.where(columns.deleted_at.is_(None))
    rows = _rows(spec, await session.execute(statement.limit(1)))
    if not rows:
        raise ObjectDoesNotExist()
    return rows[0]
