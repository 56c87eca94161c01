"""The two servers under comparison, each on its own database seeded through its own CLI.

Seeding through a CLI costs seconds per command (each one starts Python and imports the whole
server), so each distinct set of users is seeded once per server into a template database, with
the default settings, and every scenario gets a copy of it: a file copy on SQLite, `CREATE
DATABASE ... TEMPLATE` on PostgreSQL. A scenario with settings of its own then runs `permissions
init` under them on its copy, as a deployment does when it restarts with new settings.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import make_url

from cutover.parity.scenario import CLI_ROLES, Setup, UserSpec
from cutover.reference import flask_environment, run_cli
from cutover.servers import cornflow_environment
from cutover.servers import run_cli as run_our_cli
from svckit.db import create_engine

FLASK = "flask"
OURS = "ours"
SIDES = (FLASK, OURS)

# Both servers get the Flask server's defaults spelled out where ours has other defaults:
# parity compares the two configured alike, as an operator's unchanged environment does.
BASE_SETTINGS = {"CORNFLOW_BACKEND": "1"}


class Server(Protocol):
    @property
    def base_url(self) -> str: ...

    def start(self, timeout: float = 60) -> object: ...

    def stop(self) -> None: ...


# How each CLI creates a user with a role (Flask 1.3.9 spreads them over two command groups).
_FLASK_USER_COMMANDS = {
    "service": ("users", "create", "service"),
    "viewer": ("users", "create", "viewer"),
    "admin": ("flask", "create_admin_user"),
    "planner": ("flask", "create_base_user"),
}


def _cli_roles(user: UserSpec) -> list[str]:
    """The roles the CLI gives; a user with none made by a CLI is created as a viewer and the
    viewer role is taken away through the API when the scenario starts."""
    roles = [role for role in user.roles if role in CLI_ROLES]
    return roles or ["viewer"]


def seed_flask(database_url: str, secret_key: str, setup: Setup, log: Path | None) -> None:
    env = flask_environment(database_url, secret_key, **BASE_SETTINGS)
    outputs = [run_cli(env, "migrations", "upgrade"), run_cli(env, "permissions", "init")]
    for user in setup.users:
        for role in _cli_roles(user):
            credentials = ("-u", user.username, "-e", user.email, "-p", user.password)
            outputs.append(run_cli(env, *_FLASK_USER_COMMANDS[role], *credentials))
    if log:
        log.write_text("\n".join(outputs))


def seed_ours(database_url: str, secret_key: str, setup: Setup, log: Path | None) -> None:
    env = cornflow_environment(database_url, secret_key, **BASE_SETTINGS)
    outputs = [run_our_cli(env, "migrations", "upgrade"), run_our_cli(env, "permissions", "init")]
    for user in setup.users:
        for role in _cli_roles(user):
            credentials = ("-u", user.username, "-e", user.email, "-p", user.password)
            outputs.append(run_our_cli(env, "users", "create", role, *credentials))
    if log:
        log.write_text("\n".join(outputs))


def init_permissions(
    side: str, database_url: str, secret_key: str, settings: dict[str, str]
) -> str:
    """`cornflow permissions init` under these settings (they decide which views exist)."""
    if side == FLASK:
        return run_cli(
            flask_environment(database_url, secret_key, **settings), "permissions", "init"
        )
    return run_our_cli(
        cornflow_environment(database_url, secret_key, **settings), "permissions", "init"
    )


class Databases(Protocol):
    kind: str

    def template(self, name: str) -> str: ...

    def copy(self, template_url: str, name: str) -> str: ...

    def drop(self, url: str) -> None: ...

    def close(self) -> None: ...


@dataclass
class SqliteDatabases:
    directory: Path
    kind: str = "sqlite"

    def template(self, name: str) -> str:
        return f"sqlite:///{self.directory / f'template-{name}.db'}"

    def copy(self, template_url: str, name: str) -> str:
        target = self.directory / f"{name}-{uuid.uuid4().hex[:6]}.db"
        shutil.copyfile(_sqlite_path(template_url), target)
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        _sqlite_path(url).unlink(missing_ok=True)

    def close(self) -> None:
        for path in self.directory.glob("template-*.db"):
            path.unlink()


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    assert database, url
    return Path(database)


@dataclass
class PostgresDatabases:
    """Scratch databases created next to base_url's, all dropped by close()."""

    base_url: str
    kind: str = "postgres"
    prefix: str = field(default_factory=lambda: f"parity_{uuid.uuid4().hex[:8]}")
    created: list[str] = field(default_factory=list)

    def _execute(self, *statements: str) -> None:
        async def run() -> None:
            engine = create_engine(self.base_url)
            try:
                async with engine.connect() as connection:
                    connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
                    for statement in statements:
                        await connection.execute(text(statement))
            finally:
                await engine.dispose()

        asyncio.run(run())

    def _url(self, name: str) -> str:
        return make_url(self.base_url).set(database=name).render_as_string(hide_password=False)

    def template(self, name: str) -> str:
        database = f"{self.prefix}_t_{name}"
        self._execute(f'CREATE DATABASE "{database}"')
        self.created.append(database)
        return self._url(database)

    def copy(self, template_url: str, name: str) -> str:
        template = make_url(template_url).database
        database = f"{self.prefix}_{name}_{uuid.uuid4().hex[:6]}"[:63]
        self._execute(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
        self.created.append(database)
        return self._url(database)

    def drop(self, url: str) -> None:
        database = make_url(url).database
        self._execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if database in self.created:
            self.created.remove(database)

    def close(self) -> None:
        if self.created:
            self._execute(
                *(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in self.created)
            )
            self.created.clear()


@dataclass
class Templates:
    """One seeded template database per (users, server), built on first use."""

    databases: Databases
    secret_key: str
    log_dir: Path | None = None
    built: dict[tuple[str, str], str] = field(default_factory=dict)

    def get(self, setup: Setup) -> Mapping[str, str]:
        key = setup.users_key()
        if self.log_dir:
            self.log_dir.mkdir(parents=True, exist_ok=True)
        missing = [side for side in SIDES if (key, side) not in self.built]
        if missing:
            urls = {side: self.databases.template(f"{key}_{side}") for side in missing}
            seeders = {FLASK: seed_flask, OURS: seed_ours}
            # Both CLIs at once: each command mostly waits on its own imports.
            with ThreadPoolExecutor(max_workers=2) as pool:
                futures = [
                    pool.submit(
                        seeders[side],
                        urls[side],
                        self.secret_key,
                        setup,
                        self.log_dir / f"seed-{key}-{side}.log" if self.log_dir else None,
                    )
                    for side in missing
                ]
                for future in futures:
                    future.result()
            for side in missing:
                self.built[(key, side)] = urls[side]
        return {side: self.built[(key, side)] for side in SIDES}
