"""/api/reviews: the learner's daily queue, answers, undo, offline sync and statistics."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from mandarin.auth.dependencies import AUTHENTICATED_ERRORS, CurrentUser
from mandarin.clock import ClockDep
from mandarin.dependencies import SessionDep, SettingsDep
from mandarin.errors import problem_responses
from mandarin.rate_limits import RateLimiterDep, enforce
from mandarin.reviews import service
from mandarin.reviews.schemas import (
    CardDetail,
    ReviewQueue,
    ReviewResult,
    ReviewStats,
    ReviewSubmit,
    SyncRequest,
    SyncResult,
    UndoRequest,
    UndoResult,
)

router = APIRouter(prefix="/api/reviews", tags=["reviews"])

# Set on a repeated idempotency key: the body is the first answer's result, nothing was applied.
REPLAYED_HEADER = "Idempotent-Replayed"


@router.get(
    "/queue",
    operation_id="review_queue",
    responses=problem_responses(*AUTHENTICATED_ERRORS, 422),
)
async def review_queue(
    user: CurrentUser,
    session: SessionDep,
    clock: ClockDep,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many cards")] = 100,
) -> ReviewQueue:
    """Cards to study now: due ones by due time, then new ones, within today's limits.

    Today is the learner's day: their time zone, starting at their day start hour.
    """
    return await service.review_queue(session, user, now=clock.now(), limit=limit)


@router.post(
    "",
    operation_id="submit_review",
    responses=problem_responses(*AUTHENTICATED_ERRORS, 404, 409, 413, 422),
)
async def submit_review(
    body: ReviewSubmit,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    response: Response,
) -> ReviewResult:
    """Answer a card with a grade from 0 to 5 and get its new schedule.

    The idempotency key makes retries safe: the same key with the same answer returns the first
    result (with `Idempotent-Replayed: true`); the same key with another answer is a 409.
    """
    submitted = await service.submit_review(
        session,
        user,
        settings.reviews,
        card_id=body.card_id,
        grade=body.grade,
        idempotency_key=body.idempotency_key,
        reviewed_at=body.reviewed_at,
        duration_ms=body.duration_ms,
        base_version=body.base_version,
        now=clock.now(),
    )
    if submitted.duplicate:
        response.headers[REPLAYED_HEADER] = "true"
    return submitted.result


@router.post(
    "/undo",
    operation_id="undo_review",
    responses=problem_responses(*AUTHENTICATED_ERRORS, 404, 409, 413, 422),
)
async def undo_review(
    user: CurrentUser,
    session: SessionDep,
    clock: ClockDep,
    body: UndoRequest | None = None,
) -> UndoResult:
    """Take back an answer and restore the card as it was before it.

    Without a body (or with `{}`) your most recent answer is undone; a given one only if it is the
    latest answer of its card. An answer is undone once.
    """
    body = body or UndoRequest()
    return await service.undo_review(
        session,
        user,
        review_id=body.review_id,
        idempotency_key=body.idempotency_key,
        now=clock.now(),
    )


@router.post(
    "/sync",
    operation_id="sync_reviews",
    responses=problem_responses(*AUTHENTICATED_ERRORS, 413, 422, 429),
)
async def sync_reviews(
    body: SyncRequest,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    limiter: RateLimiterDep,
) -> SyncResult:
    """Upload answers given offline, up to 500 at a time; one outcome per answer.

    Answers are applied in review-time order whatever order they are sent in; one older than an
    answer already recorded replays its card's log. Sending a batch again changes nothing: every
    answer comes back as a duplicate with its stored result.
    """
    if settings.rate_limit.enabled:
        await enforce(limiter, f"sync:user:{user.id}", settings.rate_limit.sync_per_user)
    return await service.sync_reviews(
        session,
        user,
        settings.reviews,
        device_id=body.device_id,
        events=body.events,
        now=clock.now(),
    )


@router.get(
    "/stats",
    operation_id="review_stats",
    responses=problem_responses(*AUTHENTICATED_ERRORS, 422),
)
async def review_stats(
    user: CurrentUser,
    session: SessionDep,
    clock: ClockDep,
    days: Annotated[
        int, Query(ge=1, le=365, description="Days of history for the counts and retention")
    ] = 30,
    forecast_days: Annotated[int, Query(ge=1, le=365, description="Days to forecast")] = 14,
) -> ReviewStats:
    """Answers per day, retention (share of passing grades), streak and the due forecast."""
    return await service.review_stats(
        session, user, now=clock.now(), days=days, forecast_days=forecast_days
    )


@router.get(
    "/cards/{card_id}",
    operation_id="review_card",
    responses=problem_responses(*AUTHENTICATED_ERRORS, 404, 422),
)
async def review_card(card_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> CardDetail:
    """One of your cards: its schedule, its item and every answer given to it."""
    return await service.card_detail(session, user, card_id)
