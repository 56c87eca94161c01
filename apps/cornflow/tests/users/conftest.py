"""Fixtures for the /user/... tests: a role walker and a real SMTP-over-TLS receiver."""

from __future__ import annotations

import asyncio
import base64
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class ReceivedMail:
    sender: str
    recipients: list[str]
    data: str


@dataclass
class SmtpReceiver:
    """A minimal ESMTP server behind implicit TLS (port-465 style), enough for smtplib."""

    context: ssl.SSLContext
    username: str = "cornflow@example.com"
    password: str = "smtp-secret"
    refused: set[str] = field(default_factory=set)
    mails: list[ReceivedMail] = field(default_factory=list)
    port: int = 0

    async def _reply(self, writer: asyncio.StreamWriter, line: str) -> None:
        writer.write(line.encode() + b"\r\n")
        await writer.drain()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sender, recipients = "", list[str]()
        await self._reply(writer, "220 localhost ESMTP test receiver")
        try:
            while line := await reader.readline():
                command = line.decode().rstrip("\r\n")
                verb, _, argument = command.partition(" ")
                verb = verb.upper()
                if verb == "EHLO":
                    await self._reply(writer, "250-localhost")
                    await self._reply(writer, "250 AUTH PLAIN")
                elif verb == "AUTH":
                    _mechanism, _, initial = argument.partition(" ")
                    _, user, password = base64.b64decode(initial).decode().split("\0")
                    ok = (user, password) == (self.username, self.password)
                    await self._reply(writer, "235 ok" if ok else "535 bad credentials")
                elif verb == "MAIL":
                    sender, recipients = argument.split(":", 1)[1].strip("<> "), list[str]()
                    await self._reply(writer, "250 ok")
                elif verb == "RCPT":
                    recipient = argument.split(":", 1)[1].strip("<> ")
                    if recipient in self.refused:
                        await self._reply(writer, "550 no such mailbox")
                    else:
                        recipients.append(recipient)
                        await self._reply(writer, "250 ok")
                elif verb == "DATA":
                    await self._reply(writer, "354 go ahead")
                    lines = []
                    while (chunk := await reader.readline()) not in (b".\r\n", b""):
                        text = chunk.decode()
                        lines.append(text[1:] if text.startswith("..") else text)
                    self.mails.append(ReceivedMail(sender, recipients, "".join(lines)))
                    await self._reply(writer, "250 queued")
                elif verb == "QUIT":
                    await self._reply(writer, "221 bye")
                    break
                else:
                    await self._reply(writer, "250 ok")
        finally:
            writer.close()


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp.pem", directory / "smtp.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def smtp_certificate(tmp_path: Path) -> tuple[Path, Path]:
    return _self_signed(tmp_path)


@pytest.fixture
async def smtp_receiver(smtp_certificate: tuple[Path, Path]) -> AsyncIterator[SmtpReceiver]:
    """A running receiver on 127.0.0.1; its certificate is not trusted unless a test says so."""
    cert_path, key_path = smtp_certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    receiver = SmtpReceiver(context=context)
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0, ssl=context)
    receiver.port = server.sockets[0].getsockname()[1]
    async with server:
        yield receiver


@pytest.fixture
def trust_smtp_certificate(
    smtp_certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Make the receiver's certificate the only trusted root, as a private CA would be."""
    monkeypatch.setenv("SSL_CERT_FILE", str(smtp_certificate[0]))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
