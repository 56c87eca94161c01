"""/instance/, /instance/<idx>/ and /instance/<idx>/data/."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient
from instances.instance_support import (
    BASE_KEYS,
    DELETED,
    NOT_FOUND,
    UPDATED,
    add_execution,
    create_instance,
    load_execution,
    load_instance,
)
from sqlalchemy import delete, func, select, update

from cornflow_fastapi.instances.service import MAX_DEPTH
from cornflow_fastapi.models import DeployedWorkflow, Instance, PermissionDag
from cornflow_fastapi.records.identifiers import data_hash, new_instance_id
from cornflow_fastapi.records.listing import MAX_LIMIT
from cornflow_support import DENIED, NO_TOKEN, Account, open_workflow, pulp_model
from svckit.db import Database

pytestmark = pytest.mark.usefixtures("workflows")

Headers = dict[str, dict[str, str]]
INVALID = "The data sent is not valid"


def base(instance: Instance) -> dict[str, Any]:
    return {
        "id": instance.id,
        "name": instance.name,
        "description": instance.description,
        "created_at": instance.created_at.isoformat(),
        "user_id": instance.user_id,
        "data_hash": instance.data_hash,
        "schema": instance.schema,
    }


def execution_base(execution: Any) -> dict[str, Any]:
    return {
        "id": execution.id,
        "name": execution.name,
        "description": execution.description,
        "created_at": execution.created_at.isoformat(),
        "user_id": execution.user_id,
        "data_hash": execution.data_hash,
        "schema": execution.schema,
        "config": execution.config,
        "instance_id": execution.instance_id,
        "state": execution.state,
        "message": execution.state_message,
    }


async def stored(database: Database, instance_id: str) -> Instance:
    instance = await load_instance(database, instance_id)
    assert instance is not None
    return instance


async def count_instances(database: Database) -> int:
    async with database.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Instance)) or 0)


def planner_only_reads(success: tuple[int, Any]) -> dict[str | None, tuple[int, Any]]:
    """Answers to a read of the planner's instance: the viewer does not own it."""
    return {
        None: NO_TOKEN,
        "service": success,
        "admin": success,
        "planner": success,
        "viewer": NOT_FOUND,
        "dummy": DENIED,
        "norole": DENIED,
    }


def writers(success: tuple[int, Any]) -> dict[str | None, tuple[int, Any]]:
    return {
        None: NO_TOKEN,
        "service": success,
        "admin": success,
        "planner": success,
        "viewer": DENIED,
        "dummy": DENIED,
        "norole": DENIED,
    }


# --- access matrix (spec §3.3), one walk per route -------------------------------------------


async def test_list_access(
    walk_roles: Callable[..., Any], client: AsyncClient, headers: Headers, database: Database
) -> None:
    created = await create_instance(client, headers["planner"])
    item = base(await stored(database, created["id"]))
    await walk_roles(
        "GET",
        "/instance/",
        {
            None: NO_TOKEN,
            "service": (200, [item]),
            "admin": (200, [item]),
            "planner": (200, [item]),
            "viewer": (200, []),
            "dummy": DENIED,
            "norole": DENIED,
        },
    )


async def test_create_access(
    walk_roles: Callable[..., Any], database: Database, accounts: dict[str, Account]
) -> None:
    body = {"name": "walked", "data": pulp_model(), "schema": "solve_model_dag"}
    await walk_roles("POST", "/instance/", writers((201, ...)), json=body)
    async with database.sessionmaker() as session:
        owners = (await session.execute(select(Instance.user_id))).scalars().all()
    assert sorted(owners) == sorted(accounts[key].id for key in ("service", "admin", "planner"))


async def test_detail_access(
    walk_roles: Callable[..., Any], client: AsyncClient, headers: Headers, database: Database
) -> None:
    created = await create_instance(client, headers["planner"])
    detail = {**base(await stored(database, created["id"])), "executions": []}
    await walk_roles("GET", f"/instance/{created['id']}/", planner_only_reads((200, detail)))


