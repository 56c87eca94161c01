"""The course tree over HTTP: learners read published courses, administrators author them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from course_support import admin, created, learner, make_course, make_item
from fastapi import FastAPI
from httpx import AsyncClient
from mandarin_support import ManualClock, assert_problem

from svckit.db import Database

MY_TAGS = {"courses", "authoring", "progress", "mnemonics"}
PUBLIC = {("GET", "/api/attribution")}


def _my_routes(app: FastAPI, tags: set[str]) -> list[tuple[str, str]]:
    """(method, path) of the documented operations with these tags, ids filled in at random."""
    routes = []
    for template, operations in app.openapi()["paths"].items():
        path = template.replace("{tone}", "1")
        for name in ("course_id", "phase_id", "level_id", "lesson_id", "item_id",
                     "actor_id", "set_id", "component_id"):  # fmt: skip
            path = path.replace("{" + name + "}", str(uuid.uuid4()))
        routes.extend(
            (method.upper(), path)
            for method, operation in operations.items()
            if tags & set(operation.get("tags", []))
        )
    return sorted(routes)


async def test_every_route_but_attribution_needs_credentials(
    app: FastAPI, client: AsyncClient
) -> None:
    routes = _my_routes(app, MY_TAGS)
    assert len(routes) > 50

    for method, path in routes:
        response = await client.request(method, path, json={})
        if (method, path.split("?")[0]) in PUBLIC:
            continue
        body = assert_problem(response, 401)
        assert "Authentication" in body["detail"], (method, path)


async def test_learners_get_403_on_every_authoring_route(app: FastAPI, client: AsyncClient) -> None:
    headers = await learner(client)

    for method, path in _my_routes(app, {"authoring"}):
        response = await client.request(method, path, json={}, headers=headers)
        assert_problem(response, 403)


async def test_admin_builds_a_course_learners_read(client: AsyncClient, database: Database) -> None:
    author = await admin(client, database)
    reader = await learner(client)
    course = await make_course(client, author, lessons_per_level=(2, 1))

    listed = await client.get("/api/courses", headers=reader)
    detail = await client.get(f"/api/courses/{course.id}", headers=reader)
    level = await client.get(f"/api/levels/{course.level_ids[0]}", headers=reader)
    lesson = await client.get(f"/api/lessons/{course.lesson_ids[0]}", headers=reader)

    assert course.id in [entry["id"] for entry in listed.json()["items"]]
    tree = detail.json()
    assert tree["lesson_count"] == 3
    assert tree["item_count"] == 6
    assert [phase["title"] for phase in tree["phases"]] == ["Characters"]
    assert [(lv["ordinal"], lv["lesson_count"]) for lv in tree["phases"][0]["levels"]] == [
        (1, 2),
        (2, 1),
    ]
    # Every authoring step bumped the content version clients cache by.
    assert tree["content_version"] > 5
    assert [entry["ordinal"] for entry in level.json()["lessons"]] == [1, 2]
    assert [entry["item_count"] for entry in level.json()["lessons"]] == [2, 2]
    items = lesson.json()["items"]
    assert [(item["hanzi"], item["pinyin_numbered"], item["pinyin_marks"]) for item in items] == [
        ("好", "hao3", "hǎo"),
        ("你", "ni3", "nǐ"),
    ]
    assert lesson.json()["course_id"] == course.id


async def test_levels_are_paged(client: AsyncClient, database: Database) -> None:
    author = await admin(client, database)
    course = await make_course(client, author, lessons_per_level=(1, 1, 1), items_per_lesson=1)

    first = await client.get(f"/api/courses/{course.id}/levels?limit=2", headers=author)
    rest = await client.get(
        f"/api/courses/{course.id}/levels?offset=2&limit=2&phase_id={course.phase_id}",
        headers=author,
    )

    assert first.json()["total"] == 3
    assert [level["ordinal"] for level in first.json()["items"]] == [1, 2]
    assert [level["ordinal"] for level in rest.json()["items"]] == [3]
    assert rest.json()["offset"] == 2


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=-1", "limit=201", "limit=99999999999999999999", "offset=-1",
              "offset=1000001", "limit=ten"]
)  # fmt: skip
async def test_bad_page_bounds_are_422(client: AsyncClient, query: str) -> None:
    headers = await learner(client)

    for path in ("/api/courses", "/api/items", "/api/me/enrolments", "/api/mnemonics/scenes"):
        response = await client.get(f"{path}?{query}", headers=headers)
        body = assert_problem(response, 422)
        assert body["errors"][0]["loc"][0] == "query"


async def test_drafts_are_hidden_from_learners(client: AsyncClient, database: Database) -> None:
    author = await admin(client, database)
    reader = await learner(client)
    draft = await make_course(client, author, lessons_per_level=(1,), published=False)

    listed = await client.get("/api/courses", headers=reader)
    assert draft.id not in [course["id"] for course in listed.json()["items"]]
    for path in (
        f"/api/courses/{draft.id}",
        f"/api/courses/{draft.id}/levels",
        f"/api/levels/{draft.level_ids[0]}",
        f"/api/lessons/{draft.lesson_ids[0]}",
    ):
        assert_problem(await client.get(path, headers=reader), 404)
        assert (await client.get(path, headers=author)).status_code == 200

    published = await client.patch(
        f"/api/courses/{draft.id}", json={"published": True}, headers=author
    )
    assert published.json()["published_at"] is not None
    assert (await client.get(f"/api/courses/{draft.id}", headers=reader)).status_code == 200


async def test_publication_is_stamped_with_the_app_clock(
    client: AsyncClient, database: Database, clock: ManualClock
) -> None:
    author = await admin(client, database)

    course = created(
        await client.post(
            "/api/courses",
            json={"slug": "clocked", "title": "T", "published": True},
            headers=author,
        )
    )

    assert course["published_at"] == clock.now().isoformat().replace("+00:00", "Z")


async def test_authoring_conflicts_and_missing_parents(
    client: AsyncClient, database: Database
) -> None:
    author = await admin(client, database)
    course = await make_course(client, author, lessons_per_level=(1,))
    missing = uuid.uuid4()

    cases: list[tuple[str, str, dict[str, Any], int]] = [
        ("POST", "/api/courses", {"slug": course.slug, "title": "Again"}, 409),
        ("POST", f"/api/courses/{course.id}/phases",
         {"ordinal": 1, "kind": "words", "title": "Again"}, 409),
        ("POST", f"/api/phases/{course.phase_id}/levels", {"ordinal": 1, "title": "Again"}, 409),
        ("POST", f"/api/levels/{course.level_ids[0]}/lessons", {"ordinal": 1, "title": "Again"}, 409),
        ("POST", "/api/items", {"kind": "character", "hanzi": "好", "sense_key": f"{course.slug}-1"}, 409),
        ("POST", f"/api/courses/{missing}/phases", {"ordinal": 2, "kind": "words", "title": "P"}, 404),
        ("POST", f"/api/phases/{missing}/levels", {"ordinal": 9, "title": "L"}, 404),
        ("POST", f"/api/levels/{missing}/lessons", {"ordinal": 9, "title": "L"}, 404),
        ("PATCH", f"/api/courses/{missing}", {"title": "T"}, 404),
        ("PATCH", f"/api/items/{missing}", {"keyword": "k"}, 404),
        ("DELETE", f"/api/lessons/{missing}", {}, 404),
        ("PUT", f"/api/lessons/{course.lesson_ids[0]}/items", {"item_ids": [str(missing)]}, 422),
        ("PUT", f"/api/lessons/{course.lesson_ids[0]}/items",
         {"item_ids": [course.items[0][0], course.items[0][0]]}, 422),
        ("PATCH", f"/api/courses/{course.id}", {"title": None}, 422),
        ("PATCH", f"/api/courses/{course.id}", {"unknown": 1}, 422),
        ("POST", "/api/courses", {"slug": "Not A Slug", "title": "T"}, 422),
        ("POST", "/api/items", {"kind": "character", "hanzi": "好", "pinyin": "hao9"}, 422),
        ("POST", "/api/items", {"kind": "planet", "hanzi": "好"}, 422),
        ("POST", f"/api/levels/{course.level_ids[0]}/lessons",
         {"ordinal": 2, "title": "L", "video_url": "javascript:alert(1)"}, 422),
    ]  # fmt: skip
    for method, path, body, status in cases:
        response = await client.request(method, path, json=body, headers=author)
        assert_problem(response, status)


async def test_a_level_moves_only_within_its_course(
    client: AsyncClient, database: Database
) -> None:
    author = await admin(client, database)
    one = await make_course(client, author, lessons_per_level=(1,), items_per_lesson=1)
    other = await make_course(client, author, lessons_per_level=(1,), items_per_lesson=1)
    second_phase = created(
        await client.post(
            f"/api/courses/{one.id}/phases",
            json={"ordinal": 2, "kind": "words", "title": "Words"},
            headers=author,
        )
    )

    moved = await client.patch(
        f"/api/levels/{one.level_ids[0]}", json={"phase_id": second_phase["id"]}, headers=author
    )
    refused = await client.patch(
        f"/api/levels/{one.level_ids[0]}", json={"phase_id": other.phase_id}, headers=author
    )

    assert moved.json()["phase_id"] == second_phase["id"]
    assert_problem(refused, 422)


async def test_deleting_cascades_down_the_tree(client: AsyncClient, database: Database) -> None:
    author = await admin(client, database)
    course = await make_course(client, author, lessons_per_level=(2,))

    deleted = await client.delete(f"/api/phases/{course.phase_id}", headers=author)

    assert deleted.status_code == 204
    assert_problem(await client.get(f"/api/levels/{course.level_ids[0]}", headers=author), 404)
    assert_problem(await client.get(f"/api/lessons/{course.lesson_ids[0]}", headers=author), 404)
    # Items are shared content: they outlive the lessons that taught them.
    assert (await client.get(f"/api/items/{course.items[0][0]}", headers=author)).status_code == 200
    assert (await client.delete(f"/api/courses/{course.id}", headers=author)).status_code == 204
    assert_problem(await client.get(f"/api/courses/{course.id}", headers=author), 404)


async def test_items_carry_pinyin_both_ways_and_their_movie_reading(
    client: AsyncClient, database: Database
) -> None:
    author = await admin(client, database)

    green = await make_item(client, author, "绿", pinyin="LV4", keyword="green")
    word = await make_item(client, author, "西安", kind="word", pinyin="xi1 an1")
    updated = await client.patch(
        f"/api/items/{green['id']}", json={"pinyin": "lu:3"}, headers=author
    )

    assert (green["pinyin_numbered"], green["pinyin_marks"], green["tone"]) == ("lü4", "lǜ", 4)
    assert green["mnemonics"]["actor"]["slot_key"] == "lü"
    assert green["mnemonics"]["set"]["slot_key"] == "Ø"
    assert green["mnemonics"]["room"] == {
        "tone": 4,
        "name": "Bathroom or backyard",
        "is_default": True,
    }
    assert (word["pinyin_numbered"], word["pinyin_marks"]) == ("xi1 an1", "xī'ān")
    # Words have no single actor: the chart is for one syllable.
    assert word["mnemonics"]["actor"] is None
    assert updated.json()["pinyin_marks"] == "lǚ"
    assert updated.json()["mnemonics"]["room"]["tone"] == 3


async def test_composition_links_both_ways_and_refuses_cycles(
    client: AsyncClient, database: Database
) -> None:
    author = await admin(client, database)
    woman = await make_item(client, author, "女", kind="component", suggested_prop="a dress")
    child = await make_item(client, author, "子", kind="component")
    good = await make_item(client, author, "好", pinyin="hao3")
    hello = await make_item(client, author, "你好", kind="word", pinyin="ni3 hao3")

    composed = await client.put(
        f"/api/items/{good['id']}/parts",
        json={"parts": [{"item_id": woman["id"], "ids_operator": "⿰"}, {"item_id": child["id"]}]},
        headers=author,
    )
    await client.put(
        f"/api/items/{hello['id']}/parts", json={"parts": [{"item_id": good["id"]}]}, headers=author
    )
    used = await client.get(f"/api/items/{woman['id']}", headers=author)
    good_read = await client.get(f"/api/items/{good['id']}", headers=author)
    itself = await client.put(
        f"/api/items/{good['id']}/parts", json={"parts": [{"item_id": good["id"]}]}, headers=author
    )
    cycle = await client.put(
        f"/api/items/{woman['id']}/parts",
        json={"parts": [{"item_id": hello["id"]}]},
        headers=author,
    )

    assert [(part["position"], part["ids_operator"], part["item"]["hanzi"])
            for part in composed.json()["parts"]] == [(0, "⿰", "女"), (1, None, "子")]  # fmt: skip
    assert [parent["hanzi"] for parent in used.json()["used_in"]] == ["好"]
    assert [parent["hanzi"] for parent in good_read.json()["used_in"]] == ["你好"]
    # Props for the components: the course's suggestion until the learner picks their own.
    assert [(prop["hanzi"], prop["name"], prop["is_own"])
            for prop in good_read.json()["mnemonics"]["props"]] == [
        ("女", "a dress", False), ("子", None, False)
    ]  # fmt: skip
    assert_problem(itself, 422)
    assert_problem(cycle, 422)


async def test_items_are_listed_and_searched(client: AsyncClient, database: Database) -> None:
    author = await admin(client, database)
    await make_item(client, author, "好", pinyin="hao3", keyword="good", frequency_rank=2)
    await make_item(client, author, "马", pinyin="ma3", keyword="horse", frequency_rank=1)
    await make_item(client, author, "马上", kind="word", pinyin="ma3 shang4", keyword="at once")

    characters = await client.get("/api/items?kind=character", headers=author)
    horse = await client.get("/api/items?search=HORSE", headers=author)
    by_hanzi = await client.get("/api/items?hanzi=马上", headers=author)
    wildcard = await client.get("/api/items?search=%25", headers=author)

    assert [item["hanzi"] for item in characters.json()["items"]] == ["马", "好"]
    assert [item["hanzi"] for item in horse.json()["items"]] == ["马"]
    assert [item["keyword"] for item in by_hanzi.json()["items"]] == ["at once"]
    assert wildcard.json()["total"] == 0


async def test_an_item_someone_reviews_cannot_be_deleted(
    client: AsyncClient, database: Database
) -> None:
    author = await admin(client, database)
    reader = await learner(client)
    course = await make_course(client, author, lessons_per_level=(1,), items_per_lesson=1)
    await client.post(f"/api/courses/{course.id}/enrol", headers=reader)
    await client.post(f"/api/lessons/{course.lesson_ids[0]}/complete", headers=reader)
    spare = await make_item(client, author, "马", sense_key="spare")

    assert_problem(await client.delete(f"/api/items/{course.items[0][0]}", headers=author), 409)
    assert (await client.delete(f"/api/items/{spare['id']}", headers=author)).status_code == 204


async def test_nul_bytes_and_bad_ids_are_client_errors(
    client: AsyncClient, database: Database
) -> None:
    author = await admin(client, database)
    course = await make_course(client, author, lessons_per_level=(1,), items_per_lesson=1)

    cases: list[tuple[str, str, Any]] = [
        ("POST", "/api/courses", {"slug": "nul", "title": "a\u0000b"}),
        ("POST", "/api/items", {"kind": "character", "hanzi": "好\u0000"}),
        ("POST", "/api/items", {"kind": "character", "hanzi": "好", "definitions": ["x\u0000"]}),
        # A lone surrogate is valid JSON with no UTF-8 (or PostgreSQL) form.
        ("PATCH", f"/api/lessons/{course.lesson_ids[0]}", b'{"body_md": "\\ud800"}'),
        ("GET", "/api/items?search=a%00b", None),
        ("GET", "/api/items?hanzi=%00", None),
        ("GET", "/api/courses/not-a-uuid", None),
        ("GET", "/api/lessons/123", None),
        ("GET", "/api/items/%00", None),
        ("GET", "/api/attribution?course=%00", None),
    ]
    for method, path, body in cases:
        if isinstance(body, bytes):
            response = await client.request(
                method, path, content=body, headers={**author, "Content-Type": "application/json"}
            )
        else:
            response = await client.request(method, path, json=body, headers=author)
        assert_problem(response, 422)


async def test_attribution_is_public(client: AsyncClient, database: Database) -> None:
    author = await admin(client, database)
    source = {
        "name": "CC-CEDICT",
        "license": "CC BY-SA 4.0",
        "url": "https://cc-cedict.org/wiki/",
        "license_url": "https://creativecommons.org/licenses/by-sa/4.0/",
        "notice": "Definitions from CC-CEDICT.",
    }
    created(
        await client.post(
            "/api/courses",
            json={
                "slug": "sourced",
                "title": "Sourced",
                "published": True,
                "attribution": [source],
            },
            headers=author,
        )
    )

    everything = await client.get("/api/attribution")
    one = await client.get("/api/attribution?course=sourced")
    unknown = await client.get("/api/attribution?course=no-such-course")

    assert everything.status_code == 200
    assert one.json() == [
        {"course_id": one.json()[0]["course_id"], "slug": "sourced", "title": "Sourced",
         "sources": [source]}
    ]  # fmt: skip
    assert_problem(unknown, 404)
