"""The permission check every protected route runs (Flask's @authenticate)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from httpx import AsyncClient
from sqlalchemy import delete

from cornflow_fastapi.models import ApiView, PermissionView
from cornflow_support import TEST_SECRET, bearer
from svckit.db import Database

NEW_USER = {"username": "guarded", "email": "guarded@example.com", "password": "Guarded_123"}


def token(**claims: Any) -> dict[str, str]:
    now = datetime.now(UTC)
    payload = {"exp": now + timedelta(hours=1), "iat": now, "sub": "admin", "iss": "cornflow"}
    payload.update(claims)
    return {"Authorization": f"Bearer {jwt.encode(payload, TEST_SECRET, algorithm='HS256')}"}


async def post_signup(client: AsyncClient, headers: dict[str, str] | None = None) -> Any:
    return await client.post("/signup/", json=NEW_USER, headers=headers or {})


async def test_bad_credentials_on_a_protected_route(build_client: Callable[..., Any]) -> None:
    unsigned = jwt.encode({"sub": "admin", "iss": "cornflow"}, key=None, algorithm="none")
    cases = [
        ({}, "Authorization header is missing"),
        (
            {"Authorization": "Token abc"},
            "Invalid Authorization header format. Must be 'Bearer <token>'",
        ),
        ({"Authorization": ""}, "Invalid token format or signature"),
        ({"Authorization": "Bearer garbage"}, "Invalid token format or signature"),
        ({"Authorization": f"Bearer {unsigned}"}, "Invalid token format or signature"),
        (token(iss="elsewhere"), "Invalid token format or signature"),
        (
            bearer("admin", secret="a-different-secret-of-sufficient-length"),
            "Invalid token format or signature",
        ),
        (
            token(exp=datetime.now(UTC) - timedelta(seconds=5)),
            "The token has expired, please login again",
        ),
        (token(sub="ghost"), "User not found. Please ensure you are using valid credentials"),
    ]
    async with build_client(signup_activated=2) as client:
        for headers, message in cases:
            response = await post_signup(client, headers)
            assert (response.status_code, response.json()) == (400, {"error": message}), headers


async def test_roles_decide(
    build_client: Callable[..., Any], headers: dict[str, dict[str, str]]
) -> None:
    async with build_client(signup_activated=2) as client:
        for role in ("planner", "viewer", "service", "dummy", "norole"):
            response = await post_signup(client, headers[role])
            assert response.status_code == 403, role
            assert response.json() == {
                "error": "You do not have permission to access this endpoint"
            }
        assert (await post_signup(client, bearer("admin"))).status_code == 201


async def test_permissions_are_read_from_the_database_on_every_request(
    build_client: Callable[..., Any], database: Database
) -> None:
    async with build_client(signup_activated=2) as client:
        async with database.sessionmaker() as session, session.begin():
            view_id = await session.scalar(
                ApiView.__table__.select()
                .with_only_columns(ApiView.id)
                .where(ApiView.name == "signup")
            )
            await session.execute(
                delete(PermissionView).where(PermissionView.api_view_id == view_id)
            )
        revoked = await post_signup(client, bearer("admin"))
        assert revoked.status_code == 403
        async with database.sessionmaker() as session, session.begin():
            await session.execute(delete(ApiView).where(ApiView.id == view_id))
        missing = await post_signup(client, bearer("admin"))
        assert missing.json() == {
            "error": "The permission for this endpoint is not in the database."
        }
