"""Cornflow's HS256 tokens: the Flask server's claims, so tokens work on both servers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from svckit.tokens import HS256Codec, TokenError, TokenExpired

ISSUER = "cornflow"

__all__ = ["ISSUER", "TokenError", "TokenExpired", "decode", "issue", "issue_bi"]


@lru_cache(maxsize=4)
def _codec(secret: str) -> HS256Codec:
    # Checking the secret is a tenth of a token check; do it once per secret, not per request.
    return HS256Codec(secret)


def issue(secret: str, username: str, *, hours: float, now: datetime | None = None) -> str:
    """A login token: exp, iat, sub = username, iss = cornflow."""
    moment = now or datetime.now(UTC)
    return _codec(secret).encode(
        {"exp": moment + timedelta(hours=hours), "iat": moment, "sub": username, "iss": ISSUER}
    )


def issue_bi(secret: str, username: str, *, now: datetime | None = None) -> str:
    """A BI token: no exp, as the Flask CLI makes them."""
    moment = now or datetime.now(UTC)
    return _codec(secret).encode({"iat": moment, "sub": username, "iss": ISSUER})


def decode(secret: str, token: str) -> dict[str, Any]:
    """Verify as the Flask server does: exp only when present, issuer cornflow, a subject."""
    return _codec(secret).decode(token, issuer=ISSUER, require=("sub",))
