"""Supabase Auth access tokens: HS256 with the project's JWT secret, or ES256/RS256 via JWKS."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from mandarin.config import SupabaseSettings
from svckit.tokens import HS256Codec, JwksVerifier, TokenInvalid

_REQUIRED_CLAIMS = ("exp", "sub", "aud", "iss")
_ASYMMETRIC = ("ES256", "RS256")


class TokenWrongRole(TokenInvalid):
    """A project key (anon, service_role) or another non-user token."""

    reason = "role"


class SignatureMethodUnavailable(TokenInvalid):
    """The token's algorithm needs a secret or key set this server was not given."""

    reason = "unconfigured"


@dataclass(frozen=True, slots=True)
class SupabaseIdentity:
    user_id: uuid.UUID
    email: str | None
    display_name: str | None


def _display_name(claims: dict[str, Any]) -> str | None:
    metadata = claims.get("user_metadata")
    if isinstance(metadata, dict):
        for key in ("full_name", "name", "display_name"):
            value = metadata.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:100]
    return None


class SupabaseVerifier:
    """Checks Supabase access tokens of one project: issuer `<url>/auth/v1`, audience, role."""

    def __init__(self, settings: SupabaseSettings) -> None:
        if settings.issuer is None:
            raise ValueError("SUPABASE_URL is required to accept Supabase tokens")
        self.issuer = settings.issuer
        self.audience = settings.audience
        self._secret = HS256Codec(settings.jwt_secret) if settings.jwt_secret else None
        keys_url = settings.keys_url
        self._jwks = (
            JwksVerifier(
                keys_url,
                audience=self.audience,
                issuer=self.issuer,
                algorithms=_ASYMMETRIC,
                require=_REQUIRED_CLAIMS,
                # Supabase's edge caches its key set for 10 minutes; rotation publishes the next
                # key long before it signs anything.
                cache_seconds=600,
            )
            if keys_url
            else None
        )

    async def verify(self, token: str, *, algorithm: str) -> SupabaseIdentity:
        """The identity in a verified token; raises svckit's TokenError subclasses."""
        claims = await self._claims(token, algorithm)
        if claims.get("role") != "authenticated":
            raise TokenWrongRole("only signed-in users' tokens are accepted")
        try:
            user_id = uuid.UUID(str(claims["sub"]))
        except ValueError:
            raise TokenInvalid("malformed subject") from None
        email = claims.get("email")
        return SupabaseIdentity(
            user_id=user_id,
            email=email.strip().lower() if isinstance(email, str) and email.strip() else None,
            display_name=_display_name(claims),
        )

    async def _claims(self, token: str, algorithm: str) -> dict[str, Any]:
        if algorithm == "HS256":
            if self._secret is None:
                raise SignatureMethodUnavailable("no SUPABASE_JWT_SECRET configured")
            return self._secret.decode(
                token, issuer=self.issuer, audience=self.audience, require=_REQUIRED_CLAIMS
            )
        if algorithm in _ASYMMETRIC and self._jwks is not None:
            return await self._jwks.verify(token)
        raise TokenInvalid(f"algorithm {algorithm!r} is not accepted")

    async def aclose(self) -> None:
        if self._jwks is not None:
            await self._jwks.aclose()
