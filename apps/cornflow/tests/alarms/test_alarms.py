"""/alarms/, /alarms/<idx>/ and /main-alarms/ (only served with CF_ALARMS_ENDPOINT)."""

from collections.abc import Callable
from typing import Any

from httpx import AsyncClient
from sqlalchemy import select

from cornflow_fastapi.models import Alarm, MainAlarm
from cornflow_support import DENIED, NO_TOKEN
from svckit.db import Database

NOT_FOUND = (404, {"error": "The data entity does not exist on the database"})
UPDATED = {"message": "Updated correctly"}
DISABLED = {"message": "Object marked as disabled"}
HUGE = "99999999999999999999"


def everyone_but_dummies(viewer: tuple[int, Any], others: tuple[int, Any]) -> dict[Any, Any]:
    """Viewers read; planners, admins and service users do everything; dummy/no role nothing."""
    return {
        None: NO_TOKEN,
        "service": others,
        "admin": others,
        "planner": others,
        "viewer": viewer,
        "dummy": DENIED,
        "norole": DENIED,
    }


def readers(success: tuple[int, Any]) -> dict[Any, Any]:
    return everyone_but_dummies(success, success)


def writers(success: tuple[int, Any]) -> dict[Any, Any]:
    return everyone_but_dummies(DENIED, success)


async def create_alarm(
    client: AsyncClient, headers: dict[str, dict[str, str]], **body: Any
) -> dict[str, Any]:
    body = {"name": "Too late", "criticality": 1, "description": "runs late", **body}
    response = await client.post("/alarms/", json=body, headers=headers["planner"])
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def stored_alarm(database: Database, idx: int) -> Alarm | None:
    async with database.sessionmaker() as session:
        return await session.get(Alarm, idx)


# --- served only when enabled -----------------------------------------------------------------


async def test_alarm_routes_absent_by_default(
    client: AsyncClient, headers: dict[str, dict[str, str]]
) -> None:
    for method, path in (("GET", "/alarms/"), ("GET", "/alarms/1/"), ("POST", "/main-alarms/")):
        response = await client.request(method, path, headers=headers["admin"])
        assert response.status_code == 404, path
        assert response.json()["message"] == "404 Not Found"


# --- access matrix ----------------------------------------------------------------------------


async def test_list_alarms_access(walk_alarms: Callable[..., Any]) -> None:
    await walk_alarms("GET", "/alarms/", readers((200, [])))


async def test_create_alarm_access(walk_alarms: Callable[..., Any], database: Database) -> None:
    body = {"name": "a", "criticality": 2, "description": "d"}
    await walk_alarms("POST", "/alarms/", writers((201, ...)), json=body)
    async with database.sessionmaker() as session:
        names = (await session.execute(select(Alarm.name))).scalars().all()
    assert names == ["a", "a", "a"]


async def test_alarm_detail_access(
    walk_alarms: Callable[..., Any], alarms_client: AsyncClient, headers: dict[str, dict[str, str]]
) -> None:
    alarm = await create_alarm(alarms_client, headers)
    path = f"/alarms/{alarm['id']}/"
    await walk_alarms("GET", path, readers((200, alarm)))
    await walk_alarms("PUT", path, writers((200, UPDATED)), json={"name": "renamed"})
    await walk_alarms("DELETE", path, writers((200, DISABLED)))


async def test_main_alarms_access(
    walk_alarms: Callable[..., Any], alarms_client: AsyncClient, headers: dict[str, dict[str, str]]
) -> None:
    alarm = await create_alarm(alarms_client, headers)
    body = {"id_alarm": alarm["id"], "criticality": 3, "message": "late"}
    await walk_alarms("POST", "/main-alarms/", writers((201, ...)), json=body)
    await walk_alarms("GET", "/main-alarms/", readers((200, ...)))


# --- alarms -----------------------------------------------------------------------------------


