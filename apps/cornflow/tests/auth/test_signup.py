from collections.abc import Callable
from typing import Any

from httpx import AsyncClient
from sqlalchemy import select

from cornflow_fastapi.models import User, UserRole
from cornflow_support import bearer
from svckit.db import Database

NEW_USER = {"username": "newbie", "email": "newbie@example.com", "password": "Newbie_123"}


async def test_open_signup_creates_a_planner(client: AsyncClient, database: Database) -> None:
    response = await client.post("/signup/", json=NEW_USER)
    assert response.status_code == 201
    body = response.json()
    assert list(body) == ["token", "id"]
    async with database.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.username == "newbie"))
        assert user is not None
        assert user.password is not None
        assert user.password.startswith("$2b$10$")
        roles = (
            (await session.execute(select(UserRole.role_id).where(UserRole.user_id == user.id)))
            .scalars()
            .all()
        )
    assert list(roles) == [2]
    login = await client.post(
        "/login/", json={"username": "newbie", "password": NEW_USER["password"]}
    )
    assert login.status_code == 200
    assert login.json()["id"] == body["id"]


async def test_signup_policy_messages(client: AsyncClient) -> None:
    cases = [
        ({"password": "Ab1!"}, "Password must contain at least 5 characters."),
        ({"password": "abcdef1!"}, "Password must contain uppercase and lowercase letters."),
        ({"password": "Abcdefg!"}, "Password must contain at least one number and one special character."),
        ({"password": "Abcdefg1"}, "Password must contain at least one number and one special character."),
        ({"username": "planner"}, "Username already in use, please supply another username"),
        ({"email": "planner@cornflow.com"}, "Email already in use, please supply another email address"),
        ({"email": "someone@mailinator.com"}, "Invalid email address"),
    ]  # fmt: skip
    for change, message in cases:
        response = await client.post("/signup/", json={**NEW_USER, **change})
        assert (response.status_code, response.json()) == (400, {"error": message}), change


async def test_signup_email_format_is_a_validation_error(client: AsyncClient) -> None:
    response = await client.post("/signup/", json={**NEW_USER, "email": "not-an-email"})
    assert response.status_code == 400
    assert response.json() == {"error": "{'json': {'email': ['Not a valid email address.']}}"}


async def test_admin_only_signup(build_client: Callable[..., Any]) -> None:
    async with build_client(signup_activated=2) as client:
        anonymous = await client.post("/signup/", json=NEW_USER)
        assert anonymous.json() == {"error": "Authorization header is missing"}
        planner = await client.post("/signup/", json=NEW_USER, headers=bearer("planner"))
        assert planner.status_code == 403
        assert planner.json() == {"error": "You do not have permission to access this endpoint"}
        admin = await client.post("/signup/", json=NEW_USER, headers=bearer("admin"))
        assert admin.status_code == 201


async def test_signup_off_has_no_route(build_client: Callable[..., Any]) -> None:
    async with build_client(signup_activated=0) as client:
        response = await client.post("/signup/", json=NEW_USER)
        assert response.status_code == 404
        assert response.json()["message"] == "404 Not Found"
