"""POST /login/ with AUTH_TYPE=0: identity provider tokens checked against a JWKS over HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from httpx import AsyncClient
from sqlalchemy import select

from cornflow_fastapi.models import DeployedWorkflow, PermissionDag, User, UserRole
from cornflow_support import TEST_SECRET, Account, bearer
from svckit.db import Database

INVALID_TOKEN = "Invalid token format, signature, or configuration"
EXPIRED = "The token has expired, please login again"


def with_token(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login_with(client: AsyncClient, token: str) -> Any:
    return await client.post("/login/", headers=with_token(token))


async def user_named(database: Database, username: str) -> User | None:
    async with database.sessionmaker() as session:
        return await session.scalar(select(User).where(User.username == username))


async def roles_of(database: Database, user_id: int) -> set[int]:
    async with database.sessionmaker() as session:
        rows = await session.execute(select(UserRole.role_id).where(UserRole.user_id == user_id))
        return set(rows.scalars())


async def dags_of(database: Database, user_id: int) -> set[str]:
    async with database.sessionmaker() as session:
        rows = await session.execute(
            select(PermissionDag.dag_id).where(PermissionDag.user_id == user_id)
        )
        return set(rows.scalars())


async def deploy_workflows(database: Database, *names: str) -> None:
    async with database.sessionmaker() as session, session.begin():
        session.add_all(DeployedWorkflow(id=name, description=None) for name in names)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_with_public_key(provider: Any) -> str:
    """The algorithm-confusion attack: HS256 keyed with the provider's public PEM."""
    pem = provider.key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": provider.key.kid}).encode())
    claims = provider.claims()
    claims = {
        **claims,
        "iat": int(claims["iat"].timestamp()),
        "exp": int(claims["exp"].timestamp()),
    }
    payload = b64url(json.dumps(claims).encode())
    signature = hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


def unsigned(provider: Any) -> str:
    return jwt.encode(
        provider.claims(), key=None, algorithm="none", headers={"kid": provider.key.kid}
    )


def without_kid(provider: Any) -> str:
    return jwt.encode(provider.claims(), provider.key.private_key, algorithm="RS256")


async def test_login_echoes_the_provider_token(
    oid_client: AsyncClient, identity_provider: Any, database: Database
) -> None:
    token = identity_provider.token(sub="alice", email="alice.liddell@example.org")
    response = await login_with(oid_client, token)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["token", "id"]
    assert body["token"] == token
    user = await user_named(database, "alice")
    assert user is not None
    assert user.id == body["id"]


async def test_unknown_subject_is_created_from_the_claims(
    oid_client: AsyncClient, identity_provider: Any, database: Database
) -> None:
    await deploy_workflows(database, "solve_model_dag", "timer")
    token = identity_provider.token(
        sub="u-123", email="ada@example.org", given_name="Ada", family_name="Lovelace"
    )
    body = (await login_with(oid_client, token)).json()
    user = await user_named(database, "u-123")
    assert user is not None
    assert (user.id, user.email, user.first_name, user.last_name, user.password) == (
        body["id"],
        "ada@example.org",
        "Ada",
        "Lovelace",
        None,
    )
    assert await roles_of(database, user.id) == {2}
    assert await dags_of(database, user.id) == {"solve_model_dag", "timer"}
    # A second login finds the same user and adds nothing.
    again = await login_with(oid_client, identity_provider.token(sub="u-123"))
    assert again.json()["id"] == user.id
    assert await roles_of(database, user.id) == {2}


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"email": "grace.hopper@example.org"}, ("grace.hopper@example.org", "grace", "hopper")),
        ({"email": "a.b.c@example.org"}, ("a.b.c@example.org", "a", "b")),
        ({"email": "linus@example.org"}, ("linus@example.org", "linus", "")),
        ({}, ("{sub}@cornflow.org", "{sub}", "")),
        ({"given_name": "Only"}, ("{sub}@cornflow.org", "Only", "")),
    ],
)
async def test_names_default_to_the_email_local_part(
    oid_client: AsyncClient,
    identity_provider: Any,
    database: Database,
    claims: dict[str, str],
    expected: tuple[str, str, str],
) -> None:
    sub = "sub42"
    response = await login_with(oid_client, identity_provider.token(sub=sub, **claims))
    assert response.status_code == 200, response.text
    user = await user_named(database, sub)
    assert user is not None
    assert (user.email, user.first_name, user.last_name) == tuple(
        value.format(sub=sub) for value in expected
    )


