"""What the /case/... endpoints do. Services flush; the request's session commits.

Semantics of the Flask server kept here (spec §4 rows 58-68):
- data and solution are validated against the workflow's schemas only when sent, and the
  workflow is looked up by the exact name sent (`pulp` is not read as `solve_model_dag`);
- a case goes under a directory (a case without data) of the caller's, or at the root;
- editing or patching a case makes the editor its owner (quirk 16);
- patching data clears the checks and KPIs, patching the solution its checks and KPIs;
- copies and instances made from a case belong to the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from anyio import to_thread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.callers.guard import Caller
from cornflow_fastapi.cases import patches, tree
from cornflow_fastapi.cases.schemas import (
    CaseEditRequest,
    CaseFromInstanceExecution,
    CaseRawRequest,
)
from cornflow_fastapi.config import CornflowSettings
from cornflow_fastapi.errors import InvalidData, InvalidUsage, ObjectDoesNotExist
from cornflow_fastapi.jsonschemas.validation import (
    SchemaKind,
    SchemaSource,
    get_workflow,
    raise_if_invalid,
    schema_of,
)
from cornflow_fastapi.models import Case, Execution, Instance, is_row_id, utcnow
from cornflow_fastapi.orchestrators.base import OrchestratorError
from cornflow_fastapi.records.identifiers import NULL_HASH, aware_now, data_hash, new_instance_id
from cornflow_fastapi.records.listing import QueryFilters, apply_filters
from cornflow_fastapi.records.ownership import get_visible, visible
from cornflow_fastapi.records.persistence import flush_or_refuse
from cornflow_fastapi.records.values import all_finite

PARENT_MISSING = "Parent does not exist"
# PUT /case/<id>/ with a parent_id answers its 404s with a final period, unlike the others.
MOVE_MISSING = "The data entity does not exist on the database."
NO_SOURCE = "You must provide a valid instance_id OR an execution_id"
INSTANCE_MISSING = "Instance does not exist."
EXECUTION_MISSING = "Execution does not exist."
SAME_CASES = "The case identifiers should be different."
FIRST_MISSING = "You don't have access to the first case or it doesn't exist"
SECOND_MISSING = "You don't have access to the second case or it doesn't exist"
OTHER_SCHEMA = "The cases asked to compare do not share the same schema"

_DOCUMENTS = ("data", "checks", "solution", "solution_checks", "kpis")

COPY_PREFIX = "Copy_"
INSTANCE_PREFIX = "instance_from_"
INSTANCE_DESCRIPTION_PREFIX = "Instance created from "


async def get_case(
    session: AsyncSession,
    settings: CornflowSettings,
    caller: Caller,
    idx: int,
    *,
    message: str | None = None,
) -> Case:
    """The case if the caller may reach it, else 404 (ids beyond INTEGER name no row)."""
    if not is_row_id(idx):
        raise ObjectDoesNotExist(message)
    return await get_visible(session, Case, idx, caller, settings, message=message)


async def list_cases(
    session: AsyncSession, settings: CornflowSettings, caller: Caller, filters: QueryFilters
) -> Sequence[Case]:
    statement = apply_filters(visible(select(Case), Case, caller, settings), Case, filters)
    cases: Sequence[Case] = (await session.execute(statement)).scalars().all()
    return cases


async def _hash(value: Any) -> str:
    if value is None:
        return NULL_HASH
    return await to_thread.run_sync(data_hash, value)


async def _check_storable(action: str, case: Case, *documents: Any) -> None:
    """Refuse NaN and Infinity with the answer PostgreSQL makes the Flask server give.

    SQLite would store them, and every later read would answer invalid JSON.
    """
    if not await to_thread.run_sync(lambda: all_finite(*documents)):
        raise InvalidData(f"Unknown database error on {action} with data {_describe(case)}")


async def _schema(
    session: AsyncSession,
    workflow: str,
    kind: SchemaKind,
    source: SchemaSource | None,
    *,
    alias: bool,
) -> Any:
    """A workflow's schema; with `alias`, `pulp` is read as `solve_model_dag`.

    When the column is empty the orchestrator is asked; its failure is the 4xx Flask gives.
    """
    try:
        if alias:
            return await schema_of(session, workflow, kind, source=source)
        row = await get_workflow(session, workflow)
        schema = getattr(row, kind.column)
        if schema is None and source is not None:
            published = await source.schemas(workflow)
            schema = None if published is None else published.get(kind.value)
        return schema
    except OrchestratorError as error:
        raise InvalidUsage(error.message, status_code=error.status_code) from None


async def _validate(
    session: AsyncSession,
    workflow: str,
    kind: SchemaKind,
    value: Any,
    source: SchemaSource | None,
) -> None:
    """InvalidData with `jsonschema_errors` unless value fits the workflow's schema.

    The workflow is the name as sent: POST /case/ does not read `pulp` as `solve_model_dag`.
    """
    schema = await _schema(session, workflow, kind, source, alias=False)
    await raise_if_invalid(schema, value, workflow=workflow, kind=kind)


def _describe(row: Case | Instance) -> str:
    if isinstance(row, Case):
        return f"<Case {row.id}. Path: {row.path}>"
    return f"<Instance {row.id}>"


async def _flush(session: AsyncSession, action: str, row: Case | Instance) -> None:
    await flush_or_refuse(session, action, _describe(row))


async def _parent(
    session: AsyncSession, settings: CornflowSettings, caller: Caller, parent_id: int | None
) -> Case | None:
    """The directory a new case goes into (None: the root)."""
    if parent_id is None:
        return None
    parent = await get_case(session, settings, caller, parent_id, message=PARENT_MISSING)
    tree.check_parent(parent)
    return parent


async def _insert_case(
    session: AsyncSession, caller: Caller, parent: Case | None, fields: dict[str, Any]
) -> Case:
    now = utcnow()
    case = Case(
        **fields,
        path=tree.children_path(parent),
        user_id=caller.id,
        data_hash=await _hash(fields.get("data")),
        solution_hash=await _hash(fields.get("solution")),
        created_at=now,
        updated_at=now,
    )
    await _check_storable("saving", case, *(fields.get(name) for name in _DOCUMENTS))
    session.add(case)
    await _flush(session, "saving", case)
    return case


async def create_case(
    session: AsyncSession,
    settings: CornflowSettings,
    caller: Caller,
    body: CaseRawRequest,
    source: SchemaSource | None,
) -> Case:
    """A case from raw data, or a directory when no data is sent."""
    if body.data is not None:
        await _validate(session, body.schema_, SchemaKind.INSTANCE, body.data, source)
    if body.solution is not None:
        await _validate(session, body.schema_, SchemaKind.SOLUTION, body.solution, source)
    parent = await _parent(session, settings, caller, body.parent_id)
    return await _insert_case(
        session,
        caller,
        parent,
        {
            "name": body.name,
            "description": body.description,
            "schema": body.schema_,
            "data": body.data,
            "checks": body.checks,
            "solution": body.solution,
            "solution_checks": body.solution_checks,
            "kpis": body.kpis,
        },
    )


async def create_case_from_record(
    session: AsyncSession,
    settings: CornflowSettings,
    caller: Caller,
    body: CaseFromInstanceExecution,
) -> Case:
    """A case with an instance's data, or with an execution's instance and solution.

    The case takes the instance's schema; the body's `schema` only names the workflow whose
    permission is checked.
    """
    if (body.instance_id is None) == (body.execution_id is None):
        raise InvalidData(NO_SOURCE)
    fields: dict[str, Any] = {"name": body.name, "description": body.description}
    instance_id = body.instance_id
    if body.execution_id is not None:
        execution = await get_visible(
            session, Execution, body.execution_id, caller, settings, message=EXECUTION_MISSING
        )
        instance_id = execution.instance_id
        fields |= {
            "solution": execution.data,
            "solution_checks": execution.checks,
            "kpis": execution.kpis,
        }
    instance = await get_visible(
        session, Instance, instance_id, caller, settings, message=INSTANCE_MISSING
    )
    fields |= {"data": instance.data, "schema": instance.schema, "checks": instance.checks}
    parent = await _parent(session, settings, caller, body.parent_id)
    return await _insert_case(session, caller, parent, fields)


async def edit_case(
    session: AsyncSession,
    settings: CornflowSettings,
    caller: Caller,
    idx: int,
    body: CaseEditRequest,
) -> None:
    """Rename, describe or move a case; `parent_id: 0` (or none) leaves it where it is."""
    sent = body.model_fields_set
    if "parent_id" in sent and body.parent_id != 0:
        case = await get_case(session, settings, caller, idx, message=MOVE_MISSING)
        parent = None
        if body.parent_id is not None:
            parent = await get_case(session, settings, caller, body.parent_id, message=MOVE_MISSING)
        tree.check_move(case, parent)
        await tree.move(session, case, parent)
    case = await get_case(session, settings, caller, idx)
    if "name" in sent and body.name is not None:
        case.name = body.name
    if "description" in sent and body.description is not None:
        case.description = body.description
    case.user_id = caller.id
    case.updated_at = utcnow()
    await _flush(session, "updating", case)


async def delete_case(
    session: AsyncSession, settings: CornflowSettings, caller: Caller, idx: int
) -> None:
    """Delete a case and everything below it."""
    case = await get_case(session, settings, caller, idx)
    await tree.delete_with_descendants(session, case)
    await session.flush()


async def patch_case(
    session: AsyncSession,
    settings: CornflowSettings,
    caller: Caller,
    idx: int,
    operations: dict[str, list[dict[str, Any]]],
) -> None:
    """Apply JSON Patches to the data and/or solution; nothing changes if one does not apply."""
    case = await get_case(session, settings, caller, idx)
    if "data_patch" in operations:
        data, digest = await to_thread.run_sync(
            patches.apply_patch, case.data, operations["data_patch"]
        )
        case.data, case.data_hash = data, digest
        # Checks and KPIs were computed on the old data.
        case.checks = None
        case.solution_checks = None
        case.kpis = None
    if "solution_patch" in operations:
        solution, digest = await to_thread.run_sync(
            patches.apply_patch, case.solution, operations["solution_patch"]
        )
        case.solution, case.solution_hash = solution, digest
        case.solution_checks = None
        case.kpis = None
    await _check_storable("updating", case, case.data, case.solution)
    case.user_id = caller.id
    case.updated_at = utcnow()
    await _flush(session, "updating", case)


async def copy_case(
    session: AsyncSession, settings: CornflowSettings, caller: Caller, idx: int
) -> Case:
    """A copy named `Copy_<name>`, at the root, owned by the caller."""
    case = await get_case(session, settings, caller, idx)
    return await _insert_case(
        session,
        caller,
        None,
        {
            "name": COPY_PREFIX + case.name,
            "description": case.description,
            "schema": case.schema,
            "data": case.data,
            "checks": case.checks,
            "solution": case.solution,
            "solution_checks": case.solution_checks,
            "kpis": case.kpis,
        },
    )


async def case_to_instance(
    session: AsyncSession,
    settings: CornflowSettings,
    caller: Caller,
    idx: int,
    source: SchemaSource | None,
) -> Instance:
    """A new instance of the caller's with the case's data, validated when it has a schema."""
    case = await get_case(session, settings, caller, idx)
    if case.schema is not None:
        schema = await _schema(session, case.schema, SchemaKind.INSTANCE, source, alias=True)
        await raise_if_invalid(schema, case.data, workflow=case.schema, kind=SchemaKind.INSTANCE)
    created = aware_now()
    instance = Instance(
        id=new_instance_id(created, caller.id),
        name=INSTANCE_PREFIX + case.name,
        # The Flask server crashes on a case without description; its instance gets none.
        description=None
        if case.description is None
        else INSTANCE_DESCRIPTION_PREFIX + case.description,
        data=case.data,
        data_hash=await _hash(case.data),
        schema=case.schema,
        checks=None,
        user_id=caller.id,
        created_at=created.replace(tzinfo=None),
        updated_at=created.replace(tzinfo=None),
    )
    session.add(instance)
    await _flush(session, "saving", instance)
    return instance


async def compare_cases(
    session: AsyncSession,
    settings: CornflowSettings,
    caller: Caller,
    idx1: int,
    idx2: int,
    *,
    data: bool,
    solution: bool,
) -> dict[str, list[dict[str, Any]]]:
    """The JSON Patches turning the first case's data and solution into the second's."""
    if idx1 == idx2:
        raise InvalidData(SAME_CASES)
    first = await get_case(session, settings, caller, idx1, message=FIRST_MISSING)
    second = await get_case(session, settings, caller, idx2, message=SECOND_MISSING)
    if first.schema != second.schema:
        raise InvalidData(OTHER_SCHEMA)
    result: dict[str, list[dict[str, Any]]] = {}
    if data:
        result["data_patch"] = await to_thread.run_sync(patches.make_patch, first.data, second.data)
    if solution:
        result["solution_patch"] = await to_thread.run_sync(
            patches.make_patch, first.solution, second.solution
        )
    return result
