"""Every /case/ route for every role (spec §3.3), and someone else's case (404)."""

from collections.abc import Callable
from typing import Any

import pytest
from cases.conftest import MakeCase
from httpx import AsyncClient

from cornflow_fastapi.errors import NOT_FOUND_BODY
from cornflow_support import DENIED, NO_TOKEN, pulp_model

pytestmark = pytest.mark.usefixtures("workflows")

NOT_FOUND = (404, {"error": "The data entity does not exist on the database"})
SOLUTION = {**pulp_model("solved"), "indicators": {"obj": 4}}


def planners_only(ok: tuple[int, Any]) -> dict[str | None, tuple[int, Any]]:
    return {
        None: NO_TOKEN,
        "service": DENIED,
        "admin": ok,
        "planner": ok,
        "viewer": DENIED,
        "dummy": DENIED,
        "norole": DENIED,
    }


def readers(ok: tuple[int, Any], viewer: tuple[int, Any]) -> dict[str | None, tuple[int, Any]]:
    return {**planners_only(ok), "viewer": viewer}


async def test_list(walk_roles: Callable[..., Any], make_case: MakeCase) -> None:
    await make_case(name="mine", data=pulp_model())
    await walk_roles("GET", "/case/", readers((200, ...), (200, [])))


async def test_create(walk_roles: Callable[..., Any]) -> None:
    body = {"name": "folder", "schema": "solve_model_dag"}
    await walk_roles("POST", "/case/", planners_only((201, ...)), json=body)


async def test_create_from_instance_needs_a_source(walk_roles: Callable[..., Any]) -> None:
    body = {"name": "c", "schema": "solve_model_dag"}
    refused = (400, {"error": "You must provide a valid instance_id OR an execution_id"})
    await walk_roles("POST", "/case/instance/", planners_only(refused), json=body)


async def test_detail(walk_roles: Callable[..., Any], make_case: MakeCase) -> None:
    case = await make_case(name="c", data=pulp_model(), solution=SOLUTION)
    expected = readers((200, {**case, "indicators": "obj: 4"}), NOT_FOUND)
    await walk_roles("GET", f"/case/{case['id']}/", expected)


async def test_data(walk_roles: Callable[..., Any], make_case: MakeCase) -> None:
    case = await make_case(name="c", data=pulp_model(), solution=SOLUTION, kpis={"k": 1})
    body = {
        **case,
        "indicators": "obj: 4",
        "data": pulp_model(),
        "checks": None,
        "solution": SOLUTION,
        "solution_checks": None,
        "kpis": {"k": 1},
    }
    await walk_roles("GET", f"/case/{case['id']}/data/", readers((200, body), NOT_FOUND))


async def test_edit(walk_roles: Callable[..., Any], make_case: MakeCase) -> None:
    case = await make_case(name="c")
    updated = (200, {"message": "Updated correctly"})
    # The admin edits first and so becomes the owner (quirk 16): the planner loses the case.
    expected = {**planners_only(updated), "planner": NOT_FOUND}
    await walk_roles("PUT", f"/case/{case['id']}/", expected, json={"description": "d"})


async def test_delete(
    walk_roles: Callable[..., Any], make_case: MakeCase, client: AsyncClient
) -> None:
    cases = {key: await make_case(name=key) for key in ("admin", "planner")}
    deleted = (200, {"message": "The object has been deleted"})
    await walk_roles(
        "DELETE",
        lambda role: f"/case/{cases[role]['id'] if role in cases else cases['planner']['id']}/",
        planners_only(deleted),
    )


async def test_patch(walk_roles: Callable[..., Any], make_case: MakeCase) -> None:
    case = await make_case(name="c", data={"a": 1}, schema="timer")
    patched = (200, {"message": "Patched correctly"})
    body = {"data_patch": [{"op": "replace", "path": "/a", "value": 2}]}
    # Patching makes the admin the owner, as editing does.
    expected = {**planners_only(patched), "planner": NOT_FOUND}
    await walk_roles("PATCH", f"/case/{case['id']}/data/", expected, json=body)


async def test_copy(walk_roles: Callable[..., Any], make_case: MakeCase) -> None:
    case = await make_case(name="c")
    await walk_roles("POST", f"/case/{case['id']}/copy/", planners_only((201, ...)))


async def test_to_instance(walk_roles: Callable[..., Any], make_case: MakeCase) -> None:
    case = await make_case(name="c", description="d", data=pulp_model())
    await walk_roles("POST", f"/case/{case['id']}/instance/", planners_only((201, ...)))