async def test_data_access(
    walk_roles: Callable[..., Any], client: AsyncClient, headers: Headers, database: Database
) -> None:
    created = await create_instance(client, headers["planner"], checks={"c": [1]})
    body = {
        **base(await stored(database, created["id"])),
        "data": pulp_model(),
        "checks": {"c": [1]},
    }
    await walk_roles("GET", f"/instance/{created['id']}/data/", planner_only_reads((200, body)))


async def test_update_access(
    walk_roles: Callable[..., Any],
    client: AsyncClient,
    headers: Headers,
    database: Database,
    accounts: dict[str, Account],
) -> None:
    created = await create_instance(client, headers["planner"])
    # The editor becomes the owner: once the service user has edited it, the instance is no
    # longer the planner's.
    await walk_roles(
        "PUT",
        f"/instance/{created['id']}/",
        {**writers(UPDATED), "planner": NOT_FOUND},
        json={"name": "renamed"},
    )
    instance = await stored(database, created["id"])
    assert instance.name == "renamed"
    assert instance.user_id == accounts["admin"].id


async def test_delete_access(
    walk_roles: Callable[..., Any], client: AsyncClient, headers: Headers, database: Database
) -> None:
    roles = ("service", "admin", "planner", "viewer", "dummy", "norole")
    ids = {role: (await create_instance(client, headers["planner"]))["id"] for role in roles}
    await walk_roles(
        "DELETE", lambda role: f"/instance/{ids[role or 'planner']}/", writers(DELETED)
    )
    for role in roles:
        gone = await load_instance(database, ids[role]) is None
        assert gone == (role in {"service", "admin", "planner"}), role


# --- ownership (spec §3.4) --------------------------------------------------------------------


async def test_someone_elses_instance_is_missing(
    client: AsyncClient, headers: Headers, database: Database
) -> None:
    created = await create_instance(client, headers["admin"])
    path = f"/instance/{created['id']}/"
    for role in ("planner", "viewer"):
        auth = headers[role]
        assert (await client.get(path, headers=auth)).json() == NOT_FOUND[1]
        assert (await client.get(path + "data/", headers=auth)).status_code == 404
        assert (await client.get("/instance/", headers=auth)).json() == []
    planner = headers["planner"]
    assert (await client.put(path, json={"name": "x"}, headers=planner)).json() == NOT_FOUND[1]
    assert (await client.delete(path, headers=planner)).status_code == 404
    instance = await stored(database, created["id"])
    assert instance.name == "instance"


async def test_admin_and_service_reach_everyones_instances(
    client: AsyncClient, headers: Headers
) -> None:
    created = await create_instance(client, headers["planner"])
    for role in ("admin", "service"):
        response = await client.get(f"/instance/{created['id']}/data/", headers=headers[role])
        assert response.status_code == 200
        assert response.json()["data"] == pulp_model()


async def test_everyone_reaches_everything_when_configured(
    build_client: Callable[..., Any], client: AsyncClient, headers: Headers, database: Database
) -> None:
    created = await create_instance(client, headers["admin"])
    path = f"/instance/{created['id']}/"
    async with build_client(user_access_all_objects=1) as shared:
        listed = (await shared.get("/instance/", headers=headers["viewer"])).json()
        assert [item["id"] for item in listed] == [created["id"]]
        assert (await shared.get(path, headers=headers["viewer"])).status_code == 200
        response = await shared.put(path, json={"name": "mine"}, headers=headers["planner"])
        assert response.json() == UPDATED[1]
        assert (await shared.delete(path, headers=headers["planner"])).json() == DELETED[1]
    assert await load_instance(database, created["id"]) is None


async def test_unknown_instance(client: AsyncClient, headers: Headers) -> None:
    path = "/instance/" + "0" * 40 + "/"
    auth = headers["admin"]
    assert (await client.get(path, headers=auth)).json() == NOT_FOUND[1]
    assert (await client.get(path + "data/", headers=auth)).json() == NOT_FOUND[1]
    assert (await client.put(path, json={}, headers=auth)).json() == NOT_FOUND[1]
    assert (await client.delete(path, headers=auth)).json() == NOT_FOUND[1]


