"""/instancefile/: instances from MPS and LP files."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pulp
import pytest
from httpx import AsyncClient
from instances.instance_support import BASE_KEYS, load_instance
from sqlalchemy import func, select

from cornflow_fastapi.instances import model_reader, pulp_files
from cornflow_fastapi.models import Instance
from cornflow_fastapi.records.identifiers import data_hash
from cornflow_support import DENIED, NO_TOKEN, Account
from svckit.db import Database

Headers = dict[str, dict[str, str]]

# max x + 4y + 9z  s.t.  x + y <= 5,  x + z >= 10,  z - y = 7.5,  x <= 4,  -1 <= y <= 1,  z
# integer: z is 7 or 8, y = z - 7.5. Maximised: x=4, y=0.5, z=8 (78); minimised: x=3,
# y=-0.5, z=7 (64).
MAXIMUM, MINIMUM = 78.0, 64.0
MPS_MODEL = """\
*SENSE:Maximize
NAME          test
ROWS
 N  obj
 L  c1
 G  c2
 E  c3
COLUMNS
    x         c1         1.000000000000e+00
    x         c2         1.000000000000e+00
    x         obj        1.000000000000e+00
    y         c1         1.000000000000e+00
    y         c3        -1.000000000000e+00
    y         obj        4.000000000000e+00
    MARK      'MARKER'                 'INTORG'
    z         c2         1.000000000000e+00
    z         c3         1.000000000000e+00
    z         obj        9.000000000000e+00
    MARK      'MARKER'                 'INTEND'
RHS
    RHS       c1         5.000000000000e+00
    RHS       c2         1.000000000000e+01
    RHS       c3         7.500000000000e+00
BOUNDS
 UP BND       x          4.000000000000e+00
 LO BND       y         -1.000000000000e+00
 UP BND       y          1.000000000000e+00
 LO BND       z          0.000000000000e+00
ENDATA
"""
LP_MODEL = """\
\\* test *\\
Maximize
obj: x + 4 y + 9 z
Subject To
c1: x + y <= 5
c2: x + z >= 10
c3: - y + z = 7.5
Bounds
 x <= 4
 -1 <= y <= 1
 0 <= z
