"""/api/mnemonics: the learner's own Hanzi Movie Method layer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response

from mandarin.auth.dependencies import AUTHENTICATED_ERRORS, CurrentUser
from mandarin.clock import ClockDep
from mandarin.dependencies import SessionDep
from mandarin.errors import problem_responses
from mandarin.mnemonics import service
from mandarin.mnemonics.schemas import (
    ActorCharacters,
    CastCreate,
    CastDetail,
    CastUpdate,
    Chart,
    PropDetail,
    PropWrite,
    RoomDetail,
    RoomUpdate,
    SceneDetail,
    SceneWrite,
)
from mandarin.models import UserActor, UserSet
from mandarin.pagination import Page, PageDep

router = APIRouter(prefix="/api/mnemonics", tags=["mnemonics"])

_READ = problem_responses(*AUTHENTICATED_ERRORS, 404, 422)
_WRITE = problem_responses(*AUTHENTICATED_ERRORS, 404, 409, 413, 422)

Tone = Annotated[int, Path(ge=1, le=5, description="1-4, 5 for the neutral tone")]
IfMatch = Annotated[
    str | None,
    Header(max_length=512, description='The scene\'s ETag ("3"), or * for any version'),
]
IfNoneMatch = Annotated[
    str | None, Header(max_length=512, description="* to create a scene that must not exist yet")
]


@router.get("/chart", operation_id="get_chart", responses=problem_responses(*AUTHENTICATED_ERRORS))
async def get_chart(user: CurrentUser, session: SessionDep) -> Chart:
    """The pinyin chart (initials for actors, finals for sets) with the caller's cast."""
    return await service.get_chart(session, user.id)


# --- actors -------------------------------------------------------------------------------------


@router.get(
    "/actors", operation_id="list_actors", responses=problem_responses(*AUTHENTICATED_ERRORS)
)
async def list_actors(user: CurrentUser, session: SessionDep) -> list[CastDetail]:
    """The caller's actors, in chart order."""
    return await service.list_cast(session, UserActor, user.id)


@router.post("/actors", status_code=201, operation_id="create_actor", responses=_WRITE)
async def create_actor(
    body: CastCreate, user: CurrentUser, session: SessionDep, clock: ClockDep
) -> CastDetail:
    """Cast an actor for a pinyin initial of the chart (one per initial)."""
    return await service.create_cast(session, UserActor, user.id, body, now=clock.now())


