"""Cases made from instances and executions, copies, and instances made from cases."""

from typing import Any

import pytest
from cases.conftest import MakeCase, insert_execution, insert_instance, stored_case
from httpx import AsyncClient
from sqlalchemy import select

from cornflow_fastapi.models import Case, Instance
from cornflow_fastapi.records.identifiers import NULL_HASH, data_hash
from cornflow_support import Account, pulp_model
from svckit.db import Database

pytestmark = pytest.mark.usefixtures("workflows")

Headers = dict[str, dict[str, str]]
INSTANCE_ID = "a" * 40
EXECUTION_ID = "b" * 40


async def from_record(
    client: AsyncClient, headers: Headers, body: Any, role: str = "planner"
) -> tuple[int, Any]:
    body = {"name": "from record", "schema": "solve_model_dag", **body}
    response = await client.post("/case/instance/", json=body, headers=headers[role])
    return response.status_code, response.json()


async def test_a_case_from_an_instance(
    client: AsyncClient,
    headers: Headers,
    database: Database,
    accounts: dict[str, Account],
) -> None:
    await insert_instance(
        database, accounts["planner"], pulp_model(), idx=INSTANCE_ID, schema="solve_model_dag"
    )
    status, case = await from_record(
        client, headers, {"instance_id": INSTANCE_ID, "schema": "gc", "description": "d"}
    )
    assert status == 201
    # The case takes the instance's schema; the body's only names the workflow permission.
    assert (case["schema"], case["description"], case["path"]) == ("solve_model_dag", "d", "")
    assert (case["data_hash"], case["solution_hash"], case["is_dir"]) == (
        data_hash(pulp_model()),
        NULL_HASH,
        False,
    )
    row = await stored_case(database, case["id"])
    assert row is not None
    assert (row.data, row.checks, row.solution, row.kpis) == (
        pulp_model(),
        {"instance": []},
        None,
        None,
    )


async def test_a_case_from_an_execution_in_a_directory(
    client: AsyncClient,
    headers: Headers,
    database: Database,
    accounts: dict[str, Account],
    make_case: MakeCase,
) -> None:
    solution = {**pulp_model("solved"), "indicators": {"obj": 3}}
    await insert_instance(
        database, accounts["planner"], pulp_model(), idx=INSTANCE_ID, schema="solve_model_dag"
    )
    await insert_execution(
        database, accounts["planner"], INSTANCE_ID, idx=EXECUTION_ID, solution=solution
    )
    folder = await make_case(name="dir")
    status, case = await from_record(
        client, headers, {"execution_id": EXECUTION_ID, "parent_id": folder["id"]}
    )
    assert status == 201
    assert (case["path"], case["solution_hash"]) == (f"{folder['id']}/", data_hash(solution))
    row = await stored_case(database, case["id"])
    assert row is not None
    assert (row.data, row.checks) == (pulp_model(), {"instance": []})
    assert (row.solution, row.solution_checks, row.kpis) == (
        solution,
        {"solution": []},
        {"kpi": 1},
    )


async def test_refusals_of_cases_from_records(
    client: AsyncClient,
    headers: Headers,
    database: Database,
    accounts: dict[str, Account],
    make_case: MakeCase,
) -> None:
    await insert_instance(database, accounts["admin"], {}, idx=INSTANCE_ID, schema="gc")
    await insert_execution(database, accounts["admin"], INSTANCE_ID, idx=EXECUTION_ID, solution={})
    no_source = (400, {"error": "You must provide a valid instance_id OR an execution_id"})
    assert await from_record(client, headers, {}) == no_source
    both = {"instance_id": INSTANCE_ID, "execution_id": EXECUTION_ID}
    assert await from_record(client, headers, both) == no_source
    assert await from_record(client, headers, {"instance_id": INSTANCE_ID}) == (
        404,
        {"error": "Instance does not exist."},
    )
    assert await from_record(client, headers, {"execution_id": EXECUTION_ID}) == (
        404,
        {"error": "Execution does not exist."},
    )
    assert await from_record(client, headers, {"instance_id": None}) == (
        400,
        {"error": "{'json': {'instance_id': ['Field may not be null.']}}"},
    )
    case = await make_case("admin", name="c", data={}, schema="gc")
    assert await from_record(
        client, headers, {"instance_id": INSTANCE_ID, "parent_id": case["id"]}, role="admin"
    ) == (400, {"error": "Parent cannot be a case"})
    status, _ = await from_record(client, headers, {"execution_id": EXECUTION_ID}, role="admin")
    assert status == 201


