"""The learner's movie-method layer over HTTP: actors, sets, rooms, props and versioned scenes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from course_support import admin, learner, make_item
from httpx import AsyncClient, Response
from mandarin_support import ManualClock, assert_problem
from sqlalchemy import event

from mandarin.mnemonics import service
from mandarin.models import User
from svckit.db import Database


def ok(response: Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def cast(client: AsyncClient, headers: dict[str, str], kind: str, key: str, name: str) -> Any:
    return ok(
        await client.post(
            f"/api/mnemonics/{kind}", json={"slot_key": key, "name": name}, headers=headers
        ),
        201,
    )


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    """The SQL statements run on the database inside the block (savepoints left out)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN")):
            seen.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)


async def test_the_chart_shows_every_slot_and_the_callers_cast(client: AsyncClient) -> None:
    me = await learner(client)
    actor = await cast(client, me, "actors", "h", "Harrison Ford")
    place = await cast(client, me, "sets", "ao", "Grandma's house")

    chart = ok(await client.get("/api/mnemonics/chart", headers=me))

    assert len(chart["initials"]) == 55
    assert len(chart["finals"]) == 13
    assert chart["initials"][0]["slot"]["key"] == "Ø"
    cast_initials = {row["slot"]["key"]: row["actor"] for row in chart["initials"] if row["actor"]}
    assert cast_initials == {"h": actor}
    assert [row["set"]["id"] for row in chart["finals"] if row["set"]] == [place["id"]]
    assert chart["default_rooms"]["5"] == "Roof"


async def test_actors_are_cast_once_per_initial(client: AsyncClient, clock: ManualClock) -> None:
    me = await learner(client)

    actor = await cast(client, me, "actors", "bi", "Beyoncé")
    twice = await client.post(
        "/api/mnemonics/actors", json={"slot_key": "bi", "name": "Björk"}, headers=me
    )
    not_an_initial = await client.post(
        "/api/mnemonics/actors", json={"slot_key": "ao", "name": "X"}, headers=me
    )
    unknown = await client.post(
        "/api/mnemonics/actors", json={"slot_key": "zz", "name": "X"}, headers=me
    )
    clock.advance(minutes=5)
    renamed = ok(
        await client.patch(
            f"/api/mnemonics/actors/{actor['id']}", json={"notes": "singer"}, headers=me
        )
    )

    assert actor["slot"] == {
        "id": actor["slot"]["id"],
        "kind": "initial",
        "key": "bi",
        "description": "bi-",
        "actor_category": "female",
    }
    assert actor["created_at"] == clock.now().replace(minute=0).isoformat().replace("+00:00", "Z")
    assert_problem(twice, 409)
    assert_problem(not_an_initial, 422)
    assert_problem(unknown, 422)
    assert (renamed["name"], renamed["notes"]) == ("Beyoncé", "singer")
    assert renamed["updated_at"] == clock.now().isoformat().replace("+00:00", "Z")
    assert [entry["id"] for entry in ok(await client.get("/api/mnemonics/actors", headers=me))] == [
        actor["id"]
    ]
    assert_problem(
        await client.patch(f"/api/mnemonics/actors/{actor['id']}", json={"name": None}, headers=me),
        422,
    )
    assert (
        await client.delete(f"/api/mnemonics/actors/{actor['id']}", headers=me)
    ).status_code == 204
    assert_problem(await client.get(f"/api/mnemonics/actors/{actor['id']}", headers=me), 404)