Generals
z
End
"""


def upload(
    content: str | bytes,
    filename: str = "model.mps",
    *,
    name: str = "from file",
    description: str | None = "uploaded",
    **fields: str,
) -> dict[str, Any]:
    """httpx arguments of a multipart upload."""
    form = {"name": name, **fields}
    if description is not None:
        form["description"] = description
    raw = content.encode() if isinstance(content, str) else content
    return {"data": form, "files": {"file": (filename, raw, "application/octet-stream")}}


async def count_instances(database: Database) -> int:
    async with database.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Instance)) or 0)


async def solved_objective(model: dict[str, Any]) -> float:
    def solve() -> float:
        _variables, problem = pulp.LpProblem.fromDict(model)
        problem.solve(pulp.PULP_CBC_CMD(msg=False))
        assert pulp.LpStatus[problem.status] == "Optimal"
        return float(pulp.value(problem.objective))

    return await asyncio.to_thread(solve)


async def test_upload_access(walk_roles: Callable[..., Any], database: Database) -> None:
    created = (201, ...)
    await walk_roles(
        "POST",
        "/instancefile/",
        {
            None: NO_TOKEN,
            "service": created,
            "admin": created,
            "planner": created,
            "viewer": DENIED,
            "dummy": DENIED,
            "norole": DENIED,
        },
        **upload(MPS_MODEL),
    )
    assert await count_instances(database) == 3


async def test_mps_file_becomes_a_model_that_solves(
    client: AsyncClient, headers: Headers, database: Database, accounts: dict[str, Account]
) -> None:
    response = await client.post(
        "/instancefile/", headers=headers["planner"], **upload(MPS_MODEL, minimize="false")
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert list(body) == [*BASE_KEYS, "executions"]
    assert body["schema"] == "solve_model_dag"
    assert body["executions"] == []
    assert (body["name"], body["description"]) == ("from file", "uploaded")
    assert body["user_id"] == accounts["planner"].id
    instance = await load_instance(database, body["id"])
    assert instance is not None
    assert body["data_hash"] == data_hash(instance.data)
    assert instance.data["parameters"] == {
        "name": "test",
        "sense": -1,
        "status": 0,
        "sol_status": 0,
    }
    assert await solved_objective(instance.data) == MAXIMUM


async def test_mps_file_is_read_as_pulp_reads_it(
    client: AsyncClient, headers: Headers, database: Database, tmp_path: Any
) -> None:
    path = tmp_path / "model.mps"
    path.write_text(MPS_MODEL)
    _variables, problem = pulp.LpProblem.fromMPS(str(path), sense=pulp.LpMinimize)
    response = await client.post("/instancefile/", headers=headers["planner"], **upload(MPS_MODEL))
    instance = await load_instance(database, response.json()["id"])
    assert instance is not None
    assert instance.data == problem.toDict()
    assert await solved_objective(instance.data) == MINIMUM


@pytest.mark.parametrize(("minimize", "objective"), [(None, MINIMUM), ("false", MAXIMUM)])
async def test_lp_file_becomes_a_model_that_solves(
    client: AsyncClient,
    headers: Headers,
    database: Database,
    minimize: str | None,
    objective: float,
) -> None:
    fields = {} if minimize is None else {"minimize": minimize}
    response = await client.post(
        "/instancefile/", headers=headers["planner"], **upload(LP_MODEL, "Model.LP", **fields)
    )
    assert response.status_code == 201, response.text
    instance = await load_instance(database, response.json()["id"])
    assert instance is not None
    model = instance.data
    assert [variable["name"] for variable in model["variables"]] == ["x", "y", "z"]
    assert [variable["cat"] for variable in model["variables"]] == [
        "Continuous",
        "Continuous",
        "Integer",
    ]
    assert [constraint["name"] for constraint in model["constraints"]] == ["c1", "c2", "c3"]
    assert await solved_objective(model) == objective


async def test_upload_without_a_file(client: AsyncClient, headers: Headers) -> None:
    response = await client.post(
        "/instancefile/",
        headers=headers["planner"],
        data={"name": "n", "description": "d"},
    )
    assert response.status_code == 400
    assert response.json() == {"error": "No file was provided"}


async def test_upload_under_another_field_name(client: AsyncClient, headers: Headers) -> None:
    response = await client.post(
        "/instancefile/",
        headers=headers["planner"],
        data={"name": "n", "description": "d"},
        files={"model": ("model.mps", MPS_MODEL.encode(), "text/plain")},
    )
    assert response.json() == {"error": "No file was provided"}


@pytest.mark.parametrize("filename", ["model.txt", "model", "../.mps", "modèle.json"])
async def test_upload_of_another_extension(
    client: AsyncClient, headers: Headers, database: Database, filename: str
) -> None:
    response = await client.post(
        "/instancefile/", headers=headers["planner"], **upload(MPS_MODEL, filename)
    )
    assert response.status_code == 400
    assert response.json() == {"error": pulp_files.EXTENSION_ERROR}
    assert await count_instances(database) == 0


async def test_upload_of_a_file_without_a_name(client: AsyncClient, headers: Headers) -> None:
    # What a browser sends when no file was chosen: a file part whose file name is empty.
    body = (
        b"--xyz\r\n"
        b'Content-Disposition: form-data; name="name"\r\n\r\nn\r\n'
        b"--xyz\r\n"
        b'Content-Disposition: form-data; name="description"\r\n\r\nd\r\n'
        b"--xyz\r\n"
        b'Content-Disposition: form-data; name="file"; filename=""\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n\r\n"
        b"--xyz--\r\n"
    )
    response = await client.post(
        "/instancefile/",
        headers={**headers["planner"], "Content-Type": "multipart/form-data; boundary=xyz"},
        content=body,
    )
    assert response.status_code == 400
    assert response.json() == {"error": pulp_files.EXTENSION_ERROR}


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"description": "d"}, {"name": ["Missing data for required field."]}),
        ({"name": "n"}, {"description": ["Missing data for required field."]}),
        (
            {"name": "n", "description": "d", "minimize": "perhaps"},
            {"minimize": ["Not a valid boolean."]},
        ),
        ({"name": "n", "description": "d", "extra": "1"}, {"extra": ["Unknown field."]}),
        ({"name": "n", "description": "d", "file": "not a file"}, {"file": ["Unknown field."]}),
    ],
)
async def test_upload_refuses_malformed_forms(
    client: AsyncClient,
    headers: Headers,
    database: Database,
    fields: dict[str, str],
    error: dict[str, Any],
) -> None:
    response = await client.post(
        "/instancefile/",
        headers=headers["planner"],
        data=fields,
        files={"upload": ("model.mps", MPS_MODEL.encode(), "text/plain")},
    )
    assert response.status_code == 400
    assert response.json() == {"error": str({"form": error})}
    assert await count_instances(database) == 0


async def test_upload_of_a_json_body(client: AsyncClient, headers: Headers) -> None:
    response = await client.post(
        "/instancefile/", headers=headers["planner"], json={"name": "n", "description": "d"}
    )
    assert response.json() == {
        "error": str({"form": {"name": ["Missing data for required field."]}})
    }


async def test_upload_of_a_malformed_multipart_body(client: AsyncClient, headers: Headers) -> None:
    response = await client.post(
        "/instancefile/",
        headers={**headers["planner"], "Content-Type": "multipart/form-data; boundary=xyz"},
        content=b"--xyz\r\nno headers here",
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": str({"form": {"name": ["Missing data for required field."]}})
    }


@pytest.mark.parametrize(
    ("content", "filename", "error"),
    [
        (b"\x00\xff\xfe not text", "bad.mps", "Error reading or parsing the MPS file."),
        (MPS_MODEL.replace("RHS\n", "\nRHS\n"), "blank.mps", "Error reading or parsing the MPS file."),
        (MPS_MODEL.replace(" c2         1.0", " c9         1.0"), "row.mps", "Error reading or parsing the MPS file."),
        (MPS_MODEL.replace("5.000000000000e+00", "five"), "rhs.mps", "Error reading or parsing the MPS file."),
        (MPS_MODEL.replace(" L  c1", " Q  c1"), "sense.mps", "Error reading or parsing the MPS file."),
        (MPS_MODEL.replace("4.000000000000e+00\n", "nan\n"), "nan.mps", "The model has numbers that are not finite."),
        (b"this is not an lp", "bad.lp", "Error reading or parsing the LP file."),
        (LP_MODEL.replace("c1: x + y <= 5", "c1: 1 <= x + y <= 5"), "range.lp", "Error reading or parsing the LP file."),
        (b"\x00\xff\xfe", "binary.lp", "Error reading or parsing the LP file."),
    ],
)  # fmt: skip
async def test_upload_of_a_malformed_model(
    client: AsyncClient,
    headers: Headers,
    database: Database,
    content: str | bytes,
    filename: str,
    error: str,
) -> None:
    response = await client.post(
        "/instancefile/", headers=headers["planner"], **upload(content, filename)
    )
    assert response.status_code == 400
    assert response.json() == {"error": error}
    assert await count_instances(database) == 0


async def test_infinite_bounds_are_stored_as_unbounded(
    client: AsyncClient, headers: Headers, database: Database
) -> None:
    content = MPS_MODEL.replace(" UP BND       x          4.000000000000e+00", " UP BND x inf")
    response = await client.post("/instancefile/", headers=headers["planner"], **upload(content))
    assert response.status_code == 201, response.text
    instance = await load_instance(database, response.json()["id"])
    assert instance is not None
    assert instance.data["variables"][0] == {
        "lowBound": 0,
        "upBound": None,
        "cat": "Continuous",
        "varValue": None,
        "dj": None,
        "name": "x",
    }


async def test_upload_over_the_file_limit(
    build_client: Callable[..., Any], headers: Headers, database: Database
) -> None:
    size = len(MPS_MODEL.encode())
    async with build_client(max_instance_file_bytes=size - 1) as limited:
        response = await limited.post(
            "/instancefile/", headers=headers["planner"], **upload(MPS_MODEL)
        )
    assert response.status_code == 413
    assert await count_instances(database) == 0
    async with build_client(max_instance_file_bytes=size) as limited:
        response = await limited.post(
            "/instancefile/", headers=headers["planner"], **upload(MPS_MODEL)
        )
    assert response.status_code == 201
    assert await count_instances(database) == 1


async def test_upload_over_the_body_limit(
    build_client: Callable[..., Any], headers: Headers, database: Database
) -> None:
    async with build_client(max_body_bytes=len(MPS_MODEL) // 2) as limited:
        response = await limited.post(
            "/instancefile/", headers=headers["planner"], **upload(MPS_MODEL)
        )
    assert response.status_code == 413
    assert await count_instances(database) == 0


def test_a_ranged_row_becomes_two_constraints() -> None:
    assert model_reader._sides("r", 1.0, 3.0) == [
        ("r_lower", pulp.LpConstraintGE, 1.0),
        ("r_upper", pulp.LpConstraintLE, 3.0),
    ]
    assert model_reader._sides("f", float("-inf"), float("inf")) == []


@pytest.mark.parametrize(
    ("filename", "extension"),
    [
        ("a.mps", "mps"),
        ("A.MPS", "mps"),
        ("my model.lp", "lp"),
        ("dir/../x.lp", "lp"),
        ("x.mps.txt", None),
        (".mps", None),
        ("mps", None),
        ("ñ.lp", "lp"),
        (None, None),
    ],
)
def test_extension_of_a_file_name(filename: str | None, extension: str | None) -> None:
    assert pulp_files.extension_of(filename) == extension
