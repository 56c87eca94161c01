"""Dependency aliases for what the app holds in its state.

The getters are `async def` so FastAPI calls them on the loop instead of a worker thread.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from cornflow_fastapi.config import CornflowSettings
from cornflow_fastapi.orchestrators.base import Orchestrator
from svckit.db import SessionDep
from svckit.passwords import PasswordHasher


async def get_settings(request: Request) -> CornflowSettings:
    settings: CornflowSettings = request.app.state.settings
    return settings


async def get_password_hasher(request: Request) -> PasswordHasher:
    hasher: PasswordHasher = request.app.state.password_hasher
    return hasher


async def get_orchestrator(request: Request) -> Orchestrator | None:
    orchestrator: Orchestrator | None = request.app.state.orchestrator
    return orchestrator


SettingsDep = Annotated[CornflowSettings, Depends(get_settings)]
PasswordHasherDep = Annotated[PasswordHasher, Depends(get_password_hasher)]
OrchestratorDep = Annotated[Orchestrator | None, Depends(get_orchestrator)]

__all__ = ["OrchestratorDep", "PasswordHasherDep", "SessionDep", "SettingsDep"]
