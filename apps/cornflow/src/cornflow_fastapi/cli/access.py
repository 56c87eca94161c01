"""`cornflow actions|roles|views|permissions ...`: seed the permission tables like Flask's CLI."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.access import seed
from cornflow_fastapi.access.catalog import exposed_views
from cornflow_fastapi.config import CornflowSettings
from svckit.db import Database

T = TypeVar("T")

Verbose = Annotated[bool, typer.Option("-v", "--verbose", help="Report what changed")]

actions_app = typer.Typer(help="Commands to manage the actions", no_args_is_help=True)
roles_app = typer.Typer(help="Commands to manage the roles", no_args_is_help=True)
views_app = typer.Typer(help="Commands to manage the views", no_args_is_help=True)
permissions_app = typer.Typer(help="Commands to manage the permissions", no_args_is_help=True)

apps: dict[str, typer.Typer] = {
    "actions": actions_app,
    "roles": roles_app,
    "views": views_app,
    "permissions": permissions_app,
}


def _in_transaction(
    settings: CornflowSettings, operation: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    """Run operation in one transaction on the configured database, committed at the end."""

    async def run() -> T:
        database = Database.from_url(settings.database_url)
        try:
            async with database.sessionmaker() as session, session.begin():
                return await operation(session)
        finally:
            await database.dispose()

    try:
        return asyncio.run(run())
    except seed.MissingViewsError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(code=1) from error


def _report(label: str, names: list[str], *, none: str) -> None:
    typer.echo(f"{label}: {', '.join(names)}" if names else none)


def _report_actions(names: list[str]) -> None:
    _report("Actions registered", names, none="No new actions to be registered")


def _report_roles(names: list[str]) -> None:
    _report("Roles registered", names, none="No new roles to be registered")


def _report_views(changes: seed.ViewChanges) -> None:
    _report("Endpoints registered", changes.inserted, none="No new endpoints to be registered")
    if changes.updated:
        typer.echo(f"Endpoints updated: {', '.join(changes.updated)}")
    if changes.deleted:
        typer.echo(f"Endpoints deleted: {', '.join(changes.deleted)}")


def _describe(grant: seed.Grant) -> str:
    return f"role {grant.role_id} action {grant.action_id} view {grant.api_view_id}"


def _report_permissions(changes: seed.PermissionChanges, *, verbose: bool) -> None:
    # Flask logs the counts with or without --verbose; the deleted grants are listed too
    # because hand-made grants vanishing is the surprise worth seeing.
    if changes.inserted:
        typer.echo(f"Permissions registered: {len(changes.inserted)}")
    else:
        typer.echo("No new permissions to register")
    if changes.restored:
        typer.echo(f"Permissions restored: {len(changes.restored)}")
    if changes.deleted:
        typer.echo(f"Permissions deleted: {len(changes.deleted)}")
        if verbose:
            for grant in changes.deleted:
                typer.echo(f"  deleted: {_describe(grant)}")
    else:
        typer.echo("No permissions to delete")


@actions_app.command("init", help="Initialize the actions")
def init_actions(verbose: Verbose = False) -> None:
    inserted = _in_transaction(CornflowSettings(), seed.insert_missing_actions)
    if verbose:
        _report_actions(inserted)


@roles_app.command("init", help="Initializes the roles with the default roles")
def init_roles(verbose: Verbose = False) -> None:
    inserted = _in_transaction(CornflowSettings(), seed.insert_missing_roles)
    if verbose:
        _report_roles(inserted)


@views_app.command("init", help="Initialize the views")
def init_views(verbose: Verbose = False) -> None:
    settings = CornflowSettings()
    views = exposed_views(settings)

    async def sync(session: AsyncSession) -> seed.ViewChanges:
        return await seed.sync_views(session, views)

    changes = _in_transaction(settings, sync)
    if verbose:
        _report_views(changes)


@permissions_app.command("init", help="Creates the actions, views, roles and permissions")
def init_permissions(verbose: Verbose = False) -> None:
    settings = CornflowSettings()

    async def init(session: AsyncSession) -> seed.AccessChanges:
        return await seed.init_access(session, settings)

    changes = _in_transaction(settings, init)
    if verbose:
        _report_actions(changes.actions)
        _report_roles(changes.roles)
        _report_views(changes.views)
    _report_permissions(changes.permissions, verbose=verbose)


@permissions_app.command("base", help="Initialize the base permissions")
def init_base_permissions(verbose: Verbose = False) -> None:
    settings = CornflowSettings()
    views = exposed_views(settings)

    async def sync(session: AsyncSession) -> seed.PermissionChanges:
        return await seed.sync_permissions(session, views)

    changes = _in_transaction(settings, sync)
    _report_permissions(changes, verbose=verbose)
