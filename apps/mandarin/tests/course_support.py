"""Helpers of the course, progress and movie-method tests: accounts and a small course."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from mandarin_support import bearer, register
from sqlalchemy import update

from mandarin.models import User
from svckit.db import Database


async def learner(client: httpx.AsyncClient) -> dict[str, str]:
    """Authorization headers of a newly registered learner."""
    return bearer((await register(client))["access_token"])


async def admin(client: httpx.AsyncClient, database: Database) -> dict[str, str]:
    """Authorization headers of a newly registered account made administrator."""
    account = await register(client)
    async with database.sessionmaker() as session, session.begin():
        await session.execute(
            update(User).where(User.email == account["email"]).values(is_admin=True)
        )
    return bearer(account["access_token"])


def created(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def make_item(
    client: httpx.AsyncClient, headers: dict[str, str], hanzi: str, **fields: Any
) -> dict[str, Any]:
    fields.setdefault("kind", "character")
    return created(
        await client.post("/api/items", json={"hanzi": hanzi, **fields}, headers=headers)
    )


@dataclass
class Course:
    id: str
    slug: str
    phase_id: str
    level_ids: list[str] = field(default_factory=list)
    lesson_ids: list[str] = field(default_factory=list)
    # Per lesson, the ids of its items.
    items: list[list[str]] = field(default_factory=list)


CHARACTERS = [
    ("好", "hao3", "good"),
    ("你", "ni3", "you"),
    ("妈", "ma1", "mother"),
    ("马", "ma3", "horse"),
    ("吗", "ma5", "question particle"),
    ("绿", "lü4", "green"),
    ("学", "xue2", "to learn"),
    ("生", "sheng1", "to be born"),
]


async def make_course(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    *,
    lessons_per_level: tuple[int, ...] = (2, 1),
    items_per_lesson: int = 2,
    published: bool = True,
    unlock_rule: str = "previous_completed",
) -> Course:
    """A published course of one phase; its levels hold lessons_per_level lessons each."""
    slug = f"course-{uuid.uuid4().hex[:8]}"
    course = created(
        await client.post(
            "/api/courses",
            json={"slug": slug, "title": "Test course", "published": published},
            headers=headers,
        )
    )
    phase = created(
        await client.post(
            f"/api/courses/{course['id']}/phases",
            json={"ordinal": 1, "kind": "characters", "title": "Characters"},
            headers=headers,
        )
    )
    tree = Course(id=course["id"], slug=slug, phase_id=phase["id"])
    characters = iter(CHARACTERS * 10)
    made = 0
    for level_ordinal, lesson_count in enumerate(lessons_per_level, start=1):
        level = created(
            await client.post(
                f"/api/phases/{phase['id']}/levels",
                json={"ordinal": level_ordinal, "title": f"Level {level_ordinal}",
                      "unlock_rule": unlock_rule},
                headers=headers,
            )
        )  # fmt: skip
        tree.level_ids.append(level["id"])
        for lesson_ordinal in range(1, lesson_count + 1):
            lesson = created(
                await client.post(
                    f"/api/levels/{level['id']}/lessons",
                    json={"ordinal": lesson_ordinal, "title": f"Lesson {lesson_ordinal}"},
                    headers=headers,
                )
            )
            item_ids = []
            for _ in range(items_per_lesson):
                hanzi, numbered, keyword = next(characters)
                made += 1
                item = await make_item(
                    client,
                    headers,
                    hanzi,
                    sense_key=f"{slug}-{made}",
                    pinyin=numbered,
                    keyword=keyword,
                )
                item_ids.append(item["id"])
            created(
                await client.put(
                    f"/api/lessons/{lesson['id']}/items",
                    json={"item_ids": item_ids},
                    headers=headers,
                ),
                200,
            )
            tree.lesson_ids.append(lesson["id"])
            tree.items.append(item_ids)
    return tree
