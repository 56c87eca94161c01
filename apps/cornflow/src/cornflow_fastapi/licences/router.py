"""The licences of the installed Python distributions (/licences/)."""

from __future__ import annotations

from fastapi import APIRouter

from cornflow_fastapi.routing import CornflowRoute

router = APIRouter(route_class=CornflowRoute, tags=["Licences"])