# --- POST /instance/ ----------------------------------------------------------------------


async def test_create_answers_the_stored_instance(
    client: AsyncClient, headers: Headers, database: Database, accounts: dict[str, Account]
) -> None:
    response = await client.post(
        "/instance/",
        json={
            "name": "golden",
            "description": "d",
            "data": pulp_model(),
            "checks": {"errors": []},
            "schema": "solve_model_dag",
            "data_schema": "ignored",
        },
        headers=headers["planner"],
    )
    assert response.status_code == 201
    body = response.json()
    assert list(body) == [*BASE_KEYS, "executions"]
    instance = await stored(database, body["id"])
    assert body == {**base(instance), "executions": []}
    assert body["user_id"] == accounts["planner"].id
    assert body["data_hash"] == data_hash(pulp_model())
    assert instance.data == pulp_model()
    assert instance.checks == {"errors": []}
    assert instance.schema == "solve_model_dag"
    # sha1 of the aware creation instant and the owner, as the Flask server builds it.
    assert body["id"] == new_instance_id(instance.created_at.replace(tzinfo=UTC), instance.user_id)


async def test_create_without_schema_validates_as_pulp_but_stores_none(
    client: AsyncClient, headers: Headers, database: Database
) -> None:
    created = await create_instance(client, headers["planner"], schema=None)
    assert created["schema"] is None
    assert (await stored(database, created["id"])).schema is None
    response = await client.post(
        "/instance/", json={"name": "bad", "data": {"a": 1}}, headers=headers["planner"]
    )
    assert response.status_code == 400
    assert response.json()["error"] == INVALID


async def test_create_with_the_pulp_alias(
    client: AsyncClient, headers: Headers, database: Database
) -> None:
    created = await create_instance(client, headers["planner"], schema="pulp")
    assert (await stored(database, created["id"])).schema == "pulp"
    response = await client.post(
        "/instance/", json={"name": "bad", "data": {}, "schema": "pulp"}, headers=headers["planner"]
    )
    assert response.status_code == 400


async def test_create_on_an_open_workflow(client: AsyncClient, headers: Headers) -> None:
    created = await create_instance(client, headers["planner"], data=[1, "x"], schema="gc")
    assert created["schema"] == "gc"
    assert created["data_hash"] == data_hash([1, "x"])


async def test_create_refuses_data_that_fails_the_schema(
    client: AsyncClient, headers: Headers, database: Database
) -> None:
    response = await client.post(
        "/instance/",
        json={"name": "bad", "data": {"objective": {}}, "schema": "solve_model_dag"},
        headers=headers["planner"],
    )
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["jsonschema_errors", "error"]
    assert body["error"] == INVALID
    assert any("'constraints' is a required property" in e for e in body["jsonschema_errors"])
    assert await count_instances(database) == 0


async def test_create_for_an_unknown_workflow(client: AsyncClient, headers: Headers) -> None:
    response = await client.post(
        "/instance/", json={"name": "x", "data": {}, "schema": "nodag"}, headers=headers["planner"]
    )
    assert response.status_code == 404
    assert response.json() == {"error": "The DAG nodag does not exist in the database."}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"name": "x", "data": {}, "schema": None}, {"schema": ["Field may not be null."]}),
        ({"name": "x", "data": {}, "foo": 1}, {"foo": ["Unknown field."]}),
        (
            {},
            {
                "name": ["Missing data for required field."],
                "data": ["Missing data for required field."],
            },
        ),
        ({"name": 1, "data": {}}, {"name": ["Not a valid string."]}),
        ({"name": "x", "data": None}, {"data": ["Field may not be null."]}),
        (
            {"name": "x", "data": {}, "description": None},
            {"description": ["Field may not be null."]},
        ),
        ({"name": "x", "data": {}, "schema": 5}, {"schema": ["Not a valid string."]}),
        (
            {"name": "x", "data": {}, "data_schema": None},
            {"data_schema": ["Field may not be null."]},
        ),
    ],
)
async def test_create_refuses_malformed_bodies(
    client: AsyncClient,
    headers: Headers,
    database: Database,
    body: dict[str, Any],
    error: dict[str, Any],
) -> None:
    response = await client.post("/instance/", json=body, headers=headers["planner"])
    assert response.status_code == 400
    assert response.json() == {"error": str({"json": error})}
    assert await count_instances(database) == 0


