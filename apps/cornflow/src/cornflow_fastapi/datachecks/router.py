"""Data-check runs on executions, instances and cases (/data-check/..., /data-check-kpis/...)."""

from __future__ import annotations

from fastapi import APIRouter

from cornflow_fastapi.routing import CornflowRoute

router = APIRouter(route_class=CornflowRoute, tags=["Data checks"])
