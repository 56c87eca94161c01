"""The licences of the installed Python distributions (/licences/)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from cornflow_fastapi.access import catalog
from cornflow_fastapi.callers.guard import requires_access
from cornflow_fastapi.licences.service import LicenceSummary, licences
from cornflow_fastapi.models import User
from cornflow_fastapi.routing import CornflowRoute

router = APIRouter(route_class=CornflowRoute, tags=["Licences"])


@router.get(catalog.LICENCES.url_rule, name=catalog.LICENCES.name, operation_id="list_licences")
async def list_licences(
    _user: Annotated[User, requires_access(catalog.LICENCES)],
) -> list[LicenceSummary]:
    """Library, licence, version, author, summary and home page of each installed package."""
    return await licences.get()