async def test_create_accepts_null_checks(client: AsyncClient, headers: Headers) -> None:
    created = await create_instance(client, headers["planner"], checks=None)
    assert created["executions"] == []


async def test_create_refuses_malformed_json(
    client: AsyncClient, headers: Headers, database: Database
) -> None:
    response = await client.post(
        "/instance/",
        content=b'{"name": "x", "data": ',
        headers={**headers["planner"], "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json() == {"messages": {"json": ["Invalid JSON body."]}}
    assert await count_instances(database) == 0


async def test_create_refuses_numbers_json_cannot_hold(
    client: AsyncClient, headers: Headers, database: Database
) -> None:
    json_type = {**headers["planner"], "Content-Type": "application/json"}
    response = await client.post(
        "/instance/",
        content=b'{"name": "x", "data": {"a": NaN}, "schema": "gc"}',
        headers=json_type,
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("Unknown database error on saving with data")
    # The data is validated first, as on the Flask server, whose database refuses it later.
    response = await client.post(
        "/instance/", content=b'{"name": "x", "data": {"a": Infinity}}', headers=json_type
    )
    assert list(response.json()) == ["jsonschema_errors", "error"]
    assert await count_instances(database) == 0
    created = await create_instance(client, headers["planner"], data=[], schema="gc")
    response = await client.put(
        f"/instance/{created['id']}/", content=b'{"data": [-Infinity]}', headers=json_type
    )
    assert response.json() == {
        "error": f"Unknown database error on updating with data <Instance {created['id']}>"
    }
    assert (await stored(database, created["id"])).data == []


async def test_unreachable_airflow_for_a_schema_it_holds(
    build_client: Callable[..., Any], headers: Headers, database: Database
) -> None:
    async with database.sessionmaker() as session, session.begin():
        session.add(DeployedWorkflow(id="remote", description="schemas only in Airflow"))
    async with build_client(cornflow_backend="airflow") as airflow_client:
        response = await airflow_client.post(
            "/instance/",
            json={"name": "x", "data": {}, "schema": "remote"},
            headers=headers["admin"],
        )
    assert response.status_code == 400
    assert response.json() == {"error": "Airflow is not accessible"}
    assert await count_instances(database) == 0


@pytest.mark.parametrize(
    ("depth", "error"),
    [
        (100_000, {"messages": {"json": ["Invalid JSON body."]}}),
        (MAX_DEPTH + 1, {"error": f"The data sent is nested more than {MAX_DEPTH} levels deep"}),
    ],
)
async def test_create_refuses_data_nested_too_deeply(
    client: AsyncClient,
    headers: Headers,
    database: Database,
    depth: int,
    error: dict[str, Any],
) -> None:
    nested = '{"a":' * depth + "1" + "}" * depth
    body = '{"name": "deep", "schema": "gc", "data": ' + nested + "}"
    json_type = {**headers["planner"], "Content-Type": "application/json"}
    response = await client.post("/instance/", content=body.encode(), headers=json_type)
    assert response.status_code == 400
    assert response.json() == error
    assert await count_instances(database) == 0


async def test_create_stores_data_as_deep_as_allowed(client: AsyncClient, headers: Headers) -> None:
    deepest: Any = 1
    for _ in range(MAX_DEPTH):
        deepest = [deepest]
    created = await create_instance(client, headers["planner"], data=deepest, schema="gc")
    response = await client.get(f"/instance/{created['id']}/data/", headers=headers["planner"])
    assert response.json()["data"] == deepest


async def test_create_for_a_workflow_whose_schema_is_no_schema(
    client: AsyncClient, headers: Headers, database: Database
) -> None:
    async with database.sessionmaker() as session, session.begin():
        session.add(DeployedWorkflow(**{**open_workflow("broken"), "instance_schema": {"type": 5}}))
    response = await client.post(
        "/instance/", json={"name": "x", "data": {}, "schema": "broken"}, headers=headers["admin"]
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "The instance schema of the DAG broken is not a valid JSON schema"
    }


async def test_create_from_a_gzip_body(
    client: AsyncClient, headers: Headers, database: Database
) -> None:
    body = json.dumps({"name": "zipped", "data": pulp_model(), "schema": "solve_model_dag"})
    response = await client.post(
        "/instance/",
        content=gzip.compress(body.encode()),
        headers={
            **headers["planner"],
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
        },
    )
    assert response.status_code == 201, response.text
    assert (await stored(database, response.json()["id"])).data == pulp_model()


async def test_create_refuses_a_gzip_bomb(
    build_client: Callable[..., Any], headers: Headers, database: Database
) -> None:
    padding = "0" * 50_000
    body = json.dumps({"name": "bomb", "data": {"pad": padding}, "schema": "gc"})
    compressed = gzip.compress(body.encode())
    assert len(compressed) < 1_000
    async with build_client(max_inflated_body_bytes=10_000) as limited:
        response = await limited.post(
            "/instance/",
            content=compressed,
            headers={
                **headers["planner"],
                "Content-Type": "application/json",
                "Content-Encoding": "gzip",
            },
        )
    assert response.status_code == 413
    assert await count_instances(database) == 0


async def test_create_refuses_a_body_over_the_limit(
    build_client: Callable[..., Any], headers: Headers, database: Database
) -> None:
    body = {"name": "big", "data": {"pad": "0" * 5_000}, "schema": "gc"}
    async with build_client(max_body_bytes=2_000) as limited:
        response = await limited.post("/instance/", json=body, headers=headers["planner"])
    assert response.status_code == 413
    assert await count_instances(database) == 0


# --- OPEN_DEPLOYMENT=0: the caller needs the workflow (spec §3.4) -----------------------------


async def test_closed_deployment_checks_the_workflow_before_the_body(
    build_client: Callable[..., Any],
    headers: Headers,
    database: Database,
    accounts: dict[str, Account],
) -> None:
    async with database.sessionmaker() as session, session.begin():
        await session.execute(
            delete(PermissionDag).where(
                PermissionDag.user_id == accounts["planner"].id,
                PermissionDag.dag_id == "solve_model_dag",
            )
        )
    planner = headers["planner"]
    async with build_client(open_deployment=0) as closed:
        missing = await closed.post("/instance/", json={"foo": 1}, headers=planner)
        assert missing.status_code == 400
        assert missing.json() == {"error": "The request does not specify a schema to use"}
        # Refused for the workflow even though the body is invalid too.
        refused = await closed.post(
            "/instance/", json={"schema": "solve_model_dag", "foo": 1}, headers=planner
        )
        assert refused.status_code == 403
        assert refused.json() == {"error": "You do not have permission to use this DAG"}
        allowed = await closed.post(
            "/instance/", json={"name": "x", "data": [], "schema": "gc"}, headers=planner
        )
        assert allowed.status_code == 201
        granted = await closed.post(
            "/instance/",
            json={"name": "x", "data": pulp_model(), "schema": "solve_model_dag"},
            headers=headers["admin"],
        )
        assert granted.status_code == 201
    assert await count_instances(database) == 2


async def test_closed_deployment_refuses_every_edit(
    build_client: Callable[..., Any], client: AsyncClient, headers: Headers, database: Database
) -> None:
    created = await create_instance(client, headers["planner"])
    path = f"/instance/{created['id']}/"
    async with build_client(open_deployment=0) as closed:
        # The edit body has no `schema`, and the permission check needs one.
        response = await closed.put(path, json={"name": "x"}, headers=headers["planner"])
        assert response.json() == {"error": "The request does not specify a schema to use"}
        response = await closed.put(
            path, json={"name": "x", "schema": "solve_model_dag"}, headers=headers["planner"]
        )
        assert response.json() == {"error": str({"json": {"schema": ["Unknown field."]}})}
    assert (await stored(database, created["id"])).name == "instance"


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ("development", "Failed to decode JSON object: Expecting value: line 1 column 12 (char 11)"),
        ("production", "The browser (or proxy) sent a request that this server could not understand."),
    ],
)  # fmt: skip
async def test_closed_deployment_reads_the_body_as_flask_does(
    build_client: Callable[..., Any], headers: Headers, environment: str, message: str
) -> None:
    admin = headers["admin"]
    json_type = {**admin, "Content-Type": "application/json"}
    async with build_client(open_deployment=0, flask_env=environment) as closed:
        malformed = await closed.post("/instance/", content=b'{"schema": ', headers=json_type)
        assert malformed.status_code == 400
        assert malformed.json() == {"message": message}
        not_json = await closed.post(
            "/instance/",
            content=b"schema=gc",
            headers={**admin, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert not_json.status_code == 415
        assert not_json.json() == {
            "message": "Did not attempt to load JSON data because the request Content-Type "
            "was not 'application/json'."
        }
        listed = await closed.post("/instance/", json=[1], headers=admin)
        assert listed.json() == {"error": "The request does not specify a schema to use"}


async def test_closed_deployment_checks_gzip_bodies_once_inflated(
    build_client: Callable[..., Any], headers: Headers
) -> None:
    body = json.dumps({"name": "zipped", "data": [], "schema": "gc"}).encode()
    async with build_client(open_deployment=0) as closed:
        response = await closed.post(
            "/instance/",
            content=gzip.compress(body),
            headers={
                **headers["admin"],
                "Content-Type": "application/json",
                "Content-Encoding": "gzip",
            },
        )
    assert response.status_code == 201


# --- GET /instance/<idx>/ -----------------------------------------------------------------


async def test_detail_lists_the_executions_in_creation_order(
    client: AsyncClient, headers: Headers, database: Database, accounts: dict[str, Account]
) -> None:
    created = await create_instance(client, headers["planner"])
    other = await create_instance(client, headers["planner"], name="other")
    start = datetime(2026, 1, 1, 12, 0, 0)
    planner, admin = accounts["planner"].id, accounts["admin"].id
    second = await add_execution(
        database, created["id"], admin, name="second", created_at=start + timedelta(hours=1)
    )
    first = await add_execution(database, created["id"], planner, name="first", created_at=start)
    await add_execution(database, created["id"], planner, name="deleted", deleted=True)
    await add_execution(database, other["id"], planner, name="elsewhere")
    response = await client.get(f"/instance/{created['id']}/", headers=headers["planner"])
    body = response.json()
    assert list(body) == [*BASE_KEYS, "executions"]
    assert body["executions"] == [execution_base(first), execution_base(second)]
    assert list(body["executions"][0]) == [*BASE_KEYS, "config", "instance_id", "state", "message"]


# --- PUT /instance/<idx>/ -----------------------------------------------------------------


async def test_edit_makes_the_editor_the_owner(
    client: AsyncClient, headers: Headers, database: Database, accounts: dict[str, Account]
) -> None:
    created = await create_instance(client, headers["planner"], description="old")
    path = f"/instance/{created['id']}/"
    response = await client.put(
        path, json={"name": "new", "description": "newer"}, headers=headers["admin"]
    )
    assert response.json() == UPDATED[1]
    instance = await stored(database, created["id"])
    assert (instance.name, instance.description) == ("new", "newer")
    assert instance.user_id == accounts["admin"].id
    # The planner no longer owns it, so it is gone for them.
    assert (await client.get(path, headers=headers["planner"])).status_code == 404


async def test_edit_of_data_revalidates_rehashes_and_clears_checks(
    client: AsyncClient, headers: Headers, database: Database, accounts: dict[str, Account]
) -> None:
    created = await create_instance(client, headers["planner"], checks={"old": 1})
    planner = accounts["planner"].id
    live = await add_execution(database, created["id"], planner, checks={"c": 1})
    gone = await add_execution(database, created["id"], planner, checks={"c": 2}, deleted=True)
    path = f"/instance/{created['id']}/"

    refused = await client.put(path, json={"data": {"a": 1}}, headers=headers["planner"])
    assert refused.status_code == 400
    assert refused.json()["error"] == INVALID
    assert (await stored(database, created["id"])).checks == {"old": 1}

    new_data = pulp_model("changed")
    response = await client.put(path, json={"data": new_data}, headers=headers["planner"])
    assert response.json() == UPDATED[1]
    instance = await stored(database, created["id"])
    assert instance.data == new_data
    assert instance.data_hash == data_hash(new_data)
    assert instance.checks is None
    live_after = await load_execution(database, live.id)
    gone_after = await load_execution(database, gone.id)
    assert live_after is not None
    assert gone_after is not None
    assert live_after.checks is None
    assert live_after.updated_at == live.updated_at
    assert gone_after.checks == {"c": 2}


async def test_edit_without_data_keeps_the_checks(
    client: AsyncClient, headers: Headers, database: Database
) -> None:
    created = await create_instance(client, headers["planner"], checks={"kept": True})
    response = await client.put(
        f"/instance/{created['id']}/", json={"name": "n"}, headers=headers["planner"]
    )
    assert response.status_code == 200
    instance = await stored(database, created["id"])
    assert instance.checks == {"kept": True}
    assert instance.data_hash == created["data_hash"]


async def test_edit_of_an_instance_without_schema_is_not_validated(
    client: AsyncClient, headers: Headers, database: Database
) -> None:
    created = await create_instance(client, headers["planner"], schema=None)
    response = await client.put(
        f"/instance/{created['id']}/", json={"data": {"anything": 1}}, headers=headers["planner"]
    )
    assert response.status_code == 200
    assert (await stored(database, created["id"])).data == {"anything": 1}


async def test_empty_edit_touches_the_update_time(
    client: AsyncClient, headers: Headers, database: Database
) -> None:
    created = await create_instance(client, headers["planner"])
    async with database.sessionmaker() as session, session.begin():
        await session.execute(
            update(Instance)
            .where(Instance.id == created["id"])
            .values(updated_at=datetime(2020, 1, 1))
        )
    response = await client.put(f"/instance/{created['id']}/", json={}, headers=headers["planner"])
    assert response.json() == UPDATED[1]
    assert (await stored(database, created["id"])).updated_at > datetime(2020, 1, 1)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"data": None}, {"data": ["Field may not be null."]}),
        ({"name": None}, {"name": ["Field may not be null."]}),
        ({"schema": "solve_model_dag"}, {"schema": ["Unknown field."]}),
        ({"checks": {}}, {"checks": ["Unknown field."]}),
    ],
)
async def test_edit_refuses_malformed_bodies(
    client: AsyncClient,
    headers: Headers,
    database: Database,
    body: dict[str, Any],
    error: dict[str, Any],
) -> None:
    created = await create_instance(client, headers["planner"])
    response = await client.put(
        f"/instance/{created['id']}/", json=body, headers=headers["planner"]
    )
    assert response.status_code == 400
    assert response.json() == {"error": str({"json": error})}
    assert (await stored(database, created["id"])).data == pulp_model()


