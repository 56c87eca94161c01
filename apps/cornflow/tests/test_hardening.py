"""Hostile or broken input gets a clear 4xx in Cornflow's format, never a 500."""

import gzip
import zlib
from collections.abc import Callable
from typing import Any

from httpx import AsyncClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from cornflow_fastapi.models import User
from svckit.db import Database

TOO_LARGE = {
    "message": "413 Request Entity Too Large",
    "error": "413 Request Entity Too Large. The data value transmitted exceeds the capacity limit.",
}


async def user_count(database: Database) -> int:
    async with database.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def test_oversized_body_is_413(build_client: Callable[..., Any], database: Database) -> None:
    before = await user_count(database)
    async with build_client(max_body_bytes=1024) as client:
        response = await client.post(
            "/signup/",
            content=b'{"username": "' + b"x" * 4096 + b'"}',
            headers={"Content-Type": "application/json"},
        )
    assert (response.status_code, response.json()) == (413, TOO_LARGE)
    assert await user_count(database) == before


def gzip_bomb(size: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1024 * 1024)
    parts = [compressor.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join(parts) + compressor.flush()


async def test_gzip_bomb_is_refused_before_inflating(build_client: Callable[..., Any]) -> None:
    bomb = gzip_bomb(64 * 1024 * 1024)
    assert len(bomb) < 200_000
    async with build_client(max_inflated_body_bytes=1024 * 1024) as client:
        response = await client.post(
            "/instance/",
            content=bomb,
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
    assert (response.status_code, response.json()) == (413, TOO_LARGE)


async def test_corrupt_gzip_is_400(client: AsyncClient) -> None:
    response = await client.post(
        "/instance/",
        content=gzip.compress(b'{"a": 1}')[:-6],
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 400
    assert set(response.json()) == {"error"}


async def test_brotli_header_on_plain_json_is_ignored(client: AsyncClient) -> None:
    # cornflow-client sends `Content-Encoding: br` on every plain JSON body.
    response = await client.post(
        "/login/",
        json={"username": "planner", "password": "Planner_1234"},
        headers={"Content-Encoding": "br"},
    )
    assert response.status_code == 200


async def test_unknown_urls_and_methods(client: AsyncClient) -> None:
    missing = await client.get("/nope/")
    assert missing.status_code == 404
    assert missing.json() == {
        "message": "404 Not Found",
        "error": "404 Not Found. The requested URL was not found on the server. If you entered "
        "the URL manually please check your spelling and try again.",
    }
    head = await client.head("/health/")
    assert head.status_code == 200


async def test_probes_and_metrics(client: AsyncClient) -> None:
    assert (await client.get("/livez")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert (
        await client.post("/login/", json={"username": "x", "password": "y"})
    ).status_code == 400
    assert (await client.get("/token/")).status_code == 400
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    failures = {
        sample.labels["reason"]: sample.value
        for family in text_string_to_metric_families(metrics.text)
        if family.name == "cornflow_auth_failures"
        for sample in family.samples
        if sample.name.endswith("_total")
    }
    assert failures.get("unknown_user") == 1
    assert failures.get("missing_header") == 1
    assert "x-request-id" in metrics.headers
