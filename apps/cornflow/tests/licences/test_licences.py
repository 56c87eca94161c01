"""/licences/: the installed Python distributions and their licences."""

import importlib.metadata
from collections.abc import Callable
from typing import Any

from httpx import AsyncClient

from cornflow_fastapi.licences import service
from cornflow_support import DENIED, NO_TOKEN

KEYS = ["library", "license", "version", "author", "description", "home page"]


async def test_licences_access(walk_roles: Callable[..., Any]) -> None:
    await walk_roles(
        "GET",
        "/licences/",
        {
            None: NO_TOKEN,
            "service": DENIED,
            "admin": (200, ...),
            "planner": (200, ...),
            "viewer": (200, ...),
            "dummy": DENIED,
            "norole": DENIED,
        },
    )


async def test_rows_describe_installed_distributions(
    client: AsyncClient, headers: dict[str, dict[str, str]]
) -> None:
    response = await client.get("/licences/", headers=headers["viewer"])
    assert response.status_code == 200
    rows = response.json()
    assert rows
    assert all(list(row) == KEYS for row in rows)
    names = [row["library"] for row in rows]
    assert names == sorted(names, key=str.lower)
    fastapi = next(row for row in rows if row["library"].lower() == "fastapi")
    assert fastapi["version"] == importlib.metadata.version("fastapi")
    assert all(isinstance(value, str) for row in rows for value in row.values())


def test_missing_fields_read_not_found() -> None:
    row = service.summary_of({"Name": "thing", "Version": "1.0", "License": "X"})
    assert row.model_dump(by_alias=True) == {
        "library": "thing",
        "license": "X",
        "version": "1.0",
        "author": "(Author not found)",
        "description": "(Summary not found)",
        "home page": "(Home-page not found)",
    }


async def test_summary_is_read_once() -> None:
    calls: list[int] = []

    def read() -> list[service.LicenceSummary]:
        calls.append(1)
        return service.read_summaries()

    cache = service.LicenceCache(read)
    first = await cache.get()
    assert await cache.get() is first
    assert calls == [1]
