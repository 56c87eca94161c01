"""Who may use a workflow: OPEN_DEPLOYMENT and `permission_dag`."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from sqlalchemy import exists
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.access.catalog import View
from cornflow_fastapi.callers.guard import Caller, requires_caller
from cornflow_fastapi.config import CornflowSettings
from cornflow_fastapi.dependencies import SessionDep, SettingsDep
from cornflow_fastapi.errors import InvalidData, NoPermission
from cornflow_fastapi.models import PermissionDag
from cornflow_fastapi.request_parsing import flask_request_json


async def check_dag_permission(
    session: AsyncSession, settings: CornflowSettings, caller: Caller, workflow: Any
) -> None:
    """With OPEN_DEPLOYMENT=0, the caller needs a permission_dag row for the body's `schema`."""
    if int(settings.open_deployment) != 0:
        return
    if workflow is None:
        raise InvalidData("The request does not specify a schema to use")
    granted = await session.scalar(
        exists()
        .where(PermissionDag.user_id == caller.id, PermissionDag.dag_id == str(workflow))
        .select()
    )
    if not granted:
        raise NoPermission("You do not have permission to use this DAG")


def requires_dag_caller(view: View) -> Any:
    """The permitted caller, who with OPEN_DEPLOYMENT=0 also needs the body's workflow.

    As Flask's `dag_permission_required`, this runs before the body is validated and reads the
    `schema` of the raw body (Flask's `request.json`, with its 415 and 400), whatever else it
    holds; a JSON body that is no object names no workflow.
    """
    caller_dependency = requires_caller(view)

    async def dag_caller(
        request: Request,
        session: SessionDep,
        settings: SettingsDep,
        # A default, not Annotated: string annotations cannot name this local dependency.
        caller: Caller = caller_dependency,
    ) -> Caller:
        if int(settings.open_deployment) == 0:
            body = await flask_request_json(request, settings)
            workflow = body.get("schema") if isinstance(body, dict) else None
            await check_dag_permission(session, settings, caller, workflow)
        return caller

    dag_caller.__name__ = f"requires_dag_caller_{view.name.replace('-', '_')}"
    return Depends(dag_caller)
