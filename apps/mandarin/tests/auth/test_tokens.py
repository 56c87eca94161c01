"""Access tokens the API must refuse (RFC 8725): each is a 401 problem with a challenge."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from httpx import AsyncClient
from mandarin_support import (
    TEST_SECRET,
    access_claims,
    assert_problem,
    bearer,
    metric,
    mint_token,
    register,
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(claims: dict[str, Any]) -> str:
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims, default=lambda moment: int(moment.timestamp())).encode())
    return f"{header}.{body}."


async def user_id_of(client: AsyncClient) -> str:
    account = await register(client)
    me = await client.get("/api/auth/me", headers=bearer(account["access_token"]))
    user_id: str = me.json()["id"]
    return user_id


async def refused(client: AsyncClient, token: str) -> dict[str, Any]:
    response = await client.get("/api/auth/me", headers=bearer(token))
    body = assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    return body


async def test_a_well_formed_token_is_accepted(client: AsyncClient) -> None:
    user_id = await user_id_of(client)

    response = await client.get("/api/auth/me", headers=bearer(mint_token(access_claims(user_id))))

    assert response.status_code == 200, response.text


async def test_expired_token(client: AsyncClient, app: FastAPI) -> None:
    user_id = await user_id_of(client)
    past = datetime.now(UTC) - timedelta(hours=1)

    body = await refused(
        client, mint_token(access_claims(user_id, iat=past, exp=past + timedelta(minutes=30)))
    )

    assert body["detail"] == "The access token has expired; refresh it"
    assert metric(app, "mandarin_auth_failures_total", {"reason": "expired_token"}) == 1
    assert metric(app, "mandarin_jwt_validation_errors_total", {"reason": "expired"}) == 1


async def test_alg_none(client: AsyncClient) -> None:
    user_id = await user_id_of(client)

    await refused(client, unsigned(access_claims(user_id)))


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "someone-else"}, "wrong_audience"),
        ({"iss": "https://evil.example"}, "wrong_issuer"),
        ({"type": "refresh"}, "invalid_token"),
        ({"jti": None}, "missing_claim"),
        ({"sub": "not-a-uuid"}, "invalid_token"),
        ({"iat": datetime.now(UTC) + timedelta(hours=1)}, "invalid_token"),
    ],
)
async def test_claims_that_do_not_check_out(
    client: AsyncClient, app: FastAPI, claims: dict[str, Any], reason: str
) -> None:
    user_id = await user_id_of(client)
    token_claims = {
        name: value for name, value in access_claims(user_id, **claims).items() if value is not None
    }

    await refused(client, mint_token(token_claims))

    assert metric(app, "mandarin_auth_failures_total", {"reason": reason}) == 1


async def test_wrong_keys_and_algorithms(client: AsyncClient, app: FastAPI) -> None:
    user_id = await user_id_of(client)
    claims = access_claims(user_id)
    ec_key = ec.generate_private_key(ec.SECP256R1())

    await refused(client, mint_token(claims, key=TEST_SECRET[::-1]))
    assert metric(app, "mandarin_auth_failures_total", {"reason": "bad_signature"}) == 1
    await refused(client, mint_token(claims, key=TEST_SECRET * 2, algorithm="HS512"))
    await refused(client, mint_token(claims, key=ec_key, algorithm="ES256"))


async def test_tokens_of_vanished_users_and_garbage(client: AsyncClient) -> None:
    await refused(client, mint_token(access_claims(uuid.uuid4())))
    await refused(client, "not.a.jwt")
    latin1 = await client.get(
        "/api/auth/me", headers={"Authorization": "Bearer ünïcödé".encode("latin-1")}
    )
    assert_problem(latin1, 401)
    await refused(client, jwt.encode({"iss": "mandarin"}, TEST_SECRET))


async def test_missing_or_malformed_authorization(client: AsyncClient, app: FastAPI) -> None:
    missing = await client.get("/api/auth/me")
    basic = await client.get("/api/auth/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    empty = await client.get("/api/auth/me", headers={"Authorization": "Bearer "})

    assert_problem(missing, 401)
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    for response in (basic, empty):
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert metric(app, "mandarin_auth_failures_total", {"reason": "missing_credentials"}) == 1
    assert metric(app, "mandarin_auth_failures_total", {"reason": "malformed_header"}) == 2
