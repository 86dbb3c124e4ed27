"""Working days: weekends and public holidays from configuration."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property
from zoneinfo import ZoneInfo

ONE_DAY = dt.timedelta(days=1)
TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
"""Dates and deadlines are Vietnam's: a dossier due on the 5th is due on the 5th in Hà Nội."""


def now() -> dt.datetime:
    return dt.datetime.now(TIMEZONE)


def today() -> dt.date:
    return now().date()


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[dt.date] = frozenset()
    working_weekend_days: frozenset[dt.date] = frozenset()
    """Saturdays or Sundays worked to make up for a bridged holiday (ngày làm bù)."""
    weekend: frozenset[int] = field(default=frozenset({5, 6}))
    """Weekday numbers (Monday 0) that are not worked."""

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.working_weekend_days:
            return True
        return day.weekday() not in self.weekend and day not in self.holidays

    def add_working_days(self, start: dt.date, count: int) -> dt.date:
        """The `count`-th working day after `start` (before it, if negative); `start` itself never counts."""
        step = ONE_DAY if count >= 0 else -ONE_DAY
        day, left = start, abs(count)
        while left:
            day += step
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; negative when `end` comes first.

        Counted, not walked day by day: a dossier overdue since 2019 is years of days, and a
        look-up asks this at every scan. The weekdays of whole weeks by arithmetic, then the
        days off that fall on a weekday taken away and the weekend days worked added, each
        found by bisection in their sorted lists."""
        sign, low, high = (1, start, end) if start <= end else (-1, end, start)
        days = (high - low).days
        weeks, rest = divmod(days, 7)
        count = weeks * (7 - len(self.weekend))
        count += sum((low.weekday() + n) % 7 not in self.weekend for n in range(1, rest + 1))
        count -= _in_range(self._weekdays_off, low, high)
        count += _in_range(self._weekend_days_worked, low, high)
        return sign * count

    @cached_property
    def _weekdays_off(self) -> tuple[dt.date, ...]:
        """The holidays that would have been working days, in order."""
        return tuple(sorted(d for d in self.holidays
                            if d.weekday() not in self.weekend and d not in self.working_weekend_days))

    @cached_property
    def _weekend_days_worked(self) -> tuple[dt.date, ...]:
        """The worked days that fall in a weekend, in order."""
        return tuple(sorted(d for d in self.working_weekend_days if d.weekday() in self.weekend))

    @classmethod
    def from_text(cls, holidays: str = "", working_days: str = "") -> "WorkingCalendar":
        """From configuration lists: ISO dates or ranges `2025-01-27..2025-01-31`, by lines or commas."""
        return cls(frozenset(_parse_days(holidays)), frozenset(_parse_days(working_days)))


def _in_range(days: tuple[dt.date, ...], low: dt.date, high: dt.date) -> int:
    """How many of the sorted `days` are in (low, high]."""
    return bisect_right(days, high) - bisect_right(days, low)


def _parse_days(text: str) -> list[dt.date]:
    days: list[dt.date] = []
    for item in text.replace(",", "\n").split():
        first, _, last = item.partition("..")
        day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last or first)
        if end < day:
            raise ValueError(f"range ends before it starts: {item}")
        while day <= end:
            days.append(day)
            day += ONE_DAY
    return days
