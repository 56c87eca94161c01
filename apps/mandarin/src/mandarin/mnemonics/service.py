"""The learner's movie-method layer: casting actors and sets, naming rooms and props, scenes.

Everything here belongs to one learner: another learner's actor, set or scene is not found.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from mandarin import pinyin
from mandarin.errors import (
    BadRequest,
    Conflict,
    NotFound,
    PreconditionRequired,
    UnprocessableContent,
)
from mandarin.mnemonics import chart, repository
from mandarin.mnemonics.repository import Cast
from mandarin.mnemonics.schemas import (
    ActorCharacter,
    ActorCharacters,
    CastCreate,
    CastDetail,
    CastRole,
    CastUpdate,
    Chart,
    ChartFinal,
    ChartInitial,
    ItemMnemonics,
    PropComponent,
    PropDetail,
    PropRole,
    PropWrite,
    RoomDetail,
    RoomRole,
    SceneDetail,
    SceneState,
    SceneWrite,
    SoundSlotDetail,
)
from mandarin.models import (
    Item,
    ItemKind,
    SlotKind,
    SoundSlot,
    UserActor,
    UserProp,
    UserRoom,
    UserScene,
    UserSet,
)

_SLOT_KIND: dict[type[UserActor] | type[UserSet], SlotKind] = {
    UserActor: SlotKind.INITIAL,
    UserSet: SlotKind.FINAL,
}
_NOUN: dict[type[UserActor] | type[UserSet], str] = {UserActor: "actor", UserSet: "set"}
_SCENE_KINDS = frozenset({ItemKind.CHARACTER})


def _chart_order(slot: SoundSlot) -> tuple[int, int]:
    keys = list(chart.ACTOR_CATEGORIES) if slot.kind is SlotKind.INITIAL else list(chart.SETS)
    position = keys.index(slot.key) if slot.key in keys else len(keys)
    return (0 if slot.kind is SlotKind.INITIAL else 1, position)


def cast_detail(cast: UserActor | UserSet, slot: SoundSlot | None = None) -> CastDetail:
    return CastDetail(
        id=cast.id,
        slot=SoundSlotDetail.model_validate(slot or cast.slot),
        name=cast.name,
        notes=cast.notes,
        image_url=cast.image_url,
        created_at=cast.created_at,
        updated_at=cast.updated_at,
    )


def _marks(numbered: str | None) -> str | None:
    return pinyin.to_marks(numbered) if numbered else None


# --- the chart, actors and sets -----------------------------------------------------------------


async def get_chart(session: AsyncSession, user_id: uuid.UUID) -> Chart:
    slots = sorted(await repository.list_slots(session), key=_chart_order)
    actors = {
        actor.slot_id: actor for actor in await repository.list_cast(session, UserActor, user_id)
    }
    sets = {place.slot_id: place for place in await repository.list_cast(session, UserSet, user_id)}
    initials: list[ChartInitial] = []
    finals: list[ChartFinal] = []
    for slot in slots:
        detail = SoundSlotDetail.model_validate(slot)
        if slot.kind is SlotKind.INITIAL:
            actor = actors.get(slot.id)
            initials.append(
                ChartInitial(slot=detail, actor=cast_detail(actor, slot) if actor else None)
            )
        else:
            place = sets.get(slot.id)
            finals.append(ChartFinal(slot=detail, set=cast_detail(place, slot) if place else None))
    return Chart(initials=initials, finals=finals, default_rooms=dict(chart.ROOM_DEFAULTS))


async def list_cast(
    session: AsyncSession, model: type[Cast], user_id: uuid.UUID
) -> list[CastDetail]:
    cast = await repository.list_cast(session, model, user_id)
    return [
        cast_detail(member) for member in sorted(cast, key=lambda member: _chart_order(member.slot))
    ]


async def _owned(
    session: AsyncSession, model: type[Cast], user_id: uuid.UUID, cast_id: uuid.UUID
) -> Cast:
    cast = await repository.get_cast(session, model, user_id, cast_id)
    if cast is None:
        raise NotFound(f"No such {_NOUN[model]}")
    return cast


async def get_cast(
    session: AsyncSession, model: type[Cast], user_id: uuid.UUID, cast_id: uuid.UUID
) -> CastDetail:
    return cast_detail(await _owned(session, model, user_id, cast_id))


async def create_cast(
    session: AsyncSession, model: type[Cast], user_id: uuid.UUID, body: CastCreate, *, now: datetime
) -> CastDetail:
    kind = _SLOT_KIND[model]
    noun = _NOUN[model]
    slot = await repository.get_slot(session, kind, body.slot_key)
    if slot is None:
        raise UnprocessableContent(
            f"{body.slot_key!r} is not a {kind.value} of the chart",
            extra={"slot_kind": kind.value},
        )
    if await repository.get_cast_for_slot(session, model, user_id, slot.id) is not None:
        raise Conflict(f"You already have a {noun} for {slot.key}; change that one instead")
    cast = model(
        user_id=user_id,
        slot_id=slot.id,
        name=body.name,
        notes=body.notes,
        image_url=body.image_url,
        created_at=now,
        updated_at=now,
    )
    session.add(cast)
    await session.flush()
    return cast_detail(cast, slot)


async def update_cast(
    session: AsyncSession,
    model: type[Cast],
    user_id: uuid.UUID,
    cast_id: uuid.UUID,
    body: CastUpdate,
    *,
    now: datetime,
) -> CastDetail:
    cast = await _owned(session, model, user_id, cast_id)
    for name, value in body.changes().items():
        setattr(cast, name, value)
    cast.updated_at = now
    await session.flush()
    return cast_detail(cast)


async def delete_cast(
    session: AsyncSession, model: type[Cast], user_id: uuid.UUID, cast_id: uuid.UUID
) -> None:
    cast = await _owned(session, model, user_id, cast_id)
    if isinstance(cast, UserSet):
        # The rooms are the set's: a set cast again for this final starts from the defaults.
        await repository.delete_rooms(session, user_id, cast.slot_id)
    await session.delete(cast)
    await session.flush()


async def actor_characters(
    session: AsyncSession, user_id: uuid.UUID, actor_id: uuid.UUID
) -> ActorCharacters:
    found = await repository.actor_characters(session, user_id, actor_id)
    if found is None:
        raise NotFound("No such actor")
    characters = [
        ActorCharacter(
            item_id=row.item_id,
            hanzi=row.hanzi,
            pinyin_numbered=row.pinyin_numbered,
            pinyin_marks=_marks(row.pinyin_numbered),
            keyword=row.keyword,
            tone=row.tone,
            set_key=row.set_key,
            set_name=row.set_name,
            room_name=_room_name(row.room_name, row.tone),
            scene=SceneState(version=row.scene_version, script_md=row.script_md)
            if row.scene_version is not None
            else None,
        )
        for row in found.rows
        if row.item_id is not None
    ]
    return ActorCharacters(actor=cast_detail(found.actor, found.slot), characters=characters)


def _room_name(own: str | None, tone: int | None) -> str | None:
    if own is not None:
        return own
    return chart.ROOM_DEFAULTS.get(tone) if tone is not None else None


# --- rooms --------------------------------------------------------------------------------------


def _rooms(own: dict[int, UserRoom]) -> list[RoomDetail]:
    return [
        RoomDetail(
            tone=tone,
            name=own[tone].name if tone in own else default,
            is_default=tone not in own,
        )
        for tone, default in chart.ROOM_DEFAULTS.items()
    ]


async def list_rooms(
    session: AsyncSession, user_id: uuid.UUID, set_id: uuid.UUID
) -> list[RoomDetail]:
    place = await _owned(session, UserSet, user_id, set_id)
    return _rooms(await repository.room_names(session, user_id, place.slot_id))


def _check_tone(tone: int) -> None:
    if tone not in chart.ROOM_DEFAULTS:
        raise NotFound("Rooms are numbered by tone, 1 to 5")


async def rename_room(
    session: AsyncSession,
    user_id: uuid.UUID,
    set_id: uuid.UUID,
    tone: int,
    name: str,
    *,
    now: datetime,
) -> RoomDetail:
    _check_tone(tone)
    place = await _owned(session, UserSet, user_id, set_id)
    rooms = await repository.room_names(session, user_id, place.slot_id)
    room = rooms.get(tone)
    if room is None:
        room = UserRoom(
            user_id=user_id,
            set_slot_id=place.slot_id,
            tone=tone,
            name=name,
            created_at=now,
            updated_at=now,
        )
        session.add(room)
    else:
        room.name = name
        room.updated_at = now
    await session.flush()
    return RoomDetail(tone=tone, name=name, is_default=False)


async def reset_room(
    session: AsyncSession, user_id: uuid.UUID, set_id: uuid.UUID, tone: int
) -> RoomDetail:
    _check_tone(tone)
    place = await _owned(session, UserSet, user_id, set_id)
    await repository.delete_rooms(session, user_id, place.slot_id, tone)
    return RoomDetail(tone=tone, name=chart.ROOM_DEFAULTS[tone], is_default=True)


# --- props --------------------------------------------------------------------------------------


def _prop_detail(prop: UserProp) -> PropDetail:
    component = prop.component
    return PropDetail(
        component=PropComponent(
            id=component.id,
            hanzi=component.hanzi,
            keyword=component.keyword,
            suggested_prop=component.suggested_prop,
        ),
        name=prop.name,
        notes=prop.notes,
        updated_at=prop.updated_at,
    )


async def list_props(
    session: AsyncSession, user_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[PropDetail], int]:
    props, total = await repository.list_props(session, user_id, offset=offset, limit=limit)
    return [_prop_detail(prop) for prop in props], total


async def get_prop(
    session: AsyncSession, user_id: uuid.UUID, component_id: uuid.UUID
) -> PropDetail:
    prop = await repository.get_prop(session, user_id, component_id)
    if prop is None:
        raise NotFound("You have no prop for this component")
    return _prop_detail(prop)


async def _item_of_kind(
    session: AsyncSession, item_id: uuid.UUID, kinds: frozenset[ItemKind], what: str
) -> Item:
    item = await repository.get_item(session, item_id)
    if item is None:
        raise NotFound("No such item")
    if item.kind not in kinds:
        raise UnprocessableContent(f"{item.hanzi} is a {item.kind.value}; {what}")
    return item


async def write_prop(
    session: AsyncSession,
    user_id: uuid.UUID,
    component_id: uuid.UUID,
    body: PropWrite,
    *,
    now: datetime,
) -> PropDetail:
    component = await _item_of_kind(
        session, component_id, frozenset({ItemKind.COMPONENT}), "props are for components"
    )
    prop = await repository.get_prop(session, user_id, component_id)
    if prop is None:
        prop = UserProp(
            user_id=user_id,
            component_item_id=component.id,
            name=body.name,
            notes=body.notes,
            created_at=now,
            updated_at=now,
        )
        prop.component = component
        session.add(prop)
    else:
        prop.name = body.name
        prop.notes = body.notes
        prop.updated_at = now
    await session.flush()
    return _prop_detail(prop)


async def delete_prop(session: AsyncSession, user_id: uuid.UUID, component_id: uuid.UUID) -> None:
    prop = await repository.get_prop(session, user_id, component_id)
    if prop is None:
        raise NotFound("You have no prop for this component")
    await session.delete(prop)
    await session.flush()


# --- scenes -------------------------------------------------------------------------------------


def etag(version: int) -> str:
    return f'"{version}"'


def _matches(if_match: str, version: int) -> bool:
    """RFC 9110 If-Match: "*" or a list of strong entity tags."""
    candidates = [candidate.strip() for candidate in if_match.split(",")]
    return "*" in candidates or etag(version) in candidates


def scene_detail(scene: UserScene, item: Item | None = None) -> SceneDetail:
    item = item or scene.item
    return SceneDetail(
        item_id=item.id,
        hanzi=item.hanzi,
        pinyin_numbered=item.pinyin_numbered,
        pinyin_marks=_marks(item.pinyin_numbered),
        keyword=item.keyword,
        script_md=scene.script_md,
        version=scene.version,
        updated_at=scene.updated_at,
    )


async def get_scene(session: AsyncSession, user_id: uuid.UUID, item_id: uuid.UUID) -> SceneDetail:
    scene = await repository.get_scene(session, user_id, item_id)
    if scene is None:
        raise NotFound("You have no scene for this item")
    return scene_detail(scene)


async def list_scenes(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    actor_id: uuid.UUID | None,
    set_id: uuid.UUID | None,
    offset: int,
    limit: int,
) -> tuple[list[SceneDetail], int]:
    actor_slot_id = (
        (await _owned(session, UserActor, user_id, actor_id)).slot_id if actor_id else None
    )
    set_slot_id = (await _owned(session, UserSet, user_id, set_id)).slot_id if set_id else None
    scenes, total = await repository.list_scenes(
        session,
        user_id,
        actor_slot_id=actor_slot_id,
        set_slot_id=set_slot_id,
        offset=offset,
        limit=limit,
    )
    return [scene_detail(scene) for scene in scenes], total


def _stale(current: int | None) -> Conflict:
    extra: dict[str, Any] = {"current_version": current}
    if current is None:
        return Conflict("The scene no longer exists; create it with If-None-Match: *", extra=extra)
    return Conflict(
        "The scene was changed since you read it; fetch it again and retry", extra=extra
    )


async def write_scene(
    session: AsyncSession,
    user_id: uuid.UUID,
    item_id: uuid.UUID,
    body: SceneWrite,
    *,
    if_match: str | None,
    if_none_match: str | None,
    now: datetime,
) -> SceneDetail:
    """Create (If-None-Match: *) or replace (If-Match: its ETag) the learner's scene."""
    if if_match is None and if_none_match is None:
        raise PreconditionRequired(
            "Send If-Match with the scene's ETag to change it, or If-None-Match: * to create it"
        )
    item = await _item_of_kind(session, item_id, _SCENE_KINDS, "scenes are for characters")
    scene = await repository.get_scene(session, user_id, item_id)
    if if_match is None:
        if if_none_match is not None and if_none_match.strip() != "*":
            raise BadRequest("If-None-Match on a scene can only be *")
        if scene is not None:
            raise Conflict(
                "You already have a scene for this item; send If-Match with its ETag",
                extra={"current_version": scene.version},
            )
        scene = UserScene(
            user_id=user_id,
            item_id=item.id,
            script_md=body.script_md,
            created_at=now,
            updated_at=now,
        )
        session.add(scene)
    else:
        if scene is None or not _matches(if_match, scene.version):
            raise _stale(scene.version if scene else None)
        scene.script_md = body.script_md
        scene.updated_at = now
    # The UPDATE carries "WHERE version = <read>": a concurrent write turns into a 409 too.
    await session.flush()
    return scene_detail(scene, item)