async def test_copies(
    client: AsyncClient,
    headers: Headers,
    make_case: MakeCase,
    database: Database,
    accounts: dict[str, Account],
) -> None:
    folder = await make_case(name="dir", schema="gc")
    original = await make_case(
        name="c",
        description="d",
        schema="gc",
        parent_id=folder["id"],
        data={"a": 1},
        checks={"c": 1},
        solution={"indicators": {"x": 1}},
        kpis={"k": 1},
    )
    response = await client.post(f"/case/{original['id']}/copy/", headers=headers["admin"])
    assert response.status_code == 201
    copy = response.json()
    assert copy["id"] != original["id"]
    assert copy["name"] == "Copy_c"
    # A copy is made at the root and belongs to whoever copied it.
    assert (copy["path"], copy["user_id"]) == ("", accounts["admin"].id)
    for key in ("description", "schema", "data_hash", "solution_hash", "is_dir"):
        assert copy[key] == original[key], key
    row = await stored_case(database, copy["id"])
    assert row is not None
    assert (row.data, row.checks, row.solution, row.kpis) == (
        {"a": 1},
        {"c": 1},
        {"indicators": {"x": 1}},
        {"k": 1},
    )
    missing = await client.post("/case/999999/copy/", headers=headers["planner"])
    assert missing.status_code == 404


async def stored_instance(database: Database, idx: str) -> Instance:
    async with database.sessionmaker() as session:
        instance = await session.scalar(select(Instance).where(Instance.id == idx))
    assert instance is not None
    return instance


async def test_instances_from_cases(
    client: AsyncClient,
    headers: Headers,
    make_case: MakeCase,
    database: Database,
    accounts: dict[str, Account],
) -> None:
    case = await make_case(name="c", description="d", data=pulp_model())
    response = await client.post(f"/case/{case['id']}/instance/", headers=headers["admin"])
    assert response.status_code == 201
    body = response.json()
    assert list(body) == ["id", "schema"]
    assert body["schema"] == "solve_model_dag"
    assert len(body["id"]) == 40
    instance = await stored_instance(database, body["id"])
    assert (instance.name, instance.description, instance.user_id) == (
        "instance_from_c",
        "Instance created from d",
        accounts["admin"].id,
    )
    assert (instance.data, instance.data_hash, instance.checks) == (
        pulp_model(),
        data_hash(pulp_model()),
        None,
    )


async def test_an_instance_from_a_case_without_description(
    client: AsyncClient, headers: Headers, make_case: MakeCase, database: Database
) -> None:
    case = await make_case(name="c", data={"free": "form"}, schema="gc")
    response = await client.post(f"/case/{case['id']}/instance/", headers=headers["planner"])
    assert response.status_code == 201, response.text
    instance = await stored_instance(database, response.json()["id"])
    assert (instance.description, instance.schema) == (None, "gc")


async def test_an_instance_needs_data_that_fits_the_workflow(
    client: AsyncClient, headers: Headers, make_case: MakeCase, database: Database
) -> None:
    folder = await make_case(name="dir", description="d")
    response = await client.post(f"/case/{folder['id']}/instance/", headers=headers["planner"])
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "The data sent is not valid"
    assert body["jsonschema_errors"][0].startswith("None is not of type 'object'")
    # `pulp` names solve_model_dag here.
    pulp = await make_case(name="p", description="d", data=pulp_model(), schema="gc")
    async with database.sessionmaker() as session, session.begin():
        row = await session.get(Case, pulp["id"])
        assert row is not None
        row.schema = "pulp"
    response = await client.post(f"/case/{pulp['id']}/instance/", headers=headers["planner"])
    assert (response.status_code, response.json()["schema"]) == (201, "pulp")
    unknown = await make_case(name="dir", description="d", schema="nodag")
    response = await client.post(f"/case/{unknown['id']}/instance/", headers=headers["planner"])
    assert (response.status_code, response.json()) == (
        404,
        {"error": "The DAG nodag does not exist in the database."},
    )
