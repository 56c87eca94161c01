"""Reviews: the daily queue, answers (online and synced from offline devices), undo, statistics.

A card's state is a pure function of its answers not undone, taken in review order: by effective
review time, then device, then the device's outbox position, then idempotency key (spec §9.3).
An answer that arrives after the answers it precedes in that order makes the card's whole log be
replayed; any other answer is applied to the card as it stands. Each log row keeps the card's
state before and after its answer, rewritten by replays, so undo is a restore.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mandarin.config import ReviewSettings
from mandarin.errors import Conflict, NotFound, UnprocessableContent
from mandarin.models import CardState, ReviewCard, ReviewLog, ReviewSource, SchedulerKind, User
from mandarin.reviews import repository
from mandarin.reviews.calendar import LocalCalendar
from mandarin.reviews.card_state import CardSnapshot, Engine, answer
from mandarin.reviews.schemas import (
    CardCounts,
    CardDetail,
    CardLogEntry,
    CardSchedule,
    DayCount,
    ForecastDay,
    FSRSDetail,
    QueueCard,
    QueueItem,
    QueueLimits,
    Retention,
    ReviewQueue,
    ReviewResult,
    ReviewStats,
    SM2Detail,
    Streak,
    SyncError,
    SyncEvent,
    SyncOutcome,
    SyncResult,
    SyncSummary,
    UndoResult,
)
from mandarin.scheduling import fsrs_adapter
from mandarin.scheduling.grades import PASSING_GRADE

# Devices' clocks drift: an answer stamped up to this far ahead of ours is taken as given now.
CLOCK_SKEW = timedelta(minutes=5)
# Streaks are read back this many days at first, further only when they are longer.
_STREAK_WINDOW_DAYS = 64
_STREAK_MAX_DAYS = 100 * 366

OrderKey = tuple[datetime, bytes, int, bytes]


def engine_for(user: User, settings: ReviewSettings) -> Engine:
    """The scheduler a learner's answers go through."""
    parameters = (
        tuple(float(weight) for weight in user.fsrs_parameters)
        if user.fsrs_parameters
        else fsrs_adapter.DEFAULT_SETTINGS.parameters
    )
    return Engine(
        scheduler=user.scheduler,
        calendar=calendar_for(user),
        sm2_variant=settings.sm2_variant,
        fsrs=fsrs_adapter.FSRSSettings(
            desired_retention=float(user.desired_retention), parameters=parameters
        ),
    )


def calendar_for(user: User) -> LocalCalendar:
    return LocalCalendar(timezone=user.timezone, day_start_hour=user.day_start_hour)


def _order(
    reviewed_at: datetime, device_id: uuid.UUID | None, client_seq: int | None, key: uuid.UUID
) -> OrderKey:
    return (
        reviewed_at,
        b"" if device_id is None else device_id.bytes,
        -1 if client_seq is None else client_seq,
        key.bytes,
    )


