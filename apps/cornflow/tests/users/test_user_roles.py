"""/user/role/ and /user/role/<user_id>/<role_id>/."""

from collections.abc import Callable
from typing import Any

from httpx import AsyncClient
from sqlalchemy import func, select, update

from cornflow_fastapi.models import Role, User, UserRole, utcnow
from cornflow_support import DENIED, NO_TOKEN, Account, bearer
from svckit.db import Database

HUGE = "99999999999999999999"
NOT_FOUND = (404, {"error": "The data entity does not exist on the database"})


async def assignments(database: Database, *where: Any) -> list[dict[str, Any]]:
    """user_role rows as the endpoint shows them."""
    statement = (
        select(UserRole, User.username, Role.name)
        .join(User, User.id == UserRole.user_id)
        .join(Role, Role.id == UserRole.role_id)
        .where(UserRole.deleted_at.is_(None), *where)
        .order_by(UserRole.id)
    )
    async with database.sessionmaker() as session:
        rows = (await session.execute(statement)).all()
    return [
        {
            "user_id": link.user_id,
            "role_id": link.role_id,
            "id": link.id,
            "user": user,
            "role": role,
        }
        for link, user, role in rows
    ]


async def count_links(database: Database) -> int:
    async with database.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(UserRole)) or 0)


# --- access matrix (spec §3.3), one walk per route -------------------------------------------


async def test_list_assignments_access(
    walk_roles: Callable[..., Any], database: Database, accounts: dict[str, Account]
) -> None:
    def own(key: str) -> tuple[int, Any]:
        return (200, [row for row in everything if row["user_id"] == accounts[key].id])

    everything = await assignments(database)
    assert len(everything) == 5
    await walk_roles(
        "GET",
        "/user/role/",
        {
            None: NO_TOKEN,
            "service": own("service"),
            "admin": (200, everything),
            "planner": own("planner"),
            "viewer": own("viewer"),
            "dummy": own("dummy"),
            "norole": DENIED,
        },
    )


async def test_create_assignment_access(
    walk_roles: Callable[..., Any], database: Database, accounts: dict[str, Account]
) -> None:
    norole = accounts["norole"]
    created = {"user_id": norole.id, "role_id": 1, "id": ..., "user": "norole", "role": "viewer"}
    await walk_roles(
        "POST",
        "/user/role/",
        {
            None: NO_TOKEN,
            "service": DENIED,
            "admin": (201, ...),
            "planner": DENIED,
            "viewer": DENIED,
            "dummy": DENIED,
            "norole": DENIED,
        },
        json={"user_id": norole.id, "role_id": 1},
    )
    [row] = await assignments(database, UserRole.user_id == norole.id)
    assert row == {**created, "id": row["id"]}


async def test_get_assignment_access(
    walk_roles: Callable[..., Any], database: Database, accounts: dict[str, Account]
) -> None:
    [planner] = await assignments(database, UserRole.user_id == accounts["planner"].id)
    await walk_roles(
        "GET",
        f"/user/role/{accounts['planner'].id}/2/",
        {
            None: NO_TOKEN,
            "service": DENIED,
            "admin": (200, planner),
            "planner": DENIED,
            "viewer": DENIED,
            "dummy": DENIED,
            "norole": DENIED,
        },
    )


async def test_delete_assignment_access(
    walk_roles: Callable[..., Any], database: Database, accounts: dict[str, Account]
) -> None:
    viewer = accounts["viewer"].id
    await walk_roles(
        "DELETE",
        f"/user/role/{viewer}/1/",
        {
            None: NO_TOKEN,
            "service": DENIED,
            "admin": (200, {"message": "The object has been deleted"}),
            "planner": DENIED,
            "viewer": DENIED,
            "dummy": DENIED,
            "norole": DENIED,
        },
    )
    assert await assignments(database, UserRole.user_id == viewer) == []


# --- POST /user/role/ -------------------------------------------------------------------------


