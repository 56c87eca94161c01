"""Helpers of the coexistence tests: the two servers' CLIs, HTTP clients, accounts, database reads."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import sqlalchemy as sa

from cutover import reference, servers
from svckit.db import create_engine

Side = Literal["flask", "ours"]
SIDES: tuple[Side, Side] = ("flask", "ours")

# The `new_database` fixture: an empty scratch database per call, dropped after the test.
NewDatabase = Callable[[str], Awaitable[str]]

SECRET = "coexistence-secret-key-long-enough-for-hs256"
HEAD_REVISION = "4729cd156460"

PLANNER_ROLE = 2
INVALID_CREDENTIALS = {"error": "Invalid credentials"}
DENIED = {"error": "You do not have permission to access this endpoint"}


def other(side: Side) -> Side:
    return "ours" if side == "flask" else "flask"


def environment(side: Side, url: str, **overrides: str) -> dict[str, str]:
    """The environment of one server's CLI and process: the same settings for both."""
    if side == "flask":
        return reference.flask_environment(url, SECRET, **overrides)
    return servers.cornflow_environment(url, SECRET, **overrides)


def cli(side: Side, url: str, *args: str, **overrides: str) -> str:
    """Run `cornflow ...` (or `flask ...` for the Flask server) of one server on url."""
    env = environment(side, url, **overrides)
    if side == "flask":
        return reference.run_cli(env, *args)
    return servers.run_cli(env, *args)


def create_admin(side: Side, url: str, username: str, email: str, password: str) -> None:
    """Each server's own way to create an admin (the Flask `cornflow` CLI has none)."""
    if side == "flask":
        cli(side, url, "flask", "create_admin_user", "-u", username, "-e", email, "-p", password)
    else:
        cli(side, url, "users", "create", "admin", "-u", username, "-e", email, "-p", password)


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def new_password() -> str:
    # Cornflow's policy: upper and lower case, a digit and a special character.
    return f"Pw_{uuid.uuid4().hex[:10]}A1!"


@dataclass
class Account:
    id: int
    username: str
    email: str
    password: str
    token: str


class Api:
    """One running server, spoken to over its socket."""

    def __init__(self, side: Side, base_url: str) -> None:
        self.side = side
        self.client = httpx.Client(base_url=base_url, timeout=60)

    def __repr__(self) -> str:
        return f"Api({self.side})"

    def call(
        self, method: str, path: str, *, token: str | None = None, json: Any = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.request(method, path, headers=headers, json=json)

    def login(self, username: str, password: str) -> httpx.Response:
        return self.call("POST", "/login/", json={"username": username, "password": password})

    def token(self, username: str, password: str) -> str:
        response = self.login(username, password)
        assert response.status_code == 200, (self.side, response.text)
        return str(response.json()["token"])

    def signup(self, prefix: str = "user") -> Account:
        username = unique(prefix)
        email = f"{username}@example.com"
        password = new_password()
        response = self.call(
            "POST",
            "/signup/",
            json={"username": username, "email": email, "password": password},
        )
        assert response.status_code == 201, (self.side, response.text)
        body = response.json()
        return Account(body["id"], username, email, password, body["token"])

    def close(self) -> None:
        self.client.close()


async def fetch(url: str, query: str, **parameters: Any) -> list[tuple[Any, ...]]:
    """Rows of a query on the shared database, read by neither server."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(sa.text(query), parameters)
            return [tuple(row) for row in result.all()]
    finally:
        await engine.dispose()


async def execute(url: str, statement: str, **parameters: Any) -> None:
    """Run one statement on the shared database and commit it."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(sa.text(statement), parameters)
    finally:
        await engine.dispose()


ACCESS_QUERIES: Mapping[str, str] = {
    "actions": "SELECT id, name FROM actions ORDER BY id",
    "roles": "SELECT id, name, deleted_at IS NULL FROM roles ORDER BY id",
    "api_view": "SELECT id, name, url_rule, description FROM api_view ORDER BY id",
    "permission_view": (
        "SELECT id, action_id, api_view_id, role_id, deleted_at IS NULL"
        " FROM permission_view ORDER BY id"
    ),
}


async def access_tables(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """The permission tables, and on PostgreSQL where their id sequences stand."""
    tables = {name: await fetch(url, query) for name, query in ACCESS_QUERIES.items()}
    if url.startswith("postgresql"):
        for table in ACCESS_QUERIES:
            (sequence,) = (await fetch(url, f"SELECT pg_get_serial_sequence('{table}', 'id')"))[0]
            tables[f"{table} sequence"] = await fetch(
                url, f"SELECT last_value, is_called FROM {sequence}"
            )
    return tables
