"""Alarms and main alarms (served when CF_ALARMS_ENDPOINT is on)."""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cornflow_fastapi.models.base import Base, TraceColumns


class Alarm(TraceColumns, Base):
    __tablename__ = "alarms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(256), nullable=False)
    criticality: Mapped[float] = mapped_column(Float, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    schema: Mapped[str | None] = mapped_column(String(256), nullable=True)


class MainAlarm(TraceColumns, Base):
    __tablename__ = "main_alarms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id_alarm: Mapped[int] = mapped_column(ForeignKey("alarms.id"), nullable=False)
    criticality: Mapped[float] = mapped_column(Float, nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    schema: Mapped[str | None] = mapped_column(String(256), nullable=True)
