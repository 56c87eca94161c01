"""/api/auth: accounts, sessions and the exchange of legacy credentials."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request

from mandarin.auth import service
from mandarin.auth.dependencies import (
    AUTHENTICATED_ERRORS,
    CurrentPrincipal,
    CurrentUser,
    LegacyCookieUser,
)
from mandarin.auth.schemas import (
    AccountDetail,
    CurrentAccount,
    LoginRequest,
    LogoutRequest,
    RefreshRequest,
    RegisterRequest,
    TokenPair,
)
from mandarin.auth.tokens import AccessTokens
from mandarin.clock import ClockDep
from mandarin.config import MandarinSettings
from mandarin.dependencies import MetricsDep, PasswordHasherDep, SessionDep, SettingsDep
from mandarin.errors import TooManyRequests, problem_responses
from mandarin.rate_limits import RateLimiterDep, client_address, enforce

router = APIRouter(prefix="/api/auth", tags=["auth"])


def _access_tokens(request: Request) -> AccessTokens:
    tokens: AccessTokens = request.app.state.access_tokens
    return tokens


def _refresh_lifetime(settings: MandarinSettings) -> timedelta:
    return timedelta(days=settings.jwt.refresh_token_days)


def _device_label(request: Request, given: str | None) -> str | None:
    return given or (request.headers.get("user-agent") or "")[:200] or None


async def _limit(
    request: Request,
    limiter: RateLimiterDep,
    settings: MandarinSettings,
    metrics: MetricsDep,
    *,
    action: str,
    email: str,
) -> None:
    limits = settings.rate_limit
    if not limits.enabled:
        return
    per_ip, per_account = (
        (limits.login_per_ip, limits.login_per_account)
        if action == "login"
        else (limits.register_per_ip, limits.register_per_account)
    )
    try:
        await enforce(limiter, f"{action}:ip:{client_address(request)}", per_ip)
        await enforce(limiter, f"{action}:account:{service.normalise_email(email)}", per_account)
    except TooManyRequests:
        metrics.record_auth_failure("rate_limited")
        raise


@router.post(
    "/register",
    status_code=201,
    operation_id="register",
    responses=problem_responses(409, 413, 422, 429),
)
async def register(
    request: Request,
    body: RegisterRequest,
    session: SessionDep,
    settings: SettingsDep,
    hasher: PasswordHasherDep,
    limiter: RateLimiterDep,
    metrics: MetricsDep,
    clock: ClockDep,
) -> TokenPair:
    """Create an account with email and password, and sign it in."""
    await _limit(request, limiter, settings, metrics, action="register", email=body.email)
    user = await service.create_user(
        session,
        hasher,
        email=body.email,
        password=body.password,
        display_name=body.display_name,
        timezone=body.timezone,
        now=clock.now(),
    )
    return await service.start_session(
        session,
        _access_tokens(request),
        user,
        refresh_lifetime=_refresh_lifetime(settings),
        device_label=_device_label(request, body.device_label),
        now=service.credential_time(),
    )


@router.post(
    "/login",
    operation_id="login",
    responses=problem_responses(401, 413, 422, 429),
)
async def login(
    request: Request,
    body: LoginRequest,
    session: SessionDep,
    settings: SettingsDep,
    hasher: PasswordHasherDep,
    limiter: RateLimiterDep,
    metrics: MetricsDep,
) -> TokenPair:
    """Sign in with email and password; returns an access token and a refresh token."""
    await _limit(request, limiter, settings, metrics, action="login", email=body.email)
    try:
        user, replaced_hash = await service.authenticate(
            session, hasher, email=body.email, password=body.password
        )
    except service.InvalidLogin as error:
        metrics.record_auth_failure(error.reason)
        raise
    if replaced_hash is not None:
        metrics.record_legacy_password_hash(replaced_hash)
    return await service.start_session(
        session,
        _access_tokens(request),
        user,
        refresh_lifetime=_refresh_lifetime(settings),
        device_label=_device_label(request, body.device_label),
        now=service.credential_time(),
    )


@router.post(
    "/refresh",
    operation_id="refresh",
    responses=problem_responses(401, 413, 422),
)
async def refresh(
    request: Request,
    body: RefreshRequest,
    session: SessionDep,
    settings: SettingsDep,
    metrics: MetricsDep,
) -> TokenPair:
    """Trade a refresh token for a new pair; each refresh token works once."""
    try:
        return await service.rotate_session(
            session,
            _access_tokens(request),
            body.refresh_token,
            refresh_lifetime=_refresh_lifetime(settings),
            now=service.credential_time(),
        )
    except service.ReusedRefreshToken as error:
        # Revoking the family is the point of detecting reuse: it must outlive this failure.
        await session.commit()
        metrics.record_auth_failure(error.reason)
        raise
    except service.InvalidRefreshToken as error:
        metrics.record_auth_failure(error.reason)
        raise


@router.post(
    "/logout",
    status_code=204,
    operation_id="logout",
    responses=problem_responses(*AUTHENTICATED_ERRORS, 413, 422),
)
async def logout(body: LogoutRequest, user: CurrentUser, session: SessionDep) -> None:
    """End this device's session (its refresh token family) or, with all_devices, every one."""
    now = service.credential_time()
    if body.all_devices:
        await service.end_all_sessions(session, user, now=now)
    elif body.refresh_token is not None:
        await service.end_session(session, user, body.refresh_token, now=now)


@router.get("/me", operation_id="me", responses=problem_responses(*AUTHENTICATED_ERRORS))
async def me(principal: CurrentPrincipal) -> CurrentAccount:
    """The signed-in user's account and study settings."""
    account = AccountDetail.model_validate(principal.user)
    return CurrentAccount(**account.model_dump(), authenticated_with=principal.method)


@router.post(
    "/legacy-exchange",
    operation_id="legacy_exchange",
    responses=problem_responses(401, 403),
)
async def legacy_exchange(
    request: Request, user: LegacyCookieUser, session: SessionDep, settings: SettingsDep
) -> TokenPair:
    """Trade the old app's session cookie for an access and refresh token."""
    return await service.start_session(
        session,
        _access_tokens(request),
        user,
        refresh_lifetime=_refresh_lifetime(settings),
        device_label=_device_label(request, None),
        now=service.credential_time(),
    )
