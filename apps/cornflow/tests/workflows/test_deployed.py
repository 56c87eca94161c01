"""/dag/deployed/ and /dag/deployed/<idx>/: the workflow registry (service users only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from httpx import AsyncClient
from sqlalchemy import delete
from workflows.conftest import dag_permissions, deployed_payload, deployed_rows, expect_roles

from cornflow_fastapi.models import PermissionDag
from svckit.db import Database

SERVICE = ("service",)
UPDATED = (200, {"message": "Updated correctly"})
NOT_FOUND = (404, {"error": "The data entity does not exist on the database"})


def missing(*fields: str) -> str:
    return str({"json": {field: ["Missing data for required field."] for field in fields}})


async def test_list_access(
    walk_roles: Callable[..., Any], post_deployed: Callable[..., Any]
) -> None:
    first = await post_deployed("first")
    second = await post_deployed("second", description=None)
    await walk_roles("GET", "/dag/deployed/", expect_roles(SERVICE, (200, [first, second])))


async def test_list_is_empty_without_workflows(
    client: AsyncClient, headers: dict[str, dict[str, str]]
) -> None:
    response = await client.get("/dag/deployed/", headers=headers["service"])
    assert (response.status_code, response.json()) == (200, [])


async def test_create_answers_the_row_in_flask_field_order(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    payload = deployed_payload("knap")
    response = await client.post("/dag/deployed/", json=payload, headers=headers["service"])

    assert response.status_code == 201
    body = response.json()
    assert body == payload
    assert list(body) == [
        "id",
        "description",
        "instance_schema",
        "solution_schema",
        "config_schema",
        "instance_checks_schema",
        "solution_checks_schema",
        "kpis_schema",
    ]
    stored = (await deployed_rows(database))["knap"]
    assert stored.solution_schema == {"type": "object", "required": ["x"]}
    assert stored.deleted_at is None


async def test_create_access(walk_roles: Callable[..., Any], database: Database) -> None:
    await walk_roles(
        "POST",
        "/dag/deployed/",
        expect_roles(SERVICE, (201, deployed_payload("walked"))),
        json=deployed_payload("walked"),
    )
    assert list(await deployed_rows(database)) == ["walked"]


async def test_create_grants_every_user_the_new_workflow(
    post_deployed: Callable[..., Any],
    database: Database,
    accounts: dict[str, Any],
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
) -> None:
    await post_deployed("granted")

    assert await dag_permissions(database, "granted") == {a.id for a in accounts.values()}
    response = await client.get("/schema/", headers=headers["planner"])
    assert {"name": "granted"} in response.json()


async def test_closed_deployment_grants_only_admins_and_service_users(
    build_client: Callable[..., Any],
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Any],
) -> None:
    async with build_client(open_deployment=0) as closed:
        response = await closed.post(
            "/dag/deployed/", json=deployed_payload("closed"), headers=headers["service"]
        )
    assert response.status_code == 201
    expected = {accounts["service"].id, accounts["admin"].id}
    assert await dag_permissions(database, "closed") == expected


async def test_a_duplicate_id_is_an_integrity_error_and_changes_nothing(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    post_deployed: Callable[..., Any],
    database: Database,
) -> None:
    await post_deployed("twice")
    response = await client.post(
        "/dag/deployed/",
        json=deployed_payload("twice", description="other"),
        headers=headers["service"],
    )
    assert (response.status_code, response.json()) == (
        400,
        {"error": "Integrity error on saving with data <DAG twice>"},
    )
    assert (await deployed_rows(database))["twice"].description == "twice workflow"


async def test_every_schema_is_required(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    response = await client.post("/dag/deployed/", json={}, headers=headers["service"])
    assert (response.status_code, response.json()) == (
        400,
        {
            "error": missing(
                "id",
                "instance_schema",
                "solution_schema",
                "config_schema",
                "instance_checks_schema",
                "solution_checks_schema",
                "kpis_schema",
            )
        },
    )
    assert await deployed_rows(database) == {}


async def test_null_schemas_unknown_fields_and_wrong_types_are_refused(
    client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    payload = deployed_payload("bad", id=5, kpis_schema=None, solution_schema=None, extra=1)
    response = await client.post("/dag/deployed/", json=payload, headers=headers["service"])
    expected = {
        "json": {
            "id": ["Not a valid string."],
            "solution_schema": ["Field may not be null."],
            "kpis_schema": ["Field may not be null."],
            "extra": ["Unknown field."],
        }
    }
    assert (response.status_code, response.json()) == (400, {"error": str(expected)})
    assert await deployed_rows(database) == {}


async def test_a_null_description_is_accepted(post_deployed: Callable[..., Any]) -> None:
    body = await post_deployed("nodesc", description=None)
    assert body["description"] is None


async def test_update_replaces_the_sent_fields_only(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    post_deployed: Callable[..., Any],
    database: Database,
) -> None:
    await post_deployed("edited")
    before = (await deployed_rows(database))["edited"]
    response = await client.put(
        "/dag/deployed/edited/",
        json={
            "description": None,
            "config_schema": {"type": "object", "properties": {}},
            "instance_checks_schema": {"a": 1},
            "solution_checks_schema": {"b": 2},
            "kpis_schema": {"c": 3},
        },
        headers=headers["service"],
    )
    assert (response.status_code, response.json()) == UPDATED
    row = (await deployed_rows(database))["edited"]
    assert row.description is None
    assert row.config_schema == {"type": "object", "properties": {}}
    assert (row.instance_checks_schema, row.solution_checks_schema, row.kpis_schema) == (
        {"a": 1},
        {"b": 2},
        {"c": 3},
    )
    assert row.instance_schema == before.instance_schema
    assert row.solution_schema == before.solution_schema
    assert row.updated_at > before.updated_at


async def test_update_access(
    walk_roles: Callable[..., Any], post_deployed: Callable[..., Any]
) -> None:
    await post_deployed("walk-edit")
    body = {"instance_checks_schema": {}, "solution_checks_schema": {}, "kpis_schema": {}}
    await walk_roles("PUT", "/dag/deployed/walk-edit/", expect_roles(SERVICE, UPDATED), json=body)


async def test_update_of_an_unknown_workflow_is_404(
    client: AsyncClient, headers: dict[str, dict[str, str]]
) -> None:
    body = {"instance_checks_schema": {}, "solution_checks_schema": {}, "kpis_schema": {}}
    response = await client.put("/dag/deployed/nope/", json=body, headers=headers["service"])
    assert (response.status_code, response.json()) == NOT_FOUND


async def test_update_requires_the_checks_and_kpis_schemas(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    post_deployed: Callable[..., Any],
    database: Database,
) -> None:
    await post_deployed("strict")
    response = await client.put(
        "/dag/deployed/strict/",
        json={"instance_schema": None, "description": "changed"},
        headers=headers["service"],
    )
    expected = {
        "json": {
            "instance_schema": ["Field may not be null."],
            "instance_checks_schema": ["Missing data for required field."],
            "solution_checks_schema": ["Missing data for required field."],
            "kpis_schema": ["Missing data for required field."],
        }
    }
    assert (response.status_code, response.json()) == (400, {"error": str(expected)})
    assert (await deployed_rows(database))["strict"].description == "strict workflow"


async def test_update_grants_permissions_to_users_created_since(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    post_deployed: Callable[..., Any],
    database: Database,
    accounts: dict[str, Any],
) -> None:
    await post_deployed("regrant")
    async with database.sessionmaker() as session, session.begin():
        await session.execute(delete(PermissionDag).where(PermissionDag.dag_id == "regrant"))
    assert await dag_permissions(database, "regrant") == set()

    body = {"instance_checks_schema": {}, "solution_checks_schema": {}, "kpis_schema": {}}
    response = await client.put("/dag/deployed/regrant/", json=body, headers=headers["service"])

    assert response.status_code == 200
    assert await dag_permissions(database, "regrant") == {a.id for a in accounts.values()}


async def test_put_on_the_list_and_post_on_a_detail_are_not_routed(
    client: AsyncClient, headers: dict[str, dict[str, str]]
) -> None:
    # PUT /dag/deployed/ is PUT /dag/<idx>/ for an execution called "deployed".
    response = await client.put("/dag/deployed/", json={}, headers=headers["service"])
    assert (response.status_code, response.json()) == (
        404,
        {"error": "The execution does not exist."},
    )
    response = await client.post("/dag/deployed/x/", json={}, headers=headers["service"])
    assert response.status_code == 405
    response = await client.delete("/dag/deployed/", headers=headers["planner"])
    assert response.status_code == 405
