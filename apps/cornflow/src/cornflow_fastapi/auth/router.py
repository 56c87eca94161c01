"""/login/, /signup/ and /token/: registered according to AUTH_TYPE and SIGNUP_ACTIVATED."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request

from cornflow_fastapi.access import catalog
from cornflow_fastapi.auth import service
from cornflow_fastapi.auth.schemas import (
    DatabaseLoginResponse,
    LoginRequest,
    OpenIdLoginRequest,
    SignupRequest,
    TokenCheckResponse,
    TokenResponse,
)
from cornflow_fastapi.callers import guard
from cornflow_fastapi.config import AuthType, CornflowSettings, SignupMode
from cornflow_fastapi.dependencies import PasswordHasherDep, SessionDep, SettingsDep
from cornflow_fastapi.errors import InvalidCredentials, InvalidUsage, ObjectDoesNotExist
from cornflow_fastapi.models import User
from cornflow_fastapi.request_parsing import RequestSchema, body_openapi, json_body
from cornflow_fastapi.routing import CornflowRoute
from cornflow_fastapi.users import repository as users_repository
from cornflow_fastapi.users import service as users_service
from svckit.http import get_metrics

LoginBody = Annotated[LoginRequest, json_body(LoginRequest)]
OpenIdLoginBody = Annotated[OpenIdLoginRequest, json_body(OpenIdLoginRequest)]
SignupBody = Annotated[SignupRequest, json_body(SignupRequest)]


LOGIN_FAILURE_REASONS = {service.UnknownUser: "unknown_user", service.WrongPassword: "bad_password"}


def count_login_failure(request: Request, error: InvalidCredentials) -> None:
    get_metrics(request).record_auth_failure(LOGIN_FAILURE_REASONS.get(type(error), "bad_login"))


async def login_with_database(
    request: Request,
    body: LoginBody,
    session: SessionDep,
    settings: SettingsDep,
    hasher: PasswordHasherDep,
) -> DatabaseLoginResponse:
    """Log in with username and password; returns a token valid TOKEN_DURATION hours."""
    try:
        user = await service.authenticate_with_password(
            session, hasher, body.username, body.password
        )
    except InvalidCredentials as error:
        count_login_failure(request, error)
        raise
    return DatabaseLoginResponse(
        change_password=service.must_change_password(settings, user),
        token=service.issue_token(settings, user),
        id=user.id,
    )


async def login_with_ldap(
    request: Request,
    body: LoginBody,
    session: SessionDep,
    settings: SettingsDep,
    hasher: PasswordHasherDep,
) -> TokenResponse:
    """Log in against the LDAP directory; returns a token valid TOKEN_DURATION hours."""
    try:
        user = await service.authenticate_with_ldap(
            session, settings, hasher, body.username, body.password
        )
    except InvalidCredentials as error:
        count_login_failure(request, error)
        raise
    return TokenResponse(token=service.issue_token(settings, user), id=user.id)


async def login_with_openid(
    request: Request,
    body: OpenIdLoginBody,
    session: SessionDep,
    settings: SettingsDep,
    hasher: PasswordHasherDep,
) -> TokenResponse:
    """Log in with the identity provider's token (echoed back), or as a service user."""
    if body.username and body.password:
        if not settings.service_user_allow_password_login:
            raise InvalidUsage(
                "Must provide a token in Authorization header. "
                "Cannot log in with username and password"
            )
        try:
            user = await service.service_user_password_login(
                session, hasher, body.username, body.password
            )
        except InvalidCredentials as error:
            count_login_failure(request, error)
            raise
        return TokenResponse(token=service.issue_token(settings, user), id=user.id)
    token = guard.bearer_token(request)
    claims = await guard.claims_of(request, settings, token)
    user = await service.user_from_identity_token(session, settings, hasher, claims)
    return TokenResponse(token=token, id=user.id)


async def _signup(
    body: SignupRequest,
    session: SessionDep,
    settings: SettingsDep,
    hasher: PasswordHasherDep,
) -> TokenResponse:
    user = await users_service.create_user(
        session,
        hasher,
        username=body.username,
        email=body.email,
        password=body.password,
        first_name=body.first_name,
        last_name=body.last_name,
    )
    await users_service.assign_role(session, user.id, settings.default_role)
    if settings.open_deployment == 1:
        await users_service.grant_all_workflows(session, user.id)
    return TokenResponse(token=service.issue_token(settings, user), id=user.id)


async def open_signup(
    body: SignupBody, session: SessionDep, settings: SettingsDep, hasher: PasswordHasherDep
) -> TokenResponse:
    """Create an account (open sign-up) and log it in."""
    return await _signup(body, session, settings, hasher)


async def admin_signup(
    _admin: Annotated[User, guard.requires_access(catalog.SIGNUP)],
    body: SignupBody,
    session: SessionDep,
    settings: SettingsDep,
    hasher: PasswordHasherDep,
) -> TokenResponse:
    """Create an account (admins only) and return a token for it."""
    return await _signup(body, session, settings, hasher)


async def check_token(
    request: Request, session: SessionDep, settings: SettingsDep
) -> TokenCheckResponse:
    """Whether the bearer token is valid (1) or not (0)."""
    token = guard.bearer_token(request)
    try:
        claims = await guard.claims_of(request, settings, token)
        user = await users_repository.get_user_by_username(session, str(claims.get("sub")))
    except (InvalidCredentials, ObjectDoesNotExist):
        return TokenCheckResponse(valid=0)
    return TokenCheckResponse(valid=0 if user is None else 1)


def router(settings: CornflowSettings) -> APIRouter:
    """The routes this configuration exposes (Flask registers them the same way at start)."""
    routes = APIRouter(route_class=CornflowRoute, tags=["Users"])
    login: Any
    login_body: type[RequestSchema]
    if settings.auth_type is AuthType.DB:
        login, login_body = login_with_database, LoginRequest
    elif settings.auth_type is AuthType.LDAP:
        login, login_body = login_with_ldap, LoginRequest
    else:
        login, login_body = login_with_openid, OpenIdLoginRequest
    routes.add_api_route(
        catalog.LOGIN.url_rule,
        login,
        methods=["POST"],
        name=catalog.LOGIN.name,
        operation_id="login",
        openapi_extra=body_openapi(login_body),
    )
    if catalog.signup_exposed(settings):
        signup = open_signup if settings.signup_activated is SignupMode.OPEN else admin_signup
        routes.add_api_route(
            catalog.SIGNUP.url_rule,
            signup,
            methods=["POST"],
            status_code=201,
            name=catalog.SIGNUP.name,
            operation_id="signup",
            openapi_extra=body_openapi(SignupRequest),
        )
    routes.add_api_route(
        catalog.TOKEN.url_rule,
        check_token,
        methods=["GET"],
        name=catalog.TOKEN.name,
        operation_id="check_token",
    )
    return routes


__all__ = ["router"]
