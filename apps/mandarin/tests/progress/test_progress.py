"""Enrolment, the unlock rules, and the review cards a completed lesson creates."""

from __future__ import annotations

import uuid
from decimal import Decimal

from course_support import Course, admin, learner, make_course
from httpx import AsyncClient
from mandarin_support import ManualClock, assert_problem
from sqlalchemy import func, select

from mandarin.models import CardState, ReviewCard, User
from svckit.db import Database


async def _user_id(client: AsyncClient, headers: dict[str, str]) -> uuid.UUID:
    return uuid.UUID((await client.get("/api/auth/me", headers=headers)).json()["id"])


async def _cards(database: Database, user_id: uuid.UUID) -> list[ReviewCard]:
    async with database.sessionmaker() as session:
        cards = await session.scalars(
            select(ReviewCard).where(ReviewCard.user_id == user_id).order_by(ReviewCard.item_id)
        )
        return list(cards.all())


async def _course(
    client: AsyncClient,
    database: Database,
    *,
    lessons_per_level: tuple[int, ...] = (2, 1),
    items_per_lesson: int = 2,
    published: bool = True,
    unlock_rule: str = "previous_completed",
) -> Course:
    return await make_course(
        client,
        await admin(client, database),
        lessons_per_level=lessons_per_level,
        items_per_lesson=items_per_lesson,
        published=published,
        unlock_rule=unlock_rule,
    )


async def test_enrolling_opens_the_first_lesson(client: AsyncClient, database: Database) -> None:
    course = await _course(client, database, lessons_per_level=(2, 1))
    me = await learner(client)

    enrolled = await client.post(f"/api/courses/{course.id}/enrol", headers=me)
    again = await client.post(f"/api/courses/{course.id}/enrol", headers=me)
    listed = await client.get("/api/me/enrolments", headers=me)

    assert enrolled.status_code == 200, enrolled.text
    body = enrolled.json()
    assert body["course"]["id"] == course.id
    assert body["status"] == "active"
    assert body["lessons_total"] == 3
    assert body["lessons_completed"] == 0
    assert body["next_lesson_id"] == course.lesson_ids[0]
    assert body["current_level_id"] == course.level_ids[0]
    assert again.json() == body
    assert listed.json()["total"] == 1
    assert listed.json()["items"] == [body]


async def test_enrolment_is_stamped_with_the_app_clock(
    client: AsyncClient, database: Database, clock: ManualClock
) -> None:
    course = await _course(client, database)
    me = await learner(client)

    enrolled = await client.post(f"/api/courses/{course.id}/enrol", headers=me)

    assert enrolled.json()["started_at"] == clock.now().isoformat().replace("+00:00", "Z")


async def test_drafts_and_unknown_courses_cannot_be_enrolled_in(
    client: AsyncClient, database: Database
) -> None:
    draft = await _course(client, database, published=False)
    me = await learner(client)

    assert_problem(await client.post(f"/api/courses/{draft.id}/enrol", headers=me), 404)
    assert_problem(await client.post(f"/api/courses/{uuid.uuid4()}/enrol", headers=me), 404)
    assert_problem(await client.post("/api/courses/nope/enrol", headers=me), 422)


async def test_unlock_rules_walk_the_course_in_order(
    client: AsyncClient, database: Database
) -> None:
    course = await _course(client, database, lessons_per_level=(2, 1))
    me = await learner(client)
    first, second, third = course.lesson_ids

    not_enrolled = await client.post(f"/api/lessons/{first}/complete", headers=me)
    await client.post(f"/api/courses/{course.id}/enrol", headers=me)
    locked = await client.post(f"/api/lessons/{second}/complete", headers=me)
    completed = await client.post(f"/api/lessons/{first}/complete", headers=me)
    now_open = await client.get(f"/api/lessons/{second}/progress", headers=me)
    still_locked = await client.post(f"/api/lessons/{third}/complete", headers=me)

    assert_problem(not_enrolled, 403)
    assert "locked" in assert_problem(locked, 409)["detail"]
    assert completed.status_code == 200, completed.text
    assert completed.json()["progress"]["status"] == "completed"
    assert completed.json()["next_lesson_id"] == second
    assert now_open.json()["unlocked"] is True
    assert now_open.json()["status"] == "not_started"
    assert_problem(still_locked, 409)

    # The first lesson of the next level opens when the previous level's last one is done.
    await client.post(f"/api/lessons/{second}/complete", headers=me)
    finished = await client.post(f"/api/lessons/{third}/complete", headers=me)
    assert finished.json()["next_lesson_id"] is None
    enrolment = (await client.get("/api/me/enrolments", headers=me)).json()["items"][0]
    assert enrolment["status"] == "completed"
    assert enrolment["lessons_completed"] == 3
    assert enrolment["next_lesson_id"] is None


