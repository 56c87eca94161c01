import gzip
import json
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send

from svckit.http import (
    BODY_TOO_LARGE_MESSAGE,
    INVALID_GZIP_MESSAGE,
    BodySizeLimitMiddleware,
    GzipRequestMiddleware,
)
from svckit.testing import app_client

LIMIT = 1_000
INFLATED_LIMIT = 1_000_000


def reject(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)


class Payload(BaseModel):
    name: str


def build_app(calls: list[str]) -> FastAPI:
    app = FastAPI()

    @app.post("/raw")
    async def raw(request: Request) -> dict[str, Any]:
        calls.append("raw:start")
        body = await request.body()
        calls.append("raw:read")
        return {
            "size": len(body),
            "content_encoding": request.headers.get("content-encoding"),
            "content_length": request.headers.get("content-length"),
        }

    @app.post("/model")
    async def model(payload: Payload) -> dict[str, str]:
        calls.append("model")
        return {"name": payload.name}

    return app


def limited_app(calls: list[str]) -> FastAPI:
    app = build_app(calls)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=LIMIT, reject=reject)
    return app


async def chunks(data: bytes, size: int = 100) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize("size", [0, LIMIT - 1, LIMIT])
async def test_bodies_up_to_the_limit_pass(size: int) -> None:
    calls: list[str] = []
    async with app_client(limited_app(calls)) as client:
        response = await client.post("/raw", content=b"x" * size)

    assert response.status_code == 200
    assert response.json()["size"] == size


async def test_a_request_without_body_passes() -> None:
    calls: list[str] = []
    app = limited_app(calls)

    @app.get("/ping")
    async def ping() -> dict[str, bool]:
        return {"pong": True}

    async with app_client(app) as client:
        response = await client.get("/ping")

    assert response.status_code == 200


async def test_declared_length_over_the_limit_is_refused_before_the_handler_runs() -> None:
    calls: list[str] = []
    async with app_client(limited_app(calls)) as client:
        response = await client.post("/raw", content=b"x" * (LIMIT + 1))

    assert response.status_code == 413
    assert response.json() == {"error": BODY_TOO_LARGE_MESSAGE}
    assert calls == []


async def test_streamed_body_over_the_limit_is_refused() -> None:
    calls: list[str] = []
    async with app_client(limited_app(calls)) as client:
        response = await client.post("/raw", content=chunks(b"x" * (LIMIT * 3)))

    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert response.status_code == 413
    assert response.json() == {"error": BODY_TOO_LARGE_MESSAGE}
    assert "raw:read" not in calls


async def test_streamed_body_over_the_limit_beats_the_framework_parse_error() -> None:
    calls: list[str] = []
    body = json.dumps({"name": "x" * (LIMIT * 2)}).encode()
    async with app_client(limited_app(calls)) as client:
        response = await client.post(
            "/model", content=chunks(body), headers={"Content-Type": "application/json"}
        )

    assert response.status_code == 413
    assert response.json() == {"error": BODY_TOO_LARGE_MESSAGE}
    assert calls == []


async def test_streamed_body_under_the_limit_arrives_whole() -> None:
    calls: list[str] = []
    async with app_client(limited_app(calls)) as client:
        response = await client.post("/raw", content=chunks(b"x" * (LIMIT - 10)))

    assert response.status_code == 200
    assert response.json()["size"] == LIMIT - 10


def inflate_everything(scope: Scope) -> bool:
    return True


def gzip_app(
    calls: list[str], should_inflate: Callable[[Scope], bool] = inflate_everything
) -> FastAPI:
    app = build_app(calls)
    app.add_middleware(
        GzipRequestMiddleware,
        max_inflated_bytes=INFLATED_LIMIT,
        should_inflate=should_inflate,
        reject=reject,
    )
    return app


async def test_small_gzip_body_is_inflated_for_the_handler() -> None:
    calls: list[str] = []
    document = json.dumps({"name": "instance-1"}).encode()
    async with app_client(gzip_app(calls)) as client:
        model = await client.post(
            "/model",
            content=gzip.compress(document),
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )
        raw = await client.post(
            "/raw", content=gzip.compress(document), headers={"Content-Encoding": "gzip"}
        )

    assert model.status_code == 200
    assert model.json() == {"name": "instance-1"}
    assert raw.json() == {
        "size": len(document),
        "content_encoding": None,
        "content_length": str(len(document)),
    }


async def test_streamed_gzip_body_is_inflated_with_a_known_length() -> None:
    calls: list[str] = []
    document = b"y" * 50_000
    async with app_client(gzip_app(calls)) as client:
        response = await client.post(
            "/raw", content=chunks(gzip.compress(document)), headers={"Content-Encoding": "gzip"}
        )

    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert response.json() == {
        "size": len(document),
        "content_encoding": None,
        "content_length": str(len(document)),
    }


