"""Bodies of the course routes: the course tree, items and their composition, authoring input."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from mandarin import pinyin
from mandarin.bodies import InputModel, PatchModel
from mandarin.fields import StoredText, WebUrl
from mandarin.mnemonics.schemas import ItemMnemonics
from mandarin.models import ItemKind, LessonKind, PhaseKind, UnlockRule

Title = Annotated[
    StoredText, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]
LongText = Annotated[StoredText, StringConstraints(max_length=100_000)]
Slug = Annotated[str, StringConstraints(max_length=100, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]
Ordinal = Annotated[int, Field(ge=1, le=100_000)]
Hanzi = Annotated[
    StoredText, StringConstraints(strip_whitespace=True, min_length=1, max_length=800)
]


def _numbered_pinyin(value: str) -> str:
    try:
        return pinyin.normalise_numbered(value)
    except pinyin.InvalidPinyin as error:
        raise ValueError(str(error)) from None


NumberedPinyin = Annotated[
    StoredText,
    StringConstraints(max_length=2000),
    AfterValidator(_numbered_pinyin),
]


class Attribution(BaseModel):
    """A source of the content and the notice its licence asks for."""

    name: str
    url: str | None = None
    license: str
    license_url: str | None = None
    notice: str


# --- reading ------------------------------------------------------------------------------------


class ItemSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: ItemKind
    hanzi: str
    hanzi_traditional: str | None
    sense_key: str
    pinyin_numbered: str | None = Field(description="Stored form: numbered syllables, hao3")
    pinyin_marks: str | None = Field(description="Rendered with tone marks, hǎo")
    keyword: str | None
    hsk3_level: int | None = Field(description="HSK 3.0 level; 7 is the band 7-9")
    frequency_rank: int | None


class ItemPartDetail(BaseModel):
    position: int
    ids_operator: str | None
    item: ItemSummary


class ItemDetail(ItemSummary):
    meaning: str | None
    definitions: list[str] | None
    hsk2_level: int | None
    strokes: int | None
    audio_url: str | None
    suggested_prop: str | None
    introduced_level_id: uuid.UUID | None
    tone: int | None
    parts: list[ItemPartDetail] = Field(description="What the item is made of, in order")
    used_in: list[ItemSummary] = Field(
        description="Items this one is a part of (the most frequent first, at most 50)"
    )
    mnemonics: ItemMnemonics = Field(
        description="The caller's movie-method layer for this item: actor, set, room, props, scene"
    )


class LessonSummary(BaseModel):
    id: uuid.UUID
    level_id: uuid.UUID
    ordinal: int
    kind: LessonKind
    title: str
    est_minutes: int | None
    item_count: int


class LessonDetail(LessonSummary):
    course_id: uuid.UUID
    video_url: str | None
    body_md: str | None
    items: list[ItemSummary]


class LevelSummary(BaseModel):
    id: uuid.UUID
    phase_id: uuid.UUID
    ordinal: int = Field(description="Position in the whole course")
    title: str
    unlock_rule: UnlockRule
    lesson_count: int


class LevelDetail(LevelSummary):
    course_id: uuid.UUID
    lessons: list[LessonSummary]


class PhaseDetail(BaseModel):
    id: uuid.UUID
    ordinal: int
    kind: PhaseKind
    title: str
    description: str | None
    levels: list[LevelSummary]


class CourseSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    slug: str
    title: str
    description: str | None
    target_lang: str
    published_at: datetime | None
    content_version: int


class CourseDetail(CourseSummary):
    attribution: list[Attribution]
    lesson_count: int
    item_count: int
    phases: list[PhaseDetail] = Field(description="The tree down to levels; lessons per level")


class CourseAttribution(BaseModel):
    course_id: uuid.UUID
    slug: str
    title: str
    sources: list[Attribution]


# --- authoring ----------------------------------------------------------------------------------


class CourseCreate(InputModel):
    slug: Slug
    title: Title
    description: LongText | None = None
    target_lang: Annotated[
        str, StringConstraints(pattern=r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
    ] = "zh-CN"
    published: bool = Field(default=False, description="Visible to learners")
    attribution: list[Attribution] = Field(default_factory=list, max_length=20)


class CourseUpdate(PatchModel):
    not_null = frozenset({"slug", "title", "target_lang", "published", "attribution"})

    slug: Slug | None = None
    title: Title | None = None
    description: LongText | None = None
    target_lang: (
        Annotated[str, StringConstraints(pattern=r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")] | None
    ) = None
    published: bool | None = None
    attribution: Annotated[list[Attribution], Field(max_length=20)] | None = None


class PhaseCreate(InputModel):
    ordinal: Ordinal
    kind: PhaseKind
    title: Title
    description: LongText | None = None


class PhaseUpdate(PatchModel):
    not_null = frozenset({"ordinal", "kind", "title"})

    ordinal: Ordinal | None = None
    kind: PhaseKind | None = None
    title: Title | None = None
    description: LongText | None = None


class LevelCreate(InputModel):
    ordinal: Ordinal = Field(description="Position in the whole course, unique per course")
    title: Title
    unlock_rule: UnlockRule = UnlockRule.PREVIOUS_COMPLETED


class LevelUpdate(PatchModel):
    not_null = frozenset({"ordinal", "title", "unlock_rule", "phase_id"})

    phase_id: uuid.UUID | None = Field(default=None, description="Another phase of the course")
    ordinal: Ordinal | None = None
    title: Title | None = None
    unlock_rule: UnlockRule | None = None


class LessonCreate(InputModel):
    ordinal: Ordinal
    kind: LessonKind = LessonKind.ITEM
    title: Title
    video_url: WebUrl | None = None
    body_md: LongText | None = None
    est_minutes: Annotated[int, Field(ge=0, le=600)] | None = None


class LessonUpdate(PatchModel):
    not_null = frozenset({"ordinal", "kind", "title"})

    ordinal: Ordinal | None = None
    kind: LessonKind | None = None
    title: Title | None = None
    video_url: WebUrl | None = None
    body_md: LongText | None = None
    est_minutes: Annotated[int, Field(ge=0, le=600)] | None = None


Definitions = Annotated[
    list[Annotated[StoredText, StringConstraints(min_length=1, max_length=500)]],
    Field(max_length=50),
]


class ItemCreate(InputModel):
    kind: ItemKind
    hanzi: Hanzi
    hanzi_traditional: Hanzi | None = None
    sense_key: Annotated[StoredText, StringConstraints(max_length=64)] = Field(
        default="", description="Tells senses of one hanzi apart (好:good, 好:like)"
    )
    pinyin: NumberedPinyin | None = Field(
        default=None, description="Numbered syllables: hao3, ni3 hao3 (ü as ü, v or u:)"
    )
    keyword: Annotated[StoredText, StringConstraints(max_length=200)] | None = None
    meaning: LongText | None = None
    definitions: Definitions | None = None
    frequency_rank: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    hsk2_level: Annotated[int, Field(ge=1, le=6)] | None = None
    hsk3_level: Annotated[int, Field(ge=1, le=7)] | None = None
    strokes: Annotated[int, Field(ge=1, le=200)] | None = None
    audio_url: WebUrl | None = None
    suggested_prop: Annotated[StoredText, StringConstraints(max_length=200)] | None = None


class ItemUpdate(PatchModel):
    not_null = frozenset({"kind", "hanzi", "sense_key"})

    kind: ItemKind | None = None
    hanzi: Hanzi | None = None
    hanzi_traditional: Hanzi | None = None
    sense_key: Annotated[StoredText, StringConstraints(max_length=64)] | None = None
    pinyin: NumberedPinyin | None = None
    keyword: Annotated[StoredText, StringConstraints(max_length=200)] | None = None
    meaning: LongText | None = None
    definitions: Definitions | None = None
    frequency_rank: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    hsk2_level: Annotated[int, Field(ge=1, le=6)] | None = None
    hsk3_level: Annotated[int, Field(ge=1, le=7)] | None = None
    strokes: Annotated[int, Field(ge=1, le=200)] | None = None
    audio_url: WebUrl | None = None
    suggested_prop: Annotated[StoredText, StringConstraints(max_length=200)] | None = None


class LessonItemsUpdate(InputModel):
    item_ids: list[uuid.UUID] = Field(max_length=500, description="The lesson's items, in order")

    @model_validator(mode="after")
    def _distinct(self) -> LessonItemsUpdate:
        if len(set(self.item_ids)) != len(self.item_ids):
            raise ValueError("item_ids must not repeat")
        return self


class ItemPartInput(InputModel):
    item_id: uuid.UUID
    ids_operator: Annotated[StoredText, StringConstraints(min_length=1, max_length=4)] | None = None


class ItemPartsUpdate(InputModel):
    parts: list[ItemPartInput] = Field(max_length=50, description="The item's parts, in order")
