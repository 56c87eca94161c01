"""Bodies of the movie-method routes: the chart, actors, sets, rooms, props and scenes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from mandarin.bodies import InputModel, PatchModel
from mandarin.fields import StoredText, WebUrl
from mandarin.models import ActorCategory, SlotKind

Name = Annotated[StoredText, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
PropName = Annotated[
    StoredText, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]
Notes = Annotated[StoredText, StringConstraints(max_length=10_000)]
SlotKey = Annotated[
    StoredText, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)
]
Script = Annotated[StoredText, StringConstraints(min_length=1, max_length=20_000)]


class SoundSlotDetail(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: SlotKind
    key: str = Field(description="The chart's spelling: bi, zhu, Ø; an, en, Ø")
    description: str | None
    actor_category: ActorCategory | None


# --- actors and sets ----------------------------------------------------------------------------


class CastCreate(InputModel):
    slot_key: SlotKey = Field(description="The chart slot: an initial for actors, a final for sets")
    name: Name
    notes: Notes | None = None
    image_url: WebUrl | None = None


class CastUpdate(PatchModel):
    not_null = frozenset({"name"})

    name: Name | None = None
    notes: Notes | None = None
    image_url: WebUrl | None = None


class CastDetail(BaseModel):
    """A learner's actor (for an initial) or set (for a final)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    slot: SoundSlotDetail
    name: str
    notes: str | None
    image_url: str | None
    created_at: datetime
    updated_at: datetime


class ChartInitial(BaseModel):
    slot: SoundSlotDetail
    actor: CastDetail | None


class ChartFinal(BaseModel):
    slot: SoundSlotDetail
    set: CastDetail | None


class Chart(BaseModel):
    """The whole chart with the caller's cast; empty places are still to cast."""

    initials: list[ChartInitial]
    finals: list[ChartFinal]
    default_rooms: dict[int, str] = Field(description="Room of each tone (5 = neutral)")


# --- rooms --------------------------------------------------------------------------------------


class RoomDetail(BaseModel):
    tone: int = Field(description="1-4, 5 for the neutral tone")
    name: str
    is_default: bool = Field(description="The course's rule, not renamed by the learner")


class RoomUpdate(InputModel):
    name: Name


# --- props --------------------------------------------------------------------------------------


class PropComponent(BaseModel):
    id: uuid.UUID
    hanzi: str
    keyword: str | None
    suggested_prop: str | None


class PropDetail(BaseModel):
    component: PropComponent
    name: str
    notes: str | None
    updated_at: datetime


class PropWrite(InputModel):
    name: PropName
    notes: Notes | None = None


# --- scenes -------------------------------------------------------------------------------------


class SceneWrite(InputModel):
    script_md: Script = Field(description="The scene, in Markdown")


class SceneDetail(BaseModel):
    item_id: uuid.UUID
    hanzi: str
    pinyin_numbered: str | None
    pinyin_marks: str | None
    keyword: str | None
    script_md: str
    version: int = Field(description="Also the ETag; send it back in If-Match to change the scene")
    updated_at: datetime


class SceneState(BaseModel):
    version: int
    script_md: str


class ActorCharacter(BaseModel):
    item_id: uuid.UUID
    hanzi: str
    pinyin_numbered: str | None
    pinyin_marks: str | None
    keyword: str | None
    tone: int | None
    set_key: str | None
    set_name: str | None = Field(description="The caller's set for the final, if cast")
    room_name: str | None
    scene: SceneState | None


class ActorCharacters(BaseModel):
    actor: CastDetail
    characters: list[ActorCharacter] = Field(description="Most frequent first")


# --- an item's movie ----------------------------------------------------------------------------


class CastRole(BaseModel):
    slot_key: str
    cast_id: uuid.UUID | None = Field(description="The caller's actor or set; null until cast")
    name: str | None


class RoomRole(BaseModel):
    tone: int
    name: str
    is_default: bool


class PropRole(BaseModel):
    component_id: uuid.UUID
    hanzi: str
    name: str | None = Field(description="The caller's prop, else the course's suggestion")
    is_own: bool


class ItemMnemonics(BaseModel):
    """Everything the caller's scene for an item is made of."""

    actor: CastRole | None
    set: CastRole | None
    room: RoomRole | None
    props: list[PropRole]
    scene: SceneState | None
