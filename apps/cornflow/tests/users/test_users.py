"""/user/, /user/<id>/ and /user/<id>/<make_admin>/."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select, update

from cornflow_fastapi.models import (
    Case,
    DeployedWorkflow,
    Execution,
    Instance,
    PermissionDag,
    User,
    UserRole,
    utcnow,
)
from cornflow_support import DENIED, NO_TOKEN, Account, bearer
from svckit.db import Database

HUGE = "99999999999999999999"
NOT_YOURS = (403, {"error": "You have no permission to access the required object"})
NOT_FOUND = (404, {"error": "The data entity does not exist on the database"})
NO_ACCESS_TO_USER = (400, {"error": "You have no permission to access given user"})
UPDATED = (200, {"message": "Updated correctly"})
DELETED = (200, {"message": "The object has been deleted"})


async def load_user(database: Database, user_id: int) -> User | None:
    async with database.sessionmaker() as session:
        return await session.get(User, user_id)


async def count(database: Database, model: Any, *where: Any) -> int:
    async with database.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def detail(user: User) -> dict[str, Any]:
    pwd = user.pwd_last_change.isoformat() if user.pwd_last_change else None
    return {
        "id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "username": user.username,
        "email": user.email,
        "pwd_last_change": pwd,
    }


def listed(user: User) -> dict[str, Any]:
    pwd = user.pwd_last_change.isoformat() if user.pwd_last_change else None
    return {
        "id": user.id,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "created_at": str(user.created_at),
        "pwd_last_change": pwd,
    }


async def users_by_key(database: Database, accounts: dict[str, Account]) -> dict[str, User]:
    found = {}
    for key, account in accounts.items():
        user = await load_user(database, account.id)
        assert user is not None
        found[key] = user
    return found


# --- access matrix (spec §3.3), one walk per route -------------------------------------------


async def test_list_users_access(
    walk_roles: Callable[..., Any], database: Database, accounts: dict[str, Account]
) -> None:
    async with database.sessionmaker() as session:
        everyone = (await session.execute(select(User).order_by(User.id))).scalars().all()
    await walk_roles(
        "GET",
        "/user/",
        {
            None: NO_TOKEN,
            "service": DENIED,
            "admin": (200, [listed(user) for user in everyone]),
            "planner": DENIED,
            "viewer": DENIED,
            "dummy": DENIED,
            "norole": DENIED,
        },
    )


async def test_get_own_user_access(
    walk_roles: Callable[..., Any], database: Database, accounts: dict[str, Account]
) -> None:
    users = await users_by_key(database, accounts)
    own = {key: (200, detail(user)) for key, user in users.items()}
    await walk_roles(
        "GET",
        lambda role: f"/user/{accounts[role or 'planner'].id}/",
        {None: NO_TOKEN, **own, "norole": DENIED},
    )


async def test_put_own_user_access(
    walk_roles: Callable[..., Any], accounts: dict[str, Account]
) -> None:
    granted = dict.fromkeys(("service", "admin", "planner", "viewer", "dummy"), UPDATED)
    await walk_roles(
        "PUT",
        lambda role: f"/user/{accounts[role or 'planner'].id}/",
        {None: NO_TOKEN, **granted, "norole": DENIED},
        json={"first_name": "Changed"},
    )


async def test_delete_own_user_access(
    walk_roles: Callable[..., Any], database: Database, accounts: dict[str, Account]
) -> None:
    await walk_roles(
        "DELETE",
        lambda role: f"/user/{accounts[role or 'planner'].id}/",
        {
            None: NO_TOKEN,
            # The role may delete, but a service user never can be deleted.
            "service": NOT_YOURS,
            "admin": DELETED,
            "planner": DELETED,
            "viewer": DENIED,
            "dummy": DENIED,
            "norole": DENIED,
        },
    )
    assert await load_user(database, accounts["planner"].id) is None
    assert await load_user(database, accounts["admin"].id) is None
    assert await load_user(database, accounts["viewer"].id) is not None


async def test_toggle_admin_access(
    walk_roles: Callable[..., Any], database: Database, accounts: dict[str, Account]
) -> None:
    viewer = await load_user(database, accounts["viewer"].id)
    assert viewer is not None
    await walk_roles(
        "PUT",
        f"/user/{viewer.id}/0/",
        {
            None: NO_TOKEN,
            "service": DENIED,
            "admin": (200, listed(viewer)),
            "planner": DENIED,
            "viewer": DENIED,
            "dummy": DENIED,
            "norole": DENIED,
        },
    )


# --- GET /user/ -------------------------------------------------------------------------------


async def test_user_list_date_formats(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    planner = accounts["planner"].id
    async with database.sessionmaker() as session, session.begin():
        await session.execute(
            update(User)
            .where(User.id == planner)
            .values(
                created_at=datetime(2026, 11, 23, 0, 6, 23),
                pwd_last_change=datetime(2026, 11, 23, 0, 6, 48, 280852),
            )
        )
    response = await client.get("/user/", headers=headers["admin"])
    row = next(item for item in response.json() if item["id"] == planner)
    assert list(row) == [
        "id", "username", "first_name", "last_name", "email", "created_at", "pwd_last_change",
    ]  # fmt: skip
    # str(datetime) for created_at (space, no zero microseconds), ISO for pwd_last_change.
    assert row["created_at"] == "2026-11-23 00:06:23"
    assert row["pwd_last_change"] == "2026-11-23T00:06:48.280852"


async def test_user_list_skips_soft_deleted_users(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    async with database.sessionmaker() as session, session.begin():
        await session.execute(
            update(User).where(User.id == accounts["norole"].id).values(deleted_at=utcnow())
        )
    response = await client.get("/user/", headers=headers["admin"])
    assert accounts["norole"].id not in {item["id"] for item in response.json()}


# --- GET /user/<id>/ --------------------------------------------------------------------------


async def test_get_user_of_someone_else(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    planner = accounts["planner"].id
    # Only the admin role counts: a service user is refused with Flask's 400, not a 403.
    for role in ("service", "viewer", "dummy"):
        response = await client.get(f"/user/{planner}/", headers=headers[role])
        assert (response.status_code, response.json()) == NO_ACCESS_TO_USER, role
    user = await load_user(database, planner)
    assert user is not None
    response = await client.get(f"/user/{planner}/", headers=headers["admin"])
    assert (response.status_code, response.json()) == (200, detail(user))
    assert list(response.json()) == [
        "id", "first_name", "last_name", "username", "email", "pwd_last_change",
    ]  # fmt: skip


async def test_get_missing_user(client: AsyncClient, headers: dict[str, dict[str, str]]) -> None:
    for path in ("/user/4242/", f"/user/{HUGE}/"):
        admin = await client.get(path, headers=headers["admin"])
        assert (admin.status_code, admin.json()) == NOT_FOUND, path
        # The ownership check comes first, as in Flask.
        planner = await client.get(path, headers=headers["planner"])
        assert (planner.status_code, planner.json()) == NO_ACCESS_TO_USER, path


async def test_user_id_must_be_digits(
    client: AsyncClient, headers: dict[str, dict[str, str]]
) -> None:
    response = await client.get("/user/abc/", headers=headers["admin"])
    assert response.status_code == 404
    assert response.json()["message"] == "404 Not Found"


# --- PUT /user/<id>/ --------------------------------------------------------------------------


async def test_admin_edits_another_user(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    planner = accounts["planner"].id
    before = await load_user(database, planner)
    assert before is not None
    body = {
        "username": "planner2",
        "first_name": "Ada",
        "last_name": "L",
        "email": "ada@example.com",
    }
    response = await client.put(f"/user/{planner}/", json=body, headers=headers["admin"])
    assert (response.status_code, response.json()) == UPDATED
    after = await load_user(database, planner)
    assert after is not None
    assert (after.username, after.first_name, after.last_name, after.email) == tuple(body.values())
    assert after.password == before.password
    assert after.pwd_last_change == before.pwd_last_change
    assert after.updated_at > before.updated_at


async def test_non_admin_may_not_edit_someone_else(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    viewer = accounts["viewer"].id
    for role in ("service", "planner", "dummy"):
        response = await client.put(
            f"/user/{viewer}/", json={"first_name": "X"}, headers=headers[role]
        )
        assert (response.status_code, response.json()) == NOT_YOURS, role
    user = await load_user(database, viewer)
    assert user is not None
    assert user.first_name is None


async def test_edit_missing_user(client: AsyncClient, headers: dict[str, dict[str, str]]) -> None:
    for path in ("/user/4242/", f"/user/{HUGE}/"):
        response = await client.put(path, json={}, headers=headers["admin"])
        assert (response.status_code, response.json()) == NOT_FOUND, path


async def test_new_password_is_hashed_and_works(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    planner = accounts["planner"]
    before = await load_user(database, planner.id)
    assert before is not None
    response = await client.put(
        f"/user/{planner.id}/", json={"password": "Brand_new1"}, headers=headers["planner"]
    )
    assert (response.status_code, response.json()) == UPDATED
    after = await load_user(database, planner.id)
    assert after is not None
    assert after.password is not None
    assert after.password.startswith("$2b$10$")
    assert after.pwd_last_change is not None
    assert before.pwd_last_change is not None
    assert after.pwd_last_change > before.pwd_last_change
    old = await client.post("/login/", json={"username": "planner", "password": planner.password})
    assert old.status_code == 400
    new = await client.post("/login/", json={"username": "planner", "password": "Brand_new1"})
    assert new.status_code == 200


async def test_edit_policy_messages(
    client: AsyncClient, headers: dict[str, dict[str, str]], accounts: dict[str, Account]
) -> None:
    cases = [
        ({"password": "Ab1!"}, "Password must contain at least 5 characters."),
        ({"password": ""}, "Password must contain at least 5 characters."),
        ({"password": "abcdef1!"}, "Password must contain uppercase and lowercase letters."),
        ({"password": "Abcdefg1"}, "Password must contain at least one number and one special character."),
        ({"email": "abc"}, "Invalid email address."),
        ({"email": "x@mailinator.com"}, "Invalid email address"),
        # The password is checked before the email.
        ({"password": "abc", "email": "abc"}, "Password must contain at least 5 characters."),
    ]  # fmt: skip
    for body, message in cases:
        response = await client.put(
            f"/user/{accounts['planner'].id}/", json=body, headers=headers["planner"]
        )
        assert (response.status_code, response.json()) == (400, {"error": message}), body


async def test_edit_body_validation(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    path = f"/user/{accounts['planner'].id}/"
    cases = [
        ({"foo": 1}, "{'json': {'foo': ['Unknown field.']}}"),
        ({"username": None}, "{'json': {'username': ['Field may not be null.']}}"),
        ({"username": 5}, "{'json': {'username': ['Not a valid string.']}}"),
        ([1], "{'json': {'_schema': ['Invalid input type.']}}"),
    ]
    for body, message in cases:
        response = await client.put(path, json=body, headers=headers["planner"])
        assert (response.status_code, response.json()) == (400, {"error": message}), body
    broken = await client.put(
        path, content=b"xx", headers={**headers["planner"], "Content-Type": "application/json"}
    )
    assert (broken.status_code, broken.json()) == (
        400,
        {"messages": {"json": ["Invalid JSON body."]}},
    )
    # The token is checked before the body.
    anonymous = await client.put(path, json={"foo": 1})
    assert (anonymous.status_code, anonymous.json()) == NO_TOKEN
    user = await load_user(database, accounts["planner"].id)
    assert user is not None
    assert user.username == "planner"


async def test_duplicate_username_or_email_is_an_integrity_error(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    planner = accounts["planner"].id
    for body in (
        {"username": "viewer", "first_name": "X"},
        {"email": "viewer@cornflow.com", "first_name": "X"},
    ):
        response = await client.put(f"/user/{planner}/", json=body, headers=headers["planner"])
        # Flask names the user as it was before the failed update.
        expected = {"error": "Integrity error on updating with data <Username planner>"}
        assert (response.status_code, response.json()) == (400, expected), body
    user = await load_user(database, planner)
    assert user is not None
    assert (user.username, user.email, user.first_name) == ("planner", "planner@cornflow.com", None)


@pytest.mark.parametrize(
    ("auth_type", "message"),
    [(2, "To edit a user, go to LDAP server"), (0, "To edit a user, go to the OID provider")],
)
async def test_external_users_are_edited_at_their_provider(
    build_client: Callable[..., Any],
    database: Database,
    accounts: dict[str, Account],
    auth_type: int,
    message: str,
) -> None:
    async with database.sessionmaker() as session, session.begin():
        external = User(username="external", email="external@example.com", password=None)
        session.add(external)
        await session.flush()
        session.add(UserRole(user_id=external.id, role_id=2))
    async with build_client(auth_type=auth_type) as client:
        response = await client.put(
            f"/user/{external.id}/", json={"first_name": "X"}, headers=bearer("external")
        )
        assert (response.status_code, response.json()) == (501, {"error": message})
        # Users with a password (made before the switch) can still be edited.
        planner = await client.put(
            f"/user/{accounts['planner'].id}/", json={}, headers=bearer("planner")
        )
        assert (planner.status_code, planner.json()) == UPDATED
    user = await load_user(database, external.id)
    assert user is not None
    assert user.first_name is None


async def test_database_auth_edits_users_without_password(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    async with database.sessionmaker() as session, session.begin():
        external = User(username="external", email="external@example.com", password=None)
        session.add(external)
    response = await client.put(
        f"/user/{external.id}/", json={"first_name": "X"}, headers=headers["admin"]
    )
    assert (response.status_code, response.json()) == UPDATED


# --- DELETE /user/<id>/ -----------------------------------------------------------------------


async def add_workflow_data(database: Database, owner: int, instance_owner: int) -> str:
    """A DAG grant, a case, and an instance of instance_owner with an execution of owner."""
    now = utcnow()
    async with database.sessionmaker() as session, session.begin():
        session.add(DeployedWorkflow(id="wf", description=None))
        await session.flush()
        session.add(PermissionDag(dag_id="wf", user_id=owner))
        instance = Instance(
            id="i" * 40, name="i", user_id=instance_owner, data_hash="h", data={}, created_at=now
        )
        session.add(instance)
        await session.flush()
        session.add(
            Execution(
                id="e" * 40,
                instance_id=instance.id,
                name="e",
                config={},
                user_id=owner,
                data_hash="h",
                state=1,
            )
        )
        session.add(Case(name="c", data_hash="h", path="", user_id=owner, solution_hash="h"))
    return instance.id


async def test_delete_cascades_like_flask(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    planner = accounts["planner"].id
    await add_workflow_data(database, owner=planner, instance_owner=planner)
    response = await client.delete(f"/user/{planner}/", headers=headers["admin"])
    assert (response.status_code, response.json()) == DELETED
    assert await load_user(database, planner) is None
    for model in (Instance, Execution, Case, PermissionDag, UserRole):
        assert await count(database, model, model.user_id == planner) == 0, model
    assert await count(database, DeployedWorkflow) == 1


async def test_delete_refused_by_other_references_changes_nothing(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    planner, admin = accounts["planner"].id, accounts["admin"].id
    # The planner's execution hangs from the admin's instance: Flask's delete fails on it.
    await add_workflow_data(database, owner=planner, instance_owner=admin)
    response = await client.delete(f"/user/{planner}/", headers=headers["admin"])
    expected = {"error": "Integrity error on deleting with data <Username planner>"}
    assert (response.status_code, response.json()) == (400, expected)
    assert await load_user(database, planner) is not None
    for model in (Execution, Case, PermissionDag, UserRole):
        assert await count(database, model, model.user_id == planner) == 1, model


async def test_delete_checks(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    cases = [
        ("planner", accounts["viewer"].id, NOT_YOURS),
        ("service", accounts["viewer"].id, NOT_YOURS),
        ("admin", accounts["service"].id, NOT_YOURS),
        ("admin", 4242, NOT_FOUND),
        ("admin", HUGE, NOT_FOUND),
    ]
    for role, target, expected in cases:
        response = await client.delete(f"/user/{target}/", headers=headers[role])
        assert (response.status_code, response.json()) == expected, (role, target)
    assert await load_user(database, accounts["viewer"].id) is not None
    assert await load_user(database, accounts["service"].id) is not None


# --- PUT /user/<id>/<make_admin>/ -------------------------------------------------------------


async def test_toggle_admin(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    viewer = accounts["viewer"].id
    is_admin = (UserRole.user_id == viewer, UserRole.role_id == 3)
    user = await load_user(database, viewer)
    assert user is not None

    granted = await client.put(f"/user/{viewer}/1/", headers=headers["admin"])
    assert (granted.status_code, granted.json()) == (200, listed(user))
    assert await count(database, UserRole, *is_admin) == 1
    # The new admin now sees everyone.
    assert (await client.get("/user/", headers=headers["viewer"])).status_code == 200

    again = await client.put(f"/user/{viewer}/5/", headers=headers["admin"])
    expected = {"error": f"Integrity error on saving with data {viewer} has role 3"}
    assert (again.status_code, again.json()) == (400, expected)
    assert await count(database, UserRole, *is_admin) == 1

    for _ in range(2):
        revoked = await client.put(f"/user/{viewer}/0/", headers=headers["admin"])
        assert (revoked.status_code, revoked.json()) == (200, listed(user))
        assert await count(database, UserRole, *is_admin) == 0
    assert await count(database, UserRole, UserRole.user_id == viewer) == 1

    # Any non-zero number grants, however large.
    huge = await client.put(f"/user/{viewer}/{HUGE}/", headers=headers["admin"])
    assert huge.status_code == 200
    assert await count(database, UserRole, *is_admin) == 1


async def test_toggle_admin_of_missing_user(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    before = await count(database, UserRole)
    for path in ("/user/4242/1/", f"/user/{HUGE}/1/", "/user/4242/0/"):
        response = await client.put(path, headers=headers["admin"])
        assert (response.status_code, response.json()) == NOT_FOUND, path
    assert await count(database, UserRole) == before