@router.get("/actors/{actor_id}", operation_id="get_actor", responses=_READ)
async def get_actor(actor_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> CastDetail:
    """One of the caller's actors."""
    return await service.get_cast(session, UserActor, user.id, actor_id)


@router.patch("/actors/{actor_id}", operation_id="update_actor", responses=_WRITE)
async def update_actor(
    actor_id: uuid.UUID, body: CastUpdate, user: CurrentUser, session: SessionDep, clock: ClockDep
) -> CastDetail:
    """Rename an actor or change its notes or picture."""
    return await service.update_cast(session, UserActor, user.id, actor_id, body, now=clock.now())


@router.delete("/actors/{actor_id}", status_code=204, operation_id="delete_actor", responses=_READ)
async def delete_actor(actor_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> None:
    """Drop an actor; scenes stay, waiting for a new one."""
    await service.delete_cast(session, UserActor, user.id, actor_id)


@router.get("/actors/{actor_id}/characters", operation_id="list_actor_characters", responses=_READ)
async def list_actor_characters(
    actor_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> ActorCharacters:
    """Every character this actor plays, with the caller's set, room and scene for each."""
    return await service.actor_characters(session, user.id, actor_id)


# --- sets and their rooms -----------------------------------------------------------------------


@router.get("/sets", operation_id="list_sets", responses=problem_responses(*AUTHENTICATED_ERRORS))
async def list_sets(user: CurrentUser, session: SessionDep) -> list[CastDetail]:
    """The caller's sets, in chart order."""
    return await service.list_cast(session, UserSet, user.id)


@router.post("/sets", status_code=201, operation_id="create_set", responses=_WRITE)
async def create_set(
    body: CastCreate, user: CurrentUser, session: SessionDep, clock: ClockDep
) -> CastDetail:
    """Pick a place for a pinyin final of the chart (one per final)."""
    return await service.create_cast(session, UserSet, user.id, body, now=clock.now())


@router.get("/sets/{set_id}", operation_id="get_set", responses=_READ)
async def get_set(set_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> CastDetail:
    """One of the caller's sets."""
    return await service.get_cast(session, UserSet, user.id, set_id)


@router.patch("/sets/{set_id}", operation_id="update_set", responses=_WRITE)
async def update_set(
    set_id: uuid.UUID, body: CastUpdate, user: CurrentUser, session: SessionDep, clock: ClockDep
) -> CastDetail:
    """Rename a set or change its notes or picture."""
    return await service.update_cast(session, UserSet, user.id, set_id, body, now=clock.now())


@router.delete("/sets/{set_id}", status_code=204, operation_id="delete_set", responses=_READ)
async def delete_set(set_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> None:
    """Drop a set and its renamed rooms."""
    await service.delete_cast(session, UserSet, user.id, set_id)


@router.get("/sets/{set_id}/rooms", operation_id="list_rooms", responses=_READ)
async def list_rooms(set_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[RoomDetail]:
    """The five rooms of a set, one per tone, renamed or by the course's rule."""
    return await service.list_rooms(session, user.id, set_id)


@router.put("/sets/{set_id}/rooms/{tone}", operation_id="rename_room", responses=_WRITE)
async def rename_room(
    set_id: uuid.UUID,
    tone: Tone,
    body: RoomUpdate,
    user: CurrentUser,
    session: SessionDep,
    clock: ClockDep,
) -> RoomDetail:
    """Name the room of a tone in this set."""
    return await service.rename_room(session, user.id, set_id, tone, body.name, now=clock.now())


@router.delete("/sets/{set_id}/rooms/{tone}", operation_id="reset_room", responses=_READ)
async def reset_room(
    set_id: uuid.UUID, tone: Tone, user: CurrentUser, session: SessionDep
) -> RoomDetail:
    """Give the room of a tone its default name back."""
    return await service.reset_room(session, user.id, set_id, tone)


# --- props --------------------------------------------------------------------------------------


@router.get(
    "/props", operation_id="list_props", responses=problem_responses(*AUTHENTICATED_ERRORS, 422)
)
async def list_props(user: CurrentUser, session: SessionDep, page: PageDep) -> Page[PropDetail]:
    """The caller's props, most frequent components first."""
    props, total = await service.list_props(session, user.id, offset=page.offset, limit=page.limit)
    return Page.of(props, total=total, page=page)


@router.get("/props/{component_id}", operation_id="get_prop", responses=_READ)
async def get_prop(component_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> PropDetail:
    """The caller's prop for a component."""
    return await service.get_prop(session, user.id, component_id)


@router.put("/props/{component_id}", operation_id="write_prop", responses=_WRITE)
async def write_prop(
    component_id: uuid.UUID,
    body: PropWrite,
    user: CurrentUser,
    session: SessionDep,
    clock: ClockDep,
) -> PropDetail:
    """Choose (or change) the object the caller pictures for a component."""
    return await service.write_prop(session, user.id, component_id, body, now=clock.now())


@router.delete(
    "/props/{component_id}", status_code=204, operation_id="delete_prop", responses=_READ
)
async def delete_prop(component_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> None:
    """Drop the caller's prop; the course's suggestion applies again."""
    await service.delete_prop(session, user.id, component_id)


# --- scenes -------------------------------------------------------------------------------------


@router.get("/scenes", operation_id="list_scenes", responses=_READ)
async def list_scenes(
    user: CurrentUser,
    session: SessionDep,
    page: PageDep,
    actor_id: Annotated[uuid.UUID | None, Query(description="Only this actor's characters")] = None,
    set_id: Annotated[uuid.UUID | None, Query(description="Only characters in this set")] = None,
) -> Page[SceneDetail]:
    """The caller's scenes, optionally those of one actor or one set."""
    scenes, total = await service.list_scenes(
        session, user.id, actor_id=actor_id, set_id=set_id, offset=page.offset, limit=page.limit
    )
    return Page.of(scenes, total=total, page=page)


@router.get("/scenes/{item_id}", operation_id="get_scene", responses=_READ)
async def get_scene(
    item_id: uuid.UUID, user: CurrentUser, session: SessionDep, response: Response
) -> SceneDetail:
    """The caller's scene for a character; its ETag is the version to send in If-Match."""
    scene = await service.get_scene(session, user.id, item_id)
    response.headers["ETag"] = service.etag(scene.version)
    return scene


@router.put(
    "/scenes/{item_id}",
    operation_id="write_scene",
    responses=problem_responses(*AUTHENTICATED_ERRORS, 400, 404, 409, 413, 422, 428),
)
async def write_scene(
    item_id: uuid.UUID,
    body: SceneWrite,
    user: CurrentUser,
    session: SessionDep,
    clock: ClockDep,
    response: Response,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatch = None,
) -> SceneDetail:
    """Create (If-None-Match: *) or replace (If-Match: ETag) the caller's scene for a character."""
    scene = await service.write_scene(
        session,
        user.id,
        item_id,
        body,
        if_match=if_match,
        if_none_match=if_none_match,
        now=clock.now(),
    )
    response.headers["ETag"] = service.etag(scene.version)
    return scene


@router.delete(
    "/scenes/{item_id}",
    status_code=204,
    operation_id="delete_scene",
    responses=problem_responses(*AUTHENTICATED_ERRORS, 404, 409, 422, 428),
)
async def delete_scene(
    item_id: uuid.UUID, user: CurrentUser, session: SessionDep, if_match: IfMatch = None
) -> None:
    """Delete the caller's scene; If-Match must carry its current ETag."""
    await service.delete_scene(session, user.id, item_id, if_match=if_match)
