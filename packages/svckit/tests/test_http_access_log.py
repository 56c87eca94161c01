import json
import logging
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from svckit.http import (
    ACCESS_LOGGER_NAME,
    AccessLogMiddleware,
    RequestIdMiddleware,
    start_background_logging,
)
from svckit.testing import app_client


class Login(BaseModel):
    username: str
    password: str


def build_app() -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @app.post("/login")
    async def login(body: Login) -> dict[str, str]:
        return {"user": body.username}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("handler failed")

    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(RequestIdMiddleware)
    return app


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == ACCESS_LOGGER_NAME]


async def test_logs_one_json_line_with_the_request_fields(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER_NAME):
        async with app_client(build_app()) as client:
            response = await client.get(
                "/items/42?token=query-secret", headers={"Authorization": "Bearer header-secret"}
            )

    [line] = access_lines(caplog)
    assert line["method"] == "GET"
    assert line["path"] == "/items/42"
    assert line["route"] == "/items/{item_id}"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0
    assert line["request_id"] == response.headers["x-request-id"]
    assert line["client_ip"] == "127.0.0.1"
    assert line["response_bytes"] == len(response.content)
    [record] = [r for r in caplog.records if r.name == ACCESS_LOGGER_NAME]
    assert "query-secret" not in record.getMessage()
    assert "header-secret" not in record.getMessage()


async def test_never_logs_the_request_body(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER_NAME):
        async with app_client(build_app()) as client:
            response = await client.post(
                "/login", json={"username": "ada", "password": "hunter2-secret"}
            )

    assert response.status_code == 200
    [record] = [r for r in caplog.records if r.name == ACCESS_LOGGER_NAME]
    assert "hunter2-secret" not in record.getMessage()
    assert json.loads(record.getMessage())["route"] == "/login"


async def test_unmatched_path_has_no_route(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER_NAME):
        async with app_client(build_app()) as client:
            await client.get("/nowhere")

    [line] = access_lines(caplog)
    assert line["route"] is None
    assert line["status"] == 404


async def test_a_crashing_handler_is_logged_as_500(caplog: pytest.LogCaptureFixture) -> None:
    transport = httpx.ASGITransport(app=build_app(), raise_app_exceptions=False)
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER_NAME):
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.get("/boom")

    assert response.status_code == 500
    [line] = access_lines(caplog)
    assert line["status"] == 500
    assert line["route"] == "/boom"


async def test_background_logging_hands_records_to_the_handlers() -> None:
    class Collect(logging.Handler):
        def __init__(self) -> None:
            super().__init__()
            self.messages: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.messages.append(record.getMessage())

    logger = logging.getLogger("tests.access.background")
    logger.setLevel(logging.INFO)
    collect = Collect()
    listener = start_background_logging(logger, [collect])
    try:
        logger.info('{"status":200}')
    finally:
        listener.stop()
        logger.handlers.clear()
        logger.propagate = True

    assert collect.messages == ['{"status":200}']