def _log_order(log: ReviewLog) -> OrderKey:
    return _order(log.reviewed_at, log.device_id, log.client_seq, log.idempotency_key)


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer to record, its review time already made effective."""

    idempotency_key: uuid.UUID
    card_id: uuid.UUID
    grade: int
    reviewed_at: datetime
    client_reviewed_at: datetime | None
    duration_ms: int | None
    source: ReviewSource
    device_id: uuid.UUID | None = None
    client_seq: int | None = None
    base_version: int | None = None

    @property
    def order(self) -> OrderKey:
        return _order(self.reviewed_at, self.device_id, self.client_seq, self.idempotency_key)

    @property
    def fingerprint(self) -> tuple[object, ...]:
        """What a retry repeats exactly; the same key with another fingerprint is a new answer."""
        return (self.card_id, self.grade, self.client_reviewed_at, self.duration_ms)

    def same_as(self, log: ReviewLog) -> bool:
        """Whether log records this very answer (a retry), not another one under its key."""
        return self.fingerprint == (
            log.card_id,
            log.grade,
            log.client_reviewed_at,
            log.duration_ms,
        )


# --- the card after answers -------------------------------------------------------------------


def schedule(card_id: uuid.UUID, state: Mapping[str, Any]) -> CardSchedule:
    """A card's schedule from a snapshot dict (CardSnapshot.to_dict, or a log's state)."""
    sm2 = state["sm2"]
    fsrs = state.get("fsrs")
    return CardSchedule(
        id=card_id,
        state=CardState(state["state"]),
        due_at=state.get("due_at"),
        last_reviewed_at=state.get("last_reviewed_at"),
        reps=state["reps"],
        lapses=state["lapses"],
        version=state["version"],
        sm2=SM2Detail(
            repetitions=sm2["repetitions"],
            easiness=Decimal(sm2["easiness"]),
            interval_days=sm2["interval"],
            due_day=sm2.get("due_day"),
        ),
        fsrs=None
        if fsrs is None
        else FSRSDetail(
            phase=fsrs["phase"],
            step=fsrs["step"],
            stability=fsrs["stability"],
            difficulty=fsrs["difficulty"],
            due_at=fsrs["due"],
            last_review_at=fsrs["last_review"],
        ),
    )


def current_schedule(card: ReviewCard) -> CardSchedule:
    return schedule(card.id, CardSnapshot.of(card).to_dict(version=card.version))


def _result(log: ReviewLog) -> ReviewResult:
    return ReviewResult(
        review_id=log.id,
        idempotency_key=log.idempotency_key,
        card_id=log.card_id,
        grade=log.grade,
        scheduler=log.scheduler,
        reviewed_at=log.reviewed_at,
        card=schedule(log.card_id, log.state_after),
    )


def _new_log(
    user_id: uuid.UUID, item: Answer, scheduler: SchedulerKind, now: datetime
) -> ReviewLog:
    return ReviewLog(
        user_id=user_id,
        card_id=item.card_id,
        idempotency_key=item.idempotency_key,
        grade=item.grade,
        scheduler=scheduler,
        source=item.source,
        reviewed_at=item.reviewed_at,
        client_reviewed_at=item.client_reviewed_at,
        server_received_at=now,
        duration_ms=item.duration_ms,
        device_id=item.device_id,
        client_seq=item.client_seq,
        base_version=item.base_version,
        affects_schedule=True,
        state_before={},
        state_after={},
    )


def _needs_history(card: ReviewCard, answers: Iterable[Answer]) -> bool:
    # Only an answer no later than the card's last one can fall before an applied answer.
    last = card.last_reviewed_at
    return last is not None and min(item.reviewed_at for item in answers) <= last


def _record(
    session: AsyncSession,
    user_id: uuid.UUID,
    engine: Engine,
    card: ReviewCard,
    answers: Sequence[Answer],
    history: Sequence[ReviewLog],
    *,
    now: datetime,
) -> dict[uuid.UUID, tuple[ReviewLog, bool]]:
    """Log answers to one card and update it; {key: (log, replayed)}.

    history is the card's answers not undone, needed only when `_needs_history` says so. All
    of a card's answers in one request are written with a single UPDATE of the card, so each
    snapshot records the version before and after that write.
    """
    ordered = sorted(answers, key=lambda item: item.order)
    version_before, version_after = card.version, card.version + 1
    applied = sorted(history, key=_log_order)
    latest = _log_order(applied[-1]) if applied else None
    new_logs = {
        item.idempotency_key: _new_log(user_id, item, engine.scheduler, now) for item in ordered
    }
    for log in new_logs.values():
        session.add(log)
    if latest is None or ordered[0].order > latest:
        snapshot = CardSnapshot.of(card)
        chain: list[ReviewLog] = list(new_logs.values())
    else:
        # An answer older than one already applied: replay the card's whole log in order from
        # the state before its first answer (spec §9.3 rule 3).
        snapshot = CardSnapshot.from_dict(applied[0].state_before)
        chain = sorted([*applied, *new_logs.values()], key=_log_order)
    for log in chain:
        after = answer(snapshot, log.grade, log.reviewed_at, engine)
        log.state_before = snapshot.to_dict(version=version_before)
        log.state_after = after.to_dict(version=version_after)
        snapshot = after
    snapshot.write_to(card)
    return {
        item.idempotency_key: (
            new_logs[item.idempotency_key],
            latest is not None and item.order < latest,
        )
        for item in ordered
    }


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError:
        # The only constraint an answer can break is its idempotency key, taken by a request
        # running at the same time; the card's version lock usually answers first (409 too).
        raise Conflict(
            "Another request is recording an answer with this idempotency key; retry it"
        ) from None


# --- one answer -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Submitted:
    result: ReviewResult
    duplicate: bool


async def submit_review(
    session: AsyncSession,
    user: User,
    settings: ReviewSettings,
    *,
    card_id: uuid.UUID,
    grade: int,
    idempotency_key: uuid.UUID,
    reviewed_at: datetime | None,
    duration_ms: int | None,
    base_version: int | None,
    now: datetime,
) -> Submitted:
    """Record one answer given online; a retry with the same key returns the first result."""
    item = Answer(
        idempotency_key=idempotency_key,
        card_id=card_id,
        grade=grade,
        reviewed_at=(now if reviewed_at is None else min(reviewed_at, now)).astimezone(UTC),
        client_reviewed_at=reviewed_at,
        duration_ms=duration_ms,
        source=ReviewSource.ONLINE,
        base_version=base_version,
    )
    card, stored = await repository.get_card_and_log(session, user.id, card_id, idempotency_key)
    if stored is not None:
        if not item.same_as(stored):
            raise Conflict(
                "This idempotency key was already used for a different answer; "
                "use a new key for a new answer"
            )
        return Submitted(_result(stored), duplicate=True)
    if card is None:
        raise NotFound("No such card")
    if card.suspended:
        raise Conflict("The card is suspended")
    if base_version is not None and base_version != card.version:
        raise Conflict(
            f"The card changed (version {card.version}, not {base_version}); fetch it again"
        )
    if reviewed_at is not None and reviewed_at > now + CLOCK_SKEW:
        raise UnprocessableContent("reviewed_at is in the future")
    if card.last_reviewed_at is not None and item.reviewed_at < card.last_reviewed_at:
        raise UnprocessableContent(
            "reviewed_at is before the card's last review; send older answers through "
            "/api/reviews/sync"
        )
    engine = engine_for(user, settings)
    history = (
        await repository.active_logs(session, [card.id]) if _needs_history(card, [item]) else []
    )
    recorded = _record(session, user.id, engine, card, [item], history, now=now)
    await _flush(session)
    log, _replayed = recorded[idempotency_key]
    return Submitted(_result(log), duplicate=False)


# --- undo -------------------------------------------------------------------------------------


async def undo_review(
    session: AsyncSession,
    user: User,
    *,
    review_id: uuid.UUID | None,
    idempotency_key: uuid.UUID | None,
    now: datetime,
) -> UndoResult:
    """Take back an answer: the learner's latest, or a given one if it is its card's latest."""
    named = review_id is not None or idempotency_key is not None
    if review_id is not None:
        target = await repository.get_log(session, user.id, review_id)
    elif idempotency_key is not None:
        target = await repository.get_log_by_key(session, user.id, idempotency_key)
    else:
        target = await repository.latest_active_log(session, user.id)
    if target is None:
        raise NotFound("No such review" if named else "There is no answer to undo")
    if target.undone_at is not None:
        raise Conflict("This answer was already undone")
    card = await repository.get_card(session, user.id, target.card_id)
    if card is None:
        raise NotFound("No such review")
    applied = sorted(await repository.active_logs(session, [card.id]), key=_log_order)
    latest = applied[-1]
    if named and latest.id != target.id:
        raise Conflict(
            "Only the most recent answer of a card can be undone; undo the later ones first"
        )
    CardSnapshot.from_dict(latest.state_before).write_to(card)
    latest.undone_at = now
    await _flush(session)
    return UndoResult(
        review_id=latest.id,
        idempotency_key=latest.idempotency_key,
        undone_at=now,
        card=current_schedule(card),
    )


# --- offline sync -----------------------------------------------------------------------------


def _effective_time(client_time: datetime, card: ReviewCard, now: datetime) -> datetime:
    # Spec §9.3 rule 2: a device's clock is believed within [card created, now]. A card stamped
    # after now (a clock that moved back) must not push answers into the future either.
    return max(min(card.created_at, now), min(client_time, now)).astimezone(UTC)


def _rejected(event: SyncEvent, status: int, detail: str) -> SyncOutcome:
    return SyncOutcome(
        idempotency_key=event.idempotency_key,
        status="rejected",
        review_id=None,
        reviewed_at=None,
        card=None,
        error=SyncError(status=status, detail=detail),
    )


def _outcome(log: ReviewLog, status: str) -> SyncOutcome:
    return SyncOutcome.model_validate(
        {
            "idempotency_key": log.idempotency_key,
            "status": status,
            "review_id": log.id,
            "reviewed_at": log.reviewed_at,
            "card": schedule(log.card_id, log.state_after),
            "error": None,
        }
    )


def _event_answer(event: SyncEvent, device_id: uuid.UUID | None, reviewed_at: datetime) -> Answer:
    return Answer(
        idempotency_key=event.idempotency_key,
        card_id=event.card_id,
        grade=event.grade,
        reviewed_at=reviewed_at,
        client_reviewed_at=event.client_reviewed_at,
        duration_ms=event.duration_ms,
        source=ReviewSource.OFFLINE_SYNC,
        device_id=device_id,
        client_seq=event.client_seq,
        base_version=event.base_version,
    )


async def sync_reviews(
    session: AsyncSession,
    user: User,
    settings: ReviewSettings,
    *,
    device_id: uuid.UUID | None,
    events: Sequence[SyncEvent],
    now: datetime,
) -> SyncResult:
    """Record a device's offline answers (spec §9.3); the outcome is independent of their order."""
    # Keys are compared with the answer as sent (client time), before any clamping.
    as_sent = [_event_answer(event, device_id, event.client_reviewed_at) for event in events]
    first_index: dict[uuid.UUID, int] = {}
    reused_keys: set[uuid.UUID] = set()
    for index, item in enumerate(as_sent):
        earlier = first_index.setdefault(item.idempotency_key, index)
        if earlier != index and as_sent[earlier].fingerprint != item.fingerprint:
            reused_keys.add(item.idempotency_key)
    stored = await repository.get_logs_by_keys(session, user.id, list(first_index))
    cards = await repository.get_cards(
        session,
        user.id,
        {item.card_id for item in as_sent if item.idempotency_key not in stored},
    )

    outcomes: list[SyncOutcome | None] = [None] * len(events)
    pending: dict[uuid.UUID, list[Answer]] = defaultdict(list)
    pending_index: dict[uuid.UUID, int] = {}
    for index, (event, item) in enumerate(zip(events, as_sent, strict=True)):
        key = item.idempotency_key
        log = stored.get(key)
        if log is not None:
            outcomes[index] = (
                _outcome(log, "duplicate")
                if item.same_as(log)
                else _rejected(event, 409, "This idempotency key was used for a different answer")
            )
        elif key in reused_keys:
            outcomes[index] = _rejected(
                event, 409, "This batch uses this idempotency key for different answers"
            )
        elif first_index[key] != index:
            continue  # the same answer twice in the batch: reported after the first is recorded
        elif (card := cards.get(item.card_id)) is None:
            outcomes[index] = _rejected(event, 404, "No such card")
        elif card.suspended:
            outcomes[index] = _rejected(event, 409, "The card is suspended")
        else:
            effective = _effective_time(event.client_reviewed_at, card, now)
            pending[card.id].append(_event_answer(event, device_id, effective))
            pending_index[key] = index

    if pending:
        engine = engine_for(user, settings)
        needing_history = [
            card_id
            for card_id, answers in pending.items()
            if _needs_history(cards[card_id], answers)
        ]
        histories: dict[uuid.UUID, list[ReviewLog]] = defaultdict(list)
        for log in await repository.active_logs(session, needing_history):
            histories[log.card_id].append(log)
        recorded: dict[uuid.UUID, tuple[ReviewLog, bool]] = {}
        for card_id in sorted(pending):
            recorded |= _record(
                session,
                user.id,
                engine,
                cards[card_id],
                pending[card_id],
                histories[card_id],
                now=now,
            )
        await _flush(session)
        for key, (log, replayed) in recorded.items():
            outcomes[pending_index[key]] = _outcome(log, "replayed" if replayed else "applied")

    for index, item in enumerate(as_sent):
        if outcomes[index] is None:
            first = outcomes[first_index[item.idempotency_key]]
            assert first is not None
            outcomes[index] = (
                first
                if first.status == "rejected"
                else first.model_copy(update={"status": "duplicate"})
            )
    results = [outcome for outcome in outcomes if outcome is not None]
    counts = dict.fromkeys(("applied", "replayed", "duplicate", "rejected"), 0)
    for outcome in results:
        counts[outcome.status] += 1
    return SyncResult(server_time=now, summary=SyncSummary(**counts), results=results)


