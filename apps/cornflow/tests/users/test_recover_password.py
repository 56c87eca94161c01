"""PUT /user/recover-password/, against a real SMTP-over-TLS receiver."""

import email
import html
import re
import socket
from collections.abc import Callable
from email.message import Message
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import select

from cornflow_fastapi.models import User
from cornflow_fastapi.users import policy
from cornflow_fastapi.users.recovery_mail import temporary_password
from cornflow_support import Account
from svckit.db import Database

STARTED = (200, {"message": "The password recovery process has started. Check the email inbox."})
NOT_CONFIGURED = (
    501,
    {
        "error": "This functionality is not available. Check that cornflow's email is correctly "
        "configured"
    },
)
PROVIDER_ERROR = (
    400,
    {"error": "There is an error with the email provider. Please contact administration"},
)


def smtp_settings(receiver: Any, **changes: Any) -> dict[str, Any]:
    values = {
        "service_email_address": receiver.username,
        "service_email_password": receiver.password,
        "service_email_server": "127.0.0.1",
        "service_email_port": receiver.port,
        "service_name": "Cornflow",
    }
    return {**values, **changes}


async def stored_password(database: Database, username: str) -> tuple[str | None, Any]:
    async with database.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.username == username))
        assert user is not None
        return user.password, user.pwd_last_change


def html_part(message: Message) -> str:
    parts = message.get_payload()
    assert isinstance(parts, list)
    [part] = parts
    assert isinstance(part, Message)
    assert part.get_content_type() == "text/html"
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(part.get_content_charset() or "utf-8")


async def test_recovery_mails_a_working_temporary_password(
    build_client: Callable[..., Any],
    database: Database,
    accounts: dict[str, Account],
    smtp_receiver: Any,
    trust_smtp_certificate: None,
) -> None:
    planner = accounts["planner"]
    old_hash, old_change = await stored_password(database, "planner")
    async with build_client(**smtp_settings(smtp_receiver)) as client:
        response = await client.put("/user/recover-password/", json={"email": planner.email})
        assert (response.status_code, response.json()) == STARTED

        [mail] = smtp_receiver.mails
        assert (mail.sender, mail.recipients) == (smtp_receiver.username, [planner.email])
        message = email.message_from_string(mail.data)
        assert message["Subject"] == "Cornflow - Temporary password"
        assert (message["From"], message["To"]) == (smtp_receiver.username, planner.email)
        body = html_part(message)
        assert "Here is your temporary password to access Cornflow" in body
        found = re.search(r"<big><b>(.*?)</b></big>", body)
        assert found is not None
        temporary = html.unescape(found.group(1))
        assert policy.password_problem(temporary) is None

        new_hash, new_change = await stored_password(database, "planner")
        assert new_hash != old_hash
        assert new_hash is not None
        assert new_hash.startswith("$2b$10$")
        assert new_change > old_change
        old = await client.post(
            "/login/", json={"username": "planner", "password": planner.password}
        )
        assert old.status_code == 400
        new = await client.post("/login/", json={"username": "planner", "password": temporary})
        assert new.status_code == 200


async def test_unknown_email_gets_the_same_answer_and_no_mail(
    build_client: Callable[..., Any], smtp_receiver: Any, trust_smtp_certificate: None
) -> None:
    async with build_client(**smtp_settings(smtp_receiver)) as client:
        response = await client.put("/user/recover-password/", json={"email": "nobody@example.com"})
        assert (response.status_code, response.json()) == STARTED
    assert smtp_receiver.mails == []


async def test_no_token_is_needed_nor_checked(
    build_client: Callable[..., Any],
    smtp_receiver: Any,
    trust_smtp_certificate: None,
    accounts: dict[str, Account],
) -> None:
    async with build_client(**smtp_settings(smtp_receiver)) as client:
        response = await client.put(
            "/user/recover-password/",
            json={"email": accounts["viewer"].email},
            headers={"Authorization": "Bearer garbage"},
        )
        assert (response.status_code, response.json()) == STARTED
    assert len(smtp_receiver.mails) == 1


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("failure", ["credentials", "recipient", "untrusted", "unreachable"])
async def test_smtp_failures_change_nothing(
    build_client: Callable[..., Any],
    database: Database,
    accounts: dict[str, Account],
    smtp_receiver: Any,
    monkeypatch: pytest.MonkeyPatch,
    smtp_certificate: Any,
    failure: str,
) -> None:
    planner = accounts["planner"]
    settings = smtp_settings(smtp_receiver)
    if failure != "untrusted":
        monkeypatch.setenv("SSL_CERT_FILE", str(smtp_certificate[0]))
    if failure == "credentials":
        settings["service_email_password"] = "wrong"
    elif failure == "recipient":
        smtp_receiver.refused.add(planner.email)
    elif failure == "unreachable":
        settings["service_email_port"] = closed_port()
    before = await stored_password(database, "planner")
    async with build_client(**settings) as client:
        response = await client.put("/user/recover-password/", json={"email": planner.email})
        assert (response.status_code, response.json()) == PROVIDER_ERROR
    assert smtp_receiver.mails == []
    assert await stored_password(database, "planner") == before


async def test_not_configured(client: AsyncClient, database: Database) -> None:
    before = await stored_password(database, "planner")
    response = await client.put("/user/recover-password/", json={"email": "planner@cornflow.com"})
    assert (response.status_code, response.json()) == NOT_CONFIGURED
    assert await stored_password(database, "planner") == before


async def test_body_is_validated_before_the_configuration(client: AsyncClient) -> None:
    cases = [
        ({}, "{'json': {'email': ['Missing data for required field.']}}"),
        ({"email": None}, "{'json': {'email': ['Field may not be null.']}}"),
        ({"email": 5}, "{'json': {'email': ['Not a valid string.']}}"),
        ({"email": "a@b.c", "x": 1}, "{'json': {'x': ['Unknown field.']}}"),
    ]
    for body, message in cases:
        response = await client.put("/user/recover-password/", json=body)
        assert (response.status_code, response.json()) == (400, {"error": message}), body
    missing = await client.put("/user/recover-password/")
    assert missing.json() == {"error": "{'json': {'email': ['Missing data for required field.']}}"}


async def test_only_put_is_allowed(client: AsyncClient) -> None:
    response = await client.get("/user/recover-password/")
    assert response.status_code == 405
    assert response.json() == {"message": "The method is not allowed for the requested URL."}


def test_temporary_passwords_pass_the_policy() -> None:
    passwords = {temporary_password() for _ in range(500)}
    assert len(passwords) == 500
    for password in passwords:
        assert policy.password_problem(password) is None, password
        assert 12 <= len(password) <= 26