async def test_compare(walk_roles: Callable[..., Any], make_case: MakeCase) -> None:
    first = await make_case(name="a", data=pulp_model("a"))
    second = await make_case(name="b", data=pulp_model("b"))
    body = {
        "data_patch": [{"op": "replace", "path": "/parameters/name", "value": "b"}],
        "solution_patch": [],
    }
    missing = (404, {"error": "You don't have access to the first case or it doesn't exist"})
    await walk_roles("GET", f"/case/{first['id']}/{second['id']}/", readers((200, body), missing))


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", "/"),
        ("PUT", "/"),
        ("DELETE", "/"),
        ("GET", "/data/"),
        ("PATCH", "/data/"),
        ("POST", "/copy/"),
        ("POST", "/instance/"),
    ],
)
async def test_someone_elses_case_is_missing(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    make_case: MakeCase,
    method: str,
    suffix: str,
) -> None:
    case = await make_case("admin", name="admins", description="d", data={"a": 1}, schema="gc")
    response = await client.request(
        method, f"/case/{case['id']}{suffix}", headers=headers["planner"], json={}
    )
    assert (response.status_code, response.json()) == NOT_FOUND
    # Admins reach everyone's cases.
    planners = await make_case(name="planners", description="d", data={"a": 1}, schema="gc")
    response = await client.request(
        method, f"/case/{planners['id']}{suffix}", headers=headers["admin"], json={}
    )
    assert response.status_code in (200, 201), response.text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/case/99999999999999999999/"),
        ("PUT", "/case/99999999999999999999/"),
        ("DELETE", "/case/2147483648/"),
        ("GET", "/case/99999999999999999999/data/"),
        ("PATCH", "/case/99999999999999999999/data/"),
        ("POST", "/case/99999999999999999999/copy/"),
        ("POST", "/case/99999999999999999999/instance/"),
    ],
)
async def test_ids_beyond_the_integer_range_are_missing(
    client: AsyncClient, headers: dict[str, dict[str, str]], method: str, path: str
) -> None:
    response = await client.request(method, path, headers=headers["admin"], json={})
    assert (response.status_code, response.json()) == NOT_FOUND


@pytest.mark.parametrize(
    "path", ["/case/abc/", "/case/-1/", "/case/1.5/data/", "/case/x/copy/", "/case/1/x/"]
)
async def test_ids_that_are_not_integers_match_no_route(
    client: AsyncClient, headers: dict[str, dict[str, str]], path: str
) -> None:
    response = await client.get(path, headers=headers["admin"])
    assert (response.status_code, response.json()) == (404, NOT_FOUND_BODY)


async def test_everyone_sees_everything_when_configured(
    build_client: Callable[..., Any], headers: dict[str, dict[str, str]], make_case: MakeCase
) -> None:
    case = await make_case(name="shared", data=pulp_model())
    async with build_client(user_access_all_objects=1) as client:
        listed = await client.get("/case/", headers=headers["viewer"])
        detail = await client.get(f"/case/{case['id']}/", headers=headers["viewer"])
    assert [row["id"] for row in listed.json()] == [case["id"]]
    assert detail.status_code == 200


async def test_closed_deployment_checks_the_workflow(
    build_client: Callable[..., Any], headers: dict[str, dict[str, str]]
) -> None:
    async with build_client(open_deployment=0) as client:
        granted = await client.post(
            "/case/", json={"name": "c", "schema": "solve_model_dag"}, headers=headers["planner"]
        )
        unknown = await client.post(
            "/case/", json={"name": "c", "schema": "nodag"}, headers=headers["planner"]
        )
        # The workflow is checked before the body is validated.
        no_schema = await client.post("/case/", json={"x": 1}, headers=headers["planner"])
        from_record = await client.post(
            "/case/instance/", json={"name": "c", "schema": "nodag"}, headers=headers["admin"]
        )
    assert granted.status_code == 201
    assert (unknown.status_code, unknown.json()) == (
        403,
        {"error": "You do not have permission to use this DAG"},
    )
    assert (no_schema.status_code, no_schema.json()) == (
        400,
        {"error": "The request does not specify a schema to use"},
    )
    assert from_record.status_code == 403


async def test_closed_deployment_reads_the_body_as_flask_does(
    build_client: Callable[..., Any], headers: dict[str, dict[str, str]]
) -> None:
    planner = headers["planner"]
    as_json = {**planner, "Content-Type": "application/json"}
    async with build_client(open_deployment=0, flask_env="development") as client:
        not_json = await client.post(
            "/case/",
            content=b"schema=solve_model_dag",
            headers={**planner, "Content-Type": "application/x-www-form-urlencoded"},
        )
        malformed = await client.post("/case/instance/", content=b"{", headers=as_json)
    assert (not_json.status_code, not_json.json()) == (
        415,
        {
            "message": "Did not attempt to load JSON data because the request Content-Type "
            "was not 'application/json'."
        },
    )
    assert (malformed.status_code, malformed.json()) == (
        400,
        {
            "message": "Failed to decode JSON object: Expecting property name enclosed in "
            "double quotes: line 1 column 2 (char 1)"
        },
    )