async def test_create_assignment(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    viewer = accounts["viewer"].id
    response = await client.post(
        "/user/role/", json={"user_id": viewer, "role_id": 2}, headers=headers["admin"]
    )
    assert response.status_code == 201
    body = response.json()
    assert list(body) == ["user_id", "role_id", "id", "user", "role"]
    assert body == {
        "user_id": viewer,
        "role_id": 2,
        "id": body["id"],
        "user": "viewer",
        "role": "planner",
    }
    own = await client.get("/user/role/", headers=headers["viewer"])
    assert [row["role"] for row in own.json()] == ["viewer", "planner"]


async def test_existing_assignment_is_refused(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    before = await count_links(database)
    response = await client.post(
        "/user/role/",
        json={"user_id": accounts["planner"].id, "role_id": 2},
        headers=headers["admin"],
    )
    assert (response.status_code, response.json()) == (
        400,
        {"error": "The object does exist already"},
    )
    assert await count_links(database) == before


async def test_assignment_to_missing_user_or_role(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    planner = accounts["planner"].id
    before = await count_links(database)
    for user_id, role_id in ((4242, 1), (planner, 4242), (int(HUGE), 1), (planner, -int(HUGE))):
        response = await client.post(
            "/user/role/", json={"user_id": user_id, "role_id": role_id}, headers=headers["admin"]
        )
        expected = {"error": f"Integrity error on saving with data {user_id} has role {role_id}"}
        assert (response.status_code, response.json()) == (400, expected), (user_id, role_id)
    assert await count_links(database) == before


async def test_disabled_assignment_is_enabled_again(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    viewer = accounts["viewer"].id
    async with database.sessionmaker() as session, session.begin():
        await session.execute(
            update(UserRole).where(UserRole.user_id == viewer).values(deleted_at=utcnow())
        )
    response = await client.post(
        "/user/role/", json={"user_id": viewer, "role_id": 1}, headers=headers["admin"]
    )
    [row] = await assignments(database, UserRole.user_id == viewer)
    assert (response.status_code, response.json()) == (200, row)
    assert row["role_id"] == 1


async def test_create_assignment_body_validation(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    before = await count_links(database)
    cases = [
        # Flask crashes (500) on a missing id; here both are required.
        ({"user_id": 3}, "{'json': {'role_id': ['Missing data for required field.']}}"),
        ({}, "{'json': {'user_id': ['Missing data for required field.'], 'role_id': ['Missing data for required field.']}}"),
        ({"user_id": None, "role_id": 1}, "{'json': {'user_id': ['Field may not be null.']}}"),
        ({"user_id": "x", "role_id": 1}, "{'json': {'user_id': ['Not a valid integer.']}}"),
        ({"user_id": 3, "role_id": 1, "id": 1}, "{'json': {'id': ['Unknown field.']}}"),
    ]  # fmt: skip
    for body, message in cases:
        response = await client.post("/user/role/", json=body, headers=headers["admin"])
        assert (response.status_code, response.json()) == (400, {"error": message}), body
    assert await count_links(database) == before


async def test_ldap_assignments_live_in_the_directory(
    build_client: Callable[..., Any], database: Database, accounts: dict[str, Account]
) -> None:
    before = await count_links(database)
    async with build_client(auth_type=2) as client:
        created = await client.post(
            "/user/role/",
            json={"user_id": accounts["norole"].id, "role_id": 1},
            headers=bearer("admin"),
        )
        expected = {"error": "The role assignments have to be created in the directory"}
        assert (created.status_code, created.json()) == (501, expected)
        deleted = await client.delete(
            f"/user/role/{accounts['viewer'].id}/1/", headers=bearer("admin")
        )
        expected = {"error": "The roles have to be deleted in the directory."}
        assert (deleted.status_code, deleted.json()) == (501, expected)
        # Reading is still allowed.
        read = await client.get(f"/user/role/{accounts['viewer'].id}/1/", headers=bearer("admin"))
        assert read.status_code == 200
    assert await count_links(database) == before


# --- GET / DELETE /user/role/<user_id>/<role_id>/ ---------------------------------------------


async def test_missing_assignment(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    before = await count_links(database)
    planner = accounts["planner"].id
    for path in (
        f"/user/role/{planner}/3/",  # Flask answers 500 here
        "/user/role/4242/1/",
        f"/user/role/{HUGE}/1/",
        f"/user/role/{planner}/{HUGE}/",
    ):
        for method in ("GET", "DELETE"):
            response = await client.request(method, path, headers=headers["admin"])
            assert (response.status_code, response.json()) == NOT_FOUND, (method, path)
    assert await count_links(database) == before


async def test_deleted_assignment_takes_effect(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    planner = accounts["planner"].id
    response = await client.delete(f"/user/role/{planner}/2/", headers=headers["admin"])
    assert response.status_code == 200
    assert await assignments(database, UserRole.user_id == planner) == []
    again = await client.get("/user/role/", headers=headers["planner"])
    assert (again.status_code, again.json()) == DENIED
