"""The queue of a one-stop centre: services, counters, priority policies, tickets."""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass, field

from .serial import JsonMixin

POLICIES = ("strict", "interleaved")
# The priority groups a kiosk asks about: the sample site's category codes, with English
# words for the screen (Vietnamese through the catalogue).
PRIORITY_GROUPS = [
    ("elderly", "Elderly person"),
    ("disability", "Person with a disability"),
    ("pregnant", "Pregnant woman"),
    ("small_child", "With a small child"),
    ("merit", "Person with meritorious service"),
]
TICKET_STATES = ("waiting", "called", "served", "no_show", "void")


@dataclass
class Service(JsonMixin):
    """A line of the queue, e.g. "A - Hộ tịch, chứng thực"."""

    letter: str
    name: str
    name_en: str
    fields: list[str]
    """Field (lĩnh vực) codes this service handles."""
    hours: list[list[str]] = field(default_factory=lambda: [["07:30", "11:30"], ["13:30", "17:00"]])
    """Windows ["HH:MM", "HH:MM"] in which tickets are issued; "24:00" ends a day."""
    days: str = "working"
    """"working" (the working-day calendar) or "all"."""
    policy: str = "strict"
    """"strict": priority tickets first; "interleaved": one priority after every `every` normal."""
    every: int = 3
    default_service_minutes: float = 6.0
    """Assumed time per citizen until enough tickets have been served to measure it."""

    def problems(self) -> list[str]:
        found = []
        if len(self.letter) != 1 or not self.letter.isascii() or not self.letter.isupper():
            found.append("letter must be one capital letter A-Z")
        if not self.name.strip():
            found.append("name is required")
        if self.policy not in POLICIES:
            found.append(f"policy must be one of {POLICIES}")
        if self.every < 1:
            found.append("every must be at least 1")
        if self.days not in ("working", "all"):
            found.append('days must be "working" or "all"')
        if not 0.5 <= self.default_service_minutes <= 240:
            found.append("default_service_minutes must be between 0.5 and 240")
        for window in self.hours:
            try:
                start, end = (_minutes(x) for x in window)
            except ValueError:
                found.append(f"hours must be pairs of HH:MM, not {window}")
                continue
            if start >= end:
                found.append(f"hours window {window} ends before it starts")
        return found

    def is_issuing(self, now: dt.datetime, working_day: bool) -> bool:
        """Whether a ticket may be issued at `now` (local time)."""
        if self.days == "working" and not working_day:
            return False
        minute = now.hour * 60 + now.minute
        return any(_minutes(a) <= minute < _minutes(b) for a, b in self.hours)


def _minutes(text: str) -> int:
    hours, _, minutes = text.partition(":")
    value = int(hours) * 60 + int(minutes)
    if len(minutes) != 2 or not 0 <= value <= 24 * 60 or int(minutes) >= 60:
        raise ValueError(text)
    return value


@dataclass
class Counter(JsonMixin):
    number: int
    name: str
    services: list[str]
    """Letters of the services this counter calls."""


@dataclass
class PriorityCategory(JsonMixin):
    code: str
    name: str
    name_en: str


@dataclass
class QueueConfig(JsonMixin):
    """A site's queue: what the kiosks offer and the counters call."""

    services: list[Service]
    counters: list[Counter]
    priority_categories: list[PriorityCategory]

    def problems(self) -> list[str]:
        found = [f"service {s.letter}: {p}" for s in self.services for p in s.problems()]
        letters = [s.letter for s in self.services]
        if len(set(letters)) != len(letters):
            found.append("service letters must be unique")
        numbers = [c.number for c in self.counters]
        if len(set(numbers)) != len(numbers) or any(n < 1 for n in numbers):
            found.append("counter numbers must be unique and positive")
        for counter in self.counters:
            unknown = set(counter.services) - set(letters)
            if unknown or not counter.services:
                found.append(f"counter {counter.number} calls unknown or no services {sorted(unknown)}")
        codes = [c.code for c in self.priority_categories]
        if len(set(codes)) != len(codes):
            found.append("priority category codes must be unique")
        return found


def display_number(letter: str, number: int) -> str:
    """What the ticket and the screens show: A012."""
    return f"{letter}{number:03d}"


@dataclass(frozen=True)
class Waiting:
    """A ticket still waiting, as the calling order sees it: `id` is whatever tells tickets apart
    (the backend's row id, since a line may hold tickets of several services)."""

    id: int
    priority: bool


def call_order(waiting: list[Waiting], policy: str, every: int, normals_since_priority: int) -> list[Waiting]:
    """The order in which waiting tickets (given in issue order) will be called.

    `normals_since_priority` counts normal tickets called since the last priority one,
    so an interleaved queue picks up where it left off. One rule serves both "who is
    next" and "how many people are ahead of me"."""
    priority = deque(t for t in waiting if t.priority)
    normal = deque(t for t in waiting if not t.priority)
    if policy == "strict":
        return [*priority, *normal]
    order, streak = [], normals_since_priority
    while priority or normal:
        if priority and (streak >= every or not normal):
            order.append(priority.popleft())
            streak = 0
        else:
            order.append(normal.popleft())
            streak += 1
    return order


def estimated_wait_minutes(people_ahead: int, service_minutes: float, open_counters: int) -> int:
    """Minutes until a citizen with `people_ahead` before them is called."""
    if people_ahead <= 0:
        return 0
    return round(people_ahead * service_minutes / max(open_counters, 1))


@dataclass
class TicketService(JsonMixin):
    letter: str
    name: str
    name_en: str


@dataclass
class Ticket(JsonMixin):
    """A queue ticket as the backend answers it."""

    id: str
    service: TicketService
    number: int
    display: str
    day: str
    priority: str | None
    status: str
    people_ahead: int
    estimated_wait_minutes: int
    issued_at: dt.datetime
    called_at: dt.datetime | None = None
    counter: int | None = None


@dataclass
class ServiceStatus(JsonMixin):
    """A service as the kiosk offers it: how many wait, and for how long."""

    letter: str
    name: str
    name_en: str
    fields: list[str]
    issuing: bool
    hours: list[list[str]]
    waiting: int
    open_counters: int
    estimated_wait_minutes: int