# --- the queue --------------------------------------------------------------------------------


def _queue_card(row: repository.QueueRow, queue: str) -> QueueCard:
    return QueueCard.model_validate(
        {
            "card_id": row.card_id,
            "queue": queue,
            "state": row.state,
            "due_at": row.due_at,
            "version": row.version,
            "reps": row.reps,
            "lapses": row.lapses,
            "item": QueueItem(
                id=row.item_id,
                kind=row.kind,
                hanzi=row.hanzi,
                pinyin_numbered=row.pinyin_numbered,
                keyword=row.keyword,
                meaning=row.meaning,
            ),
        }
    )


async def review_queue(
    session: AsyncSession, user: User, *, now: datetime, limit: int
) -> ReviewQueue:
    """Due cards by due time, then new ones, within what today's limits still allow."""
    calendar = calendar_for(user)
    today = calendar.day_of(now)
    start, end = calendar.bounds(today)
    tally = await repository.day_tally(session, user.id, start=start, end=end, today=today, now=now)
    new_done, reviews_done = tally.new_done, tally.reviews_done
    new_left = max(0, user.new_per_day - new_done)
    reviews_left = max(0, user.reviews_per_day - reviews_done)
    due = await repository.due_cards(
        session, user.id, today=today, now=now, limit=min(limit, reviews_left)
    )
    new = await repository.new_cards(
        session, user.id, today=today, limit=min(limit - len(due), new_left)
    )
    return ReviewQueue(
        day=today,
        day_started_at=start,
        next_day_starts_at=end,
        due_count=tally.due_waiting,
        new_count=tally.new_waiting,
        limits=QueueLimits(
            new_per_day=user.new_per_day,
            reviews_per_day=user.reviews_per_day,
            new_done=new_done,
            reviews_done=reviews_done,
            new_left=new_left,
            reviews_left=reviews_left,
        ),
        cards=[_queue_card(row, "review") for row in due]
        + [_queue_card(row, "new") for row in new],
    )


