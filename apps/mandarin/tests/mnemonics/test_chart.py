"""The movie-method chart: syllables to actors, sets and rooms, and the rows migration 0002 made."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mandarin.mnemonics import chart
from mandarin.models import ActorCategory, SlotKind, SoundSlot
from svckit.db import Database


@pytest.mark.parametrize(
    ("syllable", "actor", "set_key", "tone"),
    [
        ("hao3", "h", "ao", 3),
        ("bian4", "bi", "an", 4),
        ("guo2", "gu", "o", 2),
        ("jue2", "ju", "e", 2),
        ("xiong2", "xi", "ong", 2),
        ("jiu3", "ji", "ou", 3),
        ("gui4", "gu", "ei", 4),
        ("lun2", "lu", "en", 2),
        ("jun1", "ju", "en", 1),
        ("ming2", "mi", "eng", 2),
        ("lü4", "lü", "Ø", 4),
        ("nüe4", "nü", "e", 4),
        ("zhi1", "zh", "Ø", 1),
        ("si4", "s", "Ø", 4),
        ("bu4", "bu", "Ø", 4),
        ("yi1", "yi", "Ø", 1),
        ("you3", "yi", "ou", 3),
        ("ying1", "yi", "eng", 1),
        ("yong4", "yi", "ong", 4),
        ("yu2", "yu", "Ø", 2),
        ("yuan2", "yu", "an", 2),
        ("wu3", "wu", "Ø", 3),
        ("wei4", "wu", "ei", 4),
        ("a1", "Ø", "a", 1),
        ("ou3", "Ø", "ou", 3),
        ("er2", "Ø", "Ø", 2),
        ("de5", "d", "e", 5),
    ],
)
def test_syllables_find_their_place(syllable: str, actor: str, set_key: str, tone: int) -> None:
    assert chart.reading(syllable) == chart.Reading(actor=actor, set=set_key, tone=tone)


@pytest.mark.parametrize("syllable", ["n2", "ng4", "hm1", "hao", "hao6", "x", ""])
def test_what_is_off_the_chart(syllable: str) -> None:
    assert chart.reading(syllable) is None


def test_the_chart_has_55_actors_in_four_categories_and_13_sets() -> None:
    categories = list(chart.ACTOR_CATEGORIES.values())

    assert len(chart.ACTOR_CATEGORIES) == 55
    assert {category: categories.count(category) for category in ActorCategory} == {
        ActorCategory.MALE: 19,
        ActorCategory.FEMALE: 11,
        ActorCategory.FICTIONAL: 19,
        ActorCategory.GOD: 6,
    }
    assert len(chart.SETS) == 13
    assert list(chart.ROOM_DEFAULTS) == [1, 2, 3, 4, 5]


async def test_the_migration_wrote_the_chart_with_its_fixed_ids(database: Database) -> None:
    async with database.sessionmaker() as session:
        slots = (await session.scalars(select(SoundSlot))).all()

    written = {(slot.kind, slot.key): (slot.id, slot.actor_category) for slot in slots}
    expected = {
        (SlotKind.INITIAL, key): (chart.slot_id(SlotKind.INITIAL, key), category)
        for key, category in chart.ACTOR_CATEGORIES.items()
    } | {(SlotKind.FINAL, key): (chart.slot_id(SlotKind.FINAL, key), None) for key in chart.SETS}
    assert written == expected