async def test_completion_creates_new_sm2_cards_once(
    client: AsyncClient, database: Database, clock: ManualClock
) -> None:
    course = await _course(client, database, lessons_per_level=(1,), items_per_lesson=3)
    me = await learner(client)
    await client.post(f"/api/courses/{course.id}/enrol", headers=me)

    completed_at = clock.now()
    first = await client.post(f"/api/lessons/{course.lesson_ids[0]}/complete", headers=me)
    clock.advance(hours=2)
    second = await client.post(f"/api/lessons/{course.lesson_ids[0]}/complete", headers=me)

    assert first.json()["cards_created"] == 3
    assert second.json()["cards_created"] == 0
    assert second.json()["progress"]["completed_at"] == first.json()["progress"]["completed_at"]
    cards = await _cards(database, await _user_id(client, me))
    assert sorted(str(card.item_id) for card in cards) == sorted(course.items[0])
    for card in cards:
        assert card.state is CardState.NEW
        assert (card.sm2_repetitions, card.sm2_easiness, card.sm2_interval_days) == (
            0,
            Decimal("2.50"),
            0,
        )
        assert card.due_at == completed_at
        assert card.created_at == completed_at
        assert (card.reps, card.lapses, card.version, card.suspended) == (0, 0, 1, False)


async def test_an_item_taught_twice_gets_one_card(client: AsyncClient, database: Database) -> None:
    author = await admin(client, database)
    course = await make_course(client, author, lessons_per_level=(2,), items_per_lesson=2)
    # The second lesson repeats an item of the first.
    await client.put(
        f"/api/lessons/{course.lesson_ids[1]}/items",
        json={"item_ids": [course.items[0][0], *course.items[1]]},
        headers=author,
    )
    me = await learner(client)
    await client.post(f"/api/courses/{course.id}/enrol", headers=me)

    first = await client.post(f"/api/lessons/{course.lesson_ids[0]}/complete", headers=me)
    second = await client.post(f"/api/lessons/{course.lesson_ids[1]}/complete", headers=me)

    assert (first.json()["cards_created"], second.json()["cards_created"]) == (2, 2)
    assert len(await _cards(database, await _user_id(client, me))) == 4


async def test_progress_is_per_learner(client: AsyncClient, database: Database) -> None:
    course = await _course(client, database, lessons_per_level=(2,))
    alice = await learner(client)
    bob = await learner(client)
    for headers in (alice, bob):
        await client.post(f"/api/courses/{course.id}/enrol", headers=headers)

    await client.post(f"/api/lessons/{course.lesson_ids[0]}/complete", headers=alice)
    bobs_view = await client.get(f"/api/lessons/{course.lesson_ids[0]}/progress", headers=bob)
    bob_locked = await client.post(f"/api/lessons/{course.lesson_ids[1]}/complete", headers=bob)

    assert bobs_view.json()["status"] == "not_started"
    assert_problem(bob_locked, 409)
    assert await _cards(database, await _user_id(client, bob)) == []
    bob_enrolment = (await client.get("/api/me/enrolments", headers=bob)).json()["items"][0]
    assert bob_enrolment["lessons_completed"] == 0


