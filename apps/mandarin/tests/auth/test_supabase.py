"""Supabase Auth tokens: HS256 with the project secret, ES256 through the project's JWKS."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI
from httpx import AsyncClient
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from mandarin_support import (
    SUPABASE_SECRET,
    SUPABASE_URL,
    assert_problem,
    bearer,
    metric,
    mint_token,
    register,
    supabase_claims,
)

from svckit.testing import app_client


class JwksServer:
    """A key-set endpoint on a free loopback port, served from a thread."""

    def __init__(self, keys: list[dict[str, Any]]) -> None:
        self.keys = keys
        self.requests = 0
        state = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                state.requests += 1
                body = json.dumps({"keys": state.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/auth/v1/.well-known/jwks.json"

    def __enter__(self) -> JwksServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def jwks_server(ec_key: ec.EllipticCurvePrivateKey, rsa_key: rsa.RSAPrivateKey) -> Iterator[str]:
    keys = [
        {**ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True), "kid": "ec-1", "use": "sig"},
        {**RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True), "kid": "rsa-1", "use": "sig"},
    ]
    with JwksServer(keys) as server:
        yield server.url


@pytest.fixture
def jwks_app(build_app: Callable[..., FastAPI], jwks_server: str) -> FastAPI:
    return build_app(
        supabase={"url": SUPABASE_URL, "jwt_secret": SUPABASE_SECRET, "jwks_url": jwks_server}
    )


def hs256(claims: dict[str, Any]) -> str:
    return mint_token(claims, key=SUPABASE_SECRET)


async def test_hs256_token_creates_the_user_on_first_sight(client: AsyncClient) -> None:
    supabase_id = uuid.uuid4()
    claims = supabase_claims(supabase_id)

    first = await client.get("/api/auth/me", headers=bearer(hs256(claims)))
    again = await client.get("/api/auth/me", headers=bearer(hs256(claims)))

    assert first.status_code == 200, first.text
    account = first.json()
    # The row keeps Supabase's id, so auth.uid() in RLS policies names the same user.
    assert account["id"] == str(supabase_id)
    assert account["email"] == claims["email"]
    assert account["display_name"] == "Supa Learner"
    assert account["authenticated_with"] == "supabase"
    assert again.json() == account


async def test_supabase_identity_links_an_existing_account_by_email(client: AsyncClient) -> None:
    account = await register(client)
    ours = (await client.get("/api/auth/me", headers=bearer(account["access_token"]))).json()
    supabase_id = uuid.uuid4()

    response = await client.get(
        "/api/auth/me",
        headers=bearer(hs256(supabase_claims(supabase_id, email=account["email"].upper()))),
    )

    assert response.status_code == 200, response.text
    assert response.json()["id"] == ours["id"]
    # A second Supabase identity with the same email cannot take the account over.
    other = await client.get(
        "/api/auth/me",
        headers=bearer(hs256(supabase_claims(uuid.uuid4(), email=account["email"]))),
    )
    assert_problem(other, 409)


async def test_supabase_user_without_email(client: AsyncClient) -> None:
    claims = supabase_claims(uuid.uuid4(), email="", is_anonymous=True)

    response = await client.get("/api/auth/me", headers=bearer(hs256(claims)))

    assert response.status_code == 200, response.text
    assert response.json()["email"] is None


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"aud": "anon", "role": "anon"}, "wrong_audience"),
        ({"role": "service_role"}, "wrong_role"),
        ({"iss": "https://other-project.supabase.test/auth/v1"}, "wrong_issuer"),
        ({"exp": datetime.now(UTC) - timedelta(seconds=5)}, "expired_token"),
        ({"sub": "not-a-uuid"}, "invalid_token"),
    ],
)
async def test_supabase_tokens_that_do_not_check_out(
    client: AsyncClient, app: FastAPI, overrides: dict[str, Any], reason: str
) -> None:
    token = hs256(supabase_claims(uuid.uuid4(), **overrides))

    response = await client.get("/api/auth/me", headers=bearer(token))

    assert_problem(response, 401)
    assert metric(app, "mandarin_auth_failures_total", {"reason": reason}) == 1


async def test_supabase_token_signed_with_another_secret(client: AsyncClient) -> None:
    token = mint_token(supabase_claims(uuid.uuid4()), key=SUPABASE_SECRET[::-1])

    assert_problem(await client.get("/api/auth/me", headers=bearer(token)), 401)


async def test_es256_token_verified_through_the_jwks_endpoint(
    jwks_app: FastAPI, ec_key: ec.EllipticCurvePrivateKey, rsa_key: rsa.RSAPrivateKey
) -> None:
    es_id, rs_id = uuid.uuid4(), uuid.uuid4()
    es256 = jwt.encode(supabase_claims(es_id), ec_key, algorithm="ES256", headers={"kid": "ec-1"})
    rs256 = jwt.encode(supabase_claims(rs_id), rsa_key, algorithm="RS256", headers={"kid": "rsa-1"})

    async with app_client(jwks_app) as client:
        es_response = await client.get("/api/auth/me", headers=bearer(es256))
        rs_response = await client.get("/api/auth/me", headers=bearer(rs256))

    assert es_response.status_code == 200, es_response.text
    assert es_response.json()["id"] == str(es_id)
    assert rs_response.status_code == 200, rs_response.text
    assert rs_response.json()["id"] == str(rs_id)


async def test_asymmetric_tokens_with_unknown_or_wrong_keys(
    jwks_app: FastAPI, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    stranger = ec.generate_private_key(ec.SECP256R1())
    claims = supabase_claims(uuid.uuid4())
    forged = jwt.encode(claims, stranger, algorithm="ES256", headers={"kid": "ec-1"})
    unknown_kid = jwt.encode(claims, ec_key, algorithm="ES256", headers={"kid": "ec-9"})
    no_kid = jwt.encode(claims, ec_key, algorithm="ES256")

    async with app_client(jwks_app) as client:
        for token in (forged, unknown_kid, no_kid):
            assert_problem(await client.get("/api/auth/me", headers=bearer(token)), 401)


async def test_unreachable_key_set_is_503_not_401(
    build_app: Callable[..., FastAPI], ec_key: ec.EllipticCurvePrivateKey
) -> None:
    # Nothing listens on port 9 of the loopback interface.
    app = build_app(supabase={"url": SUPABASE_URL, "jwks_url": "http://127.0.0.1:9/jwks.json"})
    token = jwt.encode(
        supabase_claims(uuid.uuid4()), ec_key, algorithm="ES256", headers={"kid": "ec-1"}
    )

    async with app_client(app) as client:
        response = await client.get("/api/auth/me", headers=bearer(token))

    assert_problem(response, 503)


async def test_hs256_without_a_configured_secret(
    build_app: Callable[..., FastAPI], jwks_server: str
) -> None:
    app = build_app(supabase={"url": SUPABASE_URL, "jwks_url": jwks_server})

    async with app_client(app) as client:
        response = await client.get(
            "/api/auth/me", headers=bearer(hs256(supabase_claims(uuid.uuid4())))
        )

    assert_problem(response, 401)
