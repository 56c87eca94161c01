"""`cornflow serve` and `cornflow service init` (Docker's entry point, usable anywhere)."""

from __future__ import annotations

import os
import secrets
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi import extension_schema, schema_migrations
from cornflow_fastapi.access import seed
from cornflow_fastapi.access.catalog import RoleId
from cornflow_fastapi.apps import registration
from cornflow_fastapi.apps.discovery import load_apps
from cornflow_fastapi.cli.runtime import run_in_transaction
from cornflow_fastapi.config import AuthType, CornflowBackend, CornflowSettings
from cornflow_fastapi.users import service
from svckit import serving
from svckit.passwords import PasswordHasher

service_app = typer.Typer(help="Commands to run the cornflow service", no_args_is_help=True)

Host = Annotated[str, typer.Option("--host", help="Interface to listen on")]
Port = Annotated[int, typer.Option("--port", help="Port to listen on")]
Workers = Annotated[int, typer.Option("--workers", help="Worker processes")]


def serve(host: Host = "127.0.0.1", port: Port = 5000, workers: Workers = 1) -> None:
    """Start the server with the settings of the environment."""
    serving.serve(
        "cornflow_fastapi.main:app_from_environment", host=host, port=port, workers=workers
    )


def _ensure_secret_key() -> None:
    # As Flask's service init: FERNET_KEY, else a random key for this start (tokens then die
    # with the process); exported so every worker process shares it.
    if not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = os.environ.get("FERNET_KEY") or secrets.token_urlsafe(48)


def _initial_users(settings: CornflowSettings) -> list[tuple[str, str, str, RoleId]]:
    env = os.environ.get
    return [
        (
            env("CORNFLOW_ADMIN_USER", "cornflow_admin"),
            env("CORNFLOW_ADMIN_EMAIL", "cornflow_admin@cornflow.com"),
            env("CORNFLOW_ADMIN_PWD", "Cornflow_admin1234"),
            RoleId.ADMIN,
        ),
        (
            settings.cornflow_service_user,
            env("CORNFLOW_SERVICE_EMAIL", "service_user@cornflow.com"),
            env("CORNFLOW_SERVICE_PWD", "Service_user1234"),
            RoleId.SERVICE,
        ),
    ]


def initialise(settings: CornflowSettings) -> None:
    """Migrate, sync the permission tables, create the admin and service users, and (local
    backend) register the installed apps with their DAG permissions."""
    schema_migrations.upgrade(settings.database_url)
    extension_schema.upgrade(settings.database_url)
    local = settings.cornflow_backend is CornflowBackend.LOCAL
    apps = load_apps(settings.local_runner.app_specs) if local else {}

    async def work(session: AsyncSession, chosen: CornflowSettings) -> None:
        await seed.init_access(session, chosen)
        if chosen.auth_type in (AuthType.DB, AuthType.OID):
            hasher = PasswordHasher(scheme=chosen.password_hash_scheme)
            for username, email, password, role in _initial_users(chosen):
                await service.ensure_user_with_role(
                    session,
                    hasher,
                    username=username,
                    email=email,
                    password=password,
                    role_id=role,
                )
        if local:
            await registration.register_apps(
                session, apps.values(), open_deployment=chosen.open_deployment
            )

    run_in_transaction(work, settings)


@service_app.command("init", help="Initialize the service: migrate, permissions, users, serve")
def service_init(host: Host = "0.0.0.0", port: Port = 5000, workers: Workers = 3) -> None:  # noqa: S104
    _ensure_secret_key()
    initialise(CornflowSettings())
    serve(host=host, port=port, workers=workers)