# --- DELETE /instance/<idx>/ --------------------------------------------------------------


async def test_delete_removes_the_executions(
    client: AsyncClient, headers: Headers, database: Database, accounts: dict[str, Account]
) -> None:
    created = await create_instance(client, headers["planner"])
    kept = await create_instance(client, headers["planner"], name="kept")
    planner = accounts["planner"].id
    executions = [
        await add_execution(database, created["id"], planner),
        await add_execution(database, created["id"], accounts["admin"].id, deleted=True),
    ]
    survivor = await add_execution(database, kept["id"], planner)
    path = f"/instance/{created['id']}/"
    assert (await client.delete(path, headers=headers["planner"])).json() == DELETED[1]
    assert await load_instance(database, created["id"]) is None
    for execution in executions:
        assert await load_execution(database, execution.id) is None
    assert await load_execution(database, survivor.id) is not None
    assert (await client.delete(path, headers=headers["planner"])).json() == NOT_FOUND[1]


# --- GET /instance/<idx>/data/ ------------------------------------------------------------


async def test_data_shape(client: AsyncClient, headers: Headers) -> None:
    created = await create_instance(client, headers["planner"])
    response = await client.get(f"/instance/{created['id']}/data/", headers=headers["planner"])
    body = response.json()
    assert list(body) == [*BASE_KEYS, "data", "checks"]
    assert body["checks"] is None
    assert body["data"] == pulp_model()


