"""/schema/, /schema/<dag>/ and /example/<dag>/[<name>/]: what a user may read of a workflow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import delete
from workflows.conftest import expect_roles

from cornflow_fastapi.apps.discovery import load_apps
from cornflow_fastapi.apps.registration import register_dag_permissions
from cornflow_fastapi.models import DeployedWorkflow, PermissionDag
from cornflow_support import pulp_workflow
from svckit.db import Database

READERS = ("service", "admin", "planner", "viewer")
PLANNING = ("admin", "planner", "viewer")
NO_SCHEMA_PERMISSION = (403, {"error": "User does not have permission to access this dag"})
NO_EXAMPLE_PERMISSION = (403, {"error": "User does not have permission to access this dag."})
NOT_REACHABLE = (400, {"error": "Airflow is not reachable"})


@pytest.fixture
async def knapsack(database: Database) -> dict[str, Any]:
    """The installed knapsack app registered as a workflow every user may use."""
    [app] = [app for app in load_apps(()).values() if app.name == "knapsack"]
    async with database.sessionmaker() as session, session.begin():
        session.add(DeployedWorkflow(id="knapsack", description=app.description))
        await session.flush()
        await register_dag_permissions(session, open_deployment=1)
    return {example["name"]: example for example in app.examples()}


async def revoke(database: Database, user_id: int, workflow: str) -> None:
    async with database.sessionmaker() as session, session.begin():
        await session.execute(
            delete(PermissionDag).where(
                PermissionDag.user_id == user_id, PermissionDag.dag_id == workflow
            )
        )


# --- /schema/ -------------------------------------------------------------------------------


async def test_schema_list_access(walk_roles: Callable[..., Any], workflows: list[str]) -> None:
    # Permission rows are granted in workflow id order.
    names = [{"name": name} for name in sorted(workflows)]
    await walk_roles("GET", "/schema/", expect_roles(READERS, (200, names)))


async def test_schema_list_shows_only_permitted_workflows(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    workflows: list[str],
    database: Database,
    accounts: dict[str, Any],
) -> None:
    await revoke(database, accounts["viewer"].id, "timer")
    response = await client.get("/schema/", headers=headers["viewer"])
    assert response.json() == [{"name": name} for name in sorted(workflows) if name != "timer"]


async def test_schema_list_is_empty_without_workflows(
    client: AsyncClient, headers: dict[str, dict[str, str]]
) -> None:
    response = await client.get("/schema/", headers=headers["planner"])
    assert (response.status_code, response.json()) == (200, [])


async def test_schema_detail_access_and_key_order(
    walk_roles: Callable[..., Any],
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    workflows: list[str],
) -> None:
    row = pulp_workflow()
    expected = {
        "name": "solve_model_dag",
        "instance": row["instance_schema"],
        "solution": row["solution_schema"],
        "config": row["config_schema"],
        "instance_checks": {},
        "solution_checks": {},
        "kpis": {},
    }
    await walk_roles("GET", "/schema/solve_model_dag/", expect_roles(READERS, (200, expected)))
    response = await client.get("/schema/solve_model_dag/", headers=headers["viewer"])
    assert list(response.json()) == list(expected)


async def test_schema_detail_without_permission(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    workflows: list[str],
    database: Database,
    accounts: dict[str, Any],
) -> None:
    await revoke(database, accounts["admin"].id, "gc")
    response = await client.get("/schema/gc/", headers=headers["admin"])
    assert (response.status_code, response.json()) == NO_SCHEMA_PERMISSION
    response = await client.get("/schema/unknown/", headers=headers["planner"])
    assert (response.status_code, response.json()) == NO_SCHEMA_PERMISSION


async def test_schema_detail_shows_null_schemas(
    client: AsyncClient, headers: dict[str, dict[str, str]], knapsack: dict[str, Any]
) -> None:
    response = await client.get("/schema/knapsack/", headers=headers["planner"])
    assert response.json() == {
        "name": "knapsack",
        "instance": None,
        "solution": None,
        "config": None,
        "instance_checks": None,
        "solution_checks": None,
        "kpis": None,
    }


# --- /example/ ------------------------------------------------------------------------------


async def test_example_list_access(
    walk_roles: Callable[..., Any], knapsack: dict[str, Any]
) -> None:
    summaries = [
        {"name": name, "description": example["description"]} for name, example in knapsack.items()
    ]
    await walk_roles("GET", "/example/knapsack/", expect_roles(PLANNING, (200, summaries)))


async def test_example_detail_access(
    walk_roles: Callable[..., Any], knapsack: dict[str, Any]
) -> None:
    small = knapsack["small"]
    expected = {
        "name": "small",
        "description": small["description"],
        "instance": small["instance"],
        "solution": small["solution"],
    }
    await walk_roles("GET", "/example/knapsack/small/", expect_roles(READERS, (200, expected)))


async def test_an_unknown_example_is_404(
    client: AsyncClient, headers: dict[str, dict[str, str]], knapsack: dict[str, Any]
) -> None:
    response = await client.get("/example/knapsack/huge/", headers=headers["planner"])
    assert (response.status_code, response.json()) == (
        404,
        {"error": "The example does not exist"},
    )


async def test_examples_need_the_dag_permission(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    knapsack: dict[str, Any],
    database: Database,
    accounts: dict[str, Any],
) -> None:
    await revoke(database, accounts["viewer"].id, "knapsack")
    for url in ("/example/knapsack/", "/example/knapsack/small/", "/example/nodag/"):
        response = await client.get(url, headers=headers["viewer"])
        assert (response.status_code, response.json()) == NO_EXAMPLE_PERMISSION, url


async def test_examples_of_a_workflow_that_is_not_installed(
    client: AsyncClient, headers: dict[str, dict[str, str]], workflows: list[str]
) -> None:
    response = await client.get("/example/timer/", headers=headers["admin"])
    assert (response.status_code, response.json()) == (
        404,
        {"error": "The workflow timer is not installed on this server"},
    )


async def test_examples_with_an_unreachable_airflow(
    build_client: Callable[..., Any],
    headers: dict[str, dict[str, str]],
    knapsack: dict[str, Any],
) -> None:
    async with build_client(cornflow_backend="airflow") as airflow_client:
        for url in ("/example/knapsack/", "/example/knapsack/small/"):
            response = await airflow_client.get(url, headers=headers["planner"])
            assert (response.status_code, response.json()) == NOT_REACHABLE, url
        # The permission is checked first.
        response = await airflow_client.get("/example/nodag/", headers=headers["planner"])
        assert (response.status_code, response.json()) == NO_EXAMPLE_PERMISSION
