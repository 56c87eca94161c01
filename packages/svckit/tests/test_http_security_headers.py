from collections.abc import Mapping

from fastapi import FastAPI, Response

from svckit.http import SecurityHeadersMiddleware
from svckit.testing import app_client


def build_app(headers: Mapping[str, str | None] | None = None) -> FastAPI:
    app = FastAPI()

    @app.get("/plain")
    async def plain() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/framed")
    async def framed(response: Response) -> dict[str, bool]:
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        return {"ok": True}

    app.add_middleware(SecurityHeadersMiddleware, headers=headers)
    return app


async def test_default_headers_are_added_to_every_response() -> None:
    async with app_client(build_app()) as client:
        ok = await client.get("/plain")
        missing = await client.get("/nowhere")

    for response in (ok, missing):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"


async def test_a_header_the_app_set_is_kept() -> None:
    async with app_client(build_app()) as client:
        response = await client.get("/framed")

    assert response.headers.get_list("x-frame-options") == ["SAMEORIGIN"]


async def test_extra_override_and_removed_headers() -> None:
    headers = {
        "Strict-Transport-Security": "max-age=63072000",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": None,
    }
    async with app_client(build_app(headers)) as client:
        response = await client.get("/plain")

    assert response.headers["strict-transport-security"] == "max-age=63072000"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "x-frame-options" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"
