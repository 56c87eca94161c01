"""PATCH /case/<id>/data/ and GET /case/<a>/<b>/: JSON Patch both ways."""

import gzip
import json
from typing import Any

import jsonpatch  # type: ignore[import-untyped]
import pytest
from cases.conftest import MakeCase, stored_case
from httpx import AsyncClient

from cornflow_fastapi.records.identifiers import data_hash
from cornflow_support import Account, pulp_model
from svckit.db import Database

pytestmark = pytest.mark.usefixtures("workflows")

Headers = dict[str, dict[str, str]]
PATCHED = (200, {"message": "Patched correctly"})
INVALID_PATCH = (400, {"error": "The json patch sent is not valid"})


async def patch(
    client: AsyncClient, headers: Headers, idx: int, body: Any, role: str = "planner"
) -> tuple[int, Any]:
    response = await client.patch(f"/case/{idx}/data/", json=body, headers=headers[role])
    return response.status_code, response.json()


async def compare(
    client: AsyncClient, headers: Headers, a: int, b: int, role: str = "planner", **params: Any
) -> tuple[int, Any]:
    response = await client.get(f"/case/{a}/{b}/", params=params, headers=headers[role])
    return response.status_code, response.json()


def solved(name: str, **indicators: Any) -> dict[str, Any]:
    return {**pulp_model(name), "indicators": indicators}


async def test_compare_then_patch_turns_one_case_into_the_other(
    client: AsyncClient, headers: Headers, make_case: MakeCase, database: Database
) -> None:
    second_data = pulp_model("b")
    second_data["variables"].append({**second_data["variables"][0], "name": "z"})
    del second_data["sos2"]
    first = await make_case(name="a", data=pulp_model("a"), solution=solved("a", obj=1))
    second = await make_case(name="b", data=second_data, solution=solved("b", obj=2, gap=0))

    status, body = await compare(client, headers, first["id"], second["id"])
    assert status == 200
    assert list(body) == ["data_patch", "solution_patch"]
    expected = jsonpatch.make_patch(pulp_model("a"), second_data).patch
    assert body["data_patch"] == [
        {key: op[key] for key in ("op", "path", "value") if key in op} for op in expected
    ]
    assert {"op": "remove", "path": "/sos2"} in body["data_patch"]

    assert await patch(client, headers, first["id"], body) == PATCHED
    row = await stored_case(database, first["id"])
    assert row is not None
    assert row.data == second_data
    assert row.solution == solved("b", obj=2, gap=0)
    assert (row.data_hash, row.solution_hash) == (second["data_hash"], second["solution_hash"])
    assert await compare(client, headers, first["id"], second["id"]) == (
        200,
        {"data_patch": [], "solution_patch": []},
    )


async def test_compare_parts_and_directions(
    client: AsyncClient, headers: Headers, make_case: MakeCase
) -> None:
    first = await make_case(name="a", data={"x": 1}, schema="gc", solution={"s": 1})
    second = await make_case(name="b", data={"x": 2}, schema="gc")
    a, b = first["id"], second["id"]
    assert await compare(client, headers, a, b) == (
        200,
        {
            "data_patch": [{"op": "replace", "path": "/x", "value": 2}],
            "solution_patch": [{"op": "replace", "path": "", "value": None}],
        },
    )
    assert await compare(client, headers, b, a, solution="false") == (
        200,
        {"data_patch": [{"op": "replace", "path": "/x", "value": 1}]},
    )
    assert await compare(client, headers, a, b, data=0, solution="no") == (200, {})
    assert await compare(client, headers, a, b, data="maybe") == (
        400,
        {"error": "{'query': {'data': ['Not a valid boolean.']}}"},
    )


async def test_compare_refusals(client: AsyncClient, headers: Headers, make_case: MakeCase) -> None:
    a = (await make_case(name="a", data={}, schema="gc"))["id"]
    b = (await make_case(name="b", data={}, schema="timer"))["id"]
    admins = (await make_case("admin", name="x", data={}, schema="gc"))["id"]
    assert await compare(client, headers, a, a) == (
        400,
        {"error": "The case identifiers should be different."},
    )
    assert await compare(client, headers, a, b) == (
        400,
        {"error": "The cases asked to compare do not share the same schema"},
    )
    first = (404, {"error": "You don't have access to the first case or it doesn't exist"})
    second = (404, {"error": "You don't have access to the second case or it doesn't exist"})
    assert await compare(client, headers, admins, a) == first
    assert await compare(client, headers, a, admins) == second
    assert await compare(client, headers, 99999999999999999999, a) == first
    assert await compare(client, headers, a, 999999) == second
    assert (await compare(client, headers, admins, a, role="admin"))[0] == 200


