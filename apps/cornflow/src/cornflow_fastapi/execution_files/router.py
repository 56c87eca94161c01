"""Files a run produced, stored as zip archives (/execution/files/...)."""

from __future__ import annotations

from fastapi import APIRouter

from cornflow_fastapi.routing import CornflowRoute

router = APIRouter(route_class=CornflowRoute, tags=["Execution files"])
