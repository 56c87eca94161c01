"""Accounts and sessions: registration, password login, refresh rotation, identity linking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import ClassVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mandarin.auth import repository
from mandarin.auth.schemas import TokenPair
from mandarin.auth.supabase import SupabaseIdentity
from mandarin.auth.tokens import AccessTokens, hash_refresh_token, new_refresh_token
from mandarin.errors import AuthenticationFailed, Conflict
from mandarin.models import RefreshToken, User, new_id
from svckit.passwords import HashKind, PasswordHasher


class RefusedCredentials(AuthenticationFailed):
    """A 401 whose reason labels the auth-failure metric."""

    reason: ClassVar[str] = "invalid_credentials"


class InvalidLogin(RefusedCredentials):
    # One message for every cause, so the answer does not tell which accounts exist.
    default_message = "Invalid email or password"


class UnknownUser(InvalidLogin):
    reason = "unknown_user"


class WrongPassword(InvalidLogin):
    reason = "bad_password"


class InactiveUser(InvalidLogin):
    reason = "inactive_user"


class InvalidRefreshToken(RefusedCredentials):
    default_message = "The refresh token is not valid; log in again"
    reason = "invalid_refresh_token"


class ExpiredRefreshToken(InvalidRefreshToken):
    reason = "expired_refresh_token"


class RevokedRefreshToken(InvalidRefreshToken):
    reason = "revoked_refresh_token"


class ReusedRefreshToken(InvalidRefreshToken):
    """A spent token came back: someone holds a copy, so its whole family was revoked.

    The revocation is flushed, not committed: the caller must commit before answering.
    """

    reason = "refresh_token_reuse"


class EmailTaken(Conflict):
    default_message = "An account with this email already exists"


class IdentityConflict(Conflict):
    default_message = "This email belongs to an account linked to another Supabase identity"


def credential_time() -> datetime:
    """Now, by the wall clock that PyJWT and itsdangerous check credentials against."""
    return datetime.now(UTC)


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def create_user(
    session: AsyncSession,
    hasher: PasswordHasher,
    *,
    email: str,
    password: str,
    now: datetime,
    display_name: str | None = None,
    timezone: str = "UTC",
    is_admin: bool = False,
) -> User:
    """A new password account; EmailTaken if the email is in use."""
    email = normalise_email(email)
    if await repository.get_user_by_email(session, email) is not None:
        raise EmailTaken()
    user = User(
        email=email,
        password_hash=await hasher.hash(password),
        display_name=display_name,
        timezone=timezone,
        is_admin=is_admin,
        created_at=now,
        updated_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError:
        # Registered by a concurrent request since the check above.
        raise EmailTaken() from None
    return user


async def authenticate(
    session: AsyncSession, hasher: PasswordHasher, *, email: str, password: str
) -> tuple[User, HashKind | None]:
    """The user these credentials name, and the legacy hash format replaced, if any.

    Unknown emails cost one hash check like known ones, so timing does not reveal accounts.
    """
    user = await repository.get_user_by_email(session, normalise_email(email))
    stored_hash = user.password_hash if user is not None else None
    outcome = await hasher.verify(password, stored_hash)
    if user is None:
        raise UnknownUser()
    if not outcome.ok:
        raise WrongPassword()
    if not user.is_active:
        raise InactiveUser()
    replaced: HashKind | None = None
    if outcome.new_hash is not None:
        replaced = hasher.identify(stored_hash)
        user.password_hash = outcome.new_hash
    return user, replaced


async def start_session(
    session: AsyncSession,
    tokens: AccessTokens,
    user: User,
    *,
    refresh_lifetime: timedelta,
    device_label: str | None,
    now: datetime,
) -> TokenPair:
    """A new family of refresh tokens (one per login) and its first token pair."""
    return await _issue(
        session,
        tokens,
        user,
        family=None,
        device_label=device_label,
        refresh_lifetime=refresh_lifetime,
        now=now,
    )


async def rotate_session(
    session: AsyncSession,
    tokens: AccessTokens,
    refresh_token: str,
    *,
    refresh_lifetime: timedelta,
    now: datetime,
) -> TokenPair:
    """Spend a refresh token for a new pair in the same family."""
    current = await repository.get_refresh_token(session, hash_refresh_token(refresh_token))
    if current is None:
        raise InvalidRefreshToken()
    if current.revoked_at is not None:
        raise RevokedRefreshToken()
    if current.used_at is not None or not await repository.spend_refresh_token(
        session, current.id, now
    ):
        await repository.revoke_family(session, current.family_id, now=now, reason="reuse")
        raise ReusedRefreshToken()
    if current.expires_at <= now:
        raise ExpiredRefreshToken()
    user = await repository.get_user(session, current.user_id)
    if user is None or not user.is_active:
        raise RevokedRefreshToken()
    return await _issue(
        session,
        tokens,
        user,
        family=current,
        device_label=current.device_label,
        refresh_lifetime=refresh_lifetime,
        now=now,
    )


async def end_session(
    session: AsyncSession, user: User, refresh_token: str, *, now: datetime
) -> None:
    """Revoke the family of one of user's refresh tokens (this device); others' are ignored."""
    current = await repository.get_refresh_token(session, hash_refresh_token(refresh_token))
    if current is not None and current.user_id == user.id:
        await repository.revoke_family(session, current.family_id, now=now, reason="logout")


async def end_all_sessions(session: AsyncSession, user: User, *, now: datetime) -> None:
    """Revoke every refresh token of user and invalidate the access tokens already issued."""
    await repository.revoke_user_tokens(session, user.id, now=now, reason="logout_all")
    user.token_version += 1


async def user_for_supabase_identity(
    session: AsyncSession, identity: SupabaseIdentity, *, now: datetime
) -> User:
    """The user a Supabase identity maps to; on first sight linked by email, or created."""
    user = await repository.get_user_by_supabase_id(session, identity.user_id)
    if user is not None:
        return user
    if identity.email is not None:
        user = await repository.get_user_by_email(session, identity.email)
        if user is not None:
            if user.supabase_user_id is not None:
                raise IdentityConflict()
            # Trusts the project to confirm emails before signing tokens (Supabase's default).
            user.supabase_user_id = identity.user_id
            return user
    user = User(
        id=identity.user_id,
        supabase_user_id=identity.user_id,
        email=identity.email,
        display_name=identity.display_name,
        created_at=now,
        updated_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError:
        # A concurrent first request from the same user created the row.
        existing = await repository.get_user_by_supabase_id(session, identity.user_id)
        if existing is None:
            raise IdentityConflict() from None
        return existing
    return user


async def _issue(
    session: AsyncSession,
    tokens: AccessTokens,
    user: User,
    *,
    family: RefreshToken | None,
    device_label: str | None,
    refresh_lifetime: timedelta,
    now: datetime,
) -> TokenPair:
    refresh_token = new_refresh_token()
    record = RefreshToken(
        user_id=user.id,
        token_hash=hash_refresh_token(refresh_token),
        family_id=family.family_id if family is not None else new_id(),
        parent_id=family.id if family is not None else None,
        device_label=device_label,
        issued_at=now,
        expires_at=now + refresh_lifetime,
    )
    session.add(record)
    await session.flush()
    return TokenPair(
        access_token=tokens.issue(user.id, token_version=user.token_version, now=now),
        refresh_token=refresh_token,
        expires_in=int(tokens.lifetime.total_seconds()),
    )
