"""HTTP details the Flask server's libraries (Werkzeug, flask-cors, webargs) decide, as it sends them.

Found by the parity runner (cutover/scenarios/http.yaml); these pin them without a Flask server.
"""

from collections.abc import Callable
from typing import Any

from httpx import AsyncClient

from cornflow_support import bearer

ORIGIN = "https://ui.example.com"


async def test_every_answer_allows_any_origin(client: AsyncClient) -> None:
    for response in (await client.get("/health/"), await client.get("/nope/")):
        assert response.headers["access-control-allow-origin"] == "*"
        assert "vary" not in response.headers


async def test_an_origin_is_echoed(client: AsyncClient) -> None:
    response = await client.get("/user/", headers={"Origin": ORIGIN})
    assert response.status_code == 400
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["vary"] == "Origin"


async def test_a_preflight_gets_the_routes_options_answer(client: AsyncClient) -> None:
    response = await client.options(
        "/user/",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "content-type, Authorization",
        },
    )
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-methods"] == (
        "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
    )
    assert response.headers["access-control-allow-headers"] == "Authorization, content-type"
    assert "access-control-max-age" not in response.headers


async def test_a_preflight_for_an_unknown_method(client: AsyncClient) -> None:
    response = await client.options(
        "/user/", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "FLY"}
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "access-control-allow-methods" not in response.headers


async def test_configured_origins(build_client: Callable[..., Any]) -> None:
    async with build_client(cors_origins="https://a.example, https://b.example") as client:
        listed = await client.get("/health/", headers={"Origin": "https://A.example"})
        other = await client.get("/health/", headers={"Origin": "https://c.example"})
        without = await client.get("/health/")
    assert listed.headers["access-control-allow-origin"] == "https://A.example"
    assert listed.headers["vary"] == "Origin"
    assert "access-control-allow-origin" not in other.headers
    assert "access-control-allow-origin" not in without.headers


async def test_allow_names_head_with_get(client: AsyncClient, accounts: dict[str, Any]) -> None:
    response = await client.patch("/user/", headers=bearer(accounts["admin"].username))
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert (await client.post("/health/")).headers["allow"] == "GET, HEAD, OPTIONS"


async def test_repeated_slashes_redirect(client: AsyncClient) -> None:
    response = await client.get("/user//?limit=1")
    assert response.status_code == 308
    assert response.headers["location"] == "http://testserver/user/?limit=1"
    missing_slash_too = await client.get("/user//role")
    assert missing_slash_too.status_code == 308
    assert missing_slash_too.headers["location"] == "http://testserver/user/role/"


async def test_a_json_body_is_utf8_without_bom(
    client: AsyncClient, accounts: dict[str, Any]
) -> None:
    response = await client.post(
        "/roles/",
        content='\ufeff{"name": "bom"}'.encode(),
        headers={"Content-Type": "application/json", **bearer(accounts["admin"].username)},
    )
    assert response.status_code == 400
    assert response.json() == {"messages": {"json": ["Invalid JSON body."]}}
