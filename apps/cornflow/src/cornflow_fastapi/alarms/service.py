"""Alarms and main alarms: rows anyone allowed on the endpoints reads and writes alike.

A missing alarm is a 404; disabling one only stamps `deleted_at`, after which reads and edits
no longer find it (disabling it again still does).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.errors import InvalidData, ObjectDoesNotExist
from cornflow_fastapi.models import Alarm, MainAlarm, is_row_id, utcnow
from cornflow_fastapi.records.persistence import flush_or_refuse

ROW = TypeVar("ROW", Alarm, MainAlarm)


async def _save(session: AsyncSession, row: ROW, subject: str) -> ROW:
    session.add(row)
    await flush_or_refuse(session, "saving", subject)
    return row


def _listing(model: type[ROW], filters: Mapping[str, Any]) -> Select[Any]:
    statement = select(model).where(model.deleted_at.is_(None))
    for column, value in filters.items():
        if value is not None:
            statement = statement.where(getattr(model, column) == value)
    # Cornflow reads without ORDER BY; the id order is what its SQLite tables give.
    return statement.order_by(model.id)


async def list_alarms(session: AsyncSession, *, criticality: float | None) -> list[Alarm]:
    statement = _listing(Alarm, {"criticality": criticality})
    return list((await session.execute(statement)).scalars())


async def create_alarm(session: AsyncSession, fields: Mapping[str, Any]) -> Alarm:
    now = utcnow()
    alarm = Alarm(**fields, created_at=now, updated_at=now)
    return await _save(session, alarm, "<Alarm None>")


async def get_alarm(session: AsyncSession, idx: int) -> Alarm:
    alarm = await session.get(Alarm, idx) if is_row_id(idx) else None
    if alarm is None or alarm.deleted_at is not None:
        raise ObjectDoesNotExist()
    return alarm


async def update_alarm(session: AsyncSession, idx: int, changes: Mapping[str, Any]) -> None:
    alarm = await get_alarm(session, idx)
    for column, value in changes.items():
        setattr(alarm, column, value)
    alarm.updated_at = utcnow()
    await flush_or_refuse(session, "updating", f"<Alarm {idx}>")


async def disable_alarm(session: AsyncSession, idx: int) -> None:
    """Stamp deleted_at, also on an alarm already disabled (Cornflow finds those too)."""
    alarm = await session.get(Alarm, idx) if is_row_id(idx) else None
    if alarm is None:
        raise ObjectDoesNotExist(f"Object with id {idx} not found.")
    alarm.deleted_at = utcnow()
    await session.flush()


async def list_main_alarms(
    session: AsyncSession, *, id_alarm: int | None, criticality: float | None
) -> list[MainAlarm]:
    if id_alarm is not None and not is_row_id(id_alarm):
        return []
    statement = _listing(MainAlarm, {"id_alarm": id_alarm, "criticality": criticality})
    return list((await session.execute(statement)).scalars())


async def create_main_alarm(session: AsyncSession, fields: Mapping[str, Any]) -> MainAlarm:
    subject = "<Main_Alarms None>"
    # The foreign key refuses an alarm that does not exist (a disabled one is still there).
    # Left to the database, as on the Flask server: on PostgreSQL the refused insert still
    # takes a number from the id sequence. A number no integer column holds is refused here,
    # with the same answer, so that both databases answer alike.
    if not is_row_id(fields["id_alarm"]):
        raise InvalidData(f"Integrity error on saving with data {subject}")
    now = utcnow()
    alarm = MainAlarm(**fields, created_at=now, updated_at=now)
    return await _save(session, alarm, subject)
