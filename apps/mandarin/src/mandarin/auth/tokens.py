"""Our own credentials: HS256 access tokens and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from svckit.tokens import HS256Codec, TokenInvalid

ACCESS_TOKEN_TYPE = "access"
_REQUIRED_CLAIMS = ("sub", "exp", "iat", "iss", "aud", "jti", "type")


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    token_version: int
    jti: str


class AccessTokens:
    """Issues and verifies access tokens: HS256 only, our issuer and audience, `type` access."""

    def __init__(self, secret: str, *, issuer: str, audience: str, lifetime: timedelta) -> None:
        self._codec = HS256Codec(secret)
        self.issuer = issuer
        self.audience = audience
        self.lifetime = lifetime

    def issue(self, user_id: uuid.UUID, *, token_version: int, now: datetime) -> str:
        return self._codec.encode(
            {
                "sub": str(user_id),
                "iat": now,
                "exp": now + self.lifetime,
                "iss": self.issuer,
                "aud": self.audience,
                "jti": uuid.uuid4().hex,
                "type": ACCESS_TOKEN_TYPE,
                "ver": token_version,
            }
        )

    def verify(self, token: str) -> AccessClaims:
        """The token's claims; raises svckit's TokenError subclasses on any failure."""
        claims = self._codec.decode(
            token, issuer=self.issuer, audience=self.audience, require=_REQUIRED_CLAIMS
        )
        # Without the type check a token minted for some other purpose with this key would
        # pass as an access token (RFC 8725 §3.11).
        if claims["type"] != ACCESS_TOKEN_TYPE:
            raise TokenInvalid("not an access token")
        try:
            user_id = uuid.UUID(str(claims["sub"]))
        except ValueError:
            raise TokenInvalid("malformed subject") from None
        version = claims.get("ver", 0)
        if not isinstance(version, int) or isinstance(version, bool):
            raise TokenInvalid("malformed token version")
        return AccessClaims(user_id=user_id, token_version=version, jti=str(claims["jti"]))


def new_refresh_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def unverified_routing_fields(token: str) -> tuple[str | None, str | None]:
    """The (alg, iss) a token claims, read without trusting them, to pick its verifier."""
    if not token.isascii():
        raise TokenInvalid("token is not a compact JWS string")
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except (jwt.PyJWTError, ValueError, TypeError) as error:
        raise TokenInvalid(str(error)) from None
    algorithm, issuer = header.get("alg"), claims.get("iss")
    return (
        algorithm if isinstance(algorithm, str) else None,
        issuer if isinstance(issuer, str) else None,
    )
