"""Stored (numbered) pinyin and its tone-marked rendering."""

from __future__ import annotations

import pytest
from pypinyin import Style, lazy_pinyin
from pypinyin.contrib.tone_convert import to_tone

from mandarin import pinyin


@pytest.mark.parametrize(
    ("numbered", "marks"),
    [
        ("hao3", "hǎo"),
        ("ma5", "ma"),
        ("lü4", "lǜ"),
        ("nü3 er2", "nǚ'ér"),
        ("xi1 an1", "xī'ān"),
        ("ni3 hao3", "nǐhǎo"),
        ("gui4", "guì"),
        ("liu2", "liú"),
        ("zhou1", "zhōu"),
        ("er4", "èr"),
        ("n2", "ń"),
        ("m2", "ḿ"),
    ],
)
def test_marks_follow_the_placement_rule(numbered: str, marks: str) -> None:
    assert pinyin.to_marks(numbered) == marks


@pytest.mark.parametrize(
    ("given", "stored"),
    [("Hao3", "hao3"), ("lv4", "lü4"), ("lu:4  se4", "lü4 se4"), (" ni3 hao3 ", "ni3 hao3")],
)
def test_input_is_normalised(given: str, stored: str) -> None:
    assert pinyin.normalise_numbered(given) == stored


@pytest.mark.parametrize("given", ["hao", "hao0", "hǎo", "", "ni3hao3", "ha-o3"])
def test_what_is_not_numbered_pinyin(given: str) -> None:
    with pytest.raises(pinyin.InvalidPinyin):
        pinyin.normalise_numbered(given)


def test_marks_agree_with_pypinyin_on_hsk_words() -> None:
    words = ["中心", "绿色", "女儿", "一会儿", "朋友", "学生", "东西", "天安门", "旅游", "窗户"]
    for word in words:
        numbered = lazy_pinyin(word, style=Style.TONE3, neutral_tone_with_five=True, v_to_u=True)
        expected = "".join(to_tone(syllable) for syllable in numbered)
        assert pinyin.to_marks(" ".join(numbered)).replace("'", "") == expected
