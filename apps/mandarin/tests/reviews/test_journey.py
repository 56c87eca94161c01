"""A learner's first two weeks, over HTTP: sign up, enrol, learn, review, undo, sync, stats."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from httpx import AsyncClient
from mandarin_support import ManualClock, bearer, register

from mandarin.models import (
    Course,
    Item,
    ItemKind,
    Lesson,
    LessonItem,
    LessonKind,
    Level,
    Phase,
    PhaseKind,
)
from mandarin.reviews.calendar import LocalCalendar
from mandarin.scheduling import sm2
from mandarin.scheduling.grades import PASSING_GRADE
from svckit.db import Database

SHANGHAI = LocalCalendar(timezone="Asia/Shanghai", day_start_hour=4)
UTC_PLUS_8 = timezone(timedelta(hours=8))
# The six most frequent characters, two lessons of three.
CHARACTERS = [
    ("的", "de5"),
    ("一", "yi1"),
    ("是", "shi4"),
    ("不", "bu4"),
    ("了", "le5"),
    ("人", "ren2"),
]


async def build_course(
    database: Database, published_at: datetime
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """A published course with one level of two item lessons (content comes from authoring)."""
    sense = f"journey-{uuid.uuid4().hex[:8]}"
    async with database.sessionmaker() as session, session.begin():
        course = Course(slug=f"first-steps-{sense}", title="First steps", published_at=published_at)
        session.add(course)
        await session.flush()
        phase = Phase(course_id=course.id, ordinal=1, kind=PhaseKind.CHARACTERS, title="Characters")
        session.add(phase)
        await session.flush()
        level = Level(course_id=course.id, phase_id=phase.id, ordinal=1, title="Level 1")
        session.add(level)
        await session.flush()
        lessons = []
        for ordinal in (1, 2):
            lesson = Lesson(
                level_id=level.id, ordinal=ordinal, kind=LessonKind.ITEM, title=f"Lesson {ordinal}"
            )
            session.add(lesson)
            lessons.append(lesson)
        await session.flush()
        for rank, (hanzi, pinyin) in enumerate(CHARACTERS, start=1):
            item = Item(
                kind=ItemKind.CHARACTER,
                hanzi=hanzi,
                sense_key=sense,
                pinyin_numbered=pinyin,
                frequency_rank=rank,
                introduced_level_id=level.id,
            )
            session.add(item)
            await session.flush()
            lesson = lessons[(rank - 1) // 3]
            session.add(LessonItem(lesson_id=lesson.id, item_id=item.id, position=(rank - 1) % 3))
        return course.id, [lesson.id for lesson in lessons]


class Journal:
    """What the learner did, kept by the test to check the server's account against."""

    def __init__(self) -> None:
        self.grades: dict[str, list[int]] = defaultdict(list)
        self.days: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])

    def answered(self, card_id: str, grade: int, at: datetime, *, was_new: bool) -> None:
        self.grades[card_id].append(grade)
        counts = self.days[SHANGHAI.day_of(at)]
        counts[0 if was_new else 1] += 1
        counts[2] += grade >= PASSING_GRADE and not was_new

    def undone(self, card_id: str, at: datetime, *, was_new: bool) -> None:
        grade = self.grades[card_id].pop()
        counts = self.days[SHANGHAI.day_of(at)]
        counts[0 if was_new else 1] -= 1
        counts[2] -= grade >= PASSING_GRADE and not was_new


