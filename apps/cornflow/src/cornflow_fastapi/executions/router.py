"""/execution/...: executions of a workflow on an instance, their state, results and logs."""

from __future__ import annotations

from fastapi import APIRouter

from cornflow_fastapi.routing import CornflowRoute

router = APIRouter(route_class=CornflowRoute, tags=["Executions"])
