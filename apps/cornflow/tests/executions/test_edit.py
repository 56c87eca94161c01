"""PUT and DELETE /execution/<idx>/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from executions.conftest import MakeExecution, MakeInstance, load_execution, update_execution
from httpx import AsyncClient

from cornflow_support import DENIED, NO_TOKEN, Account, pulp_model
from svckit.db import Database

NOT_FOUND = {"error": "The data entity does not exist on the database"}
UPDATED = {"message": "Updated correctly"}
DELETED = {"message": "The object has been deleted"}


def writers(success: tuple[int, Any]) -> dict[str | None, Any]:
    # The owner first: an edit by an admin makes the admin the owner.
    return {
        None: NO_TOKEN,
        "planner": success,
        "viewer": DENIED,
        "dummy": DENIED,
        "norole": DENIED,
        "admin": success,
        "service": success,
    }


async def test_edit_roles(walk_roles: Callable[..., Any], make_execution: MakeExecution) -> None:
    created = await make_execution("planner")
    await walk_roles(
        "PUT",
        f"/execution/{created['id']}/",
        writers((200, UPDATED)),
        json={"name": "renamed"},
    )


async def test_edit_makes_the_editor_the_owner(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    accounts: dict[str, Account],
    database: Database,
) -> None:
    created = await make_execution("planner")
    path = f"/execution/{created['id']}/"
    response = await client.put(
        path, json={"name": "new", "description": "changed"}, headers=headers["admin"]
    )
    assert response.json() == UPDATED
    execution = await load_execution(database, created["id"])
    assert execution is not None
    assert (execution.name, execution.description) == ("new", "changed")
    assert execution.user_id == accounts["admin"].id
    # Now the admin's: the planner no longer sees it.
    assert (await client.get(path, headers=headers["planner"])).status_code == 404


async def test_edit_data_is_validated_and_clears_results(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    database: Database,
) -> None:
    created = await make_execution("planner")
    path = f"/execution/{created['id']}/"
    await update_execution(
        database, created["id"], checks={"c": 1}, kpis={"k": 1}, execution_files_status=1
    )
    bad = await client.put(path, json={"data": {"a": 1}}, headers=headers["planner"])
    assert bad.status_code == 400
    assert list(bad.json()) == ["jsonschema_errors", "error"]
    unchanged = await load_execution(database, created["id"])
    assert unchanged is not None
    assert unchanged.checks == {"c": 1}

    solution = pulp_model("solution")
    response = await client.put(path, json={"data": solution}, headers=headers["planner"])
    assert response.json() == UPDATED
    execution = await load_execution(database, created["id"])
    assert execution is not None
    assert execution.data == solution
    assert (execution.checks, execution.kpis) == (None, None)
    assert execution.execution_files_status == -3
    # The hash stays the one computed at creation, as on the Flask server.
    assert execution.data_hash == created["data_hash"]


async def test_edit_instance(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    make_instance: MakeInstance,
    database: Database,
) -> None:
    created = await make_execution("planner")
    path = f"/execution/{created['id']}/"
    other = await make_instance("planner", name="other")
    response = await client.put(path, json={"instance_id": other}, headers=headers["planner"])
    assert response.json() == UPDATED
    execution = await load_execution(database, created["id"])
    assert execution is not None
    assert execution.instance_id == other

    missing = await client.put(path, json={"instance_id": "nope"}, headers=headers["planner"])
    assert missing.status_code == 400
    assert missing.json() == {
        "error": f"Integrity error on updating with data <Execution {created['id']}>"
    }
    foreign = await make_instance("admin")
    refused = await client.put(path, json={"instance_id": foreign}, headers=headers["planner"])
    assert refused.status_code == 403
    assert refused.json() == {"error": "You have no permission to access the required object"}
    # Admins see every instance, so they may move an execution onto any of them.
    allowed = await client.put(path, json={"instance_id": foreign}, headers=headers["admin"])
    assert allowed.json() == UPDATED


async def test_edit_bad_bodies(
    client: AsyncClient, headers: dict[str, dict[str, str]], make_execution: MakeExecution
) -> None:
    created = await make_execution("planner")
    path = f"/execution/{created['id']}/"
    cases = [
        ({"config": {}}, "{'json': {'config': ['Unknown field.']}}"),
        ({"data": None}, "{'json': {'data': ['Field may not be null.']}}"),
        ({"name": None}, "{'json': {'name': ['Field may not be null.']}}"),
        ({"instance_id": 5}, "{'json': {'instance_id': ['Not a valid string.']}}"),
    ]
    for sent, error in cases:
        response = await client.put(path, json=sent, headers=headers["planner"])
        assert response.status_code == 400, sent
        assert response.json() == {"error": error}


async def test_edit_missing(client: AsyncClient, headers: dict[str, dict[str, str]]) -> None:
    response = await client.put("/execution/nope/", json={"name": "x"}, headers=headers["admin"])
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


async def test_delete(
    walk_roles: Callable[..., Any],
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    database: Database,
) -> None:
    created = await make_execution("planner")
    path = f"/execution/{created['id']}/"
    theirs = await client.delete(path, headers=headers["viewer"])
    assert theirs.status_code == 403
    foreign = await make_execution("admin")
    hidden = await client.delete(f"/execution/{foreign['id']}/", headers=headers["planner"])
    assert (hidden.status_code, hidden.json()) == (404, NOT_FOUND)

    response = await client.delete(path, headers=headers["planner"])
    assert response.json() == DELETED
    assert await load_execution(database, created["id"]) is None
    again = await client.delete(path, headers=headers["planner"])
    assert again.status_code == 404


async def test_delete_roles(walk_roles: Callable[..., Any], make_execution: MakeExecution) -> None:
    created = {role: await make_execution(role) for role in ("service", "admin", "planner")}

    def path(role: str | None) -> str:
        return f"/execution/{created.get(role or '', created['planner'])['id']}/"

    await walk_roles("DELETE", path, writers((200, DELETED)))


async def test_edit_data_json_cannot_hold(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_execution: MakeExecution,
    make_instance: MakeInstance,
) -> None:
    instance_id = await make_instance("planner", schema="timer", data={"x": 1})
    created = await make_execution("planner", instance_id=instance_id, schema="timer")
    response = await client.put(
        f"/execution/{created['id']}/",
        content='{"data": {"x": -Infinity}}',
        headers={**headers["planner"], "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": f"Unknown database error on updating with data <Execution {created['id']}>"
    }
