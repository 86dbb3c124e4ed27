import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.config import ConfigError, load_config, working_calendar
from kiosk.domain.calendar import WorkingCalendar

D = dt.date


@pytest.fixture(scope="module")
def calendar():
    return working_calendar(load_config())


def test_example_config_has_2025_and_2026_days_off(calendar):
    assert D(2025, 1, 1) in calendar.holidays
    assert D(2025, 1, 29) in calendar.holidays  # Tết Ất Tỵ, mùng 1
    assert D(2025, 9, 2) in calendar.holidays
    assert D(2026, 2, 17) in calendar.holidays  # Tết Bính Ngọ, mùng 1
    assert D(2026, 4, 30) in calendar.holidays
    assert not calendar.is_working_day(D(2025, 5, 2))
    assert calendar.is_working_day(D(2025, 4, 26))  # a Saturday worked in exchange


def test_weekend_is_skipped():
    cal = WorkingCalendar()
    friday = D(2025, 3, 7)
    assert cal.add_working_days(friday, 1) == D(2025, 3, 10)
    assert cal.add_working_days(D(2025, 3, 10), -1) == friday
    assert cal.working_days_between(friday, D(2025, 3, 10)) == 1
    assert cal.working_days_between(D(2025, 3, 10), friday) == -1
    assert cal.add_working_days(friday, 0) == friday


def test_deadline_across_holiday_and_weekend(calendar):
    # Received Tuesday 29 April 2025 with 3 working days: 30 April - 2 May are
    # days off and 3-4 May a weekend, so the days are 5, 6 and 7 May.
    assert calendar.add_working_days(D(2025, 4, 29), 3) == D(2025, 5, 7)
    assert calendar.working_days_between(D(2025, 4, 29), D(2025, 5, 7)) == 3
    # Across Tết 2026: received Friday 13 February, 2 working days.
    assert calendar.add_working_days(D(2026, 2, 13), 2) == D(2026, 2, 24)


def test_ranges_and_bad_dates():
    cal = WorkingCalendar.from_text("2025-01-27..2025-01-29, 2025-04-07", "")
    assert cal.holidays == {D(2025, 1, 27), D(2025, 1, 28), D(2025, 1, 29), D(2025, 4, 7)}
    with pytest.raises(ValueError):
        WorkingCalendar.from_text("2025-02-30")
    with pytest.raises(ValueError):
        WorkingCalendar.from_text("2025-02-03..2025-02-01")


def test_bad_calendar_in_config_is_a_clear_error(tmp_path):
    path = tmp_path / "kiosk.ini"
    path.write_text("[calendar]\nholidays = 2025-13-01\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="calendar"):
        working_calendar(load_config(path))
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.ini")


def walked(cal: WorkingCalendar, start: dt.date, end: dt.date) -> int:
    """Working days in (start, end], one day at a time: the definition the count must keep."""
    sign, low, high = (1, start, end) if start <= end else (-1, end, start)
    return sign * sum(cal.is_working_day(low + dt.timedelta(days=n)) for n in range(1, (high - low).days + 1))


@given(st.dates(D(2018, 1, 1), D(2027, 12, 31)), st.dates(D(2018, 1, 1), D(2027, 12, 31)))
@settings(max_examples=400, deadline=None)
def test_working_days_between_counts_as_the_days_walked(calendar, start, end):
    # The example configuration's calendar: Tết, bridged holidays, Saturdays worked in exchange,
    # and a holiday on a weekend (1 January 2028 is not in it, 2 September 2018 is a Sunday).
    odd = WorkingCalendar(calendar.holidays | {D(2018, 9, 2)}, calendar.working_weekend_days | {D(2025, 4, 26)},
                          frozenset({6}))
    for cal in (calendar, WorkingCalendar(), odd):
        assert cal.working_days_between(start, end) == walked(cal, start, end)


def test_working_days_between_a_day_worked_that_is_also_listed_off():
    # A day in both lists is worked (is_working_day): the count agrees.
    saturday = D(2025, 4, 26)
    cal = WorkingCalendar(frozenset({saturday, D(2025, 4, 28)}), frozenset({saturday}))
    assert cal.working_days_between(D(2025, 4, 24), D(2025, 4, 29)) == walked(cal, D(2025, 4, 24), D(2025, 4, 29)) == 3
