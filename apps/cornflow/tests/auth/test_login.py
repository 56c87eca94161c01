from collections.abc import Callable
from datetime import timedelta
from typing import Any

import bcrypt
import jwt
from flask_bcrypt import generate_password_hash
from httpx import AsyncClient
from sqlalchemy import select, update

from cornflow_fastapi.models import User, utcnow
from cornflow_support import TEST_SECRET, Account
from svckit.db import Database


async def login(client: AsyncClient, username: str, password: str) -> Any:
    return await client.post("/login/", json={"username": username, "password": password})


async def test_login_returns_flask_shaped_token(
    client: AsyncClient, accounts: dict[str, Account]
) -> None:
    planner = accounts["planner"]
    response = await login(client, planner.username, planner.password)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["change_password", "token", "id"]
    assert body["change_password"] is False
    assert body["id"] == planner.id
    claims = jwt.decode(body["token"], TEST_SECRET, algorithms=["HS256"])
    assert set(claims) == {"exp", "iat", "sub", "iss"}
    assert claims["sub"] == "planner"
    assert claims["iss"] == "cornflow"
    assert claims["exp"] - claims["iat"] == 24 * 3600


async def test_wrong_password_and_unknown_user_get_the_same_answer(
    client: AsyncClient, accounts: dict[str, Account]
) -> None:
    wrong = await login(client, accounts["planner"].username, "Wrong_pass1")
    unknown = await login(client, "nobody", "Wrong_pass1")
    for response in (wrong, unknown):
        assert response.status_code == 400
        assert response.json() == {"error": "Invalid credentials"}


async def test_validation_errors_are_stringified_marshmallow_dicts(client: AsyncClient) -> None:
    cases = [
        ({"username": "planner"}, "{'json': {'password': ['Missing data for required field.']}}"),
        (
            {"username": "planner", "password": "x", "x": 1},
            "{'json': {'x': ['Unknown field.']}}",
        ),
        (
            {"username": None, "password": 5},
            "{'json': {'username': ['Field may not be null.'], "
            "'password': ['Not a valid string.']}}",
        ),
        ([1], "{'json': {'_schema': ['Invalid input type.']}}"),
        (
            {"username": "a\x00b", "password": "x"},
            "{'json': {'username': ['Not a valid string.']}}",
        ),
    ]
    for payload, message in cases:
        response = await client.post("/login/", json=payload)
        assert response.status_code == 400, payload
        assert response.json() == {"error": message}


async def test_malformed_and_non_json_bodies(client: AsyncClient) -> None:
    malformed = await client.post(
        "/login/", content=b"{bad", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.json() == {"messages": {"json": ["Invalid JSON body."]}}
    form = await client.post("/login/", data={"username": "planner"})
    assert form.status_code == 400
    assert form.json() == {
        "error": "{'json': {'username': ['Missing data for required field.'], "
        "'password': ['Missing data for required field.']}}"
    }


async def test_password_rotation_sets_change_password(
    client: AsyncClient, database: Database, accounts: dict[str, Account]
) -> None:
    viewer = accounts["viewer"]
    async with database.sessionmaker() as session, session.begin():
        await session.execute(
            update(User)
            .where(User.id == viewer.id)
            .values(pwd_last_change=utcnow() - timedelta(days=121))
        )
    response = await login(client, viewer.username, viewer.password)
    assert response.status_code == 200
    assert response.json()["change_password"] is True


async def _set_password_hash(database: Database, user_id: int, stored: str) -> None:
    async with database.sessionmaker() as session, session.begin():
        await session.execute(update(User).where(User.id == user_id).values(password=stored))


async def _stored_hash(database: Database, user_id: int) -> str | None:
    async with database.sessionmaker() as session:
        return await session.scalar(select(User.password).where(User.id == user_id))


async def test_flask_bcrypt_hash_logs_in_and_is_kept_for_flask(
    client: AsyncClient, database: Database, accounts: dict[str, Account]
) -> None:
    planner = accounts["planner"]
    flask_hash = generate_password_hash("Flask_made1", rounds=10).decode()
    assert flask_hash.startswith("$2b$10$")
    await _set_password_hash(database, planner.id, flask_hash)
    response = await login(client, planner.username, "Flask_made1")
    assert response.status_code == 200
    assert await _stored_hash(database, planner.id) == flask_hash


async def test_argon2_setting_rehashes_legacy_bcrypt_on_login(
    build_client: Callable[..., Any], database: Database, accounts: dict[str, Account]
) -> None:
    planner = accounts["planner"]
    long_password = "Aa1!" + "x" * 76
    truncated = bcrypt.hashpw(long_password.encode()[:72], bcrypt.gensalt(10)).decode()
    await _set_password_hash(database, planner.id, truncated)
    async with build_client(password_hash_scheme="argon2") as client:
        response = await login(client, planner.username, long_password)
        assert response.status_code == 200
        stored = await _stored_hash(database, planner.id)
        assert stored is not None
        assert stored.startswith("$argon2id$")
        again = await login(client, planner.username, long_password)
        assert again.status_code == 200
        assert (await login(client, planner.username, long_password[:72])).status_code == 400


async def test_missing_trailing_slash_redirects_with_308(client: AsyncClient) -> None:
    response = await client.post("/login", json={})
    assert response.status_code == 308
    assert response.headers["location"] == "http://testserver/login/"
    assert "Redirecting..." in response.text
    wrong_method = await client.delete("/login")
    assert wrong_method.status_code == 404


async def test_wrong_method_is_405_with_flask_body(client: AsyncClient) -> None:
    response = await client.get("/login/")
    assert response.status_code == 405
    assert response.json() == {"message": "The method is not allowed for the requested URL."}
    assert "POST" in response.headers["allow"]
    options = await client.options("/login/")
    assert options.status_code == 200
    assert "POST" in options.headers["allow"]
