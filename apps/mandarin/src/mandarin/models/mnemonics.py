"""The learner's own movie-method layer: actors, sets, rooms, props and scenes."""

from __future__ import annotations

import uuid

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mandarin.models.base import Base, Timestamps, new_id
from mandarin.models.content import Item, SoundSlot


class UserActor(Timestamps, Base):
    """The person a learner casts for a pinyin initial."""

    __tablename__ = "user_actors"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    slot_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sound_slots.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    notes: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(String(500))

    slot: Mapped[SoundSlot] = relationship(lazy="raise")

    __table_args__ = (UniqueConstraint("user_id", "slot_id"),)


class UserSet(Timestamps, Base):
    """The place a learner picks for a pinyin final."""

    __tablename__ = "user_sets"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    slot_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sound_slots.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    notes: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(String(500))

    slot: Mapped[SoundSlot] = relationship(lazy="raise")

    __table_args__ = (UniqueConstraint("user_id", "slot_id"),)


class UserRoom(Timestamps, Base):
    """The room of a set that stands for a tone (1-4, 5 = neutral).

    Rows exist only where the learner renamed a room; the others follow the course's rule
    (outside the entrance, kitchen, bedroom, bathroom, roof).
    """

    __tablename__ = "user_rooms"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    set_slot_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sound_slots.id", ondelete="CASCADE"), nullable=False, index=True
    )
    tone: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)

    __table_args__ = (
        UniqueConstraint("user_id", "set_slot_id", "tone"),
        CheckConstraint("tone BETWEEN 1 AND 5", name="tone"),
    )


class UserProp(Timestamps, Base):
    """The object a learner pictures for a component."""

    __tablename__ = "user_props"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    component_item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    notes: Mapped[str | None] = mapped_column(Text)

    component: Mapped[Item] = relationship(lazy="raise")

    __table_args__ = (UniqueConstraint("user_id", "component_item_id"),)


class UserScene(Timestamps, Base):
    """A learner's scene (script) for a character; version is its ETag and optimistic lock."""

    __tablename__ = "user_scenes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), nullable=False, index=True
    )
    script_md: Mapped[str] = mapped_column(Text, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    item: Mapped[Item] = relationship(lazy="raise")

    __table_args__ = (UniqueConstraint("user_id", "item_id"),)
    __mapper_args__ = {"version_id_col": version}
