"""Who is calling: our bearer token, a Supabase token, or the legacy Flask session cookie."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from mandarin.auth import repository, service
from mandarin.auth.legacy import LegacyCookieRefused, LegacySessionReader
from mandarin.auth.schemas import AuthMethod
from mandarin.auth.supabase import SupabaseVerifier, TokenWrongRole
from mandarin.auth.tokens import AccessTokens, unverified_routing_fields
from mandarin.clock import Clock, ClockDep
from mandarin.dependencies import SessionDep, SettingsDep
from mandarin.errors import AuthenticationFailed, Forbidden, ServiceUnavailable
from mandarin.models import User
from svckit.http import Metrics, get_metrics
from svckit.tokens import (
    JwksUnavailable,
    TokenAudienceMismatch,
    TokenError,
    TokenExpired,
    TokenIssuerMismatch,
    TokenMissingClaim,
)

# What any route behind CurrentUser can answer besides its own errors: no or bad credentials
# (401), a legacy cookie on a cross-origin write (403), identity provider keys unreachable (503).
AUTHENTICATED_ERRORS = (401, 403, 503)

# Methods a cookie may authorize from anywhere: they change nothing, and CORS keeps other sites
# from reading the answers.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_TOKEN_FAILURE_REASONS: dict[type[TokenError], str] = {
    TokenExpired: "expired_token",
    TokenIssuerMismatch: "wrong_issuer",
    TokenAudienceMismatch: "wrong_audience",
    TokenMissingClaim: "missing_claim",
    TokenWrongRole: "wrong_role",
}

# Declared for the OpenAPI document (the "Authorize" dialog); parsing happens below, where a
# malformed header can be told apart from a missing one.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="AccessToken",
    description="An access token from /api/auth/login, or a Supabase Auth access token",
)
legacy_cookie_scheme = APIKeyCookie(
    name="session",
    auto_error=False,
    scheme_name="LegacySessionCookie",
    description="The old app's session cookie: safe methods, or unsafe ones from allowed origins",
)


@dataclass(frozen=True, slots=True)
class Principal:
    user: User
    method: AuthMethod


def get_access_tokens(request: Request) -> AccessTokens:
    tokens: AccessTokens = request.app.state.access_tokens
    return tokens


def get_supabase_verifier(request: Request) -> SupabaseVerifier | None:
    verifier: SupabaseVerifier | None = request.app.state.supabase_verifier
    return verifier


def get_legacy_sessions(request: Request) -> LegacySessionReader | None:
    reader: LegacySessionReader | None = request.app.state.legacy_sessions
    return reader


def refuse(
    metrics: Metrics, reason: str, message: str, *, invalid_token: bool = False
) -> AuthenticationFailed:
    """A 401, counted by reason for the auth-failure dashboards."""
    metrics.record_auth_failure(reason)
    return AuthenticationFailed(message, invalid_token=invalid_token)


def _bearer_token(metrics: Metrics, header: str) -> str:
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise refuse(
            metrics,
            "malformed_header",
            "The Authorization header must be 'Bearer <token>'",
            invalid_token=True,
        )
    return token


async def _user_from_token(
    request: Request, session: AsyncSession, token: str, clock: Clock
) -> Principal:
    metrics = get_metrics(request)
    tokens = get_access_tokens(request)
    supabase = get_supabase_verifier(request)
    method: AuthMethod
    try:
        algorithm, issuer = unverified_routing_fields(token)
        # Routing on the unverified issuer is safe: each verifier pins its own algorithms, key
        # and issuer, so a token claiming one issuer cannot pass another's checks.
        if issuer == tokens.issuer:
            claims = tokens.verify(token)
            user = await repository.get_user(session, claims.user_id)
            if user is None:
                raise refuse(
                    metrics, "unknown_user", "The token's user no longer exists", invalid_token=True
                )
            if claims.token_version != user.token_version:
                raise refuse(
                    metrics,
                    "revoked_token",
                    "The token was revoked; log in again",
                    invalid_token=True,
                )
            method = "token"
        elif supabase is not None and issuer == supabase.issuer:
            identity = await supabase.verify(token, algorithm=algorithm or "")
            user = await service.user_for_supabase_identity(session, identity, now=clock.now())
            method = "supabase"
        else:
            raise TokenIssuerMismatch(f"tokens from {issuer!r} are not accepted")
    except JwksUnavailable:
        metrics.record_jwt_validation_error(JwksUnavailable.reason)
        raise ServiceUnavailable(
            "Cannot reach the identity provider's keys; retry shortly"
        ) from None
    except TokenError as error:
        metrics.record_jwt_validation_error(error.reason)
        reason = _failure_reason(error)
        message = (
            "The access token has expired; refresh it"
            if isinstance(error, TokenExpired)
            else "The access token is not valid"
        )
        raise refuse(metrics, reason, message, invalid_token=True) from None
    if not user.is_active:
        raise refuse(metrics, "inactive_user", "This account is disabled", invalid_token=True)
    return Principal(user=user, method=method)


def _failure_reason(error: TokenError) -> str:
    reason = _TOKEN_FAILURE_REASONS.get(type(error))
    if reason is not None:
        return reason
    # svckit folds PyJWT's InvalidSignatureError into TokenInvalid; only its message tells a
    # forged or wrongly keyed token from a malformed one.
    if str(error) == "Signature verification failed":
        return "bad_signature"
    return "invalid_token"


def _origin_allowed(request: Request, allowed_origins: list[str]) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return False
    own_origin = f"{request.url.scheme}://{request.url.netloc}"
    # "*" in the CORS list does not extend to cookies: that would switch the check off.
    return origin == own_origin or origin in allowed_origins


async def _user_from_legacy_cookie(
    request: Request,
    session: AsyncSession,
    reader: LegacySessionReader,
    cookie: str,
    allowed_origins: list[str],
) -> User:
    metrics = get_metrics(request)
    counter: Counter = request.app.state.legacy_cookie_counter
    if request.method not in SAFE_METHODS and not _origin_allowed(request, allowed_origins):
        # Browsers attach the cookie to cross-site requests too: without an Origin we allow,
        # this could be another site making the learner's browser act (CSRF).
        counter.labels(result="cross_origin").inc()
        metrics.record_auth_failure("cross_origin_cookie")
        raise Forbidden(
            "A session cookie authorizes changes only from an allowed origin; use a bearer token"
        )
    try:
        legacy_user_id = reader.user_id(cookie)
    except LegacyCookieRefused as error:
        counter.labels(result=error.reason).inc()
        raise refuse(
            metrics, error.reason, "The session cookie is not valid; log in again"
        ) from None
    user = await repository.get_user_by_legacy_id(session, legacy_user_id)
    if user is None or not user.is_active:
        counter.labels(result="unknown_user").inc()
        raise refuse(metrics, "unknown_user", "The session cookie's user has no account here")
    counter.labels(result="accepted").inc()
    return user


async def current_principal(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    _cookie: Annotated[str | None, Depends(legacy_cookie_scheme)],
) -> Principal:
    """The caller, by the first credential present: bearer token, then legacy cookie."""
    metrics = get_metrics(request)
    header = request.headers.get("authorization")
    if header is not None:
        # An explicit credential that fails is never rescued by a cookie riding along.
        return await _user_from_token(request, session, _bearer_token(metrics, header), clock)
    reader = get_legacy_sessions(request)
    cookie = request.cookies.get(reader.cookie_name) if reader is not None else None
    if reader is not None and cookie:
        user = await _user_from_legacy_cookie(
            request, session, reader, cookie, settings.allowed_origins
        )
        return Principal(user=user, method="legacy_cookie")
    raise refuse(metrics, "missing_credentials", "Authentication required")


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def current_user(principal: CurrentPrincipal) -> User:
    return principal.user


CurrentUser = Annotated[User, Depends(current_user)]


async def current_admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise Forbidden("Administrators only")
    return user


CurrentAdmin = Annotated[User, Depends(current_admin)]


async def legacy_cookie_user(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _cookie: Annotated[str | None, Depends(legacy_cookie_scheme)],
) -> User:
    """The user of the legacy session cookie, and only of it (for the exchange)."""
    metrics = get_metrics(request)
    reader = get_legacy_sessions(request)
    cookie = request.cookies.get(reader.cookie_name) if reader is not None else None
    if reader is None or not cookie:
        raise refuse(metrics, "missing_credentials", "No legacy session cookie to exchange")
    return await _user_from_legacy_cookie(
        request, session, reader, cookie, settings.allowed_origins
    )


LegacyCookieUser = Annotated[User, Depends(legacy_cookie_user)]
