"""Queries of the movie-method layer; every one is scoped to one learner."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import and_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload

from mandarin.models import (
    Item,
    ItemKind,
    ItemPart,
    SlotKind,
    SoundSlot,
    UserActor,
    UserProp,
    UserRoom,
    UserScene,
    UserSet,
)

Cast = TypeVar("Cast", UserActor, UserSet)


async def list_slots(session: AsyncSession) -> Sequence[SoundSlot]:
    return (await session.scalars(select(SoundSlot))).all()


async def get_slot(session: AsyncSession, kind: SlotKind, key: str) -> SoundSlot | None:
    return await session.scalar(
        select(SoundSlot).where(SoundSlot.kind == kind, SoundSlot.key == key)
    )


async def list_cast(session: AsyncSession, model: type[Cast], user_id: uuid.UUID) -> Sequence[Cast]:
    statement = select(model).where(model.user_id == user_id).options(joinedload(model.slot))
    return (await session.scalars(statement)).all()


async def get_cast(
    session: AsyncSession, model: type[Cast], user_id: uuid.UUID, cast_id: uuid.UUID
) -> Cast | None:
    statement = (
        select(model)
        .where(model.id == cast_id, model.user_id == user_id)
        .options(joinedload(model.slot))
    )
    return await session.scalar(statement)


async def get_cast_for_slot(
    session: AsyncSession, model: type[Cast], user_id: uuid.UUID, slot_id: uuid.UUID
) -> Cast | None:
    return await session.scalar(
        select(model).where(model.user_id == user_id, model.slot_id == slot_id)
    )


async def room_names(
    session: AsyncSession, user_id: uuid.UUID, set_slot_id: uuid.UUID
) -> dict[int, UserRoom]:
    rooms = await session.scalars(
        select(UserRoom).where(UserRoom.user_id == user_id, UserRoom.set_slot_id == set_slot_id)
    )
    return {room.tone: room for room in rooms}


async def delete_rooms(
    session: AsyncSession, user_id: uuid.UUID, set_slot_id: uuid.UUID, tone: int | None = None
) -> int:
    statement = delete(UserRoom).where(
        UserRoom.user_id == user_id, UserRoom.set_slot_id == set_slot_id
    )
    if tone is not None:
        statement = statement.where(UserRoom.tone == tone)
    result = await session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def get_item(session: AsyncSession, item_id: uuid.UUID) -> Item | None:
    return await session.get(Item, item_id)


async def list_props(
    session: AsyncSession, user_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[Sequence[UserProp], int]:
    total = await session.scalar(
        select(func.count()).select_from(UserProp).where(UserProp.user_id == user_id)
    )
    props = await session.scalars(
        select(UserProp)
        .join(Item, Item.id == UserProp.component_item_id)
        .where(UserProp.user_id == user_id)
        .options(joinedload(UserProp.component))
        .order_by(Item.frequency_rank.nulls_last(), Item.hanzi, UserProp.id)
        .offset(offset)
        .limit(limit)
    )
    return props.all(), int(total or 0)


async def get_prop(
    session: AsyncSession, user_id: uuid.UUID, component_id: uuid.UUID
) -> UserProp | None:
    return await session.scalar(
        select(UserProp)
        .where(UserProp.user_id == user_id, UserProp.component_item_id == component_id)
        .options(joinedload(UserProp.component))
    )


async def get_scene(
    session: AsyncSession, user_id: uuid.UUID, item_id: uuid.UUID
) -> UserScene | None:
    return await session.scalar(
        select(UserScene)
        .where(UserScene.user_id == user_id, UserScene.item_id == item_id)
        .options(joinedload(UserScene.item))
    )


async def delete_scene(
    session: AsyncSession, user_id: uuid.UUID, item_id: uuid.UUID, version: int
) -> bool:
    """Delete the scene if it is still at version; False if it changed or is gone."""
    result = await session.execute(
        delete(UserScene)
        .where(
            UserScene.user_id == user_id,
            UserScene.item_id == item_id,
            UserScene.version == version,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def list_scenes(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    actor_slot_id: uuid.UUID | None,
    set_slot_id: uuid.UUID | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[UserScene], int]:
    conditions: list[Any] = [UserScene.user_id == user_id]
    if actor_slot_id is not None:
        conditions.append(Item.actor_slot_id == actor_slot_id)
    if set_slot_id is not None:
        conditions.append(Item.set_slot_id == set_slot_id)
    base = select(UserScene).join(Item, Item.id == UserScene.item_id).where(*conditions)
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    scenes = await session.scalars(
        base.options(joinedload(UserScene.item))
        .order_by(Item.frequency_rank.nulls_last(), Item.hanzi, UserScene.id)
        .offset(offset)
        .limit(limit)
    )
    return scenes.all(), int(total or 0)


@dataclass(frozen=True, slots=True)
class ActorCharacterRows:
    actor: UserActor
    slot: SoundSlot
    rows: Sequence[Any]


async def actor_characters(
    session: AsyncSession, user_id: uuid.UUID, actor_id: uuid.UUID
) -> ActorCharacterRows | None:
    """The actor and every character it plays, with the learner's set, room and scene."""
    # One statement: the characters hang off the actor by an outer join, so an actor with no
    # characters still comes back (one row with NULL item columns) and someone else's actor
    # comes back as no row at all.
    actor_slot = aliased(SoundSlot)
    set_slot = aliased(SoundSlot)
    statement = (
        select(
            UserActor,
            actor_slot,
            Item.id.label("item_id"),
            Item.hanzi,
            Item.pinyin_numbered,
            Item.keyword,
            Item.tone,
            set_slot.key.label("set_key"),
            UserSet.name.label("set_name"),
            UserRoom.name.label("room_name"),
            UserScene.version.label("scene_version"),
            UserScene.script_md,
        )
        .join(actor_slot, actor_slot.id == UserActor.slot_id)
        .outerjoin(
            Item,
            and_(Item.actor_slot_id == UserActor.slot_id, Item.kind == ItemKind.CHARACTER),
        )
        .outerjoin(set_slot, set_slot.id == Item.set_slot_id)
        .outerjoin(
            UserSet,
            and_(UserSet.user_id == UserActor.user_id, UserSet.slot_id == Item.set_slot_id),
        )
        .outerjoin(
            UserRoom,
            and_(
                UserRoom.user_id == UserActor.user_id,
                UserRoom.set_slot_id == Item.set_slot_id,
                UserRoom.tone == Item.tone,
            ),
        )
        .outerjoin(
            UserScene,
            and_(UserScene.user_id == UserActor.user_id, UserScene.item_id == Item.id),
        )
        .where(UserActor.id == actor_id, UserActor.user_id == user_id)
        .order_by(Item.frequency_rank.nulls_last(), Item.hanzi)
    )
    rows = (await session.execute(statement)).all()
    if not rows:
        return None
    return ActorCharacterRows(actor=rows[0][0], slot=rows[0][1], rows=rows)


