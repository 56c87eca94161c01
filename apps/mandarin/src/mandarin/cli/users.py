"""`mandarin users create-admin` and `mandarin users create`."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from pydantic import EmailStr, TypeAdapter, ValidationError

from mandarin.auth import repository, service
from mandarin.auth.schemas import NewPassword
from mandarin.clock import SystemClock
from mandarin.config import MandarinSettings
from mandarin.errors import AppError
from svckit.db import Database
from svckit.passwords import PasswordHasher

app = typer.Typer(help="Manage accounts", no_args_is_help=True)

Email = Annotated[str, typer.Option("--email", help="The administrator's email")]
Password = Annotated[
    str,
    typer.Option(
        "--password", prompt=True, hide_input=True, help="Their password (asked if not given)"
    ),
]


async def _create_user(
    settings: MandarinSettings, email: str, password: str, *, admin: bool
) -> str:
    database = Database.from_url(settings.database.url)
    hasher = PasswordHasher(
        argon2_time_cost=settings.password.argon2_time_cost,
        argon2_memory_cost=settings.password.argon2_memory_cost,
        argon2_parallelism=settings.password.argon2_parallelism,
    )
    try:
        async with database.sessionmaker() as session, session.begin():
            existing = await repository.get_user_by_email(session, service.normalise_email(email))
            if existing is not None:
                if not admin:
                    return f"{existing.email} already exists; left as it is"
                existing.is_admin = True
                return f"{existing.email} already exists; it is now an administrator"
            user = await service.create_user(
                session,
                hasher,
                email=email,
                password=password,
                is_admin=admin,
                now=SystemClock().now(),
            )
            return f"{'Administrator' if admin else 'Learner'} {user.email} created"
    finally:
        await database.dispose()


def _create(email: str, password: str, *, admin: bool) -> None:
    try:
        checked_email = str(TypeAdapter(EmailStr).validate_python(email))
        TypeAdapter(NewPassword).validate_python(password)
    except ValidationError as error:
        typer.echo(f"Error: {error.errors()[0]['msg']}", err=True)
        raise typer.Exit(1) from None
    try:
        message = asyncio.run(
            _create_user(MandarinSettings(), checked_email, password, admin=admin)
        )
    except AppError as error:
        typer.echo(f"Error: {error.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(message)


@app.command("create-admin")
def create_admin(email: Email, password: Password) -> None:
    """Create an administrator, or make an existing account one (its password is kept)."""
    _create(email, password, admin=True)


@app.command("create")
def create_learner(
    email: Annotated[str, typer.Option("--email", help="The learner's email")], password: Password
) -> None:
    """Create a learner account; an existing account is left unchanged."""
    _create(email, password, admin=False)
