"""Who sees whose instances, executions and cases (spec §3.4).

With USER_ACCESS_ALL_OBJECTS=0 (the default) viewers and planners only reach their own objects,
and someone else's object is answered as missing (404), never as forbidden; admins and service
users reach everything. With USER_ACCESS_ALL_OBJECTS=1 everyone reaches everything.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.callers.guard import Caller
from cornflow_fastapi.config import CornflowSettings
from cornflow_fastapi.errors import ObjectDoesNotExist

ROW = TypeVar("ROW")


def sees_everything(caller: Caller, settings: CornflowSettings) -> bool:
    return caller.is_admin_or_service or bool(settings.user_access_all_objects)


def visible(
    statement: Select[Any], model: Any, caller: Caller, settings: CornflowSettings
) -> Select[Any]:
    """statement restricted to the rows caller may reach (deleted rows are never reachable)."""
    statement = statement.where(model.deleted_at.is_(None))
    if sees_everything(caller, settings):
        return statement
    return statement.where(model.user_id == caller.id)


async def get_visible(
    session: AsyncSession,
    model: type[ROW],
    idx: Any,
    caller: Caller,
    settings: CornflowSettings,
    *,
    message: str | None = None,
) -> ROW:
    """The row with id idx if caller may reach it, else ObjectDoesNotExist (404)."""
    statement = visible(select(model), model, caller, settings).where(
        model.id == idx  # type: ignore[attr-defined]
    )
    row: ROW | None = (await session.execute(statement)).scalars().first()
    if row is None:
        raise ObjectDoesNotExist(message)
    return row
