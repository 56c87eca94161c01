"""The password recovery email: a temporary password, sent over SMTP with implicit TLS."""

from __future__ import annotations

import html
import secrets
import smtplib
import ssl
import string
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import anyio.to_thread

from cornflow_fastapi.config import SmtpSettings
from cornflow_fastapi.users.policy import SPECIAL_CHARACTERS

SMTP_TIMEOUT_SECONDS = 30

_random = secrets.SystemRandom()
_SPECIALS = "".join(sorted(SPECIAL_CHARACTERS))


class MailNotSent(Exception):
    """The SMTP server could not be reached, refused the login or refused the recipient."""


def temporary_password() -> str:
    """A password shaped like the Flask server's: 10-11 letters of both cases, digits, symbols."""
    lower = _random.randint(1, 9)
    upper = _random.randint(10 - lower, 11)
    chars = (
        _random.sample(string.ascii_uppercase, upper)
        + _random.sample(string.ascii_lowercase, lower)
        + _random.sample(string.digits, _random.randint(1, 3))
        + _random.sample(_SPECIALS, _random.randint(1, 3))
    )
    _random.shuffle(chars)
    return "".join(chars)


def recovery_message(*, temp_password: str, service_name: str, sender: str, receiver: str) -> str:
    """The HTML mail the Flask server sends, the password escaped so `<` or `&` show as typed."""
    shown = html.escape(temp_password, quote=False)
    body = "\n".join(
        (
            "",
            "    <html>",
            "        <body> ",
            "            <p>",
            "                <p> Hi, </p>",
            "                Here is your temporary password to access "
            f"{service_name}: <big><b>{shown}</b></big>.<br>",
            "                You can use it to login and then change your password. "
            "Please change your password as soon as you can.",
            "                Your older password has been disabled.",
            "            </p>",
            f"            <p>{service_name}</p>",
            "        </body>",
            "    </html>",
            "    ",
        )
    )
    message = MIMEMultipart("alternative")
    message["Subject"] = f"{service_name} - Temporary password"
    message["From"] = sender
    message["To"] = receiver
    message.attach(MIMEText(body, "html"))
    return message.as_string()


def _send(smtp: SmtpSettings, receiver: str, message: str) -> None:
    # Unlike the Flask server (smtplib's unverified default), the server's certificate is
    # checked: the message carries a working password.
    context = ssl.create_default_context()
    try:
        with smtplib.SMTP_SSL(
            smtp.server, smtp.port, timeout=SMTP_TIMEOUT_SECONDS, context=context
        ) as server:
            server.login(smtp.address, smtp.password)
            server.sendmail(smtp.address, receiver, message)
    except (smtplib.SMTPException, OSError) as error:
        raise MailNotSent(str(error)) from error


async def send(smtp: SmtpSettings, receiver: str, message: str) -> None:
    """Deliver message to receiver from the service address (in a worker thread)."""
    await anyio.to_thread.run_sync(_send, smtp, receiver, message)
