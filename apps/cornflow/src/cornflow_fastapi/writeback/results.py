"""Writing a run's results back: what Cornflow's worker endpoints (`PUT /dag/...`) do.

Both the local runner and the `/dag/` endpoints (the Airflow worker's write-back) call these
functions, so a solve lands in the database the same way whoever ran it. They take plain values
(no request), validate before changing anything, and only flush: the caller owns the
transaction.

The Flask server's semantics, kept here:
- `state` defaults to 1 (solved) even when only a log is written;
- `data` is validated against the solution schema of the execution's workflow (`pulp` read as
  `solve_model_dag`; no validation when the execution has no schema);
- writing `data` clears `checks` and `kpis` (then the ones sent are applied) and marks stored
  execution files as out of date;
- `log_json` keeps only the fields of Cornflow's LogSchema, in its field order;
- `data_hash` and the owner (`user_id`) are left as they are.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.errors import InvalidData, InvalidUsage, ObjectDoesNotExist
from cornflow_fastapi.jsonschemas.validation import (
    SchemaKind,
    SchemaSource,
    raise_if_invalid,
    schema_of,
)
from cornflow_fastapi.models import STATE_MESSAGES, Case, Execution, ExecutionState, Instance
from cornflow_fastapi.writeback.log_schema import LogError, load_log

EXECUTION_NOT_FOUND = "The execution does not exist."

# execution_files_status: 1 files stored and current, -3 stored but older than the data.
FILES_OK = 1
FILES_NOT_UP_TO_DATE = -3


class _Unset(Enum):
    TOKEN = 0


UNSET: Final = _Unset.TOKEN
"""A field left out of the write (as opposed to one written as null)."""


class InvalidLog(InvalidUsage):
    """log_json does not fit Cornflow's LogSchema; `messages` are marshmallow's."""

    def __init__(self, messages: Any) -> None:
        super().__init__(str({"log_json": messages}))
        self.messages = messages


def normalize_log_json(log_json: Any) -> dict[str, Any]:
    """log_json as Cornflow stores it; raises InvalidLog when a known field is malformed."""
    try:
        return load_log(log_json)
    except LogError as error:
        raise InvalidLog(error.messages) from None


def execution_state(state: int) -> ExecutionState:
    """state as an ExecutionState; InvalidData for a code Cornflow does not know."""
    try:
        return ExecutionState(state)
    except ValueError:
        raise InvalidData(f"The execution state {state} does not exist") from None


async def get_execution(session: AsyncSession, execution_id: str) -> Execution:
    execution = await session.get(Execution, execution_id)
    if execution is None or execution.deleted_at is not None:
        raise ObjectDoesNotExist(EXECUTION_NOT_FOUND)
    return execution


async def save_execution_results(
    session: AsyncSession,
    execution_id: str,
    *,
    state: int = ExecutionState.SOLVED,
    data: Any = UNSET,
    log_text: str | _Unset | None = UNSET,
    log_json: Any = UNSET,
    checks: Any = UNSET,
    kpis: Any = UNSET,
    schemas: SchemaSource | None = None,
) -> Execution:
    """Store a run's results on the execution (`PUT /dag/<id>/`).

    Raises ObjectDoesNotExist (404) for an unknown execution or workflow, InvalidData (400, with
    `jsonschema_errors`) when data fails the solution schema, InvalidLog for a malformed log.
    Nothing is changed when it raises.
    """
    execution = await get_execution(session, execution_id)
    new_state = execution_state(state)
    stored_log = UNSET if log_json is UNSET else normalize_log_json(log_json)
    if data is not UNSET and execution.schema is not None:
        schema = await schema_of(session, execution.schema, SchemaKind.SOLUTION, source=schemas)
        await raise_if_invalid(schema, data, workflow=execution.schema, kind=SchemaKind.SOLUTION)

    if data is not UNSET:
        execution.checks = None
        execution.kpis = None
        if execution.execution_files_status == FILES_OK:
            execution.execution_files_status = FILES_NOT_UP_TO_DATE
        execution.data = data
    if checks is not UNSET:
        execution.checks = checks
    if kpis is not UNSET:
        execution.kpis = kpis
    if not isinstance(log_text, _Unset):
        execution.log_text = log_text
    if not isinstance(stored_log, _Unset):
        execution.log_json = stored_log
    execution.state = int(new_state)
    execution.state_message = STATE_MESSAGES[new_state]
    await session.flush()
    return execution


async def save_instance_checks(
    session: AsyncSession, instance_id: str, *, checks: Any = UNSET
) -> Instance:
    """Store the checks a run computed on its instance (`PUT /dag/instance/<id>/`)."""
    instance = await session.get(Instance, instance_id)
    if instance is None or instance.deleted_at is not None:
        raise ObjectDoesNotExist()
    if checks is not UNSET:
        instance.checks = checks
    await session.flush()
    return instance


async def save_case_checks(
    session: AsyncSession,
    case_id: int,
    *,
    checks: Any = UNSET,
    solution_checks: Any = UNSET,
    kpis: Any = UNSET,
) -> Case:
    """Store the checks and KPIs a data-check run computed on a case (`PUT /dag/case/<id>/`)."""
    case = await session.get(Case, case_id)
    if case is None or case.deleted_at is not None:
        raise ObjectDoesNotExist()
    if checks is not UNSET:
        case.checks = checks
    if solution_checks is not UNSET:
        case.solution_checks = solution_checks
    if kpis is not UNSET:
        case.kpis = kpis
    await session.flush()
    return case
