"""/roles/ and /roles/<idx>/."""

from collections.abc import Callable
from typing import Any

from httpx import AsyncClient
from sqlalchemy import select

from cornflow_fastapi.models import Role
from cornflow_support import DENIED, NO_TOKEN, bearer
from svckit.db import Database

HUGE = "99999999999999999999"
NOT_FOUND = (404, {"error": "The data entity does not exist on the database"})
UPDATED = (200, {"message": "Updated correctly"})
NOT_DELETABLE = (501, {"error": "Roles can not be deleted"})
SEEDED = [
    {"name": "dummy", "id": 0},
    {"name": "viewer", "id": 1},
    {"name": "planner", "id": 2},
    {"name": "admin", "id": 3},
    {"name": "service", "id": 4},
]


def admin_only(success: tuple[int, Any]) -> dict[str | None, tuple[int, Any]]:
    return {
        None: NO_TOKEN,
        "service": DENIED,
        "admin": success,
        "planner": DENIED,
        "viewer": DENIED,
        "dummy": DENIED,
        "norole": DENIED,
    }


async def roles_in_database(database: Database) -> list[dict[str, Any]]:
    async with database.sessionmaker() as session:
        roles = (await session.execute(select(Role).order_by(Role.id))).scalars().all()
    return [{"name": role.name, "id": role.id} for role in roles]


async def add_role(client: AsyncClient, headers: dict[str, dict[str, str]], name: str) -> int:
    response = await client.post("/roles/", json={"name": name}, headers=headers["admin"])
    assert response.status_code == 201
    return int(response.json()["id"])


# --- access matrix (spec §3.3), one walk per route -------------------------------------------


async def test_list_roles_access(walk_roles: Callable[..., Any]) -> None:
    await walk_roles("GET", "/roles/", admin_only((200, SEEDED)))


async def test_create_role_access(walk_roles: Callable[..., Any], database: Database) -> None:
    await walk_roles("POST", "/roles/", admin_only((201, ...)), json={"name": "auditor"})
    assert [role["name"] for role in await roles_in_database(database)].count("auditor") == 1


async def test_get_role_access(walk_roles: Callable[..., Any]) -> None:
    await walk_roles("GET", "/roles/2/", admin_only((200, {"name": "planner", "id": 2})))


async def test_put_role_access(walk_roles: Callable[..., Any], database: Database) -> None:
    await walk_roles("PUT", "/roles/0/", admin_only(UPDATED), json={"name": "nobody"})
    assert (await roles_in_database(database))[0] == {"name": "nobody", "id": 0}


async def test_delete_role_access(walk_roles: Callable[..., Any], database: Database) -> None:
    await walk_roles("DELETE", "/roles/1/", admin_only(NOT_DELETABLE))
    assert await roles_in_database(database) == SEEDED


# --- POST /roles/ -----------------------------------------------------------------------------


