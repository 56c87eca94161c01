"""The application shell: probes, metrics, problem details, limits, headers, OpenAPI."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from mandarin_support import ALLOWED_ORIGIN, PROBLEM_JSON, assert_problem, register
from sqlalchemy.orm.exc import StaleDataError

from svckit.testing import app_client


async def test_probes_answer(client: AsyncClient) -> None:
    assert (await client.get("/livez")).json() == {"status": "ok"}

    ready = await client.get("/readyz")

    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"shutdown": "ok", "database": "ok", "migrations": "ok"}


async def test_metrics_are_exposed(client: AsyncClient) -> None:
    await client.get("/livez")

    response = await client.get("/metrics")

    assert response.status_code == 200
    assert "mandarin_http_requests_total" in response.text
    assert "mandarin_db_query_duration_seconds" in response.text


async def test_unknown_route_is_a_problem(client: AsyncClient) -> None:
    response = await client.get("/api/nothing-here", headers={"X-Request-ID": "req-123"})

    body = assert_problem(response, 404)
    assert body["instance"] == "/api/nothing-here"
    assert body["title"] == "Not Found"
    assert body["request_id"] == "req-123"
    assert response.headers["X-Request-ID"] == "req-123"


async def test_wrong_method_is_a_problem_with_allow(client: AsyncClient) -> None:
    response = await client.delete("/api/auth/login")

    assert_problem(response, 405)
    assert response.headers["allow"] == "POST"


async def test_validation_errors_are_listed(client: AsyncClient) -> None:
    response = await client.post(
        "/api/auth/register", json={"email": "not-an-email", "password": "s3cr"}
    )

    body = assert_problem(response, 422)
    locations = {tuple(error["loc"]) for error in body["errors"]}
    assert locations == {("body", "email"), ("body", "password")}
    assert all(set(error) == {"loc", "msg", "type"} for error in body["errors"])
    # The password is never echoed back.
    assert "s3cr" not in response.text


async def test_malformed_json_is_422(client: AsyncClient) -> None:
    response = await client.post(
        "/api/auth/login", content=b'{"email": ', headers={"Content-Type": "application/json"}
    )

    body = assert_problem(response, 422)
    assert body["errors"][0]["type"] == "json_invalid"


async def test_nul_bytes_are_refused_not_crashed_on(client: AsyncClient) -> None:
    cases: list[dict[str, Any]] = [
        {"email": "nul@example.com", "password": "long enough", "display_name": "a\u0000b"},
        {"email": "nul\u0000@example.com", "password": "long enough"},
        {"email": "nul@example.com", "password": "long\u0000enough"},
        {"email": "nul@example.com", "password": "long enough", "timezone": "UTC\u0000"},
    ]
    for payload in cases:
        response = await client.post("/api/auth/register", json=payload)
        assert_problem(response, 422)

    raw_bodies = [
        # A raw NUL is a control character JSON does not allow inside strings.
        b'{"email": "a@example.com", "password": "x\x00y"}',
        # A lone surrogate is valid JSON but has no UTF-8 (or PostgreSQL) form.
        b'{"email": "a@example.com", "password": "long enough", "display_name": "\\ud800"}',
    ]
    for raw in raw_bodies:
        response = await client.post(
            "/api/auth/register", content=raw, headers={"Content-Type": "application/json"}
        )
        assert_problem(response, 422)


async def test_deeply_nested_json_is_a_client_error(client: AsyncClient) -> None:
    response = await client.post(
        "/api/auth/login",
        content=b"[" * 200_000 + b"]" * 200_000,
        headers={"Content-Type": "application/json"},
    )

    assert_problem(response, 400)


async def test_nul_in_a_login_password_is_just_a_wrong_password(client: AsyncClient) -> None:
    account = await register(client)

    response = await client.post(
        "/api/auth/login", json={"email": account["email"], "password": "pass\u0000word"}
    )

    assert_problem(response, 401)


async def test_oversized_bodies_are_413(client: AsyncClient) -> None:
    ten_megabytes = b"x" * (10 * 1024 * 1024)

    declared = await client.post(
        "/api/auth/login", content=ten_megabytes, headers={"Content-Type": "application/json"}
    )

    async def stream() -> Any:
        for _ in range(20):
            yield b"x" * (512 * 1024)

    streamed = await client.post(
        "/api/auth/register", content=stream(), headers={"Content-Type": "application/json"}
    )

    for response in (declared, streamed):
        body = assert_problem(response, 413)
        assert body["title"] == HTTPStatus(413).phrase


async def test_security_headers_and_cors(client: AsyncClient) -> None:
    preflight = await client.options(
        "/api/auth/login",
        headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert preflight.headers["access-control-allow-credentials"] == "true"

    response = await client.get("/livez")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


async def test_concurrent_change_is_409(app: FastAPI) -> None:
    async def collide() -> None:
        raise StaleDataError("UPDATE statement on table 'review_cards' expected 1 row")

    app.add_api_route("/api/test-collision", collide, methods=["POST"])
    async with app_client(app) as client:
        response = await client.post("/api/test-collision")

    assert_problem(response, 409)


# --- OpenAPI -----------------------------------------------------------------------------------

PROBLEM_SCHEMAS = {"#/components/schemas/ProblemDetail", "#/components/schemas/ValidationProblem"}


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]


def test_every_route_declares_its_responses_and_errors(app: FastAPI) -> None:
    schema = app.openapi()
    operations = _operations(schema)
    assert operations, "no routes documented"
    documented = {(method, path) for method, path, _ in operations}
    for route in app.routes:
        methods = getattr(route, "methods", None)
        if getattr(route, "include_in_schema", False) and methods:
            for method in methods - {"HEAD"}:
                assert (method, route.path) in documented, route.path  # type: ignore[attr-defined]

    for method, path, operation in operations:
        where = f"{method} {path}"
        assert operation.get("operationId"), where
        assert operation.get("summary"), where
        assert operation.get("description"), where
        responses: dict[str, Any] = operation["responses"]
        successes = [status for status in responses if status.startswith("2")]
        assert len(successes) == 1, where
        if successes[0] != "204":
            content = responses[successes[0]]["content"]
            assert list(content) == ["application/json"], where
            assert content["application/json"]["schema"], where
        errors = {status: body for status, body in responses.items() if status[0] in "45"}
        assert errors, f"{where} declares no error"
        for status, body in errors.items():
            assert list(body["content"]) == [PROBLEM_JSON], f"{where} {status}"
            ref = body["content"][PROBLEM_JSON]["schema"]["$ref"]
            assert ref in PROBLEM_SCHEMAS, f"{where} {status}"
        if operation.get("requestBody") or operation.get("parameters"):
            assert responses["422"]["content"][PROBLEM_JSON]["schema"]["$ref"].endswith(
                "/ValidationProblem"
            ), where
        if operation.get("security"):
            assert "401" in errors, f"{where} is protected but does not declare 401"


def test_openapi_has_no_default_fastapi_error_schemas(app: FastAPI) -> None:
    components = app.openapi()["components"]["schemas"]

    assert "HTTPValidationError" not in components
    assert {"ProblemDetail", "ValidationProblem", "FieldError"} <= set(components)


async def test_docs_are_served(client: AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200
    served = await client.get("/openapi.json")
    assert served.status_code == 200
    assert served.json()["paths"]["/api/auth/login"]["post"]["operationId"] == "login"