async def test_another_learners_layer_is_not_found(client: AsyncClient, database: Database) -> None:
    author = await admin(client, database)
    good = await make_item(client, author, "好", pinyin="hao3")
    component = await make_item(client, author, "女", kind="component")
    alice = await learner(client)
    bob = await learner(client)
    actor = await cast(client, alice, "actors", "h", "Harrison Ford")
    place = await cast(client, alice, "sets", "ao", "Grandma's house")
    ok(
        await client.put(
            f"/api/mnemonics/props/{component['id']}", json={"name": "dress"}, headers=alice
        )
    )
    ok(
        await client.put(
            f"/api/mnemonics/scenes/{good['id']}",
            json={"script_md": "Harrison in the bedroom"},
            headers={**alice, "If-None-Match": "*"},
        )
    )

    refused = [
        await client.get(f"/api/mnemonics/actors/{actor['id']}", headers=bob),
        await client.patch(f"/api/mnemonics/actors/{actor['id']}", json={"name": "x"}, headers=bob),
        await client.delete(f"/api/mnemonics/actors/{actor['id']}", headers=bob),
        await client.get(f"/api/mnemonics/actors/{actor['id']}/characters", headers=bob),
        await client.get(f"/api/mnemonics/sets/{place['id']}", headers=bob),
        await client.patch(f"/api/mnemonics/sets/{place['id']}", json={"name": "x"}, headers=bob),
        await client.delete(f"/api/mnemonics/sets/{place['id']}", headers=bob),
        await client.get(f"/api/mnemonics/sets/{place['id']}/rooms", headers=bob),
        await client.put(
            f"/api/mnemonics/sets/{place['id']}/rooms/3", json={"name": "x"}, headers=bob
        ),
        await client.delete(f"/api/mnemonics/sets/{place['id']}/rooms/3", headers=bob),
        await client.get(f"/api/mnemonics/props/{component['id']}", headers=bob),
        await client.delete(f"/api/mnemonics/props/{component['id']}", headers=bob),
        await client.get(f"/api/mnemonics/scenes/{good['id']}", headers=bob),
        await client.delete(
            f"/api/mnemonics/scenes/{good['id']}", headers={**bob, "If-Match": '"1"'}
        ),
        await client.get(f"/api/mnemonics/scenes?actor_id={actor['id']}", headers=bob),
    ]
    for response in refused:
        assert_problem(response, 404)

    # Bob's own view of the item shows none of Alice's layer.
    item = ok(await client.get(f"/api/items/{good['id']}", headers=bob))["mnemonics"]
    assert item["actor"] == {"slot_key": "h", "cast_id": None, "name": None}
    assert item["scene"] is None
    assert ok(await client.get("/api/mnemonics/actors", headers=bob)) == []
    assert ok(await client.get("/api/mnemonics/props", headers=bob))["total"] == 0
    assert ok(await client.get("/api/mnemonics/scenes", headers=bob))["total"] == 0
    # Still Alice's, untouched.
    assert ok(await client.get(f"/api/mnemonics/actors/{actor['id']}", headers=alice))["name"] == (
        "Harrison Ford"
    )


async def test_rooms_default_by_tone_and_can_be_renamed(client: AsyncClient) -> None:
    me = await learner(client)
    place = await cast(client, me, "sets", "an", "My school")

    defaults = ok(await client.get(f"/api/mnemonics/sets/{place['id']}/rooms", headers=me))
    renamed = ok(
        await client.put(
            f"/api/mnemonics/sets/{place['id']}/rooms/3", json={"name": "The library"}, headers=me
        )
    )
    after = ok(await client.get(f"/api/mnemonics/sets/{place['id']}/rooms", headers=me))
    reset = ok(await client.delete(f"/api/mnemonics/sets/{place['id']}/rooms/3", headers=me))

    assert [(room["tone"], room["is_default"]) for room in defaults] == [
        (tone, True) for tone in range(1, 6)
    ]
    assert defaults[0]["name"] == "Outside the entrance"
    assert renamed == {"tone": 3, "name": "The library", "is_default": False}
    assert after[2] == renamed
    assert reset == {"tone": 3, "name": "Bedroom or living room", "is_default": True}
    for tone in ("0", "6", "x"):
        assert_problem(
            await client.put(
                f"/api/mnemonics/sets/{place['id']}/rooms/{tone}", json={"name": "x"}, headers=me
            ),
            422,
        )


