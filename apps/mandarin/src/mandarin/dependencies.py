"""Dependency aliases for what the app holds in its state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from mandarin.clock import ClockDep
from mandarin.config import MandarinSettings
from svckit.db import SessionDep
from svckit.http import Metrics, get_metrics
from svckit.passwords import PasswordHasher


def get_settings(request: Request) -> MandarinSettings:
    settings: MandarinSettings = request.app.state.settings
    return settings


def get_password_hasher(request: Request) -> PasswordHasher:
    hasher: PasswordHasher = request.app.state.password_hasher
    return hasher


SettingsDep = Annotated[MandarinSettings, Depends(get_settings)]
PasswordHasherDep = Annotated[PasswordHasher, Depends(get_password_hasher)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]

__all__ = ["ClockDep", "MetricsDep", "PasswordHasherDep", "SessionDep", "SettingsDep"]
