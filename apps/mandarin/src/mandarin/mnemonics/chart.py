"""The movie-method pinyin chart: which actor, set and room a syllable stands for.

The chart re-cuts pinyin so a medial goes with the initial: "bian" is the actor "bi" in the set
"an", "guo" is "gu" in "o", "jue" is "ju" in "e". That gives 55 actors (19 plain initials with the
null one, 11 before i, 19 before u, 6 before ü) and 13 sets (the null final "Ø" and twelve
finals), and a room per tone. Actor categories follow the rows: plain initials are men, i-row
actors women, u-row actors fictional characters, ü-row actors gods and leaders.

The chart is fixed reference data, also inserted by migration 0002 (with the same ids, see
`slot_id`); a test keeps the two in step.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from mandarin.models import ActorCategory, SlotKind

NULL = "Ø"

_PLAIN: tuple[str, ...] = (NULL, "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h")
_PLAIN += ("zh", "ch", "sh", "r", "z", "c", "s")
_I_ROW = ("bi", "pi", "mi", "di", "ti", "ni", "li", "ji", "qi", "xi", "yi")
_U_ROW: tuple[str, ...] = (
    "bu",
    "pu",
    "mu",
    "fu",
    "du",
    "tu",
    "nu",
    "lu",
    "gu",
    "ku",
    "hu",
    "zhu",
    "chu",
    "shu",
)
_U_ROW += ("ru", "zu", "cu", "su", "wu")
_U_UMLAUT_ROW = ("nü", "lü", "ju", "qu", "xu", "yu")

ACTOR_CATEGORIES: dict[str, ActorCategory] = {
    **dict.fromkeys(_PLAIN, ActorCategory.MALE),
    **dict.fromkeys(_I_ROW, ActorCategory.FEMALE),
    **dict.fromkeys(_U_ROW, ActorCategory.FICTIONAL),
    **dict.fromkeys(_U_UMLAUT_ROW, ActorCategory.GOD),
}

# Set key -> the finals it houses, as the chart labels it.
SETS: dict[str, str] = {
    NULL: "no final: bu, bi, ju, zhi, yi, wu",
    "a": "-a: ba, jia, hua",
    "o": "-o: bo, duo, yo",
    "e": "-e: ge, jie, jue",
    "ai": "-ai: bai, kuai",
    "ei": "-ei: bei, gui",
    "ao": "-ao: bao, jiao",
    "ou": "-ou: dou, jiu",
    "an": "-an: ban, jian, guan, juan",
    "en": "-(e)n: ben, jin, gun, jun",
    "ang": "-ang: bang, jiang, guang",
    "eng": "-(e)ng: beng, jing",
    "ong": "-ong: dong, jiong",
}

ROOM_DEFAULTS: dict[int, str] = {
    1: "Outside the entrance",
    2: "Hallway or kitchen",
    3: "Bedroom or living room",
    4: "Bathroom or backyard",
    5: "Roof",
}

_INITIALS: tuple[str, ...] = (
    "zh",
    "ch",
    "sh",
    "b",
    "p",
    "m",
    "f",
    "d",
    "t",
    "n",
    "l",
    "g",
    "k",
    "h",
)
_INITIALS += ("j", "q", "x", "r", "z", "c", "s", "y", "w")
_BUZZING = frozenset({"zh", "ch", "sh", "r", "z", "c", "s"})
# What remains of a final once its medial went to the actor ("iu" is "iou", "ui" is "uei").
_AFTER_MEDIAL = {"": NULL, "u": "ou", "i": "ei", "n": "en", "ng": "eng"}
_FINALS = {"": NULL, "n": "en", "ng": "eng", "ê": "e"}

# Syllabic nasals and interjections (嗯 n2, 呣 m2, 噷 hm1) have no place on the chart.
_OFF_CHART = frozenset({"m", "n", "ng", "hm", "hng"})

_NAMESPACE = uuid.UUID("8f6f1c1e-4d5b-4f3c-9a57-6d2f0c1b7a10")


@dataclass(frozen=True, slots=True)
class Reading:
    """A syllable in movie-method terms."""

    actor: str
    set: str
    tone: int


def slot_id(kind: SlotKind, key: str) -> uuid.UUID:
    """The fixed id of a chart slot, the same in every database."""
    return uuid.uuid5(_NAMESPACE, f"{kind.value}:{key}")


def _cut(body: str) -> tuple[str, str]:
    """(actor key, set key) of a toneless syllable."""
    if body == "er":
        # The only syllable with neither initial nor final: the null actor in the null set.
        return NULL, NULL
    initial = next((prefix for prefix in _INITIALS if body.startswith(prefix)), "")
    rest = body[len(initial) :]
    if initial == "y":
        if rest.startswith("u"):
            return "yu", _AFTER_MEDIAL.get(rest[1:], rest[1:])
        return "yi", _AFTER_MEDIAL.get(rest[1:] if rest.startswith("i") else rest, rest)
    if initial == "w":
        return "wu", _AFTER_MEDIAL.get("" if rest == "u" else rest, rest)
    if initial in {"j", "q", "x"}:
        medial = "u" if rest[:1] in {"u", "ü"} else "i"
        return initial + medial, _AFTER_MEDIAL.get(rest[1:], rest[1:])
    if not initial:
        return NULL, _FINALS.get(rest, rest)
    if initial in _BUZZING and rest == "i":
        return initial, NULL
    if rest[:1] in {"i", "u", "ü"}:
        return initial + rest[0], _AFTER_MEDIAL.get(rest[1:], rest[1:])
    return initial, _FINALS.get(rest, rest)


def reading(syllable: str) -> Reading | None:
    """The actor, set and tone of one numbered syllable ("hao3"), None off the chart ("n2")."""
    if len(syllable) < 2 or not syllable[-1].isdigit():
        return None
    tone = int(syllable[-1])
    if tone not in ROOM_DEFAULTS or syllable[:-1] in _OFF_CHART:
        return None
    actor, set_key = _cut(syllable[:-1])
    if actor not in ACTOR_CATEGORIES or set_key not in SETS:
        return None
    return Reading(actor=actor, set=set_key, tone=tone)
