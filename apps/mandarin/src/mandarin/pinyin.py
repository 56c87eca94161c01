"""Pinyin spellings: the numbered form we store ("ni3 hao3") and the tone-marked form we show.

Stored pinyin is numbered syllables separated by spaces, tone 5 for the neutral tone and "ü"
spelled out; CC-CEDICT's "u:" and pypinyin's "v" are normalised to it on the way in.
"""

from __future__ import annotations

import re
import unicodedata

# Combining marks, composed with their vowel by NFC (ǚ, ń and ḿ included).
_TONE_MARKS = {1: "\u0304", 2: "\u0301", 3: "\u030c", 4: "\u0300"}
_VOWELS = "aeiouü"
_SYLLABLE = re.compile(r"[a-zü]+[1-5]")


class InvalidPinyin(ValueError):
    """Text that is not numbered pinyin."""


def normalise_syllable(syllable: str) -> str:
    """One numbered syllable in the stored spelling: lower case, "ü", a tone digit 1-5."""
    spelled = syllable.strip().lower().replace("u:", "ü").replace("v", "ü")
    if not _SYLLABLE.fullmatch(spelled):
        raise InvalidPinyin(f"{syllable!r} is not a numbered pinyin syllable such as hao3")
    return spelled


def normalise_numbered(text: str) -> str:
    """Numbered pinyin in the stored spelling: syllables separated by single spaces."""
    syllables = text.split()
    if not syllables:
        raise InvalidPinyin("pinyin must have at least one syllable")
    return " ".join(normalise_syllable(syllable) for syllable in syllables)


def _marked_index(body: str) -> int | None:
    # The rule of Hanyu Pinyin: a or e take the mark, o takes it in "ou", else the last vowel.
    for vowel in "ae":
        if vowel in body:
            return body.index(vowel)
    if "ou" in body:
        return body.index("o")
    for index in range(len(body) - 1, -1, -1):
        if body[index] in _VOWELS:
            return index
    # Syllabic nasals (m2, n3, ng4) carry the mark on their first letter.
    return 0 if body else None


def syllable_with_mark(syllable: str) -> str:
    """ "hao3" -> "hǎo"; a neutral tone (5) has no mark."""
    body, tone = syllable[:-1], int(syllable[-1])
    if tone not in _TONE_MARKS:
        return body
    index = _marked_index(body)
    if index is None:
        return body
    marked = body[: index + 1] + _TONE_MARKS[tone] + body[index + 1 :]
    return unicodedata.normalize("NFC", marked)


def to_marks(numbered: str) -> str:
    """Stored pinyin as one tone-marked word: "xi1 an1" -> "xī'ān", "ni3 hao3" -> "nǐhǎo"."""
    # Hanyu Pinyin writes a word's syllables together, with an apostrophe before a non-first
    # syllable starting with a, o or e, where the boundary would otherwise be ambiguous.
    parts: list[str] = []
    for position, syllable in enumerate(numbered.split()):
        marked = syllable_with_mark(syllable)
        if position and syllable[0] in "aoe":
            parts.append("'")
        parts.append(marked)
    return "".join(parts)


def split_syllables(numbered: str) -> list[tuple[str, int]]:
    """Stored pinyin as (toneless syllable, tone) pairs."""
    return [(syllable[:-1], int(syllable[-1])) for syllable in numbered.split()]
