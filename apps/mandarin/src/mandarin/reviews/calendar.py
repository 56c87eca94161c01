"""The learner's days: their IANA time zone and the hour at which their day starts (spec §2.4).

A review at 02:00 in Shanghai with the day starting at 04:00 still belongs to the previous day,
as in Anki, so a late session does not eat into the next day's limits or break a streak.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(frozen=True, slots=True)
class LocalCalendar:
    timezone: str
    day_start_hour: int

    def day_of(self, instant: datetime) -> date:
        """The learner's day that instant falls in."""
        local = instant.astimezone(_zone(self.timezone))
        return (local.replace(tzinfo=None) - timedelta(hours=self.day_start_hour)).date()

    def start_of(self, day: date) -> datetime:
        """The instant (UTC) at which day begins for the learner."""
        if day == date.max:
            # A card that is never due: the end of the calendar, not an overflow.
            return datetime.max.replace(tzinfo=UTC)
        local = datetime.combine(day, time(hour=self.day_start_hour), tzinfo=_zone(self.timezone))
        return local.astimezone(UTC)

    def bounds(self, day: date) -> tuple[datetime, datetime]:
        """[start, end) of day in UTC; not always 24 hours apart (daylight saving time)."""
        return self.start_of(day), self.start_of(day + timedelta(days=1))