async def test_patching_clears_checks_and_kpis_and_changes_the_owner(
    client: AsyncClient,
    headers: Headers,
    make_case: MakeCase,
    database: Database,
    accounts: dict[str, Account],
) -> None:
    case = await make_case(
        name="c",
        schema="gc",
        data={"a": 1},
        checks={"c": 1},
        solution={"s": 1},
        solution_checks={"sc": 1},
        kpis={"k": 1},
    )
    body = {"solution_patch": [{"op": "add", "path": "/t", "value": [1]}]}
    assert await patch(client, headers, case["id"], body, role="admin") == PATCHED
    row = await stored_case(database, case["id"])
    assert row is not None
    assert (row.solution, row.solution_hash) == ({"s": 1, "t": [1]}, data_hash({"s": 1, "t": [1]}))
    assert (row.checks, row.solution_checks, row.kpis) == ({"c": 1}, None, None)
    assert row.user_id == accounts["admin"].id

    body = {"data_patch": [{"op": "remove", "path": "/a"}]}
    assert await patch(client, headers, case["id"], body, role="admin") == PATCHED
    row = await stored_case(database, case["id"])
    assert row is not None
    assert (row.data, row.data_hash, row.checks) == ({}, data_hash({}), None)


@pytest.mark.parametrize(
    "operations",
    [
        [{"op": "replace", "path": "/missing", "value": 1}],
        [{"op": "remove", "path": "/missing"}],
        [{"op": "add", "path": "no-slash", "value": 1}],
        [{"op": "add", "path": "/list/7", "value": 1}],
        [{"op": "test", "path": "/a", "value": 2}],
        [{"op": "frobnicate", "path": "/a", "value": 2}],
        [{"op": "add", "path": "/b"}],
        [{"op": "move", "path": "/b"}],
        # The first operation applies, the second does not: nothing is kept.
        [{"op": "replace", "path": "/a", "value": 5}, {"op": "remove", "path": "/nope"}],
    ],
)
async def test_patches_that_do_not_apply_change_nothing(
    client: AsyncClient,
    headers: Headers,
    make_case: MakeCase,
    database: Database,
    operations: list[dict[str, Any]],
) -> None:
    case = await make_case(name="c", schema="gc", data={"a": 1, "list": []}, kpis={"k": 1})
    before = await stored_case(database, case["id"])
    body = {"solution_patch": [{"op": "add", "path": "", "value": {}}], "data_patch": operations}
    assert await patch(client, headers, case["id"], body) == INVALID_PATCH
    after = await stored_case(database, case["id"])
    assert before is not None
    assert after is not None
    assert (after.data, after.solution, after.kpis, after.updated_at) == (
        before.data,
        before.solution,
        before.kpis,
        before.updated_at,
    )


async def test_a_directory_has_no_data_to_patch(
    client: AsyncClient, headers: Headers, make_case: MakeCase
) -> None:
    folder = await make_case(name="dir", schema="gc")
    body = {"data_patch": [{"op": "add", "path": "/a", "value": 1}]}
    assert await patch(client, headers, folder["id"], body) == INVALID_PATCH


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"data_patch": None}, {"data_patch": ["Field may not be null."]}),
        ({"data_patch": {"op": "add"}}, {"data_patch": ["Invalid type."]}),
        ({"solution_patch": "x"}, {"solution_patch": ["Invalid type."]}),
        (
            {
                "data_patch": [
                    1,
                    {"op": 1},
                    {"op": "copy", "path": "/a", "value": None, "from": "/b"},
                ],
                "zz": 1,
                "solution_patch": [{}],
            },
            {
                "data_patch": {
                    0: {"_schema": ["Invalid input type."]},
                    1: {
                        "op": ["Not a valid string."],
                        "path": ["Missing data for required field."],
                    },
                    2: {"value": ["Field may not be null."], "from": ["Unknown field."]},
                },
                "solution_patch": {
                    0: {
                        "op": ["Missing data for required field."],
                        "path": ["Missing data for required field."],
                    }
                },
                "zz": ["Unknown field."],
            },
        ),
    ],
)
async def test_malformed_patch_bodies(
    client: AsyncClient, headers: Headers, make_case: MakeCase, body: Any, error: Any
) -> None:
    case = await make_case(name="c", schema="gc", data={"a": 1})
    assert await patch(client, headers, case["id"], body) == (400, {"error": str({"json": error})})


async def test_gzip_patches_and_empty_patches(
    client: AsyncClient, headers: Headers, make_case: MakeCase, database: Database
) -> None:
    case = await make_case(name="c", schema="gc", data={"a": 1})
    body = {"data_patch": [{"op": "replace", "path": "/a", "value": "zipped"}]}
    response = await client.patch(
        f"/case/{case['id']}/data/",
        content=gzip.compress(json.dumps(body).encode()),
        headers={
            **headers["planner"],
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
        },
    )
    assert (response.status_code, response.json()) == PATCHED
    assert await patch(client, headers, case["id"], {}) == PATCHED
    assert await patch(client, headers, case["id"], {"data_patch": []}) == PATCHED
    row = await stored_case(database, case["id"])
    assert row is not None
    assert row.data == {"a": "zipped"}
