"""PUT and DELETE /case/<id>/: editing, moving within the tree, deleting a directory."""

from typing import Any

import pytest
from cases.conftest import MakeCase, stored_case, stored_paths
from httpx import AsyncClient

from cornflow_support import Account
from svckit.db import Database

pytestmark = pytest.mark.usefixtures("workflows")

Headers = dict[str, dict[str, str]]
UPDATED = (200, {"message": "Updated correctly"})


async def put(
    client: AsyncClient, headers: Headers, idx: int, body: Any, role: str = "planner"
) -> tuple[int, Any]:
    response = await client.put(f"/case/{idx}/", json=body, headers=headers[role])
    return response.status_code, response.json()


async def make_tree(make_case: MakeCase) -> dict[str, int]:
    """a/ ⊃ b/ ⊃ {c, d/}, and e/ and f (a case with data) at the root."""
    ids: dict[str, int] = {}
    ids["a"] = (await make_case(name="a", schema="timer"))["id"]
    ids["b"] = (await make_case(name="b", schema="timer", parent_id=ids["a"]))["id"]
    ids["c"] = (await make_case(name="c", schema="timer", parent_id=ids["b"], data={}))["id"]
    ids["d"] = (await make_case(name="d", schema="timer", parent_id=ids["b"]))["id"]
    ids["e"] = (await make_case(name="e", schema="timer"))["id"]
    ids["f"] = (await make_case(name="f", schema="timer", data={}))["id"]
    return ids


async def test_paths_follow_moves(
    client: AsyncClient, headers: Headers, make_case: MakeCase, database: Database
) -> None:
    t = await make_tree(make_case)
    a, b, c, d, e = t["a"], t["b"], t["c"], t["d"], t["e"]
    assert (await stored_paths(database))[d] == f"{a}/{b}/"

    assert await put(client, headers, b, {"parent_id": None}) == UPDATED
    paths = await stored_paths(database)
    assert (paths[a], paths[b], paths[c], paths[d]) == ("", "", f"{b}/", f"{b}/")

    assert await put(client, headers, b, {"parent_id": e, "name": "b2"}) == UPDATED
    paths = await stored_paths(database)
    assert (paths[b], paths[c], paths[d]) == (f"{e}/", f"{e}/{b}/", f"{e}/{b}/")

    assert await put(client, headers, e, {"parent_id": a}) == UPDATED
    paths = await stored_paths(database)
    assert (paths[e], paths[b], paths[c]) == (f"{a}/", f"{a}/{e}/", f"{a}/{e}/{b}/")
    moved = await stored_case(database, b)
    assert moved is not None
    assert moved.name == "b2"


async def test_moves_that_would_break_the_tree_are_refused(
    client: AsyncClient, headers: Headers, make_case: MakeCase, database: Database
) -> None:
    t = await make_tree(make_case)
    before = await stored_paths(database)
    into_itself = (
        400,
        {"error": "A case cannot be moved into itself or into one of its descendants"},
    )
    assert await put(client, headers, t["a"], {"parent_id": t["a"]}) == into_itself
    assert await put(client, headers, t["a"], {"parent_id": t["d"]}) == into_itself
    assert await put(client, headers, t["b"], {"parent_id": t["d"]}) == into_itself
    assert await put(client, headers, t["e"], {"parent_id": t["f"]}) == (
        400,
        {"error": "Parent cannot be a case"},
    )
    assert await stored_paths(database) == before


async def test_parent_id_zero_or_left_out_leaves_the_case_in_place(
    client: AsyncClient, headers: Headers, make_case: MakeCase, database: Database
) -> None:
    t = await make_tree(make_case)
    before = await stored_paths(database)
    assert await put(client, headers, t["c"], {"parent_id": 0, "description": "x"}) == UPDATED
    assert await put(client, headers, t["c"], {}) == UPDATED
    assert await stored_paths(database) == before
    case = await stored_case(database, t["c"])
    assert case is not None
    assert case.description == "x"


async def test_missing_cases_and_parents(
    client: AsyncClient, headers: Headers, make_case: MakeCase
) -> None:
    t = await make_tree(make_case)
    admins = (await make_case("admin", name="admins", schema="timer"))["id"]
    plain = (404, {"error": "The data entity does not exist on the database"})
    # With a parent_id the Flask server's message ends with a period.
    moving = (404, {"error": "The data entity does not exist on the database."})
    assert await put(client, headers, 999999, {"name": "x"}) == plain
    assert await put(client, headers, 999999, {"parent_id": None}) == moving
    assert await put(client, headers, admins, {"parent_id": t["a"]}) == moving
    assert await put(client, headers, t["b"], {"parent_id": admins}) == moving
    assert await put(client, headers, t["b"], {"parent_id": 99999999999999999999}) == moving


async def test_the_editor_becomes_the_owner(
    client: AsyncClient,
    headers: Headers,
    make_case: MakeCase,
    database: Database,
    accounts: dict[str, Account],
) -> None:
    case = await make_case(name="c", schema="timer")
    assert await put(client, headers, case["id"], {"name": "renamed"}, role="admin") == UPDATED
    row = await stored_case(database, case["id"])
    assert row is not None
    assert (row.name, row.user_id) == ("renamed", accounts["admin"].id)
    assert row.updated_at > row.created_at


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"name": None}, "{'json': {'name': ['Field may not be null.']}}"),
        ({"description": 1}, "{'json': {'description': ['Not a valid string.']}}"),
        ({"parent_id": "a"}, "{'json': {'parent_id': ['Not a valid integer.']}}"),
        ({"schema": "gc"}, "{'json': {'schema': ['Unknown field.']}}"),
    ],
)
async def test_refused_edits(
    client: AsyncClient, headers: Headers, make_case: MakeCase, body: Any, error: str
) -> None:
    case = await make_case(name="c", schema="timer")
    assert await put(client, headers, case["id"], body) == (400, {"error": error})


async def test_deleting_a_directory_deletes_what_is_below(
    client: AsyncClient,
    headers: Headers,
    make_case: MakeCase,
    database: Database,
) -> None:
    t = await make_tree(make_case)
    # Someone else's case below the planner's directory goes too.
    admins = (await make_case("admin", name="x", schema="timer", parent_id=t["d"]))["id"]
    response = await client.delete(f"/case/{t['b']}/", headers=headers["planner"])
    assert response.json() == {"message": "The object has been deleted"}
    assert set(await stored_paths(database)) == {t["a"], t["e"], t["f"]}
    assert admins not in await stored_paths(database)
    response = await client.delete(f"/case/{t['b']}/", headers=headers["planner"])
    assert response.status_code == 404
