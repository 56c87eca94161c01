"""/permission/ and /permission/<idx>/."""

from collections.abc import Callable
from typing import Any

from httpx import AsyncClient
from sqlalchemy import func, select, update

from cornflow_fastapi.access import catalog
from cornflow_fastapi.models import Action, ApiView, PermissionView, Role, utcnow
from cornflow_support import DENIED, NO_TOKEN
from svckit.db import Database

HUGE = "99999999999999999999"
NOT_FOUND = (404, {"error": "The data entity does not exist on the database"})
UPDATED = (200, {"message": "Updated correctly"})
DELETED = (200, {"message": "The object has been deleted"})


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


async def permissions_in_database(database: Database, *where: Any) -> list[dict[str, Any]]:
    statement = (
        select(PermissionView, Action.name, ApiView.name, Role.name)
        .join(Action, Action.id == PermissionView.action_id)
        .join(ApiView, ApiView.id == PermissionView.api_view_id)
        .join(Role, Role.id == PermissionView.role_id)
        .where(PermissionView.deleted_at.is_(None), *where)
        .order_by(PermissionView.id)
    )
    async with database.sessionmaker() as session:
        rows = (await session.execute(statement)).all()
    return [
        {
            "id": permission.id,
            "action_id": permission.action_id,
            "action": action.replace("_", " "),
            "api_view_id": permission.api_view_id,
            "api_view": view,
            "role_id": permission.role_id,
            "role": role,
        }
        for permission, action, view, role in rows
    ]


async def count_permissions(database: Database) -> int:
    async with database.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(PermissionView)) or 0)


async def view_id(database: Database, name: str) -> int:
    async with database.sessionmaker() as session:
        found = await session.scalar(select(ApiView.id).where(ApiView.name == name))
    assert found is not None
    return int(found)


async def new_grant(database: Database) -> dict[str, int]:
    """A grant the seed does not make: viewers may DELETE /instance/."""
    return {"action_id": 5, "role_id": 1, "api_view_id": await view_id(database, "instance")}


async def some_permission(database: Database) -> dict[str, Any]:
    return (await permissions_in_database(database))[0]


# --- access matrix (spec §3.3), one walk per route -------------------------------------------


async def test_list_permissions_access(walk_roles: Callable[..., Any], database: Database) -> None:
    everything = await permissions_in_database(database)
    assert len(everything) > 500
    await walk_roles("GET", "/permission/", admin_only((200, everything)))


async def test_create_permission_access(walk_roles: Callable[..., Any], database: Database) -> None:
    grant = await new_grant(database)
    await walk_roles("POST", "/permission/", admin_only((201, ...)), json=grant)
    created = await permissions_in_database(
        database, PermissionView.role_id == 1, PermissionView.action_id == 5
    )
    assert len(created) == 1


async def test_get_permission_access(walk_roles: Callable[..., Any], database: Database) -> None:
    first = await some_permission(database)
    await walk_roles("GET", f"/permission/{first['id']}/", admin_only((200, first)))


async def test_put_permission_access(walk_roles: Callable[..., Any], database: Database) -> None:
    first = await some_permission(database)
    await walk_roles(
        "PUT",
        f"/permission/{first['id']}/",
        admin_only(UPDATED),
        json={"role_id": first["role_id"]},
    )


async def test_delete_permission_access(walk_roles: Callable[..., Any], database: Database) -> None:
    first = await some_permission(database)
    await walk_roles("DELETE", f"/permission/{first['id']}/", admin_only(DELETED))
    assert await permissions_in_database(database, PermissionView.id == first["id"]) == []


# --- POST /permission/ ------------------------------------------------------------------------


