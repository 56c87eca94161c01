"""Course content: the course tree, the items it teaches and the movie-method sound slots."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mandarin.models.base import Base, JsonDocument, Timestamps, UtcDateTime, enum_column, new_id
from mandarin.models.enums import (
    ActorCategory,
    ItemKind,
    LessonKind,
    PhaseKind,
    SlotKind,
    UnlockRule,
)


class SoundSlot(Base):
    """A place in the movie-method pinyin chart: an initial (an actor) or a final (a set).

    The chart re-cuts pinyin so medials go with the initial ("bi-", "ju-") and the null final is
    "Ø"; keys are the chart's spellings.
    """

    __tablename__ = "sound_slots"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    kind: Mapped[SlotKind] = mapped_column(enum_column(SlotKind, "slot_kind"), nullable=False)
    key: Mapped[str] = mapped_column(String(16), nullable=False)
    actor_category: Mapped[ActorCategory | None] = mapped_column(
        enum_column(ActorCategory, "actor_category")
    )
    description: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("kind", "key"),)


class Course(Timestamps, Base):
    __tablename__ = "courses"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    target_lang: Mapped[str] = mapped_column(String(16), nullable=False, default="zh-CN")
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Bumped by every content change, so clients can tell their cached copy is stale.
    content_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # The open data the content derives from and the notices its licences ask for (CC-CEDICT
    # is CC BY-SA 4.0): [{"name", "url", "license", "license_url", "notice"}].
    attribution: Mapped[list[dict[str, str]] | None] = mapped_column(JsonDocument)
    # For imported courses: a digest of the data and importer they were built from, so an
    # import of the same data is skipped without reading it again.
    source_digest: Mapped[str | None] = mapped_column(String(64))

    phases: Mapped[list[Phase]] = relationship(
        back_populates="course", lazy="raise", order_by="Phase.ordinal"
    )


class Phase(Base):
    __tablename__ = "phases"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    course_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), nullable=False
    )
    ordinal: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    kind: Mapped[PhaseKind] = mapped_column(enum_column(PhaseKind, "phase_kind"), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)

    course: Mapped[Course] = relationship(back_populates="phases", lazy="raise")
    levels: Mapped[list[Level]] = relationship(
        back_populates="phase", lazy="raise", order_by="Level.ordinal"
    )

    __table_args__ = (
        UniqueConstraint("course_id", "ordinal"),
        CheckConstraint("ordinal >= 1", name="ordinal"),
    )


class Level(Base):
    """A level; ordinals run through the whole course, not per phase."""

    __tablename__ = "levels"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    course_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), nullable=False
    )
    phase_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("phases.id", ondelete="CASCADE"), nullable=False, index=True
    )
    ordinal: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    unlock_rule: Mapped[UnlockRule] = mapped_column(
        enum_column(UnlockRule, "unlock_rule"),
        nullable=False,
        default=UnlockRule.PREVIOUS_COMPLETED,
    )

    phase: Mapped[Phase] = relationship(back_populates="levels", lazy="raise")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="level", lazy="raise", order_by="Lesson.ordinal"
    )

    __table_args__ = (
        UniqueConstraint("course_id", "ordinal"),
        CheckConstraint("ordinal >= 1", name="ordinal"),
    )


class Lesson(Base):
    __tablename__ = "lessons"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    level_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("levels.id", ondelete="CASCADE"), nullable=False
    )
    ordinal: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[LessonKind] = mapped_column(enum_column(LessonKind, "lesson_kind"), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    video_url: Mapped[str | None] = mapped_column(String(500))
    body_md: Mapped[str | None] = mapped_column(Text)
    est_minutes: Mapped[int | None] = mapped_column(SmallInteger)

    level: Mapped[Level] = relationship(back_populates="lessons", lazy="raise")
    # Completing a lesson creates review cards for these items.
    items: Mapped[list[Item]] = relationship(
        secondary="lesson_items", lazy="raise", order_by="LessonItem.position", viewonly=True
    )

    __table_args__ = (
        UniqueConstraint("level_id", "ordinal"),
        CheckConstraint("ordinal >= 1", name="ordinal"),
    )


class LessonItem(Base):
    """The items a lesson teaches, in the order it presents them."""

    __tablename__ = "lesson_items"

    lesson_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=0)


class Item(Timestamps, Base):
    """Something to learn: a component, character, word, sentence or passage, in one sense."""

    __tablename__ = "items"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    kind: Mapped[ItemKind] = mapped_column(enum_column(ItemKind, "item_kind"), nullable=False)
    # Bounded so the (hanzi, sense_key) B-tree entry stays under PostgreSQL's 2.7 kB limit.
    hanzi: Mapped[str] = mapped_column(String(800), nullable=False)
    hanzi_traditional: Mapped[str | None] = mapped_column(String(800))
    # Tells polyphones and homographs apart (好:good, 好:like); "" for the only sense.
    sense_key: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    # Canonical pinyin: numbered syllables, 5 for the neutral tone, "ü" spelled out ("lü4").
    pinyin_numbered: Mapped[str | None] = mapped_column(Text)
    keyword: Mapped[str | None] = mapped_column(String(200))
    meaning: Mapped[str | None] = mapped_column(Text)
    definitions: Mapped[list[str] | None] = mapped_column(JsonDocument)
    frequency_rank: Mapped[int | None] = mapped_column(Integer, index=True)
    hsk2_level: Mapped[int | None] = mapped_column(SmallInteger)
    # 7 stands for HSK 3.0's single band 7-9.
    hsk3_level: Mapped[int | None] = mapped_column(SmallInteger)
    strokes: Mapped[int | None] = mapped_column(SmallInteger)
    audio_url: Mapped[str | None] = mapped_column(String(500))
    introduced_level_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("levels.id", ondelete="SET NULL"), index=True
    )
    # The course's prop name for a component; learners override it in user_props.
    suggested_prop: Mapped[str | None] = mapped_column(String(200))
    # A character's reading in movie-method terms, derived from its pinyin at import. Indexed:
    # "every character whose actor is X" joins the learner's actor to these.
    actor_slot_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sound_slots.id", ondelete="SET NULL"), index=True
    )
    set_slot_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sound_slots.id", ondelete="SET NULL"), index=True
    )
    tone: Mapped[int | None] = mapped_column(SmallInteger)

    parts: Mapped[list[ItemPart]] = relationship(
        foreign_keys="ItemPart.parent_item_id",
        lazy="raise",
        order_by="ItemPart.position",
        viewonly=True,
    )

    __table_args__ = (
        UniqueConstraint("hanzi", "sense_key"),
        CheckConstraint("tone BETWEEN 1 AND 5", name="tone"),
        CheckConstraint("hsk3_level BETWEEN 1 AND 7", name="hsk3_level"),
        CheckConstraint("hsk2_level BETWEEN 1 AND 6", name="hsk2_level"),
        Index("ix_items_kind_frequency_rank", "kind", "frequency_rank"),
    )


class ItemPart(Base):
    """Composition: the components of a character, the characters of a word, and so on."""

    __tablename__ = "item_parts"

    parent_item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    child_item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # The Ideographic Description Sequence operator joining the parts (⿰, ⿱, ...).
    ids_operator: Mapped[str | None] = mapped_column(String(4))

    child: Mapped[Item] = relationship(foreign_keys=[child_item_id], lazy="raise")
