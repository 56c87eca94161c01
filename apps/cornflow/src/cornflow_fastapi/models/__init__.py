"""Every table of the Cornflow schema (Alembic head 4729cd156460)."""

from cornflow_fastapi.models.alarms import Alarm, MainAlarm
from cornflow_fastapi.models.base import Base, is_row_id, metadata, utcnow
from cornflow_fastapi.models.data import Case, Execution, Instance
from cornflow_fastapi.models.execution_state import STATE_MESSAGES, ExecutionState
from cornflow_fastapi.models.identity import (
    Action,
    ApiView,
    PermissionView,
    Role,
    User,
    UserRole,
)
from cornflow_fastapi.models.workflows import DeployedWorkflow, PermissionDag

__all__ = [
    "STATE_MESSAGES",
    "Action",
    "Alarm",
    "ApiView",
    "Base",
    "Case",
    "DeployedWorkflow",
    "Execution",
    "ExecutionState",
    "Instance",
    "MainAlarm",
    "PermissionDag",
    "PermissionView",
    "Role",
    "User",
    "UserRole",
    "is_row_id",
    "metadata",
    "utcnow",
]
