"""`cornflow migrations ...`: the Flask CLI's commands, options and defaults."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cornflow_fastapi import schema_migrations
from cornflow_fastapi.cli import app
from svckit.testing import scratch_database


@pytest.fixture
async def empty_url(scratch_dir: Path) -> AsyncIterator[str]:
    async with scratch_database(scratch_dir, prefix="cfcli") as url:
        yield url


async def cornflow(url: str, *arguments: str) -> Result:
    # The database URL comes from the environment, as for the Flask CLI. A worker thread, because
    # the commands run their own event loop.
    env = {"DATABASE_URL": url, "FLASK_ENV": "testing"}
    return await asyncio.to_thread(CliRunner().invoke, app, list(arguments), env=env)


async def current(url: str) -> str | None:
    return await asyncio.to_thread(schema_migrations.current, url)


async def test_upgrade_then_downgrade_one_step_by_default(empty_url: str) -> None:
    upgraded = await cornflow(empty_url, "migrations", "upgrade")

    assert upgraded.exit_code == 0, upgraded.output
    assert "Running upgrade 9cacf194fa1c -> 4729cd156460" in upgraded.stderr
    assert await current(empty_url) == "4729cd156460"

    downgraded = await cornflow(empty_url, "migrations", "downgrade")

    assert downgraded.exit_code == 0, downgraded.output
    assert await current(empty_url) == "9cacf194fa1c"


async def test_revision_options(empty_url: str) -> None:
    assert (await cornflow(empty_url, "migrations", "upgrade", "-r", "d0e0700dcd8e")).exit_code == 0
    assert await current(empty_url) == "d0e0700dcd8e"

    upgraded = await cornflow(empty_url, "migrations", "upgrade", "--revision", "cef1df240b27")
    assert upgraded.exit_code == 0, upgraded.output
    assert await current(empty_url) == "cef1df240b27"

    downgraded = await cornflow(empty_url, "migrations", "downgrade", "-r", "base")
    assert downgraded.exit_code == 0, downgraded.output
    assert await current(empty_url) is None


async def test_current_names_the_head(empty_url: str) -> None:
    assert (await cornflow(empty_url, "migrations", "current")).stdout.strip() == "None"
    await cornflow(empty_url, "migrations", "upgrade", "-r", "ebdd955fcc5e")
    assert (await cornflow(empty_url, "migrations", "current")).stdout.strip() == "ebdd955fcc5e"
    await cornflow(empty_url, "migrations", "upgrade")

    shown = await cornflow(empty_url, "migrations", "current")

    assert shown.stdout.strip() == "4729cd156460 (head)"


async def test_no_command_adds_revisions_to_the_shared_chain(empty_url: str) -> None:
    result = await cornflow(empty_url, "migrations", "revision", "-m", "ours")

    assert result.exit_code != 0
    assert "No such command 'revision'" in result.output