async def test_create_alarm_answers_in_flask_order(
    alarms_client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    response = await alarms_client.post(
        "/alarms/",
        json={"name": "Late", "criticality": "2.5", "description": "d", "schema": "timer"},
        headers=headers["admin"],
    )
    assert response.status_code == 201
    body = response.json()
    assert list(body) == ["name", "criticality", "description", "schema", "id"]
    assert body == {
        "name": "Late",
        "criticality": 2.5,
        "description": "d",
        "schema": "timer",
        "id": body["id"],
    }
    stored = await stored_alarm(database, body["id"])
    assert stored is not None
    assert stored.criticality == 2.5
    assert stored.deleted_at is None


async def test_criticality_is_a_float_and_schema_may_be_left_out(
    alarms_client: AsyncClient, headers: dict[str, dict[str, str]]
) -> None:
    alarm = await create_alarm(alarms_client, headers, criticality=1)
    assert alarm["criticality"] == 1.0
    assert isinstance(alarm["criticality"], float)
    assert alarm["schema"] is None
    response = await alarms_client.get("/alarms/", headers=headers["viewer"])
    assert response.json() == [alarm]


async def test_create_alarm_validation(
    alarms_client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    cases = [
        ({"criticality": 1, "description": "d"}, {"name": ["Missing data for required field."]}),
        ({"name": "a", "criticality": True, "description": "d"}, None),
        ({"name": "a", "criticality": "high", "description": "d"}, None),
        ({"name": "a", "criticality": None, "description": "d"}, None),
        ({"name": "a", "criticality": "nan", "description": "d"}, None),
        ({"name": 3, "criticality": 1, "description": "d"}, {"name": ["Not a valid string."]}),
        ({"name": "a", "criticality": 1, "description": "d", "colour": "red"}, None),
        ({"name": "a", "criticality": 1, "description": "d", "schema": None}, None),
    ]
    for body, messages in cases:
        response = await alarms_client.post("/alarms/", json=body, headers=headers["planner"])
        assert response.status_code == 400, body
        if messages is not None:
            assert response.json() == {"error": str({"json": messages})}
    assert response.json() == {"error": "{'json': {'schema': ['Field may not be null.']}}"}
    async with database.sessionmaker() as session:
        assert (await session.execute(select(Alarm))).first() is None


async def test_number_messages(
    alarms_client: AsyncClient, headers: dict[str, dict[str, str]]
) -> None:
    expected = {
        True: "Not a valid number.",
        "high": "Not a valid number.",
        None: "Field may not be null.",
        10**400: "Number too large.",
    }
    for value, message in expected.items():
        body = {"name": "a", "criticality": value, "description": "d"}
        response = await alarms_client.post("/alarms/", json=body, headers=headers["planner"])
        assert response.json() == {"error": str({"json": {"criticality": [message]}})}, value


async def test_list_filters_by_criticality_but_not_schema(
    alarms_client: AsyncClient, headers: dict[str, dict[str, str]]
) -> None:
    low = await create_alarm(alarms_client, headers, criticality=1, schema="timer")
    high = await create_alarm(alarms_client, headers, criticality=5)

    async def listed(query: str) -> Any:
        response = await alarms_client.get(f"/alarms/{query}", headers=headers["viewer"])
        assert response.status_code == 200, response.text
        return response.json()

    assert await listed("") == [low, high]
    assert await listed("?criticality=5") == [high]
    assert await listed("?criticality=5.0") == [high]
    # Cornflow declares `schema` but its alarm list never applies it.
    assert await listed("?schema=timer") == [low, high]
    assert await listed("?schema=nothing&unknown=1") == [low, high]
    response = await alarms_client.get("/alarms/?criticality=high", headers=headers["viewer"])
    assert response.status_code == 400
    assert response.json() == {"error": "{'query': {'criticality': ['Not a valid number.']}}"}


async def test_get_alarm(alarms_client: AsyncClient, headers: dict[str, dict[str, str]]) -> None:
    alarm = await create_alarm(alarms_client, headers)
    response = await alarms_client.get(f"/alarms/{alarm['id']}/", headers=headers["viewer"])
    assert response.json() == alarm
    for path in ("/alarms/999/", f"/alarms/{HUGE}/"):
        response = await alarms_client.get(path, headers=headers["viewer"])
        assert (response.status_code, response.json()) == NOT_FOUND, path
    # Not an integer: no route (Flask's <int:idx>).
    response = await alarms_client.get("/alarms/abc/", headers=headers["viewer"])
    assert response.status_code == 404
    assert response.json()["message"] == "404 Not Found"


async def test_update_alarm(
    alarms_client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    alarm = await create_alarm(alarms_client, headers)
    before = await stored_alarm(database, alarm["id"])
    assert before is not None
    updated_at = before.updated_at
    path = f"/alarms/{alarm['id']}/"
    body = {"name": "n", "criticality": 7, "description": "new", "schema": "gc"}
    response = await alarms_client.put(path, json=body, headers=headers["service"])
    assert (response.status_code, response.json()) == (200, UPDATED)
    response = await alarms_client.get(path, headers=headers["viewer"])
    assert response.json() == {**body, "criticality": 7.0, "id": alarm["id"]}
    after = await stored_alarm(database, alarm["id"])
    assert after is not None
    assert after.updated_at >= updated_at

    response = await alarms_client.put(path, json={}, headers=headers["planner"])
    assert (response.status_code, response.json()) == (200, UPDATED)
    for bad in ({"name": None}, {"criticality": "x"}, {"id": 3}):
        response = await alarms_client.put(path, json=bad, headers=headers["planner"])
        assert response.status_code == 400, bad
    response = await alarms_client.put("/alarms/999/", json={}, headers=headers["planner"])
    assert (response.status_code, response.json()) == NOT_FOUND
    response = await alarms_client.put(f"/alarms/{HUGE}/", json={}, headers=headers["planner"])
    assert (response.status_code, response.json()) == NOT_FOUND


async def test_disable_alarm(
    alarms_client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    alarm = await create_alarm(alarms_client, headers)
    kept = await create_alarm(alarms_client, headers, name="kept")
    path = f"/alarms/{alarm['id']}/"
    response = await alarms_client.delete(path, headers=headers["admin"])
    assert (response.status_code, response.json()) == (200, DISABLED)
    stored = await stored_alarm(database, alarm["id"])
    assert stored is not None
    assert stored.deleted_at is not None
    # Gone for reads and edits; disabling it again still finds it.
    response = await alarms_client.get(path, headers=headers["admin"])
    assert (response.status_code, response.json()) == NOT_FOUND
    response = await alarms_client.put(path, json={"name": "x"}, headers=headers["admin"])
    assert (response.status_code, response.json()) == NOT_FOUND
    response = await alarms_client.delete(path, headers=headers["admin"])
    assert (response.status_code, response.json()) == (200, DISABLED)
    response = await alarms_client.get("/alarms/", headers=headers["admin"])
    assert response.json() == [kept]
    for missing in ("999", HUGE):
        response = await alarms_client.delete(f"/alarms/{missing}/", headers=headers["admin"])
        assert response.status_code == 404
        assert response.json() == {"error": f"Object with id {missing} not found."}


# --- main alarms ------------------------------------------------------------------------------


async def test_main_alarms(
    alarms_client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    first = await create_alarm(alarms_client, headers)
    second = await create_alarm(alarms_client, headers, name="other")
    created = []
    for id_alarm, criticality in ((first["id"], 1), (second["id"], 2), (first["id"], 2)):
        body = {"id_alarm": id_alarm, "criticality": criticality, "message": "m"}
        response = await alarms_client.post("/main-alarms/", json=body, headers=headers["service"])
        assert response.status_code == 201, response.text
        created.append(response.json())
    assert list(created[0]) == ["id_alarm", "criticality", "message", "schema", "id"]
    assert created[0] == {
        "id_alarm": first["id"],
        "criticality": 1.0,
        "message": "m",
        "schema": None,
        "id": created[0]["id"],
    }

    async def listed(query: str) -> Any:
        response = await alarms_client.get(f"/main-alarms/{query}", headers=headers["viewer"])
        assert response.status_code == 200, response.text
        return response.json()

    assert await listed("") == created
    assert await listed(f"?id_alarm={first['id']}") == [created[0], created[2]]
    assert await listed("?criticality=2") == created[1:]
    assert await listed(f"?id_alarm={first['id']}&criticality=2") == [created[2]]
    assert await listed("?schema=x") == created
    assert await listed(f"?id_alarm={HUGE}") == []
    response = await alarms_client.get("/main-alarms/?id_alarm=x", headers=headers["viewer"])
    assert response.json() == {"error": "{'query': {'id_alarm': ['Not a valid integer.']}}"}

    # A main alarm may point at a disabled alarm: the row is still there.
    await alarms_client.delete(f"/alarms/{second['id']}/", headers=headers["admin"])
    body = {"id_alarm": second["id"], "criticality": 1, "message": "m", "schema": "gc"}
    response = await alarms_client.post("/main-alarms/", json=body, headers=headers["planner"])
    assert response.status_code == 201
    assert response.json()["schema"] == "gc"


async def test_main_alarm_of_a_missing_alarm(
    alarms_client: AsyncClient, headers: dict[str, dict[str, str]], database: Database
) -> None:
    for id_alarm in (999, 10**30):
        body = {"id_alarm": id_alarm, "criticality": 1, "message": "m"}
        response = await alarms_client.post("/main-alarms/", json=body, headers=headers["planner"])
        assert response.status_code == 400
        assert response.json() == {
            "error": "Integrity error on saving with data <Main_Alarms None>"
        }
    async with database.sessionmaker() as session:
        assert (await session.execute(select(MainAlarm))).first() is None


async def test_main_alarm_validation(
    alarms_client: AsyncClient, headers: dict[str, dict[str, str]]
) -> None:
    alarm = await create_alarm(alarms_client, headers)
    cases = {
        "missing": ({"criticality": 1, "message": "m"}, "id_alarm", "Missing data for required field."),
        "wrong-type": ({"id_alarm": "x", "criticality": 1, "message": "m"}, "id_alarm", "Not a valid integer."),
        "bool": ({"id_alarm": True, "criticality": 1, "message": "m"}, "id_alarm", "Not a valid integer."),
        "unknown": ({"id_alarm": alarm["id"], "criticality": 1, "message": "m", "x": 1}, "x", "Unknown field."),
    }  # fmt: skip
    for name, (body, field, message) in cases.items():
        response = await alarms_client.post("/main-alarms/", json=body, headers=headers["planner"])
        assert response.status_code == 400, name
        assert response.json() == {"error": str({"json": {field: [message]}})}, name