async def delete_scene(
    session: AsyncSession, user_id: uuid.UUID, item_id: uuid.UUID, *, if_match: str | None
) -> None:
    if if_match is None:
        raise PreconditionRequired("Send If-Match with the scene's ETag to delete it")
    scene = await repository.get_scene(session, user_id, item_id)
    if scene is None:
        raise NotFound("You have no scene for this item")
    if not _matches(if_match, scene.version):
        raise _stale(scene.version)
    if not await repository.delete_scene(session, user_id, item_id, scene.version):
        raise _stale(None)


# --- an item's movie ----------------------------------------------------------------------------


async def item_mnemonics(
    session: AsyncSession, user_id: uuid.UUID, item_id: uuid.UUID
) -> ItemMnemonics:
    """The caller's actor, set, room, props and scene for an item."""
    roles = await repository.item_roles(session, user_id, item_id)
    props: Sequence[Any] = await repository.item_props(session, user_id, item_id)
    room = None
    if roles.set_key is not None and roles.tone is not None:
        room = RoomRole(
            tone=roles.tone,
            name=_room_name(roles.room_name, roles.tone) or "",
            is_default=roles.room_name is None,
        )
    return ItemMnemonics(
        actor=CastRole(slot_key=roles.actor_key, cast_id=roles.actor_id, name=roles.actor_name)
        if roles.actor_key is not None
        else None,
        set=CastRole(slot_key=roles.set_key, cast_id=roles.set_id, name=roles.set_name)
        if roles.set_key is not None
        else None,
        room=room,
        props=[
            PropRole(
                component_id=prop.id,
                hanzi=prop.hanzi,
                name=prop.prop_name or prop.suggested_prop,
                is_own=prop.prop_name is not None,
            )
            for prop in props
        ],
        scene=SceneState(version=roles.scene_version, script_md=roles.script_md)
        if roles.scene_version is not None
        else None,
    )
