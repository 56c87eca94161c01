"""Instances, executions and cases: the data a user optimises."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cornflow_fastapi.models.base import Base, TraceColumns


class Instance(TraceColumns, Base):
    __tablename__ = "instances"

    id: Mapped[str] = mapped_column(String(256), primary_key=True)
    data: Mapped[Any] = mapped_column(JSON, nullable=True)
    name: Mapped[str] = mapped_column(String(256), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    data_hash: Mapped[str] = mapped_column(String(256), nullable=False)
    schema: Mapped[str | None] = mapped_column(String(256), nullable=True)
    checks: Mapped[Any] = mapped_column(JSON, nullable=True)


class Execution(TraceColumns, Base):
    __tablename__ = "executions"

    id: Mapped[str] = mapped_column(String(256), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(256), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    config: Mapped[Any] = mapped_column(JSON, nullable=False)
    run_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    log_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    log_json: Mapped[Any] = mapped_column(JSON, nullable=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    state: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=0, server_default="0")
    state_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    data: Mapped[Any] = mapped_column(JSON, nullable=True)
    data_hash: Mapped[str] = mapped_column(String(256), nullable=False)
    schema: Mapped[str | None] = mapped_column(String(256), nullable=True)
    checks: Mapped[Any] = mapped_column(JSON, nullable=True)
    kpis: Mapped[Any] = mapped_column(JSON, nullable=True)
    last_run_checks_and_kpis: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    checks_and_kpis_only: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    execution_files_status: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=0)


class Case(TraceColumns, Base):
    __tablename__ = "cases"

    data: Mapped[Any] = mapped_column(JSON, nullable=True)
    name: Mapped[str] = mapped_column(String(256), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    data_hash: Mapped[str] = mapped_column(String(256), nullable=False)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    path: Mapped[str] = mapped_column(String(500), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    schema: Mapped[str | None] = mapped_column(String(256), nullable=True)
    solution: Mapped[Any] = mapped_column(JSON, nullable=True)
    solution_hash: Mapped[str] = mapped_column(String(256), nullable=False)
    checks: Mapped[Any] = mapped_column(JSON, nullable=True)
    solution_checks: Mapped[Any] = mapped_column(JSON, nullable=True)
    kpis: Mapped[Any] = mapped_column(JSON, nullable=True)
