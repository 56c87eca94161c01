"""Alarms and main alarms (/alarms/, /main-alarms/; only with CF_ALARMS_ENDPOINT)."""

from __future__ import annotations

from fastapi import APIRouter

from cornflow_fastapi.routing import CornflowRoute

router = APIRouter(route_class=CornflowRoute, tags=["Alarms"])
