"""An app serving /alarms/ and /main-alarms/ (CF_ALARMS_ENDPOINT=1), on a database whose
permissions were initialised with the alarm views, as `permissions init` does."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from httpx import AsyncClient

from cornflow_fastapi.access import seed
from cornflow_support import ROLE_KEYS, Expected, make_settings
from svckit.db import Database

AlarmWalk = Callable[..., Awaitable[None]]


@pytest.fixture
async def alarms_client(
    database: Database, build_client: Callable[..., Any]
) -> AsyncIterator[AsyncClient]:
    async with database.sessionmaker() as session, session.begin():
        await seed.init_access(session, make_settings(cf_alarms_endpoint=1))
    async with build_client(cf_alarms_endpoint=1) as client:
        yield client


@pytest.fixture
def walk_alarms(alarms_client: AsyncClient, headers: dict[str, dict[str, str]]) -> AlarmWalk:
    """walk_roles on the alarms app: anonymous and every role, (status, body) each."""

    async def walk(method: str, path: str, expected: Expected, **kwargs: Any) -> None:
        assert set(expected) == {None, *ROLE_KEYS}, "walk every role"
        for role, (status, body) in expected.items():
            auth = headers[role] if role else {}
            response = await alarms_client.request(method, path, headers=auth, **kwargs)
            assert response.status_code == status, (role, response.text)
            if body is not ...:
                assert response.json() == body, role

    return walk