async def test_create_permission_takes_effect(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    # Viewers have no access to /roles/ until granted.
    refused = await client.get("/roles/", headers=headers["viewer"])
    assert refused.status_code == 403
    grant = {"action_id": 1, "role_id": 1, "api_view_id": await view_id(database, "roles")}
    response = await client.post("/permission/", json=grant, headers=headers["admin"])
    assert response.status_code == 201
    body = response.json()
    assert list(body) == ["id", "action_id", "action", "api_view_id", "api_view", "role_id", "role"]
    assert body == {
        "id": body["id"],
        "action_id": 1,
        "action": "can get",
        "api_view_id": grant["api_view_id"],
        "api_view": "roles",
        "role_id": 1,
        "role": "viewer",
    }
    allowed = await client.get("/roles/", headers=headers["viewer"])
    assert allowed.status_code == 200


async def test_create_permission_failures(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    before = await count_permissions(database)
    existing = await some_permission(database)
    duplicate = {key: existing[key] for key in ("action_id", "role_id", "api_view_id")}
    cases = [
        (duplicate, "The object does exist already"),
        # Flask leaves every field optional; the NOT NULL columns then refuse the row.
        ({}, "Integrity error on saving with data <Permission role: None, action: None, view: None>"),
        ({"action_id": 1}, "Integrity error on saving with data <Permission role: None, action: 1, view: None>"),
        ({"action_id": 1, "role_id": 1, "api_view_id": 999}, "Integrity error on saving with data <Permission role: 1, action: 1, view: 999>"),
        ({"action_id": 9, "role_id": 1, "api_view_id": 2}, "Integrity error on saving with data <Permission role: 1, action: 9, view: 2>"),
        ({"action_id": int(HUGE), "role_id": 1, "api_view_id": 2}, f"Integrity error on saving with data <Permission role: 1, action: {HUGE}, view: 2>"),
        ({"action_id": None}, "{'json': {'action_id': ['Field may not be null.']}}"),
        ({"action_id": "x"}, "{'json': {'action_id': ['Not a valid integer.']}}"),
        ({"action": "can get"}, "{'json': {'action': ['Unknown field.']}}"),
    ]  # fmt: skip
    for body, message in cases:
        response = await client.post("/permission/", json=body, headers=headers["admin"])
        assert (response.status_code, response.json()) == (400, {"error": message}), body
    assert await count_permissions(database) == before


async def test_soft_deleted_duplicate_is_an_integrity_error(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    existing = await some_permission(database)
    async with database.sessionmaker() as session, session.begin():
        await session.execute(
            update(PermissionView)
            .where(PermissionView.id == existing["id"])
            .values(deleted_at=utcnow())
        )
    body = {key: existing[key] for key in ("action_id", "role_id", "api_view_id")}
    response = await client.post("/permission/", json=body, headers=headers["admin"])
    subject = f"<Permission role: {body['role_id']}, action: {body['action_id']}, view: {body['api_view_id']}>"
    assert response.json() == {"error": f"Integrity error on saving with data {subject}"}
    assert response.status_code == 400
    # And it is hidden from the list and the detail.
    assert (
        await client.get(f"/permission/{existing['id']}/", headers=headers["admin"])
    ).status_code == 404
    listed = await client.get("/permission/", headers=headers["admin"])
    assert existing["id"] not in {row["id"] for row in listed.json()}


# --- GET / PUT / DELETE /permission/<idx>/ ----------------------------------------------------


async def test_missing_permission(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    before = await count_permissions(database)
    for path in ("/permission/99999/", f"/permission/{HUGE}/"):
        for method, body in (("GET", None), ("PUT", {}), ("DELETE", None)):
            response = await client.request(method, path, json=body, headers=headers["admin"])
            assert (response.status_code, response.json()) == NOT_FOUND, (method, path)
    assert await count_permissions(database) == before


async def test_edit_permission(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    grant = await new_grant(database)
    created = await client.post("/permission/", json=grant, headers=headers["admin"])
    idx = created.json()["id"]
    response = await client.put(
        f"/permission/{idx}/", json={"role_id": 0}, headers=headers["admin"]
    )
    assert (response.status_code, response.json()) == UPDATED
    got = await client.get(f"/permission/{idx}/", headers=headers["admin"])
    assert got.json() == {**created.json(), "role_id": 0, "role": "dummy"}


async def test_edit_permission_failures(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    grant = await new_grant(database)
    created = (await client.post("/permission/", json=grant, headers=headers["admin"])).json()
    path = f"/permission/{created['id']}/"
    # Flask names the permission as it was before the failed update.
    failed = (
        "Integrity error on updating with data "
        f"<Permission role: 1, action: 5, view: {grant['api_view_id']}>"
    )
    cases = [
        ({"action_id": 1}, failed),  # the viewer's GET grant on that view exists
        ({"action_id": 9}, failed),
        ({"role_id": int(HUGE)}, failed),
        ({"action": "zz"}, "{'json': {'action': ['Unknown field.']}}"),
        ({"id": 3}, "{'json': {'id': ['Unknown field.']}}"),
        ({"role_id": None}, "{'json': {'role_id': ['Field may not be null.']}}"),
    ]
    for body, message in cases:
        response = await client.put(path, json=body, headers=headers["admin"])
        assert (response.status_code, response.json()) == (400, {"error": message}), body
    assert (await client.get(path, headers=headers["admin"])).json() == created


async def test_delete_permission_takes_effect(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    [viewer_get] = await permissions_in_database(
        database,
        PermissionView.role_id == 1,
        PermissionView.action_id == 1,
        PermissionView.api_view_id == await view_id(database, catalog.USER_ROLES.name),
    )
    assert (await client.get("/user/role/", headers=headers["viewer"])).status_code == 200
    response = await client.delete(f"/permission/{viewer_get['id']}/", headers=headers["admin"])
    assert (response.status_code, response.json()) == DELETED
    assert (await client.get("/user/role/", headers=headers["viewer"])).status_code == 403
    again = await client.delete(f"/permission/{viewer_get['id']}/", headers=headers["admin"])
    assert (again.status_code, again.json()) == NOT_FOUND
