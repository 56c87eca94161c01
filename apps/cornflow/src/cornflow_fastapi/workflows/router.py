"""Workflows (DAGs): the worker write-back (/dag/...), deployed workflows, schemas and examples."""

from __future__ import annotations

from fastapi import APIRouter

from cornflow_fastapi.routing import CornflowRoute

router = APIRouter(route_class=CornflowRoute, tags=["DAGs"])