async def test_default_role_and_closed_deployment(
    identity_provider: Any, build_client: Callable[..., Any], database: Database
) -> None:
    await deploy_workflows(database, "solve_model_dag")
    settings = identity_provider.cornflow_settings(default_role=1, open_deployment=0)
    async with build_client(**settings) as client:
        body = (await login_with(client, identity_provider.token(sub="closed"))).json()
    assert await roles_of(database, body["id"]) == {1}
    assert await dags_of(database, body["id"]) == set()


async def test_the_provider_token_opens_protected_routes(
    oid_client: AsyncClient, identity_provider: Any
) -> None:
    token = identity_provider.token(sub="carol", email="carol@example.org")
    user_id = (await login_with(oid_client, token)).json()["id"]
    me = await oid_client.get(f"/user/{user_id}/", headers=with_token(token))
    assert me.status_code == 200
    assert (me.json()["username"], me.json()["email"]) == ("carol", "carol@example.org")
    check = await oid_client.get("/token/", headers=with_token(token))
    assert (check.status_code, check.json()) == (200, {"valid": 1})
    # The provider's token names a user only once it has logged in.
    stranger = identity_provider.token(sub="never-logged-in")
    refused = await oid_client.get(f"/user/{user_id}/", headers=with_token(stranger))
    expected = {"error": "User not found. Please ensure you are using valid credentials"}
    assert (refused.status_code, refused.json()) == (400, expected)


def bad_tokens(provider: Any) -> dict[str, tuple[str, str]]:
    past = datetime.now(UTC) - timedelta(minutes=5)
    return {
        "wrong audience": (provider.token(aud="someone-else"), INVALID_TOKEN),
        "wrong issuer": (provider.token(iss="http://127.0.0.1:9/"), INVALID_TOKEN),
        "issuer without the slash": (provider.token(iss=provider.url.rstrip("/")), INVALID_TOKEN),
        "expired": (provider.token(exp=past, iat=past - timedelta(hours=1)), EXPIRED),
        "unknown kid": (provider.token(key=provider.stranger), INVALID_TOKEN),
        # The Flask server's "Missing key identifier" message never reaches the client.
        "no kid": (without_kid(provider), INVALID_TOKEN),
        "alg none": (unsigned(provider), INVALID_TOKEN),
        "HS256 with the public key": (hs256_with_public_key(provider), INVALID_TOKEN),
        "no subject": (provider.token(sub=None), INVALID_TOKEN),
        "garbage": ("not.a.token", INVALID_TOKEN),
    }


async def test_bad_provider_tokens_are_refused_with_flask_messages(
    oid_client: AsyncClient, identity_provider: Any, database: Database
) -> None:
    for name, (token, message) in bad_tokens(identity_provider).items():
        response = await login_with(oid_client, token)
        assert (response.status_code, response.json()) == (400, {"error": message}), name
        check = await oid_client.get("/token/", headers=with_token(token))
        assert check.json() == {"valid": 0}, name
    assert await user_named(database, "alice") is None


