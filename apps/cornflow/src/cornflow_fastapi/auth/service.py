"""Login by database password, LDAP or OpenID Connect, as AUTH_TYPE selects."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.access.catalog import RoleId
from cornflow_fastapi.auth import ldap
from cornflow_fastapi.callers import tokens
from cornflow_fastapi.config import CornflowSettings
from cornflow_fastapi.errors import InvalidCredentials, InvalidUsage
from cornflow_fastapi.models import User, UserRole, utcnow
from cornflow_fastapi.users import repository, service
from svckit.passwords import PasswordHasher


class UnknownUser(InvalidCredentials):
    """No such user: answered exactly like a wrong password, counted apart."""


class WrongPassword(InvalidCredentials):
    """The password does not match."""


def issue_token(settings: CornflowSettings, user: User) -> str:
    return tokens.issue(settings.secret_key, user.username, hours=settings.token_duration)


def must_change_password(settings: CornflowSettings, user: User) -> bool:
    """True once PWD_ROTATION_TIME days have passed since the last password change."""
    if user.pwd_last_change is None:
        return False
    rotation = timedelta(days=int(settings.pwd_rotation_time))
    return user.pwd_last_change + rotation < utcnow()


async def authenticate_with_password(
    session: AsyncSession, hasher: PasswordHasher, username: str, password: str
) -> User:
    """Check a database password; unknown users cost the same time as wrong passwords."""
    user = await repository.get_user_by_username(session, username)
    outcome = await hasher.verify(password, user.password if user else None)
    if user is None:
        raise UnknownUser()
    if not outcome.ok:
        raise WrongPassword()
    if outcome.new_hash is not None:
        user.password = outcome.new_hash
    return user


async def authenticate_with_ldap(
    session: AsyncSession,
    settings: CornflowSettings,
    hasher: PasswordHasher,
    username: str,
    password: str,
) -> User:
    """Bind as the user; create the row on first login and mirror the directory's roles."""
    directory = ldap.LdapDirectory(settings.ldap, settings.cornflow_service_user)
    try:
        entry = await directory.login(username, password)
    except ldap.NotInDirectory:
        raise UnknownUser() from None
    except ldap.BindRefused:
        raise WrongPassword() from None
    user = await repository.get_user_by_username(session, entry.username)
    if user is None:
        # The Flask server validates the directory's email like a typed one: an entry without
        # a usable mail attribute cannot log in.
        user = await service.create_user(
            session, hasher, username=entry.username, email=entry.email or "", password=None
        )
    # Every login replaces the user's roles with the directory's, as the Flask server does.
    await session.execute(delete(UserRole).where(UserRole.user_id == user.id))
    for role_id in entry.role_ids:
        await service.assign_role(session, user.id, role_id)
    return user


async def service_user_password_login(
    session: AsyncSession, hasher: PasswordHasher, username: str, password: str
) -> User:
    """OpenID mode still lets service users (workers) log in with a password."""
    user = await authenticate_with_password(session, hasher, username, password)
    if not await repository.has_role(session, user.id, RoleId.SERVICE):
        raise InvalidUsage("Invalid request")
    return user


def _text_claim(claims: dict[str, object], name: str, default: str) -> str | None:
    value = claims.get(name, default)
    return None if value is None else str(value)


async def user_from_identity_token(
    session: AsyncSession,
    settings: CornflowSettings,
    hasher: PasswordHasher,
    claims: dict[str, object],
) -> User:
    """The user named by an identity provider token's `sub`, created on first sight."""
    username = str(claims["sub"])
    user = await repository.get_user_by_username(session, username)
    if user is not None:
        return user
    email = str(claims.get("email") or f"{username}@cornflow.org")
    local_part = email.split("@")[0]
    if "." in local_part:
        default_first, default_last = local_part.split(".")[0:2]
    else:
        default_first, default_last = local_part, ""
    user = await service.create_user(
        session,
        hasher,
        username=username,
        email=email,
        password=None,
        first_name=_text_claim(claims, "given_name", default_first),
        last_name=_text_claim(claims, "family_name", default_last),
    )
    await service.assign_role(session, user.id, settings.default_role)
    if settings.open_deployment == 1:
        await service.grant_all_workflows(session, user.id)
    return user
