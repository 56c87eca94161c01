"""HS256 JSON Web Tokens: minted for scenarios, inspected by the normaliser.

Written against the standard library so that the parity runner can craft the broken tokens
(expired, wrong secret, no subject, wrong issuer) that a JWT library would refuse to make.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass
from typing import Any

ISSUER = "cornflow"
# A JWT header is a JSON object, so its base64url always starts with "eyJ" ('{"').
_JWT = re.compile(r"^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _encode_json(value: Any) -> str:
    # PyJWT's separators, so minted tokens look like the servers' own.
    return _b64encode(json.dumps(value, separators=(",", ":")).encode())


def mint(secret: str, claims: dict[str, Any]) -> str:
    """An HS256 token with exactly these claims, in this order."""
    signing_input = f"{_encode_json({'alg': 'HS256', 'typ': 'JWT'})}.{_encode_json(claims)}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64encode(signature)}"


def cornflow_claims(
    subject: str | None, *, lifetime: float | None = 3600, issuer: str | None = ISSUER
) -> dict[str, Any]:
    """The claims Cornflow issues (exp, iat, sub, iss); None leaves a claim out."""
    now = int(time.time())
    claims: dict[str, Any] = {}
    if lifetime is not None:
        claims["exp"] = now + int(lifetime)
    claims["iat"] = now
    if subject is not None:
        claims["sub"] = subject
    if issuer is not None:
        claims["iss"] = issuer
    return claims


@dataclass(frozen=True)
class DecodedToken:
    header: dict[str, Any]
    claims: dict[str, Any]
    signature_valid: bool | None  # None: no secret to check it with

    def describe(self) -> str:
        """What two servers' tokens must share: algorithm, claim names and order, stable values.

        Times are reduced to the lifetime (exp - iat, in whole minutes): two logins a few
        milliseconds apart agree on that but not on the instants.
        """
        parts = [f"alg={self.header.get('alg')}", f"claims={','.join(self.claims)}"]
        for name in ("sub", "iss"):
            if name in self.claims:
                parts.append(f"{name}={self.claims[name]}")
        exp, iat = self.claims.get("exp"), self.claims.get("iat")
        if isinstance(exp, int | float) and isinstance(iat, int | float):
            parts.append(f"lifetime={round((exp - iat) / 60)}min")
        if self.signature_valid is not None:
            parts.append("signature=" + ("valid" if self.signature_valid else "INVALID"))
        return "<jwt " + " ".join(parts) + ">"


def decode(token: str, secret: str | None = None) -> DecodedToken | None:
    """The token's header and claims if it is a JWT with JSON objects in both, else None."""
    if not _JWT.match(token):
        return None
    header_part, claims_part, signature_part = token.split(".")
    try:
        header = json.loads(_b64decode(header_part))
        claims = json.loads(_b64decode(claims_part))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict) or "alg" not in header:
        return None
    valid: bool | None = None
    if secret is not None:
        expected = hmac.new(
            secret.encode(), f"{header_part}.{claims_part}".encode(), hashlib.sha256
        ).digest()
        try:
            valid = header.get("alg") == "HS256" and hmac.compare_digest(
                expected, _b64decode(signature_part)
            )
        except (ValueError, binascii.Error):
            valid = False
    return DecodedToken(header=header, claims=claims, signature_valid=valid)
