"""Refresh tokens: stored hashed, rotated on every use, a reused one revokes its family."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from httpx import AsyncClient
from mandarin_support import assert_problem, bearer, login, metric, register
from sqlalchemy import select, update

from mandarin.models import RefreshToken
from svckit.db import Database


async def refresh(client: AsyncClient, token: str) -> dict[str, str]:
    response = await client.post("/api/auth/refresh", json={"refresh_token": token})
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


async def refresh_is_refused(client: AsyncClient, token: str) -> dict[str, object]:
    response = await client.post("/api/auth/refresh", json={"refresh_token": token})
    body = assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    return body


async def family_rows(database: Database, token: str) -> list[RefreshToken]:
    async with database.sessionmaker() as session:
        digest = hashlib.sha256(token.encode()).hexdigest()
        first = await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest))
        assert first is not None
        rows = await session.scalars(
            select(RefreshToken)
            .where(RefreshToken.family_id == first.family_id)
            .order_by(RefreshToken.issued_at, RefreshToken.id)
        )
        return list(rows)


async def test_refresh_tokens_are_stored_only_as_hashes(
    client: AsyncClient, database: Database
) -> None:
    account = await register(client, device_label="Pixel 8")

    [row] = await family_rows(database, account["refresh_token"])

    assert row.token_hash == hashlib.sha256(account["refresh_token"].encode()).hexdigest()
    assert account["refresh_token"] not in row.token_hash
    assert row.device_label == "Pixel 8"
    assert row.expires_at - row.issued_at == timedelta(days=30)


async def test_refresh_rotates_and_keeps_the_family(
    client: AsyncClient, database: Database
) -> None:
    account = await register(client)

    second = await refresh(client, account["refresh_token"])
    third = await refresh(client, second["refresh_token"])

    assert len({account["refresh_token"], second["refresh_token"], third["refresh_token"]}) == 3
    me = await client.get("/api/auth/me", headers=bearer(third["access_token"]))
    assert me.status_code == 200
    first_row, second_row, third_row = await family_rows(database, account["refresh_token"])
    assert second_row.parent_id == first_row.id
    assert third_row.parent_id == second_row.id
    assert first_row.used_at is not None
    assert second_row.used_at is not None
    assert third_row.used_at is None


async def test_reusing_a_spent_token_revokes_the_whole_family(
    client: AsyncClient, database: Database, app: FastAPI
) -> None:
    account = await register(client)
    other_device = await login(client, account["email"])
    rotated = await refresh(client, account["refresh_token"])

    body = await refresh_is_refused(client, account["refresh_token"])

    assert body["detail"] == "The refresh token is not valid; log in again"
    # The thief's copy and the rightful owner's latest token are both dead now.
    await refresh_is_refused(client, rotated["refresh_token"])
    rows = await family_rows(database, account["refresh_token"])
    assert all(row.revoked_at is not None for row in rows)
    assert {row.revoked_reason for row in rows} == {"reuse"}
    # Another login (another family) is untouched.
    assert (await refresh(client, other_device["refresh_token"]))["access_token"]
    assert metric(app, "mandarin_auth_failures_total", {"reason": "refresh_token_reuse"}) == 1
    assert metric(app, "mandarin_auth_failures_total", {"reason": "revoked_refresh_token"}) == 1


async def test_expired_unknown_and_misused_refresh_tokens_are_refused(
    client: AsyncClient, database: Database
) -> None:
    account = await register(client)
    async with database.sessionmaker() as session, session.begin():
        await session.execute(
            update(RefreshToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )

    await refresh_is_refused(client, account["refresh_token"])
    await refresh_is_refused(client, "not-a-token-we-issued")
    # An access token is no refresh token, and the other way round.
    await refresh_is_refused(client, account["access_token"])
    me = await client.get("/api/auth/me", headers=bearer(account["refresh_token"]))
    assert_problem(me, 401)
    assert_problem(await client.post("/api/auth/refresh", json={"refresh_token": ""}), 422)


async def test_logout_ends_this_device_only(client: AsyncClient) -> None:
    phone = await register(client)
    laptop = await login(client, phone["email"])

    response = await client.post(
        "/api/auth/logout",
        json={"refresh_token": phone["refresh_token"]},
        headers=bearer(phone["access_token"]),
    )

    assert response.status_code == 204
    assert response.content == b""
    await refresh_is_refused(client, phone["refresh_token"])
    assert (await refresh(client, laptop["refresh_token"]))["access_token"]


async def test_logout_everywhere_also_kills_access_tokens(client: AsyncClient) -> None:
    phone = await register(client)
    laptop = await login(client, phone["email"])

    response = await client.post(
        "/api/auth/logout", json={"all_devices": True}, headers=bearer(laptop["access_token"])
    )

    assert response.status_code == 204
    for session in (phone, laptop):
        await refresh_is_refused(client, session["refresh_token"])
        me = await client.get("/api/auth/me", headers=bearer(session["access_token"]))
        assert_problem(me, 401)
    # Logging in again works, with a token of the new generation.
    fresh = await login(client, phone["email"])
    assert (await client.get("/api/auth/me", headers=bearer(fresh["access_token"]))).is_success


async def test_logout_cannot_touch_someone_elses_session(client: AsyncClient) -> None:
    alice = await register(client)
    mallory = await register(client)

    response = await client.post(
        "/api/auth/logout",
        json={"refresh_token": alice["refresh_token"]},
        headers=bearer(mallory["access_token"]),
    )

    assert response.status_code == 204
    assert (await refresh(client, alice["refresh_token"]))["access_token"]


async def test_logout_needs_a_session_to_end_and_credentials(client: AsyncClient) -> None:
    account = await register(client)

    missing = await client.post(
        "/api/auth/logout", json={}, headers=bearer(account["access_token"])
    )
    anonymous = await client.post(
        "/api/auth/logout", json={"refresh_token": account["refresh_token"]}
    )

    assert_problem(missing, 422)
    assert_problem(anonymous, 401)
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
