"""Fixtures of the coexistence tests: the Flask server must be installed, scratch databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from coexistence.support import NewDatabase
from cutover.reference import ReferenceUnavailable, reference_bin
from svckit.testing import scratch_database


@pytest.fixture(scope="session", autouse=True)
def flask_installed() -> None:
    """Without the Flask server there is nothing to coexist with: fail, never skip quietly."""
    try:
        for program in ("cornflow", "flask", "gunicorn"):
            reference_bin(program)
    except ReferenceUnavailable as error:
        pytest.fail(f"coexistence tests need the Flask server: {error}", pytrace=False)


@pytest.fixture
async def new_database(scratch_dir: Path) -> AsyncIterator[NewDatabase]:
    """Empty databases on demand (beside TEST_DATABASE_URL's, else SQLite files), dropped after."""
    async with AsyncExitStack() as stack:

        async def make(prefix: str) -> str:
            return await stack.enter_async_context(scratch_database(scratch_dir, prefix))

        yield make