# --- list filters (spec §6) -----------------------------------------------------------------


async def dated_instances(
    client: AsyncClient, headers: Headers, database: Database, count: int
) -> list[str]:
    """count instances of the planner created a day apart from 2026-01-01, oldest first."""
    ids = []
    for day in range(count):
        schema = "gc" if day % 2 else "solve_model_dag"
        data = [day] if day % 2 else None
        created = await create_instance(
            client, headers["planner"], name=f"i{day}", data=data, schema=schema
        )
        ids.append(created["id"])
        async with database.sessionmaker() as session, session.begin():
            moment = datetime(2026, 1, 1 + day)
            await session.execute(
                update(Instance)
                .where(Instance.id == created["id"])
                .values(created_at=moment, updated_at=moment + timedelta(hours=1))
            )
    return ids


async def listed_ids(client: AsyncClient, headers: Headers, query: str) -> Any:
    response = await client.get(f"/instance/?{query}", headers=headers["planner"])
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()]


async def test_list_pages_newest_first(
    client: AsyncClient, headers: Headers, database: Database
) -> None:
    ids = await dated_instances(client, headers, database, 12)
    newest_first = ids[::-1]
    assert await listed_ids(client, headers, "") == newest_first[:10]
    assert await listed_ids(client, headers, "limit=100") == newest_first
    assert await listed_ids(client, headers, "limit=3&offset=2") == newest_first[2:5]
    assert await listed_ids(client, headers, "limit=0") == []


