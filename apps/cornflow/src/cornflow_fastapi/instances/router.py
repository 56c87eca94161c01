"""Instances: the input data sets of optimisation problems (/instance/, /instancefile/)."""

from __future__ import annotations

from fastapi import APIRouter

from cornflow_fastapi.routing import CornflowRoute

router = APIRouter(route_class=CornflowRoute, tags=["Instances"])