async def test_course_progress_pages_tell_which_lessons_are_open(
    client: AsyncClient, database: Database
) -> None:
    course = await _course(client, database, lessons_per_level=(2, 2), items_per_lesson=1)
    me = await learner(client)
    outsider = await learner(client)
    await client.post(f"/api/courses/{course.id}/enrol", headers=me)
    await client.post(f"/api/lessons/{course.lesson_ids[0]}/complete", headers=me)

    whole = await client.get(f"/api/courses/{course.id}/progress", headers=me)
    page = await client.get(f"/api/courses/{course.id}/progress?offset=1&limit=2", headers=me)
    not_enrolled = await client.get(f"/api/courses/{course.id}/progress", headers=outsider)

    rows = whole.json()["items"]
    assert whole.json()["total"] == 4
    assert [row["lesson_id"] for row in rows] == course.lesson_ids
    assert [(row["status"], row["unlocked"]) for row in rows] == [
        ("completed", True),
        ("not_started", True),
        ("not_started", False),
        ("not_started", False),
    ]
    assert [(row["level_ordinal"], row["ordinal"]) for row in rows] == [
        (1, 1),
        (1, 2),
        (2, 1),
        (2, 2),
    ]
    assert [row["unlocked"] for row in page.json()["items"]] == [True, False]
    assert not any(row["unlocked"] for row in not_enrolled.json()["items"])


async def test_watching_marks_a_lesson_in_progress(
    client: AsyncClient, database: Database, clock: ManualClock
) -> None:
    course = await _course(client, database, lessons_per_level=(2,))
    me = await learner(client)
    await client.post(f"/api/courses/{course.id}/enrol", headers=me)

    watched = await client.put(
        f"/api/lessons/{course.lesson_ids[0]}/progress", json={"seconds_watched": 90}, headers=me
    )
    rewound = await client.put(
        f"/api/lessons/{course.lesson_ids[0]}/progress", json={"seconds_watched": 30}, headers=me
    )
    locked = await client.put(
        f"/api/lessons/{course.lesson_ids[1]}/progress", json={"seconds_watched": 5}, headers=me
    )
    negative = await client.put(
        f"/api/lessons/{course.lesson_ids[0]}/progress", json={"seconds_watched": -1}, headers=me
    )

    assert watched.json()["status"] == "in_progress"
    assert watched.json()["started_at"] == clock.now().isoformat().replace("+00:00", "Z")
    assert rewound.json()["seconds_watched"] == 90
    assert_problem(locked, 409)
    assert_problem(negative, 422)


async def test_levels_that_are_always_open(client: AsyncClient, database: Database) -> None:
    course = await _course(client, database, lessons_per_level=(2,), unlock_rule="always")
    me = await learner(client)
    await client.post(f"/api/courses/{course.id}/enrol", headers=me)

    skipped_ahead = await client.post(f"/api/lessons/{course.lesson_ids[1]}/complete", headers=me)

    assert skipped_ahead.status_code == 200, skipped_ahead.text


async def test_draft_lessons_are_not_found_for_learners(
    client: AsyncClient, database: Database
) -> None:
    draft = await _course(client, database, published=False)
    me = await learner(client)

    for method, path in (
        ("POST", f"/api/lessons/{draft.lesson_ids[0]}/complete"),
        ("GET", f"/api/lessons/{draft.lesson_ids[0]}/progress"),
        ("GET", f"/api/courses/{draft.id}/progress"),
        ("POST", f"/api/lessons/{uuid.uuid4()}/complete"),
    ):
        assert_problem(await client.request(method, path, headers=me), 404)


async def test_no_card_is_left_behind_by_a_refused_completion(
    client: AsyncClient, database: Database
) -> None:
    course = await _course(client, database, lessons_per_level=(2,))
    me = await learner(client)
    await client.post(f"/api/courses/{course.id}/enrol", headers=me)

    await client.post(f"/api/lessons/{course.lesson_ids[1]}/complete", headers=me)

    async with database.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(ReviewCard).join(User, User.id == ReviewCard.user_id)
        )
    assert count == 0