async def test_create_role(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    response = await client.post("/roles/", json={"name": "auditor"}, headers=headers["admin"])
    assert response.status_code == 201
    body = response.json()
    assert list(body) == ["name", "id"]
    assert body["name"] == "auditor"
    assert await roles_in_database(database) == [*SEEDED, body]
    # Names need not be unique.
    again = await client.post("/roles/", json={"name": "auditor"}, headers=headers["admin"])
    assert again.status_code == 201
    assert again.json()["id"] != body["id"]


async def test_create_role_failures(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    cases = [
        # Flask's schema leaves the name optional; the NOT NULL column then refuses the row.
        ({}, "Integrity error on saving with data <Role None>"),
        ({"name": None}, "{'json': {'name': ['Field may not be null.']}}"),
        ({"name": 5}, "{'json': {'name': ['Not a valid string.']}}"),
        ({"name": "x", "id": 7}, "{'json': {'id': ['Unknown field.']}}"),
    ]
    for body, message in cases:
        response = await client.post("/roles/", json=body, headers=headers["admin"])
        assert (response.status_code, response.json()) == (400, {"error": message}), body
    assert await roles_in_database(database) == SEEDED


async def test_ldap_roles_live_in_the_directory(
    build_client: Callable[..., Any], database: Database
) -> None:
    async with build_client(auth_type=2) as client:
        created = await client.post("/roles/", json={"name": "x"}, headers=bearer("admin"))
        expected = {"error": "The roles have to be created in the directory."}
        assert (created.status_code, created.json()) == (501, expected)
        edited = await client.put("/roles/1/", json={"name": "x"}, headers=bearer("admin"))
        expected = {"error": "The roles have to be modified in the directory."}
        assert (edited.status_code, edited.json()) == (501, expected)
        # The body is read before the directory check, as in Flask.
        invalid = await client.post("/roles/", json={"name": None}, headers=bearer("admin"))
        assert invalid.status_code == 400
        listed = await client.get("/roles/", headers=bearer("admin"))
        assert (listed.status_code, listed.json()) == (200, SEEDED)
    assert await roles_in_database(database) == SEEDED


# --- GET / PUT / DELETE /roles/<idx>/ ---------------------------------------------------------


async def test_missing_role(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    for path in ("/roles/42/", f"/roles/{HUGE}/"):
        got = await client.get(path, headers=headers["admin"])
        assert (got.status_code, got.json()) == NOT_FOUND, path
        put = await client.put(path, json={"name": "x"}, headers=headers["admin"])
        assert (put.status_code, put.json()) == NOT_FOUND, path
        # Deleting is refused before looking the role up.
        deleted = await client.delete(path, headers=headers["admin"])
        assert (deleted.status_code, deleted.json()) == NOT_DELETABLE, path
    assert await roles_in_database(database) == SEEDED


async def test_rename_and_renumber_a_role(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    role_id = await add_role(client, headers, "auditor")
    renamed = await client.put(
        f"/roles/{role_id}/", json={"name": "inspector"}, headers=headers["admin"]
    )
    assert (renamed.status_code, renamed.json()) == UPDATED
    # Nothing refers to the new role, so its id may change too.
    moved = await client.put(f"/roles/{role_id}/", json={"id": 50}, headers=headers["admin"])
    assert (moved.status_code, moved.json()) == UPDATED
    got = await client.get("/roles/50/", headers=headers["admin"])
    assert got.json() == {"name": "inspector", "id": 50}
    assert (await client.get(f"/roles/{role_id}/", headers=headers["admin"])).status_code == 404
    same = await client.put("/roles/50/", json={}, headers=headers["admin"])
    assert (same.status_code, same.json()) == UPDATED


async def test_renumbering_a_role_in_use_is_refused(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    role_id = await add_role(client, headers, "auditor")
    cases = [
        ("/roles/1/", {"id": 60}, "<Role viewer>"),  # users and permissions refer to it
        (f"/roles/{role_id}/", {"id": 4, "name": "zzz"}, "<Role auditor>"),  # id taken
        (f"/roles/{role_id}/", {"id": int(HUGE)}, "<Role auditor>"),
    ]
    for path, body, subject in cases:
        response = await client.put(path, json=body, headers=headers["admin"])
        expected = {"error": f"Integrity error on updating with data {subject}"}
        assert (response.status_code, response.json()) == (400, expected), body
    assert await roles_in_database(database) == [*SEEDED, {"name": "auditor", "id": role_id}]


async def test_edit_role_body_validation(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    cases = [
        ({"name": None}, "{'json': {'name': ['Field may not be null.']}}"),
        ({"id": "x"}, "{'json': {'id': ['Not a valid integer.']}}"),
        ({"id": None}, "{'json': {'id': ['Field may not be null.']}}"),
        ({"other": 1}, "{'json': {'other': ['Unknown field.']}}"),
    ]
    for body, message in cases:
        response = await client.put("/roles/1/", json=body, headers=headers["admin"])
        assert (response.status_code, response.json()) == (400, {"error": message}), body
    assert await roles_in_database(database) == SEEDED
