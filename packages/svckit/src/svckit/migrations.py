"""Alembic driven from code: an app's packaged migrations against any database URL.

An app ships `<package>/migrations/` (env.py, script.py.mako, versions/) inside its wheel and no
alembic.ini: the Config is built here from a package resource path such as
`"cornflow_fastapi:migrations"`. Each app names its version table, so two apps (or two chains of
one app) can share a database without touching each other's revision.

The app's env.py is one call to `run_env(metadata)`. The functions here block and run their own
event loop for the async engine: call them from sync code or a worker thread (asyncio.to_thread).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Annotated, Any

import typer
from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from svckit.db import async_url, create_engine

DEFAULT_VERSION_TABLE = "alembic_version"

# Config.attributes keys: values that must not go through the ini parser's `%` interpolation.
URL_ATTRIBUTE = "svckit.database_url"
VERSION_TABLE_ATTRIBUTE = "svckit.version_table"


def migration_config(
    script_location: str, url: str, *, version_table: str = DEFAULT_VERSION_TABLE
) -> Config:
    """An Alembic Config for the migrations at script_location ("package:directory")."""
    config = Config()
    config.set_main_option("script_location", script_location)
    config.attributes[URL_ATTRIBUTE] = url
    config.attributes[VERSION_TABLE_ATTRIBUTE] = version_table
    return config


def upgrade(config: Config, revision: str = "head") -> None:
    command.upgrade(config, revision)


def downgrade(config: Config, revision: str) -> None:
    command.downgrade(config, revision)


def head(config: Config) -> str | None:
    """The head revision of the packaged chain."""
    return ScriptDirectory.from_config(config).get_current_head()


def current(config: Config) -> str | None:
    """The revision the database is at; None when it has no version row (or no version table)."""
    version_table = _version_table(config)

    def read(connection: Connection) -> str | None:
        migration_context = MigrationContext.configure(
            connection, opts={"version_table": version_table}
        )
        return migration_context.get_current_revision()

    async def read_database() -> str | None:
        engine = _migration_engine(_url(config))
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(read)
        finally:
            await engine.dispose()

    return asyncio.run(read_database())


def run_env(target_metadata: MetaData | None) -> None:
    """The body of an app's migrations/env.py."""
    config = context.config
    options: dict[str, Any] = {
        "target_metadata": target_metadata,
        "version_table": _version_table(config),
        # New revisions come out as batch operations, the only form SQLite can apply.
        "render_as_batch": True,
        "compare_type": True,
    }
    if context.is_offline_mode():
        context.configure(
            url=async_url(_url(config)),
            literal_binds=True,
            dialect_opts={"paramstyle": "named"},
            **options,
        )
        with context.begin_transaction():
            context.run_migrations()
        return

    asyncio.run(_run_migrations_on_new_engine(_url(config), options))


def _run_migrations(connection: Connection, options: dict[str, Any]) -> None:
    # SQLite runs DDL inside transactions when the driver lets SQLAlchemy emit BEGIN (as
    # svckit.db's engines do); alembic's SQLite default would commit after every revision and
    # leave a half-migrated database behind a failure.
    context.configure(connection=connection, transactional_ddl=True, **options)
    with context.begin_transaction():
        context.run_migrations()


async def _run_migrations_on_new_engine(url: str, options: dict[str, Any]) -> None:
    engine = _migration_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_migrations, options)
    finally:
        await engine.dispose()


def _migration_engine(url: str) -> AsyncEngine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        # Batch operations rebuild a table by copying it and dropping the original; with
        # foreign keys enforced, dropping a table that other rows reference would fail (or
        # cascade). The pragma is ignored inside a transaction, hence on connect.
        @event.listens_for(engine.sync_engine, "connect")
        def _foreign_keys_off(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=OFF")
            cursor.close()

    return engine


def _url(config: Config) -> str:
    url = config.attributes.get(URL_ATTRIBUTE) or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: build the Config with svckit.migrations")
    return str(url)


def _version_table(config: Config) -> str:
    return str(config.attributes.get(VERSION_TABLE_ATTRIBUTE, DEFAULT_VERSION_TABLE))


class _EchoHandler(logging.Handler):
    # Looks sys.stderr up on every record (through click), so a swapped or closed stream (a
    # test runner's) is never written to later.
    def emit(self, record: logging.LogRecord) -> None:
        typer.echo(self.format(record), err=True)


def _show_alembic_progress() -> None:
    """Print alembic's "Running upgrade ..." lines, as Flask-Migrate's logging setup does."""
    logger = logging.getLogger("alembic")
    if not any(isinstance(handler, _EchoHandler) for handler in logger.handlers):
        handler = _EchoHandler()
        handler.setFormatter(logging.Formatter("%(levelname)-5.5s [%(name)s] %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def migrations_cli(
    *,
    script_location: str,
    database_url: Callable[[], str],
    version_table: str = DEFAULT_VERSION_TABLE,
    authoring: bool = True,
    help_text: str = "Database migrations",
) -> typer.Typer:
    """A Typer app with upgrade / downgrade / current (and revision) for one app's migrations.

    database_url is called when a command runs, so settings are read then, not at import.
    authoring=False leaves out `revision`, for chains that must not grow (a chain shared with
    another server).
    """
    app = typer.Typer(help=help_text, no_args_is_help=True)

    def config() -> Config:
        return migration_config(script_location, database_url(), version_table=version_table)

    @app.callback()
    def _setup() -> None:
        _show_alembic_progress()

    @app.command("upgrade", help="Apply migrations")
    def upgrade_command(
        revision: Annotated[
            str, typer.Option("-r", "--revision", help="The revision to upgrade to")
        ] = "head",
    ) -> None:
        upgrade(config(), revision)

    @app.command("downgrade", help="Downgrade migrations")
    def downgrade_command(
        revision: Annotated[
            str, typer.Option("-r", "--revision", help="The revision to downgrade to")
        ] = "-1",
    ) -> None:
        downgrade(config(), revision)

    @app.command("current", help="Show the revision the database is at")
    def current_command() -> None:
        alembic_config = config()
        revision = current(alembic_config)
        if revision is None:
            typer.echo("None")
        elif revision == head(alembic_config):
            typer.echo(f"{revision} (head)")
        else:
            typer.echo(revision)

    if authoring:

        @app.command("revision", help="Create a new migration script")
        def revision_command(
            message: Annotated[str, typer.Option("-m", "--message", help="What it changes")],
            autogenerate: Annotated[
                bool,
                typer.Option(help="Fill it with the differences between models and database"),
            ] = False,
        ) -> None:
            command.revision(config(), message=message, autogenerate=autogenerate)

    return app
