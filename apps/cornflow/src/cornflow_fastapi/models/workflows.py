"""Deployed workflows (DAGs / apps) and which users may use them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cornflow_fastapi.models.base import Base, TraceColumns


class DeployedWorkflow(TraceColumns, Base):
    __tablename__ = "deployed_workflows"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    instance_schema: Mapped[Any] = mapped_column(JSON, nullable=True)
    solution_schema: Mapped[Any] = mapped_column(JSON, nullable=True)
    config_schema: Mapped[Any] = mapped_column(JSON, nullable=True)
    instance_checks_schema: Mapped[Any] = mapped_column(JSON, nullable=True)
    solution_checks_schema: Mapped[Any] = mapped_column(JSON, nullable=True)
    kpis_schema: Mapped[Any] = mapped_column(JSON, nullable=True)


class PermissionDag(TraceColumns, Base):
    __tablename__ = "permission_dag"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dag_id: Mapped[str] = mapped_column(ForeignKey("deployed_workflows.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)

    __table_args__ = (UniqueConstraint("dag_id", "user_id"),)
