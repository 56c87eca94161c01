"""Dependency aliases for what the app holds in its state.

The getters are `async def` so FastAPI calls them on the loop instead of in a worker thread.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from mandarin.clock import ClockDep
from mandarin.config import MandarinSettings
from svckit.db import SessionDep
from svckit.http import Metrics, get_metrics
from svckit.passwords import PasswordHasher


async def get_settings(request: Request) -> MandarinSettings:
    settings: MandarinSettings = request.app.state.settings
    return settings


async def get_password_hasher(request: Request) -> PasswordHasher:
    hasher: PasswordHasher = request.app.state.password_hasher
    return hasher


SettingsDep = Annotated[MandarinSettings, Depends(get_settings)]
PasswordHasherDep = Annotated[PasswordHasher, Depends(get_password_hasher)]


async def metrics_dependency(request: Request) -> Metrics:
    return get_metrics(request)


MetricsDep = Annotated[Metrics, Depends(metrics_dependency)]

__all__ = ["ClockDep", "MetricsDep", "PasswordHasherDep", "SessionDep", "SettingsDep"]