# --- one card ---------------------------------------------------------------------------------


async def card_detail(session: AsyncSession, user: User, card_id: uuid.UUID) -> CardDetail:
    found = await repository.get_card_with_item(session, user.id, card_id)
    if found is None:
        raise NotFound("No such card")
    card, item = found
    history = await repository.card_history(session, card.id)
    return CardDetail(
        card=current_schedule(card),
        suspended=card.suspended,
        item=QueueItem(
            id=item.id,
            kind=item.kind,
            hanzi=item.hanzi,
            pinyin_numbered=item.pinyin_numbered,
            keyword=item.keyword,
            meaning=item.meaning,
        ),
        history=[
            CardLogEntry(
                review_id=log.id,
                idempotency_key=log.idempotency_key,
                grade=log.grade,
                scheduler=log.scheduler,
                source=log.source.value,
                reviewed_at=log.reviewed_at,
                duration_ms=log.duration_ms,
                undone_at=log.undone_at,
            )
            for log in sorted(history, key=_log_order)
        ],
    )


# --- statistics -------------------------------------------------------------------------------


async def review_stats(
    session: AsyncSession, user: User, *, now: datetime, days: int, forecast_days: int
) -> ReviewStats:
    """Daily counts and retention over the last `days` days, streak, and the due forecast."""
    calendar = calendar_for(user)
    today = calendar.day_of(now)
    first_day = today - timedelta(days=days - 1)
    daily = {first_day + timedelta(days=offset): [0, 0, 0, 0] for offset in range(days)}
    for reviewed_at, grade, duration_ms, was_new in await repository.answers_since(
        session, user.id, calendar.start_of(first_day)
    ):
        counts = daily.get(calendar.day_of(reviewed_at))
        if counts is None:
            continue  # answered "in the future" of today's boundary: not a past day
        counts[1 if was_new else 0] += 1
        counts[2] += grade >= PASSING_GRADE and not was_new
        counts[3] += duration_ms or 0
    reviews = sum(counts[0] for counts in daily.values())
    passed = sum(counts[2] for counts in daily.values())

    forecast_end = today + timedelta(days=forecast_days)
    forecast = dict.fromkeys((today + timedelta(days=offset) for offset in range(forecast_days)), 0)
    for due_at in await repository.due_times_before(
        session, user.id, today=today, end=calendar.start_of(forecast_end)
    ):
        forecast[max(today, calendar.day_of(due_at))] += 1

    states = await repository.card_counts(session, user.id)
    return ReviewStats(
        today=today,
        daily=[
            DayCount(day=day, reviews=c[0], new=c[1], passed=c[2], time_ms=c[3])
            for day, c in daily.items()
        ],
        retention=Retention(
            days=days, reviews=reviews, passed=passed, rate=passed / reviews if reviews else None
        ),
        streak=await _streak(session, user.id, calendar, today),
        forecast=[ForecastDay(day=day, due=count) for day, count in forecast.items()],
        cards=CardCounts(**states),
    )


async def _streak(
    session: AsyncSession, user_id: uuid.UUID, calendar: LocalCalendar, today: date
) -> Streak:
    window = _STREAK_WINDOW_DAYS
    while True:
        since = today - timedelta(days=window)
        times = await repository.review_times_since(session, user_id, calendar.start_of(since))
        active = {calendar.day_of(moment) for moment in times}
        # Today counts once reviewed; until then the streak is still alive from yesterday.
        cursor = today if today in active else today - timedelta(days=1)
        current = 0
        while cursor in active:
            current += 1
            cursor -= timedelta(days=1)
        if cursor >= since or window >= _STREAK_MAX_DAYS:
            break
        window *= 4
    latest = await repository.latest_active_log(session, user_id)
    return Streak(
        current=current,
        reviewed_today=today in active,
        last_review_day=None if latest is None else calendar.day_of(latest.reviewed_at),
    )