async def test_concatenated_gzip_members_are_one_body() -> None:
    calls: list[str] = []
    compressed = gzip.compress(b'{"name": ') + gzip.compress(b'"joined"}')
    async with app_client(gzip_app(calls)) as client:
        response = await client.post(
            "/model",
            content=compressed,
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )

    assert response.json() == {"name": "joined"}


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """100 MB of zeros, compressed to about 100 KB."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    megabyte = bytes(1_000_000)
    parts = [compressor.compress(megabyte) for _ in range(100)]
    parts.append(compressor.flush())
    return b"".join(parts)


async def test_gzip_bomb_is_refused_with_413(gzip_bomb: bytes) -> None:
    calls: list[str] = []
    assert len(gzip_bomb) < 200_000
    async with app_client(gzip_app(calls)) as client:
        response = await client.post(
            "/raw", content=gzip_bomb, headers={"Content-Encoding": "gzip"}
        )

    assert response.status_code == 413
    assert response.json() == {"error": BODY_TOO_LARGE_MESSAGE}
    assert calls == []


async def test_gzip_bomb_is_refused_without_reading_it_all(gzip_bomb: bytes) -> None:
    pieces = [gzip_bomb[i : i + 8192] for i in range(0, len(gzip_bomb), 8192)]
    delivered = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal delivered
        delivered += 1
        return {
            "type": "http.request",
            "body": pieces[delivered - 1],
            "more_body": delivered < len(pieces),
        }

    async def send(message: Message) -> None:
        sent.append(message)

    async def downstream(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("the app must not see a gzip bomb")

    middleware = GzipRequestMiddleware(
        downstream,
        max_inflated_bytes=INFLATED_LIMIT,
        should_inflate=inflate_everything,
        reject=reject,
    )
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/raw",
        "headers": [(b"content-encoding", b"gzip")],
    }
    await middleware(scope, receive, send)

    assert sent[0]["status"] == 413
    assert delivered < len(pieces) / 2


async def test_gzip_bomb_in_one_message_never_inflates_past_the_cap(gzip_bomb: bytes) -> None:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": gzip_bomb, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    async def downstream(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("the app must not see a gzip bomb")

    middleware = GzipRequestMiddleware(
        downstream,
        max_inflated_bytes=INFLATED_LIMIT,
        should_inflate=inflate_everything,
        reject=reject,
    )
    scope = {"type": "http", "headers": [(b"content-encoding", b"gzip")]}
    tracemalloc.start()
    try:
        await middleware(scope, receive, send)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert sent[0]["status"] == 413
    # Inflating it all would hold 100 MB; the cap allows a few copies of 1 MB at most.
    assert peak < 10 * INFLATED_LIMIT


@pytest.mark.parametrize(
    "body",
    [
        b"definitely not gzip",
        gzip.compress(b'{"name": "cut short"}')[:-12],
        gzip.compress(b'{"name": "x"}') + b"trailing garbage",
    ],
    ids=["not-gzip", "truncated", "trailing-garbage"],
)
async def test_invalid_gzip_is_refused_with_400(body: bytes) -> None:
    calls: list[str] = []
    async with app_client(gzip_app(calls)) as client:
        response = await client.post("/raw", content=body, headers={"Content-Encoding": "gzip"})

    assert response.status_code == 400
    assert response.json() == {"error": INVALID_GZIP_MESSAGE}
    assert calls == []


async def test_other_encodings_pass_through_untouched() -> None:
    calls: list[str] = []
    document = json.dumps({"name": "plain json labelled br"}).encode()
    async with app_client(gzip_app(calls)) as client:
        model = await client.post(
            "/model",
            content=document,
            headers={"Content-Encoding": "br", "Content-Type": "application/json"},
        )
        raw = await client.post("/raw", content=document, headers={"Content-Encoding": "br"})

    assert model.status_code == 200
    assert model.json() == {"name": "plain json labelled br"}
    assert raw.json() == {
        "size": len(document),
        "content_encoding": "br",
        "content_length": str(len(document)),
    }


async def test_requests_not_selected_are_not_inflated() -> None:
    calls: list[str] = []
    compressed = gzip.compress(b"x" * 500)

    def only_model(scope: Scope) -> bool:
        return bool(scope["path"] == "/model")

    async with app_client(gzip_app(calls, should_inflate=only_model)) as client:
        response = await client.post(
            "/raw", content=compressed, headers={"Content-Encoding": "gzip"}
        )

    assert response.json() == {
        "size": len(compressed),
        "content_encoding": "gzip",
        "content_length": str(len(compressed)),
    }


async def test_wire_limit_and_inflated_limit_apply_together() -> None:
    calls: list[str] = []
    app = build_app(calls)
    app.add_middleware(
        GzipRequestMiddleware,
        max_inflated_bytes=LIMIT * 10,
        should_inflate=inflate_everything,
        reject=reject,
    )
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=LIMIT, reject=reject)
    fits_both = gzip.compress(b"a" * (LIMIT * 5))
    inflates_too_far = gzip.compress(b"a" * (LIMIT * 20))
    too_big_on_the_wire = gzip.compress(bytes(range(256)) * 20, compresslevel=0)

    async with app_client(app) as client:
        ok = await client.post("/raw", content=fits_both, headers={"Content-Encoding": "gzip"})
        inflated = await client.post(
            "/raw", content=inflates_too_far, headers={"Content-Encoding": "gzip"}
        )
        wire = await client.post(
            "/raw", content=too_big_on_the_wire, headers={"Content-Encoding": "gzip"}
        )

    assert len(fits_both) <= LIMIT
    assert len(inflates_too_far) <= LIMIT
    assert ok.json()["size"] == LIMIT * 5
    assert inflated.status_code == 413
    assert len(too_big_on_the_wire) > LIMIT
    assert wire.status_code == 413
    assert calls == ["raw:start", "raw:read"]
