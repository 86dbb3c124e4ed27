"""A new ticket's place in its line is counted, not found by ordering the whole line: the count
must agree with the calling order (call_order) for every mix of tickets, both policies, any streak,
and with the place a later look at the same ticket (GET) finds by ordering the line."""

import datetime as dt
import itertools

import pytest

from kiosk.backend.queue import TicketQueue, people_ahead_of_last
from kiosk.backend.sample import sample_queue
from kiosk.config import load_config, working_calendar
from kiosk.domain.calendar import TIMEZONE
from kiosk.domain.queue import Waiting, call_order
from stores import new_store

pytestmark = pytest.mark.both_stores


def test_counted_place_is_the_calling_order():
    for policy, every, streak, normals, priorities in itertools.product(
            ("strict", "interleaved"), (1, 2, 3, 5), range(6), range(7), range(7)):
        for last_is_priority in (False, True):
            if (priorities if last_is_priority else normals) == 0:
                continue
            # Any issue order before the last ticket: the order only matters within each kind.
            waiting = [Waiting(n, False) for n in range(normals - (not last_is_priority))]
            waiting += [Waiting(100 + n, True) for n in range(priorities - last_is_priority)]
            last = Waiting(999, last_is_priority)
            order = [w.id for w in call_order([*waiting, last], policy, every, streak)]
            counted = people_ahead_of_last(normals, priorities, last_is_priority, policy, every, streak)
            assert counted == order.index(999), (policy, every, streak, normals, priorities, last_is_priority)


@pytest.mark.parametrize("policy", ["strict", "interleaved"])
def test_issued_place_matches_a_later_look(tmp_path, policy):
    store = new_store(tmp_path / "b.sqlite3")
    queue = TicketQueue(store, working_calendar(load_config()))
    config = sample_queue()
    for service in config.services:
        service.days, service.hours, service.policy, service.every = "all", [["00:00", "24:00"]], policy, 2
    queue.configure(config)
    letter = config.services[0].letter
    priority = config.priority_categories[0].code
    at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TIMEZONE)
    for n in range(12):
        at += dt.timedelta(seconds=1)
        ticket, created = queue.issue(letter, priority if n % 3 == 1 else None, 1, f"k{n}", at)
        assert created
        assert ticket["people_ahead"] == queue.ticket(ticket["id"], at)["people_ahead"]
        if n % 4 == 3:
            queue.call_next(next(c.number for c in config.counters if letter in c.services), at)
    store.close()