async def test_learner_journey(client: AsyncClient, database: Database, clock: ManualClock) -> None:
    clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))  # 09:00 on 2 March in Shanghai
    course_id, lessons = await build_course(database, clock.now() - timedelta(days=30))
    journal = Journal()

    # Sign up, enrol, learn both lessons.
    account = await register(client, timezone="Asia/Shanghai")
    headers = bearer(account["access_token"])
    enrolment = await client.post(f"/api/courses/{course_id}/enrol", headers=headers)
    assert enrolment.status_code == 200, enrolment.text
    assert enrolment.json()["next_lesson_id"] == str(lessons[0])
    for lesson_id in lessons:
        completed = await client.post(f"/api/lessons/{lesson_id}/complete", headers=headers)
        assert completed.status_code == 200, completed.text
        assert completed.json()["cards_created"] == 3

    async def queue() -> dict[str, Any]:
        response = await client.get("/api/reviews/queue", headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def answer(card: dict[str, Any], grade: int) -> dict[str, Any]:
        response = await client.post(
            "/api/reviews",
            json={
                "card_id": card["card_id"],
                "grade": grade,
                "idempotency_key": str(uuid.uuid4()),
                "duration_ms": 3000,
            },
            headers=headers,
        )
        assert response.status_code == 200, response.text
        journal.answered(card["card_id"], grade, clock.now(), was_new=card["queue"] == "new")
        clock.advance(seconds=20)
        body: dict[str, Any] = response.json()
        return body

    # Day 1: the six new cards, in the order the lessons teach them.
    today = await queue()
    assert today["day"] == "2026-03-02"
    assert [card["item"]["hanzi"] for card in today["cards"]] == [h for h, _ in CHARACTERS]
    assert {card["queue"] for card in today["cards"]} == {"new"}
    cards = {card["item"]["hanzi"]: card for card in today["cards"]}
    for card, grade in zip(today["cards"], [5, 4, 3, 2, 4, 5], strict=True):
        last = await answer(card, grade)
    # The last grade was a slip: take it back and answer again.
    undone = await client.post("/api/reviews/undo", headers=headers)
    assert undone.status_code == 200, undone.text
    assert undone.json()["review_id"] == last["review_id"]
    assert undone.json()["card"]["state"] == "new"
    journal.undone(cards["人"]["card_id"], clock.now(), was_new=True)
    assert [card["item"]["hanzi"] for card in (await queue())["cards"]] == ["人"]
    await answer(cards["人"], 3)
    assert (await queue())["cards"] == []

    def grade_on(day: int, hanzi: str) -> int:
        if hanzi == "是":
            return 2 if day % 2 else 4  # never sticks, so it is due every day
        return 1 if (day, hanzi) == (2, "不") else 4

    # Days 2 to 10, studied online at 09:00, on the 6th after midnight (still the 6th until
    # 04:00); every due card is answered.
    for day in range(1, 10):
        clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=UTC) + timedelta(days=day))
        if day == 4:
            clock.advance(hours=18)  # 03:00 on the 7th in Shanghai: the learner's 6 March
        due = await queue()
        assert due["day"] == (date(2026, 3, 2) + timedelta(days=day)).isoformat()
        assert {card["queue"] for card in due["cards"]} <= {"review"}
        for card in due["cards"]:
            await answer(card, grade_on(day, card["item"]["hanzi"]))

    # Day 11 offline: the device cached the queue in the morning and answered on the way to work.
    clock.set(datetime(2026, 3, 12, 1, 0, tzinfo=UTC))
    cached = await queue()
    assert cached["cards"], "something is due on day 11"
    offline_start = datetime(2026, 3, 12, 8, 30, tzinfo=UTC_PLUS_8)
    events = []
    for seq, card in enumerate(cached["cards"]):
        at = offline_start + timedelta(minutes=seq)
        offline_grade = 5 if seq % 2 else 3
        events.append(
            {
                "idempotency_key": str(uuid.uuid4()),
                "card_id": card["card_id"],
                "grade": offline_grade,
                "client_reviewed_at": at.isoformat(),
                "duration_ms": 2500,
                "client_seq": seq,
                "base_version": card["version"],
            }
        )
        journal.answered(card["card_id"], offline_grade, at, was_new=False)
    clock.set(datetime(2026, 3, 12, 12, 0, tzinfo=UTC))  # 20:00, back online
    device = {"device_id": str(uuid.uuid4()), "events": events}
    first = await client.post("/api/reviews/sync", json=device, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["summary"]["applied"] == len(events)
    schedules = {
        hanzi: (await client.get(f"/api/reviews/cards/{card['card_id']}", headers=headers)).json()
        for hanzi, card in cards.items()
    }
    # The device retries (it never saw the answer): nothing changes.
    second = await client.post("/api/reviews/sync", json=device, headers=headers)
    assert second.json()["summary"] == {
        "applied": 0,
        "replayed": 0,
        "duplicate": len(events),
        "rejected": 0,
    }
    for hanzi, card in cards.items():
        again = await client.get(f"/api/reviews/cards/{card['card_id']}", headers=headers)
        assert again.json() == schedules[hanzi]

    # Every card is exactly where SM-2 puts it after the answers that stand.
    for hanzi, card in cards.items():
        detail = schedules[hanzi]
        grades = journal.grades[card["card_id"]]
        assert [e["grade"] for e in detail["history"] if e["undone_at"] is None] == grades
        expected = sm2.replay(grades)[-1]
        assert Decimal(detail["card"]["sm2"]["easiness"]) == expected.easiness
        assert detail["card"]["sm2"]["repetitions"] == expected.repetitions
        assert detail["card"]["sm2"]["interval_days"] == expected.interval
    assert schedules["不"]["card"]["lapses"] == 1

    # The learner's statistics agree with the journal, day by day.
    stats = await client.get("/api/reviews/stats", params={"days": 14}, headers=headers)
    assert stats.status_code == 200, stats.text
    body = stats.json()
    assert body["today"] == "2026-03-12"
    for entry in body["daily"]:
        counts = journal.days.get(date.fromisoformat(entry["day"]), [0, 0, 0])
        assert [entry["new"], entry["reviews"], entry["passed"]] == counts, entry["day"]
    reviews = sum(counts[1] for counts in journal.days.values())
    passed = sum(counts[2] for counts in journal.days.values())
    assert body["retention"]["reviews"] == reviews
    assert body["retention"]["rate"] == passed / reviews
    assert body["streak"] == {
        "current": len(journal.days),
        "reviewed_today": True,
        "last_review_day": "2026-03-12",
    }
    assert len(journal.days) == 11  # 2 to 12 March, every day
    assert body["cards"]["review"] == 6
    assert sum(day["due"] for day in body["forecast"]) <= 6
