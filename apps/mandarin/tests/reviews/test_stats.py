"""GET /api/reviews/stats: counts per local day, retention, streak, due forecast."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from httpx import AsyncClient
from mandarin_support import ManualClock, assert_problem
from reviews.review_support import AddCards, Learner, NewLearner, Submit

from mandarin.reviews.calendar import LocalCalendar

SHANGHAI = LocalCalendar(timezone="Asia/Shanghai", day_start_hour=4)


async def stats(client: AsyncClient, learner: Learner, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/reviews/stats", params=params, headers=learner.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_counts_retention_streak_and_forecast(
    client: AsyncClient,
    new_learner: NewLearner,
    add_cards: AddCards,
    clock: ManualClock,
    submit: Submit,
) -> None:
    clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))  # 09:00 in Shanghai
    learner = await new_learner(timezone="Asia/Shanghai", day_start_hour=4)
    first, second, third = await add_cards(learner, 3)
    session = [
        # Shanghai's 2 March: three new cards.
        (datetime(2026, 3, 2, 1, 0, tzinfo=UTC), [(first, 4), (second, 2), (third, 5)]),
        # 3 March, the last answer at 03:30 on the 4th, before that day starts at 04:00.
        (datetime(2026, 3, 3, 1, 0, tzinfo=UTC), [(first, 4), (second, 1)]),
        (datetime(2026, 3, 3, 19, 30, tzinfo=UTC), [(third, 4)]),
        # Nothing on the 4th.
        (datetime(2026, 3, 5, 1, 0, tzinfo=UTC), [(second, 3)]),
        (datetime(2026, 3, 6, 1, 0, tzinfo=UTC), [(second, 4)]),
    ]
    for moment, answers in session:
        clock.set(moment)
        for card_id, grade in answers:
            assert (await submit(learner, card_id, grade, duration_ms=1000)).status_code == 200

    body = await stats(client, learner, days=5, forecast_days=10)

    assert body["today"] == "2026-03-06"
    assert [(d["day"], d["new"], d["reviews"], d["passed"]) for d in body["daily"]] == [
        ("2026-03-02", 3, 0, 0),
        ("2026-03-03", 0, 3, 2),
        ("2026-03-04", 0, 0, 0),
        ("2026-03-05", 0, 1, 1),
        ("2026-03-06", 0, 1, 1),
    ]
    assert body["daily"][0]["time_ms"] == 3000
    assert body["retention"] == {"days": 5, "reviews": 5, "passed": 4, "rate": 0.8}
    assert body["streak"] == {
        "current": 2,
        "reviewed_today": True,
        "last_review_day": "2026-03-06",
    }
    assert body["cards"] == {
        "new": 0,
        "learning": 0,
        "review": 3,
        "relearning": 0,
        "suspended": 0,
    }
    due_days: Counter[date] = Counter()
    for card_id in (first, second, third):
        detail = await client.get(f"/api/reviews/cards/{card_id}", headers=learner.headers)
        due_at = datetime.fromisoformat(detail.json()["card"]["due_at"])
        due_days[max(date(2026, 3, 6), SHANGHAI.day_of(due_at))] += 1
    forecast = {date.fromisoformat(day["day"]): day["due"] for day in body["forecast"]}
    assert len(forecast) == 10
    assert min(forecast) == date(2026, 3, 6)
    assert forecast == {day: due_days.get(day, 0) for day in forecast}
    # Six days after the 3rd for the first and third cards, after the 6th for the second.
    assert {day: due for day, due in forecast.items() if due} == {
        date(2026, 3, 9): 2,
        date(2026, 3, 12): 1,
    }

    # The next day the streak is still alive until it ends; the day after it is broken.
    clock.set(datetime(2026, 3, 7, 1, 0, tzinfo=UTC))
    assert (await stats(client, learner))["streak"]["current"] == 2
    assert (await stats(client, learner))["streak"]["reviewed_today"] is False
    clock.set(datetime(2026, 3, 8, 1, 0, tzinfo=UTC))
    assert (await stats(client, learner))["streak"]["current"] == 0


async def test_undone_answers_do_not_count(
    client: AsyncClient, new_learner: NewLearner, add_cards: AddCards, submit: Submit
) -> None:
    learner = await new_learner()
    (card_id,) = await add_cards(learner, 1)
    await submit(learner, card_id, 4)
    await client.post("/api/reviews/undo", headers=learner.headers)

    body = await stats(client, learner, days=1)

    assert body["daily"] == [
        {"day": "2026-03-02", "reviews": 0, "new": 0, "passed": 0, "time_ms": 0}
    ]
    assert body["retention"]["rate"] is None
    assert body["streak"] == {"current": 0, "reviewed_today": False, "last_review_day": None}


async def test_long_streaks_are_counted_whole(
    client: AsyncClient,
    new_learner: NewLearner,
    add_cards: AddCards,
    clock: ManualClock,
    submit: Submit,
) -> None:
    learner = await new_learner()
    (card_id,) = await add_cards(learner, 1)
    start = clock.now()
    for day in range(100):
        clock.set(start + timedelta(days=day))
        await submit(learner, card_id, 4)

    assert (await stats(client, learner))["streak"]["current"] == 100


async def test_windows_are_bounded(client: AsyncClient, new_learner: NewLearner) -> None:
    learner = await new_learner()
    for params in ({"days": 0}, {"days": 366}, {"forecast_days": -1}, {"days": "x"}):
        response = await client.get("/api/reviews/stats", params=params, headers=learner.headers)
        assert_problem(response, 422)