async def item_roles(session: AsyncSession, user_id: uuid.UUID, item_id: uuid.UUID) -> Any:
    """The learner's actor, set, room and scene for one item, in one row."""
    actor_slot = aliased(SoundSlot)
    set_slot = aliased(SoundSlot)
    statement = (
        select(
            Item.tone,
            actor_slot.key.label("actor_key"),
            UserActor.id.label("actor_id"),
            UserActor.name.label("actor_name"),
            set_slot.key.label("set_key"),
            UserSet.id.label("set_id"),
            UserSet.name.label("set_name"),
            UserRoom.name.label("room_name"),
            UserScene.version.label("scene_version"),
            UserScene.script_md,
        )
        .select_from(Item)
        .outerjoin(actor_slot, actor_slot.id == Item.actor_slot_id)
        .outerjoin(
            UserActor, and_(UserActor.user_id == user_id, UserActor.slot_id == Item.actor_slot_id)
        )
        .outerjoin(set_slot, set_slot.id == Item.set_slot_id)
        .outerjoin(UserSet, and_(UserSet.user_id == user_id, UserSet.slot_id == Item.set_slot_id))
        .outerjoin(
            UserRoom,
            and_(
                UserRoom.user_id == user_id,
                UserRoom.set_slot_id == Item.set_slot_id,
                UserRoom.tone == Item.tone,
            ),
        )
        .outerjoin(UserScene, and_(UserScene.user_id == user_id, UserScene.item_id == Item.id))
        .where(Item.id == item_id)
    )
    return (await session.execute(statement)).one()


async def item_props(
    session: AsyncSession, user_id: uuid.UUID, item_id: uuid.UUID
) -> Sequence[Any]:
    """The components of an item with the learner's prop for each."""
    component = aliased(Item)
    statement = (
        select(
            component.id,
            component.hanzi,
            component.suggested_prop,
            UserProp.name.label("prop_name"),
        )
        .select_from(ItemPart)
        .join(component, component.id == ItemPart.child_item_id)
        .outerjoin(
            UserProp,
            and_(UserProp.user_id == user_id, UserProp.component_item_id == component.id),
        )
        .where(ItemPart.parent_item_id == item_id, component.kind == ItemKind.COMPONENT)
        .order_by(ItemPart.position)
    )
    return (await session.execute(statement)).all()
