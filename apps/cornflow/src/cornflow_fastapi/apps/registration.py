"""Registering the installed apps as deployed workflows, with the DAG permissions to use them.

What Flask's `service init` does with the DAGs it reads from Airflow (`register_deployed_dags`
then `register_dag_permissions`), with the installed apps as the source: one
`deployed_workflows` row per app (id = app name, its description and six schemas) and the
`permission_dag` rows users need to use them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.access.catalog import RoleId
from cornflow_fastapi.apps.discovery import InstalledApp
from cornflow_fastapi.models import DeployedWorkflow, PermissionDag, User, UserRole

# The keys of ApplicationCore.get_schemas() and the deployed_workflows columns they fill.
SCHEMA_COLUMNS = {
    "instance": "instance_schema",
    "solution": "solution_schema",
    "config": "config_schema",
    "instance_checks": "instance_checks_schema",
    "solution_checks": "solution_checks_schema",
    "kpis": "kpis_schema",
}


@dataclass(frozen=True)
class RegistrationResult:
    created: list[str]
    updated: list[str]
    permissions_added: int


async def register_apps(
    session: AsyncSession, apps: Iterable[InstalledApp], *, open_deployment: int
) -> RegistrationResult:
    """Insert or refresh each app's deployed_workflows row, then grant the DAG permissions.

    The installed code is the source of truth, so schemas of a row that already exists are
    updated (as Cornflow's `update_dag_registry` does for Airflow apps). Only flushes.
    """
    created: list[str] = []
    updated: list[str] = []
    for app in apps:
        values = {SCHEMA_COLUMNS[key]: schema for key, schema in app.schemas().items()}
        values["description"] = app.description
        row = await session.get(DeployedWorkflow, app.name)
        if row is None:
            session.add(DeployedWorkflow(id=app.name, **values))
            created.append(app.name)
        elif any(getattr(row, column) != value for column, value in values.items()):
            for column, value in values.items():
                setattr(row, column, value)
            updated.append(app.name)
    await session.flush()
    added = await register_dag_permissions(session, open_deployment=open_deployment)
    return RegistrationResult(created=created, updated=updated, permissions_added=added)


async def register_dag_permissions(session: AsyncSession, *, open_deployment: int) -> int:
    """Flask's register_dag_permissions: every user may use every DAG, or only admins and
    service users when the deployment is not open. Returns how many rows were added."""
    users = select(User.id).where(User.deleted_at.is_(None))
    if int(open_deployment) != 1:
        users = users.where(
            User.id.in_(
                select(UserRole.user_id).where(
                    UserRole.deleted_at.is_(None),
                    UserRole.role_id.in_((RoleId.ADMIN, RoleId.SERVICE)),
                )
            )
        )
    user_ids = (await session.execute(users.order_by(User.id))).scalars().all()
    dag_ids = (
        (
            await session.execute(
                select(DeployedWorkflow.id)
                .where(DeployedWorkflow.deleted_at.is_(None))
                .order_by(DeployedWorkflow.id)
            )
        )
        .scalars()
        .all()
    )
    # Soft-deleted rows count as existing: another row for the pair would break the unique key.
    pairs = await session.execute(select(PermissionDag.dag_id, PermissionDag.user_id))
    existing = {(dag_id, user_id) for dag_id, user_id in pairs}
    missing = [
        PermissionDag(dag_id=dag_id, user_id=user_id)
        for user_id in user_ids
        for dag_id in dag_ids
        if (dag_id, user_id) not in existing
    ]
    session.add_all(missing)
    await session.flush()
    return len(missing)
