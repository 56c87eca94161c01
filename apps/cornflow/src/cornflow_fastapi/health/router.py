"""GET /health/, public, with the Flask server's payload."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from cornflow_fastapi.access import catalog
from cornflow_fastapi.config import CORNFLOW_VERSION, CornflowBackend
from cornflow_fastapi.dependencies import SettingsDep
from cornflow_fastapi.errors import EndpointNotImplemented
from cornflow_fastapi.health.probe import HealthProbes
from cornflow_fastapi.routing import CornflowRoute

HEALTHY = "healthy"
UNHEALTHY = "unhealthy"
AIRFLOW_BACKEND = 1
DATABRICKS_BACKEND = 2

router = APIRouter(route_class=CornflowRoute, tags=["Health"])


class HealthResponse(BaseModel):
    cornflow_status: str
    backend_status: str
    cornflow_version: str


@router.get(catalog.HEALTH.url_rule, name=catalog.HEALTH.name, operation_id="health")
async def health(request: Request, settings: SettingsDep) -> HealthResponse:
    """Cornflow is healthy when its service user exists; the backend when it answers."""
    probes: HealthProbes = request.app.state.health_probes
    if probes.backend is not None:
        alive = await probes.backend()
    elif settings.cornflow_backend == CornflowBackend.DATABRICKS:
        alive = False
    else:
        raise EndpointNotImplemented()
    return HealthResponse(
        cornflow_status=HEALTHY if await probes.service_user() else UNHEALTHY,
        backend_status=HEALTHY if alive else UNHEALTHY,
        cornflow_version=CORNFLOW_VERSION,
    )
