"""Choosing the orchestrator CORNFLOW_BACKEND names."""

from __future__ import annotations

from cornflow_fastapi.config import CornflowBackend, CornflowSettings
from cornflow_fastapi.orchestrators.airflow import AirflowOrchestrator
from cornflow_fastapi.orchestrators.base import Orchestrator
from cornflow_fastapi.orchestrators.local import LocalOrchestrator
from svckit.db import Database


def build_orchestrator(settings: CornflowSettings, database: Database) -> Orchestrator | None:
    """The orchestrator of the configured backend; None for backends not built in yet."""
    if settings.cornflow_backend is CornflowBackend.LOCAL:
        return LocalOrchestrator(database, app_specs=settings.local_runner.app_specs)
    if settings.cornflow_backend is CornflowBackend.AIRFLOW:
        return AirflowOrchestrator.from_settings(settings)
    return None
