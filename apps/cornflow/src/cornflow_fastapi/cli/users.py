"""`cornflow users create service|viewer|planner|admin|token`."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.access.catalog import RoleId
from cornflow_fastapi.callers import tokens
from cornflow_fastapi.cli.runtime import run_in_transaction
from cornflow_fastapi.config import CornflowSettings
from cornflow_fastapi.errors import InvalidUsage
from cornflow_fastapi.users import repository, service
from svckit.passwords import PasswordHasher

app = typer.Typer(help="Commands to manage the users", no_args_is_help=True)
create = typer.Typer(help="Create a user", no_args_is_help=True)
app.add_typer(create, name="create")

Username = Annotated[str, typer.Option("-u", "--username", help="The username of the user")]
Password = Annotated[str, typer.Option("-p", "--password", help="The password of the user")]
Email = Annotated[str, typer.Option("-e", "--email", help="The email of the user")]
Verbose = Annotated[bool, typer.Option("-v", "--verbose")]

MESSAGES = {
    "created": "User {username} is created and assigned {role} role",
    "assigned": "User {username} already exists and is assigned a {role} role",
    "unchanged": "User {username} exists and already has {role} role assigned",
}


def create_with_role(
    username: str, email: str, password: str, role: RoleId, role_label: str, verbose: bool
) -> None:
    async def work(session: AsyncSession, settings: CornflowSettings) -> str:
        hasher = PasswordHasher(scheme=settings.password_hash_scheme)
        return await service.ensure_user_with_role(
            session, hasher, username=username, email=email, password=password, role_id=role
        )

    try:
        outcome = run_in_transaction(work)
    except InvalidUsage as error:
        typer.echo(f"Error: {error.message}", err=True)
        raise typer.Exit(1) from None
    if verbose:
        typer.echo(MESSAGES[outcome].format(username=username, role=role_label))


@create.command("service", help="Create a service user")
def create_service(
    username: Username, password: Password, email: Email, verbose: Verbose = False
) -> None:
    create_with_role(username, email, password, RoleId.SERVICE, "service user", verbose)


@create.command("viewer", help="Create a viewer user")
def create_viewer(
    username: Username, password: Password, email: Email, verbose: Verbose = False
) -> None:
    create_with_role(username, email, password, RoleId.VIEWER, "viewer user", verbose)


@create.command("planner", help="Create a planner user")
def create_planner(
    username: Username, password: Password, email: Email, verbose: Verbose = False
) -> None:
    create_with_role(username, email, password, RoleId.PLANNER, "planner user", verbose)


@create.command("admin", help="Create an admin user")
def create_admin(
    username: Username, password: Password, email: Email, verbose: Verbose = False
) -> None:
    create_with_role(username, email, password, RoleId.ADMIN, "admin", verbose)


@create.command(
    "token",
    help="Creates a token for a user that is never going to expire. "
    "This token can only be used on BI endpoints",
)
def create_token(
    idx: Annotated[
        int, typer.Option("-i", "--idx", help="The id of the user to generate the token for")
    ],
    username: Username,
    password: Password,
) -> None:
    """Print a BI token for user idx; the asking user must be a service user."""

    async def work(session: AsyncSession, settings: CornflowSettings) -> str:
        if not settings.secret_bi_key:
            raise InvalidUsage("SECRET_BI_KEY is not configured")
        hasher = PasswordHasher(scheme=settings.password_hash_scheme)
        asking = await repository.get_user_by_username(session, username)
        outcome = await hasher.verify(password, asking.password if asking else None)
        if (
            asking is None
            or not outcome.ok
            or not await repository.has_role(session, asking.id, RoleId.SERVICE)
        ):
            raise InvalidUsage("The asking user has no permissions to generate tokens")
        user = await repository.get_user(session, idx)
        if user is None:
            raise InvalidUsage("User does not exist")
        return tokens.issue_bi(settings.secret_bi_key, user.username)

    try:
        typer.echo(run_in_transaction(work))
    except InvalidUsage as error:
        typer.echo(f"Error: {error.message}", err=True)
        raise typer.Exit(1) from None