async def test_internal_tokens_still_work(
    oid_client: AsyncClient, accounts: dict[str, Account]
) -> None:
    planner = accounts["planner"]
    me = await oid_client.get(f"/user/{planner.id}/", headers=bearer(planner.username))
    assert me.status_code == 200
    # /login/ also accepts an internal token and echoes it, as the Flask server does.
    headers = bearer(planner.username)
    response = await oid_client.post("/login/", headers=headers)
    assert response.json() == {
        "token": headers["Authorization"].removeprefix("Bearer "),
        "id": planner.id,
    }
    expired = bearer(planner.username, hours=-1)
    refused = await oid_client.get(f"/user/{planner.id}/", headers=expired)
    assert (refused.status_code, refused.json()) == (400, {"error": EXPIRED})


async def test_service_user_logs_in_with_a_password(
    oid_client: AsyncClient, accounts: dict[str, Account]
) -> None:
    service = accounts["service"]
    response = await oid_client.post(
        "/login/", json={"username": service.username, "password": service.password}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == service.id
    claims = jwt.decode(body["token"], TEST_SECRET, algorithms=["HS256"])
    assert (claims["sub"], claims["iss"]) == (service.username, "cornflow")


async def test_only_service_users_log_in_with_a_password(
    oid_client: AsyncClient, accounts: dict[str, Account]
) -> None:
    planner, service = accounts["planner"], accounts["service"]
    cases = [
        ((planner.username, planner.password), "Invalid request"),
        ((accounts["admin"].username, accounts["admin"].password), "Invalid request"),
        ((service.username, "Wrong_pass1"), "Invalid credentials"),
        (("nobody", "Wrong_pass1"), "Invalid credentials"),
    ]
    for (username, password), message in cases:
        response = await oid_client.post(
            "/login/", json={"username": username, "password": password}
        )
        assert (response.status_code, response.json()) == (400, {"error": message}), username


async def test_password_login_can_be_switched_off(
    identity_provider: Any,
    build_client: Callable[..., Any],
    accounts: dict[str, Account],
) -> None:
    service = accounts["service"]
    settings = identity_provider.cornflow_settings(service_user_allow_password_login=0)
    async with build_client(**settings) as client:
        response = await client.post(
            "/login/", json={"username": service.username, "password": service.password}
        )
        expected = (
            "Must provide a token in Authorization header. Cannot log in with username and password"
        )
        assert (response.status_code, response.json()) == (400, {"error": expected})
        # The provider's token still works.
        token = identity_provider.token(sub="dave")
        assert (await login_with(client, token)).status_code == 200


async def test_a_provider_token_is_needed_without_a_password(oid_client: AsyncClient) -> None:
    missing = (400, {"error": "Authorization header is missing"})
    for kwargs in ({}, {"json": {}}, {"json": {"username": "service_user"}}):
        response = await oid_client.post("/login/", **kwargs)
        assert (response.status_code, response.json()) == missing, kwargs
    malformed = await oid_client.post("/login/", headers={"Authorization": "Token abc"})
    expected = {"error": "Invalid Authorization header format. Must be 'Bearer <token>'"}
    assert (malformed.status_code, malformed.json()) == (400, expected)


async def test_signup_does_not_exist(
    identity_provider: Any, build_client: Callable[..., Any]
) -> None:
    async with build_client(**identity_provider.cornflow_settings(signup_activated=1)) as client:
        response = await client.post(
            "/signup/",
            json={"username": "new", "email": "new@example.org", "password": "New_user1"},
        )
        assert response.status_code == 404


async def test_a_subject_that_makes_no_email_is_refused(
    oid_client: AsyncClient, identity_provider: Any, database: Database
) -> None:
    # "auth0|123@cornflow.org" fails the email rule; the Flask server answers the same.
    response = await login_with(oid_client, identity_provider.token(sub="auth0|123"))
    assert (response.status_code, response.json()) == (400, {"error": "Invalid email address."})
    assert await user_named(database, "auth0|123") is None


async def test_the_key_set_is_fetched_once(oid_client: AsyncClient, identity_provider: Any) -> None:
    before = identity_provider.requests
    for sub in ("k1", "k2", "k3"):
        response = await login_with(oid_client, identity_provider.token(sub=sub))
        assert response.status_code == 200
    assert identity_provider.requests == before + 1