async def test_props_are_for_components(client: AsyncClient, database: Database) -> None:
    author = await admin(client, database)
    woman = await make_item(client, author, "女", kind="component", suggested_prop="a dress")
    good = await make_item(client, author, "好", pinyin="hao3")
    me = await learner(client)

    prop = ok(
        await client.put(
            f"/api/mnemonics/props/{woman['id']}", json={"name": "a ballgown"}, headers=me
        )
    )
    changed = ok(
        await client.put(
            f"/api/mnemonics/props/{woman['id']}",
            json={"name": "a sari", "notes": "red"},
            headers=me,
        )
    )
    on_a_character = await client.put(
        f"/api/mnemonics/props/{good['id']}", json={"name": "x"}, headers=me
    )
    on_nothing = await client.put(
        f"/api/mnemonics/props/{uuid.uuid4()}", json={"name": "x"}, headers=me
    )
    listed = ok(await client.get("/api/mnemonics/props?limit=1", headers=me))

    assert prop["component"] == {
        "id": woman["id"],
        "hanzi": "女",
        "keyword": None,
        "suggested_prop": "a dress",
    }
    assert (changed["name"], changed["notes"]) == ("a sari", "red")
    assert_problem(on_a_character, 422)
    assert_problem(on_nothing, 404)
    assert (listed["total"], listed["limit"]) == (1, 1)
    assert (
        await client.delete(f"/api/mnemonics/props/{woman['id']}", headers=me)
    ).status_code == 204
    assert_problem(await client.get(f"/api/mnemonics/props/{woman['id']}", headers=me), 404)


async def test_scenes_are_versioned_with_etags(
    client: AsyncClient, database: Database, clock: ManualClock
) -> None:
    author = await admin(client, database)
    good = await make_item(client, author, "好", pinyin="hao3", keyword="good")
    word = await make_item(client, author, "你好", kind="word", pinyin="ni3 hao3")
    me = await learner(client)
    path = f"/api/mnemonics/scenes/{good['id']}"

    unconditional = await client.put(path, json={"script_md": "v1"}, headers=me)
    first = await client.put(path, json={"script_md": "v1"}, headers={**me, "If-None-Match": "*"})
    created_again = await client.put(
        path, json={"script_md": "v1"}, headers={**me, "If-None-Match": "*"}
    )
    read = await client.get(path, headers=me)
    clock.advance(days=1)
    second = await client.put(path, json={"script_md": "v2"}, headers={**me, "If-Match": '"1"'})
    stale = await client.put(path, json={"script_md": "v3"}, headers={**me, "If-Match": '"1"'})
    wildcard = await client.put(path, json={"script_md": "v3"}, headers={**me, "If-Match": "*"})
    listed = await client.put(
        path, json={"script_md": "v4"}, headers={**me, "If-Match": '"9", "3"'}
    )

    assert_problem(unconditional, 428)
    assert first.status_code == 200, first.text
    assert first.headers["ETag"] == '"1"'
    assert first.json()["version"] == 1
    assert (first.json()["pinyin_marks"], first.json()["keyword"]) == ("hǎo", "good")
    assert assert_problem(created_again, 409)["current_version"] == 1
    assert read.headers["ETag"] == '"1"'
    assert read.json()["script_md"] == "v1"
    assert second.headers["ETag"] == '"2"'
    assert second.json()["updated_at"] == clock.now().isoformat().replace("+00:00", "Z")
    assert assert_problem(stale, 409)["current_version"] == 2
    assert wildcard.json()["version"] == 3
    assert listed.json()["version"] == 4

    assert_problem(await client.delete(path, headers=me), 428)
    assert_problem(await client.delete(path, headers={**me, "If-Match": '"3"'}), 409)
    assert (await client.delete(path, headers={**me, "If-Match": '"4"'})).status_code == 204
    assert_problem(await client.get(path, headers=me), 404)
    gone = await client.put(path, json={"script_md": "v5"}, headers={**me, "If-Match": '"4"'})
    assert assert_problem(gone, 409)["current_version"] is None

    assert_problem(
        await client.put(
            f"/api/mnemonics/scenes/{word['id']}",
            json={"script_md": "x"},
            headers={**me, "If-None-Match": "*"},
        ),
        422,
    )
    assert_problem(
        await client.put(
            path, json={"script_md": "a\u0000b"}, headers={**me, "If-None-Match": "*"}
        ),
        422,
    )
    assert_problem(
        await client.put(path, json={"script_md": "x"}, headers={**me, "If-None-Match": '"1"'}),
        400,
    )