async def test_list_filters(client: AsyncClient, headers: Headers, database: Database) -> None:
    ids = await dated_instances(client, headers, database, 6)
    assert await listed_ids(client, headers, "schema=gc") == [ids[5], ids[3], ids[1]]
    assert await listed_ids(
        client,
        headers,
        "creation_date_gte=2026-01-02T00:00:00&creation_date_lte=2026-01-04T00:00:00",
    ) == [ids[3], ids[2], ids[1]]
    assert await listed_ids(client, headers, "update_date_gte=2026-01-05T00:30:00") == [
        ids[5],
        ids[4],
    ]
    assert await listed_ids(client, headers, "deletion_date_gte=2000-01-01T00:00:00") == []
    assert await listed_ids(client, headers, "name=i2") == [ids[2]]
    assert await listed_ids(client, headers, f"id={ids[1]}") == [ids[1]]
    assert await listed_ids(client, headers, "unknown=1") == ids[::-1]


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("creation_date_gte=2030-01-01", {"creation_date_gte": ["Not a valid datetime."]}),
        ("limit=x", {"limit": ["Not a valid integer."]}),
        (
            f"limit={MAX_LIMIT + 1}",
            {
                "limit": [
                    f"Must be greater than or equal to 0 and less than or equal to {MAX_LIMIT}."
                ]
            },
        ),
        ("offset=-1", {"offset": ["Must be greater than or equal to 0."]}),
    ],
)
async def test_list_refuses_malformed_filters(
    client: AsyncClient, headers: Headers, query: str, error: dict[str, Any]
) -> None:
    response = await client.get(f"/instance/?{query}", headers=headers["planner"])
    assert response.status_code == 400
    assert response.json() == {"error": str({"query": error})}
