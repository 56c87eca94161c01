"""Creating users the way every Cornflow entry point does (signup, CLI, service init)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.access.catalog import RoleId
from cornflow_fastapi.config import AuthType, SmtpSettings
from cornflow_fastapi.errors import (
    ConfigurationError,
    EndpointNotImplemented,
    InvalidCredentials,
    InvalidData,
    InvalidUsage,
    NoPermission,
    ObjectAlreadyExists,
    ObjectDoesNotExist,
)
from cornflow_fastapi.models import (
    Case,
    DeployedWorkflow,
    Execution,
    Instance,
    PermissionDag,
    User,
    UserRole,
    is_row_id,
    utcnow,
)
from cornflow_fastapi.users import policy, recovery_mail, repository
from svckit.passwords import PasswordHasher


async def create_user(
    session: AsyncSession,
    hasher: PasswordHasher,
    *,
    username: str,
    email: str,
    password: str | None,
    first_name: str | None = None,
    last_name: str | None = None,
) -> User:
    """Validate and insert a user; errors carry the Flask server's messages."""
    problem = policy.password_problem(password)
    if problem:
        raise InvalidCredentials(problem)
    problem = policy.email_problem(email)
    if problem:
        raise InvalidCredentials(problem)
    if await repository.username_taken(session, username):
        raise InvalidCredentials("Username already in use, please supply another username")
    if await repository.email_taken(session, email):
        raise InvalidCredentials("Email already in use, please supply another email address")
    now = utcnow()
    user = User(
        username=username,
        email=email,
        password=None if password is None else await hasher.hash(password),
        first_name=first_name,
        last_name=last_name,
        pwd_last_change=now,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    await session.flush()
    return user


async def assign_role(session: AsyncSession, user_id: int, role_id: int) -> UserRole:
    link = UserRole(user_id=user_id, role_id=role_id)
    session.add(link)
    await session.flush()
    return link


async def grant_all_workflows(session: AsyncSession, user_id: int) -> None:
    """OPEN_DEPLOYMENT: a new user may use every deployed workflow."""
    dag_ids = (await session.execute(select(DeployedWorkflow.id))).scalars().all()
    held = set(
        (
            await session.execute(
                select(PermissionDag.dag_id).where(PermissionDag.user_id == user_id)
            )
        ).scalars()
    )
    session.add_all(
        PermissionDag(dag_id=dag_id, user_id=user_id) for dag_id in dag_ids if dag_id not in held
    )
    await session.flush()


async def ensure_user_with_role(
    session: AsyncSession,
    hasher: PasswordHasher,
    *,
    username: str,
    email: str,
    password: str,
    role_id: int,
) -> str:
    """Create the user with the role, or add the role to an existing user (Flask CLI semantics).

    Returns what happened: "created", "assigned" or "unchanged".
    """
    user = await repository.get_user_by_username(session, username)
    if user is None:
        user = await create_user(session, hasher, username=username, email=email, password=password)
        await assign_role(session, user.id, role_id)
        return "created"
    if await repository.has_role(session, user.id, role_id):
        return "unchanged"
    await assign_role(session, user.id, role_id)
    return "assigned"


async def is_admin(session: AsyncSession, user: User) -> bool:
    """Only the admin role counts: Flask's `is_admin` ignores the service role."""
    return await repository.has_role(session, user.id, RoleId.ADMIN)


async def _flush_or_integrity_error(session: AsyncSession, action: str, subject: str) -> None:
    """Flush; a constraint violation becomes Flask's InvalidData (the request then rolls back)."""
    try:
        await session.flush()
    except IntegrityError:
        raise InvalidData(f"Integrity error on {action} with data {subject}") from None


async def get_user_detail(session: AsyncSession, *, actor: User, user_id: int) -> User:
    if actor.id != user_id and not await is_admin(session, actor):
        raise InvalidUsage("You have no permission to access given user")
    user = await repository.find_user(session, user_id)
    if user is None:
        raise ObjectDoesNotExist()
    return user


async def update_user(
    session: AsyncSession,
    hasher: PasswordHasher,
    *,
    actor: User,
    user_id: int,
    changes: dict[str, str],
    auth_type: AuthType,
) -> None:
    """Edit a profile (self or admin); checks run in the Flask server's order."""
    if actor.id != user_id and not await is_admin(session, actor):
        raise NoPermission()
    user = await repository.find_user(session, user_id)
    if user is None:
        raise ObjectDoesNotExist()
    if user.password is None and auth_type is AuthType.LDAP:
        raise EndpointNotImplemented("To edit a user, go to LDAP server")
    if user.password is None and auth_type is AuthType.OID:
        raise EndpointNotImplemented("To edit a user, go to the OID provider")
    problem = policy.password_problem(changes.get("password"))
    if problem:
        raise InvalidCredentials(problem)
    if "email" in changes:
        problem = policy.email_problem(changes["email"])
        if problem:
            raise InvalidCredentials(problem)
    # Flask names the user as it was before the failed update.
    subject = f"<Username {user.username}>"
    now = utcnow()
    for field in ("username", "first_name", "last_name", "email"):
        if field in changes:
            setattr(user, field, changes[field])
    if changes.get("password"):
        user.password = await hasher.hash(changes["password"])
        user.pwd_last_change = now
    user.updated_at = now
    await _flush_or_integrity_error(session, "updating", subject)


async def delete_user(session: AsyncSession, *, actor: User, user_id: int) -> None:
    """Hard-delete a user and what Flask's ORM cascades: roles, DAG grants, live data."""
    if actor.id != user_id and not await is_admin(session, actor):
        raise NoPermission()
    user = await repository.find_user(session, user_id)
    if user is None:
        raise ObjectDoesNotExist()
    if await repository.has_role(session, user_id, RoleId.SERVICE):
        raise NoPermission()
    subject = f"<Username {user.username}>"
    live_instances = select(Instance.id).where(
        Instance.user_id == user_id, Instance.deleted_at.is_(None)
    )
    # Anything else still pointing at the user (executions on someone else's instance,
    # soft-deleted rows) makes the delete fail, as it does in Flask.
    try:
        await session.execute(
            delete(Execution).where(
                Execution.instance_id.in_(live_instances), Execution.deleted_at.is_(None)
            )
        )
        await session.execute(
            delete(Instance).where(Instance.user_id == user_id, Instance.deleted_at.is_(None))
        )
        await session.execute(
            delete(Case).where(Case.user_id == user_id, Case.deleted_at.is_(None))
        )
        await session.execute(delete(UserRole).where(UserRole.user_id == user_id))
        await session.execute(delete(PermissionDag).where(PermissionDag.user_id == user_id))
        await session.execute(delete(User).where(User.id == user_id))
    except IntegrityError:
        raise InvalidData(f"Integrity error on deleting with data {subject}") from None


async def set_admin(session: AsyncSession, *, user_id: int, make_admin: bool) -> User:
    """Grant or revoke the admin role; granting it twice is Flask's integrity error."""
    user = await repository.find_user(session, user_id)
    if user is None:
        raise ObjectDoesNotExist()
    if make_admin:
        session.add(UserRole(user_id=user_id, role_id=RoleId.ADMIN))
        await _flush_or_integrity_error(session, "saving", f"{user_id} has role {RoleId.ADMIN:d}")
    else:
        await session.execute(
            delete(UserRole).where(UserRole.user_id == user_id, UserRole.role_id == RoleId.ADMIN)
        )
    return user


async def list_role_assignments(
    session: AsyncSession, *, actor: User
) -> list[repository.RoleAssignment]:
    """Admins see every assignment, everyone else their own."""
    if await is_admin(session, actor):
        return await repository.list_role_assignments(session)
    return await repository.list_role_assignments(session, user_id=actor.id)


async def get_role_assignment(
    session: AsyncSession, *, user_id: int, role_id: int
) -> repository.RoleAssignment:
    found = await repository.find_role_assignment(session, user_id, role_id)
    if found is None:
        raise ObjectDoesNotExist()
    return found


async def create_role_assignment(
    session: AsyncSession, *, user_id: int, role_id: int, auth_type: AuthType
) -> tuple[repository.RoleAssignment, bool]:
    """Assign a role; returns the assignment and whether it is new (else re-enabled)."""
    if auth_type is AuthType.LDAP:
        raise EndpointNotImplemented("The role assignments have to be created in the directory")
    subject = f"{user_id} has role {role_id}"
    if not (is_row_id(user_id) and is_row_id(role_id)):
        raise InvalidData(f"Integrity error on saving with data {subject}")
    disabled = await repository.find_disabled_role_assignment(session, user_id, role_id)
    if disabled is not None:
        disabled.deleted_at = None
        disabled.updated_at = utcnow()
        await session.flush()
        return await get_role_assignment(session, user_id=user_id, role_id=role_id), False
    if await repository.find_role_assignment(session, user_id, role_id) is not None:
        raise ObjectAlreadyExists()
    session.add(UserRole(user_id=user_id, role_id=role_id))
    await _flush_or_integrity_error(session, "saving", subject)
    return await get_role_assignment(session, user_id=user_id, role_id=role_id), True


async def delete_role_assignment(
    session: AsyncSession, *, user_id: int, role_id: int, auth_type: AuthType
) -> None:
    if auth_type is AuthType.LDAP:
        raise EndpointNotImplemented("The roles have to be deleted in the directory.")
    link, _username, _role = await get_role_assignment(session, user_id=user_id, role_id=role_id)
    await session.delete(link)
    await session.flush()


async def recover_password(
    session: AsyncSession, hasher: PasswordHasher, *, smtp: SmtpSettings | None, email: str
) -> None:
    """Mail a temporary password to the user with this email, which becomes their password.

    Unknown emails get the same answer as known ones, so the endpoint does not reveal accounts.
    """
    if smtp is None:
        raise ConfigurationError(
            "This functionality is not available. Check that cornflow's email is correctly "
            "configured"
        )
    user = await repository.get_user_by_email(session, email)
    if user is None:
        return
    password = recovery_mail.temporary_password()
    password_hash = await hasher.hash(password)
    message = recovery_mail.recovery_message(
        temp_password=password, service_name=smtp.service_name, sender=smtp.address, receiver=email
    )
    # Sent before the row is touched, so no database lock is held while the SMTP server talks.
    try:
        await recovery_mail.send(smtp, email, message)
    except recovery_mail.MailNotSent:
        raise InvalidData(
            "There is an error with the email provider. Please contact administration"
        ) from None
    now = utcnow()
    user.password = password_hash
    user.pwd_last_change = now
    user.updated_at = now
    await session.flush()