async def test_all_my_characters_whose_actor_is_x_in_one_query(
    client: AsyncClient, database: Database
) -> None:
    author = await admin(client, database)
    hao = await make_item(client, author, "好", pinyin="hao3", frequency_rank=2)
    he = await make_item(client, author, "和", pinyin="he2", frequency_rank=1)
    hao_sound = await make_item(client, author, "号", pinyin="hao4", frequency_rank=3)
    await make_item(client, author, "马", pinyin="ma3")
    await make_item(client, author, "好好", kind="word", pinyin="hao3 hao3")
    me = await learner(client)
    actor = await cast(client, me, "actors", "h", "Harrison Ford")
    place = await cast(client, me, "sets", "ao", "Grandma's house")
    await client.put(
        f"/api/mnemonics/sets/{place['id']}/rooms/4", json={"name": "The garden"}, headers=me
    )
    await client.put(
        f"/api/mnemonics/scenes/{hao['id']}",
        json={"script_md": "Harrison in the bedroom"},
        headers={**me, "If-None-Match": "*"},
    )

    found = ok(await client.get(f"/api/mnemonics/actors/{actor['id']}/characters", headers=me))

    assert found["actor"]["id"] == actor["id"]
    rows = [
        (row["hanzi"], row["set_key"], row["set_name"], row["tone"], row["room_name"], row["scene"])
        for row in found["characters"]
    ]
    assert rows == [
        ("和", "e", None, 2, "Hallway or kitchen", None),
        ("好", "ao", "Grandma's house", 3, "Bedroom or living room",
         {"version": 1, "script_md": "Harrison in the bedroom"}),
        ("号", "ao", "Grandma's house", 4, "The garden", None),
    ]  # fmt: skip
    assert found["characters"][0]["item_id"] == he["id"]
    assert found["characters"][2]["pinyin_marks"] == "hào"
    assert hao_sound["mnemonics"]["actor"]["slot_key"] == "h"

    user_id = uuid.UUID(ok(await client.get("/api/auth/me", headers=me))["id"])
    async with database.sessionmaker() as session:
        user = await session.get(User, user_id)
        assert user is not None
        with statements(database) as seen:
            direct = await service.actor_characters(session, user.id, uuid.UUID(actor["id"]))
        assert len(seen) == 1, seen
        assert [row.hanzi for row in direct.characters] == ["和", "好", "号"]
        with statements(database) as missing, suppress(service.NotFound):
            await service.actor_characters(session, user.id, uuid.uuid4())
        assert len(missing) == 1


async def test_the_lookup_does_not_grow_with_the_cast(
    client: AsyncClient, database: Database
) -> None:
    author = await admin(client, database)
    for index, syllable in enumerate(["hao3", "he2", "hai2", "hen3", "hu2", "huan1"]):
        await make_item(client, author, chr(0x4E00 + index), pinyin=syllable)
    me = await learner(client)
    actor = await cast(client, me, "actors", "h", "Harrison Ford")
    baseline_path = "/api/auth/me"

    with statements(database) as baseline:
        await client.get(baseline_path, headers=me)
    with statements(database) as lookup:
        found = ok(await client.get(f"/api/mnemonics/actors/{actor['id']}/characters", headers=me))

    assert len(found["characters"]) == 4
    # Authentication costs what it costs on any route; the lookup itself is one statement.
    assert len(lookup) == len(baseline) + 1


