from datetime import UTC, datetime, timedelta

import jwt
from httpx import AsyncClient

from cornflow_support import TEST_SECRET, Account, bearer


def flask_style_token(username: str, *, secret: str = TEST_SECRET, **changes: object) -> str:
    """A token built the way the Flask server's Auth.generate_token builds it."""
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "exp": now + timedelta(hours=24),
        "iat": now,
        "sub": username,
        "iss": "cornflow",
    }
    claims.update(changes)
    return jwt.encode(claims, secret, algorithm="HS256")


async def test_token_check(client: AsyncClient, accounts: dict[str, Account]) -> None:
    good = await client.get("/token/", headers=bearer("planner"))
    assert (good.status_code, good.json()) == (200, {"valid": 1})
    bad = await client.get("/token/", headers={"Authorization": "Bearer nonsense"})
    assert (bad.status_code, bad.json()) == (200, {"valid": 0})
    expired = await client.get("/token/", headers=bearer("planner", hours=-1))
    assert expired.json() == {"valid": 0}
    unknown = await client.get("/token/", headers=bearer("ghost"))
    assert unknown.json() == {"valid": 0}
    missing = await client.get("/token/")
    assert (missing.status_code, missing.json()) == (
        400,
        {"error": "Authorization header is missing"},
    )


async def test_flask_made_token_is_accepted(client: AsyncClient) -> None:
    token = flask_style_token("planner")
    response = await client.get("/token/", headers={"Authorization": f"Bearer {token}"})
    assert response.json() == {"valid": 1}


async def test_token_without_exp_is_accepted_like_flask(client: AsyncClient) -> None:
    now = datetime.now(UTC)
    token = jwt.encode({"iat": now, "sub": "planner", "iss": "cornflow"}, TEST_SECRET, "HS256")
    response = await client.get("/token/", headers={"Authorization": f"Bearer {token}"})
    assert response.json() == {"valid": 1}


async def test_forged_tokens_are_rejected(client: AsyncClient) -> None:
    unsigned = jwt.encode({"sub": "admin", "iss": "cornflow"}, key=None, algorithm="none")
    wrong_key = flask_style_token("admin", secret="another-secret-key-of-enough-length!!")
    wrong_issuer = flask_style_token("admin", iss="someone-else")
    for token in (unsigned, wrong_key, wrong_issuer):
        response = await client.get("/token/", headers={"Authorization": f"Bearer {token}"})
        assert response.json() == {"valid": 0}, token
