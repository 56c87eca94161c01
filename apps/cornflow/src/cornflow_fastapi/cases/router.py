"""Cases: a user's tree of saved instance and solution pairs (/case/...)."""

from __future__ import annotations

from fastapi import APIRouter

from cornflow_fastapi.routing import CornflowRoute

router = APIRouter(route_class=CornflowRoute, tags=["Cases"])