async def test_scenes_are_listed_by_actor_and_set(client: AsyncClient, database: Database) -> None:
    author = await admin(client, database)
    hao = await make_item(client, author, "好", pinyin="hao3")
    ma = await make_item(client, author, "马", pinyin="ma3")
    me = await learner(client)
    h_actor = await cast(client, me, "actors", "h", "Harrison Ford")
    a_set = await cast(client, me, "sets", "a", "The beach")
    for item in (hao, ma):
        await client.put(
            f"/api/mnemonics/scenes/{item['id']}",
            json={"script_md": f"scene of {item['hanzi']}"},
            headers={**me, "If-None-Match": "*"},
        )

    everything = ok(await client.get("/api/mnemonics/scenes", headers=me))
    by_actor = ok(await client.get(f"/api/mnemonics/scenes?actor_id={h_actor['id']}", headers=me))
    by_set = ok(await client.get(f"/api/mnemonics/scenes?set_id={a_set['id']}", headers=me))

    assert everything["total"] == 2
    assert [scene["hanzi"] for scene in by_actor["items"]] == ["好"]
    assert [scene["hanzi"] for scene in by_set["items"]] == ["马"]


async def test_an_items_movie_gathers_the_callers_layer(
    client: AsyncClient, database: Database
) -> None:
    author = await admin(client, database)
    woman = await make_item(client, author, "女", kind="component", suggested_prop="a dress")
    child = await make_item(client, author, "子", kind="component", suggested_prop="a baby")
    good = await make_item(client, author, "好", pinyin="hao3")
    await client.put(
        f"/api/items/{good['id']}/parts",
        json={"parts": [{"item_id": woman["id"]}, {"item_id": child["id"]}]},
        headers=author,
    )
    me = await learner(client)
    actor = await cast(client, me, "actors", "h", "Harrison Ford")
    place = await cast(client, me, "sets", "ao", "Grandma's house")
    await client.put(f"/api/mnemonics/props/{child['id']}", json={"name": "a puppy"}, headers=me)
    await client.put(
        f"/api/mnemonics/scenes/{good['id']}",
        json={"script_md": "Harrison hugs a puppy"},
        headers={**me, "If-None-Match": "*"},
    )

    movie = ok(await client.get(f"/api/items/{good['id']}", headers=me))["mnemonics"]

    assert movie == {
        "actor": {"slot_key": "h", "cast_id": actor["id"], "name": "Harrison Ford"},
        "set": {"slot_key": "ao", "cast_id": place["id"], "name": "Grandma's house"},
        "room": {"tone": 3, "name": "Bedroom or living room", "is_default": True},
        "props": [
            {"component_id": woman["id"], "hanzi": "女", "name": "a dress", "is_own": False},
            {"component_id": child["id"], "hanzi": "子", "name": "a puppy", "is_own": True},
        ],
        "scene": {"version": 1, "script_md": "Harrison hugs a puppy"},
    }


async def test_bad_input_is_a_client_error(client: AsyncClient) -> None:
    me = await learner(client)
    place = await cast(client, me, "sets", "e", "The park")

    cases: list[tuple[str, str, Any, int]] = [
        ("POST", "/api/mnemonics/actors", {"slot_key": "h", "name": "a\u0000"}, 422),
        ("POST", "/api/mnemonics/actors", {"slot_key": "h\u0000", "name": "a"}, 422),
        ("POST", "/api/mnemonics/actors", {"slot_key": "h", "name": ""}, 422),
        ("POST", "/api/mnemonics/actors", {"slot_key": "h", "name": "x" * 101}, 422),
        ("POST", "/api/mnemonics/actors",
         {"slot_key": "h", "name": "a", "image_url": "file:///etc/passwd"}, 422),
        ("GET", "/api/mnemonics/actors/not-a-uuid", None, 422),
        ("GET", "/api/mnemonics/scenes?actor_id=nope", None, 422),
        ("PUT", f"/api/mnemonics/sets/{place['id']}/rooms/2", {"name": "x", "extra": 1}, 422),
        ("GET", "/api/mnemonics/props?limit=100000", None, 422),
    ]  # fmt: skip
    for method, path, body, status in cases:
        assert_problem(await client.request(method, path, json=body, headers=me), status)
