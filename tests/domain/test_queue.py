import datetime as dt

import pytest

from kiosk.domain.calendar import TIMEZONE
from kiosk.domain.queue import (
    Counter, QueueConfig, Service, Waiting, call_order, display_number, estimated_wait_minutes,
)

N = lambda n: Waiting(n, False)  # noqa: E731
P = lambda n: Waiting(n, True)  # noqa: E731


def numbers(order):
    return [w.id for w in order]


def test_strict_calls_every_priority_first():
    waiting = [N(1), N(2), P(3), N(4), P(5)]
    assert numbers(call_order(waiting, "strict", 3, 0)) == [3, 5, 1, 2, 4]


def test_interleaved_calls_one_priority_after_every_n_normal():
    waiting = [N(1), N(2), N(3), N(4), P(5), P(6), N(7)]
    assert numbers(call_order(waiting, "interleaved", 2, 0)) == [1, 2, 5, 3, 4, 6, 7]
    # Two normal tickets were called already since the last priority one: priority now.
    assert numbers(call_order(waiting, "interleaved", 2, 2)) == [5, 1, 2, 6, 3, 4, 7]
    # Only priority tickets left, or only normal ones: they go in order.
    assert numbers(call_order([P(8), P(9)], "interleaved", 3, 0)) == [8, 9]
    assert numbers(call_order([N(8), N(9)], "interleaved", 1, 5)) == [8, 9]


def test_estimated_wait():
    assert estimated_wait_minutes(0, 6, 2) == 0
    assert estimated_wait_minutes(4, 6, 2) == 12
    assert estimated_wait_minutes(4, 6, 0) == 24  # closed counters: as if one opens
    assert display_number("A", 12) == "A012" and display_number("B", 1234) == "B1234"


def at(hour, minute=0, day=dt.date(2026, 11, 27)):
    return dt.datetime.combine(day, dt.time(hour, minute), TIMEZONE)


def test_opening_hours():
    service = Service("A", "Hộ tịch", "Civil status", ["HOTICH"], hours=[["07:30", "11:30"], ["13:30", "17:00"]])
    assert not service.is_issuing(at(7, 29), True)
    assert service.is_issuing(at(7, 30), True)
    assert not service.is_issuing(at(12, 0), True)
    assert service.is_issuing(at(16, 59), True)
    assert not service.is_issuing(at(17, 0), True)
    assert not service.is_issuing(at(9, 0), working_day=False)
    every_day = Service("B", "Đất đai", "Land", [], hours=[["00:00", "24:00"]], days="all")
    assert every_day.is_issuing(at(23, 59), False) and every_day.is_issuing(at(0, 0), False)


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"letter": "ab"}, "letter"), ({"letter": "a"}, "letter"), ({"policy": "random"}, "policy"),
        ({"every": 0}, "every"), ({"hours": [["9:00", "8:00"]]}, "ends before"), ({"hours": [["25:00", "26:00"]]}, "HH:MM"),
        ({"days": "weekends"}, "days"), ({"name": " "}, "name"),
    ],
)
def test_service_problems(change, problem):
    service = Service.from_dict({"letter": "A", "name": "Hộ tịch", "name_en": "", "fields": [], **change})
    assert any(problem in p for p in service.problems())


def test_queue_config_problems():
    a = Service("A", "Hộ tịch", "", [])
    config = QueueConfig([a, a], [Counter(1, "Quầy 1", ["A"]), Counter(1, "Quầy 1b", ["Z"])], [])
    problems = " | ".join(config.problems())
    assert "unique" in problems and "counter numbers" in problems and "unknown or no services ['Z']" in problems
