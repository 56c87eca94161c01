"""`cornflow actions|roles|views|permissions ...` against a scratch database."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from cornflow_fastapi.cli import app
from cornflow_fastapi.config import CornflowSettings
from cornflow_fastapi.models import PermissionView
from svckit.db import Database

Tables = dict[str, list[list[Any]]]
FlaskTables = Callable[[str], tuple[CornflowSettings, Tables]]
ReadTables = Callable[[Database], Awaitable[Tables]]
Cornflow = Callable[..., Awaitable[Result]]


@pytest.fixture
def environment(blank_url: str) -> dict[str, str]:
    """The settings of default.json, pointed at the scratch database."""
    return {
        "DATABASE_URL": blank_url,
        "FLASK_ENV": "testing",
        "AUTH_TYPE": "1",
        "SIGNUP_ACTIVATED": "1",
        # Empty means off; Flask reads the raw string, so even "0" would turn alarms on.
        "CF_ALARMS_ENDPOINT": "",
    }


@pytest.fixture
def cornflow(environment: dict[str, str]) -> Cornflow:
    """Run `cornflow <args>` in-process; `env` overrides part of the environment."""
    runner = CliRunner()

    async def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        # The commands run their own event loop, which cannot nest inside the test's.
        return await asyncio.to_thread(
            runner.invoke, app, list(args), env={**environment, **(env or {})}
        )

    return invoke


def lines(result: Result) -> list[str]:
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


async def test_permissions_init_seeds_flask_rows(
    cornflow: Cornflow,
    blank_database: Database,
    flask_tables: FlaskTables,
    read_tables: ReadTables,
) -> None:
    _, expected = flask_tables("default")

    output = lines(await cornflow("permissions", "init", "-v"))

    assert output == [
        "Actions registered: can_get, can_patch, can_post, can_put, can_delete",
        "Roles registered: dummy, viewer, planner, admin, service",
        "Endpoints registered: " + ", ".join(row[1] for row in expected["api_view"]),
        "Permissions registered: 584",
        "No permissions to delete",
    ]
    assert await read_tables(blank_database) == expected


async def test_permissions_init_twice_registers_nothing_new(
    cornflow: Cornflow,
    blank_database: Database,
    flask_tables: FlaskTables,
    read_tables: ReadTables,
) -> None:
    _, expected = flask_tables("default")
    lines(await cornflow("permissions", "init"))

    output = lines(await cornflow("permissions", "init", "--verbose"))

    assert output == [
        "No new actions to be registered",
        "No new roles to be registered",
        "No new endpoints to be registered",
        "No new permissions to register",
        "No permissions to delete",
    ]
    assert await read_tables(blank_database) == expected


async def test_quiet_init_reports_only_permissions(cornflow: Cornflow) -> None:
    output = lines(await cornflow("permissions", "init"))

    assert output == ["Permissions registered: 584", "No permissions to delete"]


async def test_step_commands_build_the_same_tables(
    cornflow: Cornflow,
    blank_database: Database,
    flask_tables: FlaskTables,
    read_tables: ReadTables,
) -> None:
    _, expected = flask_tables("default")

    assert lines(await cornflow("actions", "init")) == []
    assert lines(await cornflow("roles", "init", "-v")) == [
        "Roles registered: dummy, viewer, planner, admin, service"
    ]
    assert lines(await cornflow("views", "init")) == []
    assert lines(await cornflow("permissions", "base")) == [
        "Permissions registered: 584",
        "No permissions to delete",
    ]
    assert lines(await cornflow("actions", "init", "-v")) == ["No new actions to be registered"]
    assert await read_tables(blank_database) == expected


async def test_settings_come_from_the_environment(
    cornflow: Cornflow,
    blank_database: Database,
    flask_tables: FlaskTables,
    read_tables: ReadTables,
) -> None:
    _, expected = flask_tables("no_signup_alarms")

    lines(
        await cornflow(
            "permissions", "init", env={"CF_ALARMS_ENDPOINT": "1", "SIGNUP_ACTIVATED": "0"}
        )
    )

    assert await read_tables(blank_database) == expected


async def test_permissions_init_deletes_hand_made_grant(
    cornflow: Cornflow, blank_database: Database
) -> None:
    lines(await cornflow("permissions", "init"))
    async with blank_database.sessionmaker() as session, session.begin():
        session.add(PermissionView(role_id=2, action_id=1, api_view_id=25))

    output = lines(await cornflow("permissions", "init", "-v"))

    assert output[-3:] == [
        "No new permissions to register",
        "Permissions deleted: 1",
        "  deleted: role 2 action 1 view 25",
    ]


async def test_views_init_reports_updates_and_deletions(
    cornflow: Cornflow, blank_database: Database
) -> None:
    lines(await cornflow("permissions", "init"))

    output = lines(await cornflow("views", "init", "-v", env={"SIGNUP_ACTIVATED": "0"}))

    assert output == ["No new endpoints to be registered", "Endpoints deleted: signup"]


async def test_permissions_base_needs_the_views(cornflow: Cornflow) -> None:
    lines(await cornflow("actions", "init"))
    lines(await cornflow("roles", "init"))

    result = await cornflow("permissions", "base")

    assert result.exit_code == 1
    assert "run `cornflow views init` first" in result.stderr


async def test_groups_list_flask_commands(cornflow: Cornflow) -> None:
    output = "\n".join(lines(await cornflow("permissions", "--help")))

    assert "init" in output
    assert "base" in output


@pytest.mark.slow
async def test_console_script_runs_permissions_init(
    environment: dict[str, str],
    blank_database: Database,
    flask_tables: FlaskTables,
    read_tables: ReadTables,
) -> None:
    _, expected = flask_tables("default")
    script = Path(sys.executable).parent / "cornflow"
    process = await asyncio.create_subprocess_exec(
        script,
        "permissions",
        "init",
        env={**os.environ, **environment},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()

    assert process.returncode == 0, stderr.decode()
    assert stdout.decode().splitlines() == [
        "Permissions registered: 584",
        "No permissions to delete",
    ]
    assert await read_tables(blank_database) == expected
