"""OpenID Connect (AUTH_TYPE=0): identity provider tokens checked against the provider's JWKS."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from cornflow_fastapi.config import CornflowSettings
from cornflow_fastapi.errors import InvalidCredentials
from svckit.http import get_metrics
from svckit.tokens import JwksVerifier, TokenError, TokenExpired

INVALID = "Invalid token format, signature, or configuration"


def build_verifier(settings: CornflowSettings) -> JwksVerifier | None:
    """One cached verifier per app, or None when no provider is configured."""
    oid = settings.oid
    if oid.jwks_url is None or oid.provider is None:
        return None
    return JwksVerifier(
        oid.jwks_url,
        audience=oid.expected_audience or "",
        issuer=oid.provider,
        algorithms=("RS256",),
        # The subject names the Cornflow user; a token without one must not reach the lookup.
        require=("exp", "sub"),
    )


async def verify(request: Request, token: str) -> dict[str, Any]:
    """Claims of a provider token; every failure but expiry gets the same message."""
    verifier: JwksVerifier | None = request.app.state.oidc_verifier
    if verifier is None:
        raise InvalidCredentials(INVALID)
    metrics = get_metrics(request)
    try:
        return await verifier.verify(token)
    except TokenExpired:
        metrics.record_jwt_validation_error("expired")
        metrics.record_auth_failure("expired_token")
        raise InvalidCredentials("The token has expired, please login again") from None
    except TokenError as error:
        metrics.record_jwt_validation_error(error.reason)
        metrics.record_auth_failure("invalid_token")
        raise InvalidCredentials(INVALID) from None
