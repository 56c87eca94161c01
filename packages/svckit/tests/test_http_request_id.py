import logging
import re

import pytest
from fastapi import FastAPI, Request

from svckit.http import RequestIdLogFilter, RequestIdMiddleware, current_request_id
from svckit.testing import app_client


def build_app() -> FastAPI:
    app = FastAPI()

    @app.get("/whoami")
    async def whoami(request: Request) -> dict[str, str | None]:
        return {"state": request.state.request_id, "context": current_request_id()}

    app.add_middleware(RequestIdMiddleware)
    return app


async def test_generates_an_id_when_none_is_sent() -> None:
    async with app_client(build_app()) as client:
        first = await client.get("/whoami")
        second = await client.get("/whoami")

    request_id = first.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert first.json() == {"state": request_id, "context": request_id}
    assert second.headers["x-request-id"] != request_id


async def test_propagates_a_sane_incoming_id() -> None:
    incoming = "0b3c5a7e-2f1d-4c9a-9e8b-7a6d5c4b3a21"
    async with app_client(build_app()) as client:
        response = await client.get("/whoami", headers={"X-Request-ID": incoming})

    assert response.headers["x-request-id"] == incoming
    assert response.json() == {"state": incoming, "context": incoming}


@pytest.mark.parametrize(
    "incoming",
    [
        "a" * 129,
        "id with spaces",
        "id\tinjected",
        '{"json":"injection"}',
        "",
    ],
)
async def test_replaces_an_insane_incoming_id(incoming: str) -> None:
    async with app_client(build_app()) as client:
        response = await client.get("/whoami", headers={"X-Request-ID": incoming})

    request_id = response.headers["x-request-id"]
    assert request_id != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert response.json()["state"] == request_id


async def test_accepts_an_id_at_the_length_limit() -> None:
    incoming = "b" * 128
    async with app_client(build_app()) as client:
        response = await client.get("/whoami", headers={"X-Request-ID": incoming})

    assert response.headers["x-request-id"] == incoming


async def test_context_is_cleared_after_the_request() -> None:
    async with app_client(build_app()) as client:
        await client.get("/whoami")

    assert current_request_id() is None


async def test_log_filter_stamps_records_with_the_request_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app_logger = logging.getLogger("tests.request_id")
    app_logger.addFilter(RequestIdLogFilter())
    app = FastAPI()

    @app.get("/logs")
    async def logs() -> dict[str, bool]:
        app_logger.warning("handling")
        return {"ok": True}

    app.add_middleware(RequestIdMiddleware)
    try:
        with caplog.at_level(logging.WARNING, logger="tests.request_id"):
            async with app_client(app) as client:
                response = await client.get("/logs", headers={"X-Request-ID": "req-42"})
    finally:
        app_logger.filters.clear()

    assert response.status_code == 200
    [record] = [r for r in caplog.records if r.name == "tests.request_id"]
    assert record.request_id == "req-42"  # type: ignore[attr-defined]
