"""The centre's queue on the backend: issuing, calling, voiding tickets, and estimates."""

from __future__ import annotations

import datetime as dt
import functools
import json
import secrets
import statistics
from typing import Any

from ..domain.calendar import WorkingCalendar
from ..domain.queue import (
    Counter,
    PriorityCategory,
    QueueConfig,
    Service,
    Waiting,
    call_order,
    display_number,
    estimated_wait_minutes,
)
from .errors import RequestError
from .store import BackendStore

# A counter that called someone this recently counts as open.
ACTIVE_COUNTER = dt.timedelta(minutes=30)
SERVICE_TIME_SAMPLES = 20
MIN_SAMPLES = 3


def _time(value: dt.datetime) -> str:
    return value.isoformat(timespec="milliseconds")


# Services and counters are read on every request, so that a change made by another
# process shows at once; parsing them is what costs, so it is done once per stored text.
@functools.lru_cache(maxsize=256)
def _service_of(text: str) -> Service:
    return Service.from_dict(json.loads(text))


@functools.lru_cache(maxsize=256)
def _counter_of(text: str) -> Counter:
    return Counter.from_dict(json.loads(text))


class TicketQueue:
    def __init__(self, store: BackendStore, calendar: WorkingCalendar):
        self.store = store
        self.db = store.db
        self.calendar = calendar

    # -- configuration ---------------------------------------------------------

    def configure(self, config: QueueConfig) -> None:
        problems = config.problems()
        if problems:
            raise ValueError("; ".join(problems))
        with self.store.write():
            self.db.execute("DELETE FROM services")
            self.db.execute("DELETE FROM counters")
            self.db["services"].insert_all({"letter": s.letter, "data": json.dumps(s.to_dict())} for s in config.services)
            self.db["counters"].insert_all({"number": c.number, "data": json.dumps(c.to_dict())} for c in config.counters)
            categories = json.dumps([c.to_dict() for c in config.priority_categories], ensure_ascii=False)
            self.db["meta"].upsert({"key": "priority_categories", "value": categories}, pk="key")

    def config(self) -> QueueConfig:
        categories = json.loads(self.store.meta("priority_categories") or "[]")
        return QueueConfig(
            services=[_service_of(r[0]) for r in self.db.execute("SELECT data FROM services ORDER BY letter")],
            counters=self._counters(),
            priority_categories=[PriorityCategory.from_dict(c) for c in categories],
        )

    def _counters(self) -> list[Counter]:
        return [_counter_of(r[0]) for r in self.db.execute("SELECT data FROM counters ORDER BY number")]

    def _service(self, letter: str) -> Service:
        row = self.db.execute("SELECT data FROM services WHERE letter = ?", [letter]).fetchone()
        if row is None:
            raise RequestError(404, "service_not_found", f"No service has the letter {letter}.")
        return _service_of(row[0])

    def _counter(self, number: int) -> Counter:
        row = self.db.execute("SELECT data FROM counters WHERE number = ?", [number]).fetchone()
        if row is None:
            raise RequestError(404, "counter_not_found", f"No counter has the number {number}.")
        return _counter_of(row[0])

    def _priority_codes(self) -> set[str]:
        return {c["code"] for c in json.loads(self.store.meta("priority_categories") or "[]")}

    # -- estimates -------------------------------------------------------------

    def _service_minutes(self, service: Service) -> float:
        """The median time a counter spent on each of the last tickets served."""
        rows = self.db.execute(
            "SELECT (julianday(finished_at) - julianday(called_at)) * 1440 FROM tickets"
            " WHERE service = ? AND status = 'served' AND called_at IS NOT NULL AND finished_at IS NOT NULL"
            " ORDER BY finished_at DESC LIMIT ?",
            [service.letter, SERVICE_TIME_SAMPLES],
        ).fetchall()
        if len(rows) < MIN_SAMPLES:
            return service.default_service_minutes
        return statistics.median(r[0] for r in rows)

    def _open_counters(self, service: Service, now: dt.datetime) -> int:
        counters = [c.number for c in self._counters() if service.letter in c.services]
        if not counters:
            return 0
        marks = ",".join("?" * len(counters))
        active = self.db.execute(
            f"SELECT COUNT(DISTINCT counter) FROM tickets WHERE counter IN ({marks}) AND called_at >= ?",
            [*counters, _time(now - ACTIVE_COUNTER)],
        ).fetchone()[0]
        if active:
            return active
        return len(counters) if service.is_issuing(now, self.calendar.is_working_day(now.date())) else 0

    def _order(self, service: Service, day: str) -> list[Waiting]:
        waiting = [
            Waiting(number, priority is not None)
            for number, priority in self.db.execute(
                "SELECT number, priority FROM tickets WHERE service = ? AND day = ? AND status = 'waiting'"
                " ORDER BY number",
                [service.letter, day],
            )
        ]
        streak = 0
        for (priority,) in self.db.execute(  # a streak longer than `every` counts no more
            "SELECT priority FROM tickets WHERE service = ? AND day = ? AND called_at IS NOT NULL"
            " ORDER BY called_at DESC LIMIT ?",
            [service.letter, day, service.every],
        ):
            if priority is not None:
                break
            streak += 1
        return call_order(waiting, service.policy, service.every, streak)

    # -- views -------------------------------------------------------------------

    def services_overview(self, now: dt.datetime) -> list[dict[str, Any]]:
        day = now.date().isoformat()
        working = self.calendar.is_working_day(now.date())
        answer = []
        for service in self.config().services:
            waiting = len(self._order(service, day))
            counters = self._open_counters(service, now)
            answer.append({
                "letter": service.letter, "name": service.name, "name_en": service.name_en,
                "fields": service.fields, "issuing": service.is_issuing(now, working),
                "hours": service.hours, "waiting": waiting, "open_counters": counters,
                "estimated_wait_minutes": estimated_wait_minutes(waiting, self._service_minutes(service), counters),
            })
        return answer

    def _view(self, row: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
        service = self._service(row["service"])
        ahead = 0
        if row["status"] == "waiting":
            order = [t.number for t in self._order(service, row["day"])]
            ahead = order.index(row["number"])
        counters = self._open_counters(service, now)
        return {
            "id": row["public_id"],
            "service": {"letter": service.letter, "name": service.name, "name_en": service.name_en},
            "number": row["number"],
            "display": display_number(service.letter, row["number"]),
            "day": row["day"],
            "priority": row["priority"],
            "status": row["status"],
            "people_ahead": ahead,
            "estimated_wait_minutes": estimated_wait_minutes(ahead, self._service_minutes(service), counters),
            "issued_at": row["issued_at"],
            "called_at": row["called_at"],
            "counter": row["counter"],
        }

    def _row(self, where: str, args: list[Any]) -> dict[str, Any] | None:
        cursor = self.db.execute(f"SELECT * FROM tickets WHERE {where}", args)
        row = cursor.fetchone()
        return dict(zip([c[0] for c in cursor.description], row)) if row else None

    def ticket(self, public_id: str, now: dt.datetime) -> dict[str, Any] | None:
        row = self._row("public_id = ?", [public_id])
        return self._view(row, now) if row else None

    # -- changes -----------------------------------------------------------------

    def issue(
        self, letter: str, priority: str | None, terminal_id: int, key: str, now: dt.datetime
    ) -> tuple[dict[str, Any], bool]:
        """A new ticket, or the one this key already got: (ticket, created)."""
        with self.store.write():
            earlier = self._row("terminal_id = ? AND idempotency_key = ?", [terminal_id, key])
            if earlier:
                if earlier["service"] != letter or earlier["priority"] != priority:
                    raise RequestError(409, "idempotency_key_reused", "This Idempotency-Key was used for another ticket.")
                return self._view(earlier, now), False
            service = self._service(letter)
            if priority is not None and priority not in self._priority_codes():
                raise RequestError(404, "priority_not_found", f"No priority category is called {priority!r}.")
            if not service.is_issuing(now, self.calendar.is_working_day(now.date())):
                hours = ", ".join(f"{a}–{b}" for a, b in service.hours)
                raise RequestError(409, "service_closed", f"Service {letter} issues tickets {hours} on working days.")
            day = now.date().isoformat()
            number = self.db.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM tickets WHERE service = ? AND day = ?", [letter, day]
            ).fetchone()[0]
            self.db["tickets"].insert({
                "public_id": secrets.token_urlsafe(12), "service": letter, "day": day, "number": number,
                "priority": priority, "status": "waiting", "issued_at": _time(now),
                "terminal_id": terminal_id, "idempotency_key": key,
            })
            row = self._row("service = ? AND day = ? AND number = ?", [letter, day, number])
            assert row is not None
            return self._view(row, now), True

    def void(self, public_id: str, now: dt.datetime, terminal_id: int | None = None) -> dict[str, Any]:
        """Void a ticket that could not be printed; voiding twice is harmless. `terminal_id`: the
        kiosk asking, which must be the one that issued it; None for staff, who may void any."""
        with self.store.write():
            row = self._row("public_id = ?", [public_id])
            if row is None:
                raise RequestError(404, "ticket_not_found", "No ticket has this id.")
            if terminal_id is not None and row["terminal_id"] != terminal_id:
                raise RequestError(403, "not_your_ticket", "A kiosk voids only the tickets it issued itself.")
            if row["status"] not in ("waiting", "void"):
                raise RequestError(409, "ticket_already_called", "This ticket has been called already.")
            self.db.execute(
                "UPDATE tickets SET status = 'void', finished_at = COALESCE(finished_at, ?) WHERE id = ?",
                [_time(now), row["id"]],
            )
            return self._view({**row, "status": "void"}, now)

    def _current(self, counter: int) -> dict[str, Any] | None:
        return self._row("counter = ? AND status = 'called'", [counter])

    def call_next(self, number: int, now: dt.datetime) -> dict[str, Any] | None:
        """Finish the counter's current ticket and call the next one, if anyone waits."""
        counter = self._counter(number)
        with self.store.write():
            current = self._current(number)
            if current:
                self.db.execute(
                    "UPDATE tickets SET status = 'served', finished_at = ? WHERE id = ?", [_time(now), current["id"]]
                )
            day = now.date().isoformat()
            heads = []
            for letter in counter.services:
                order = self._order(self._service(letter), day)
                if order:
                    heads.append((letter, order[0]))
            if not heads:
                return None
            # Across the counter's services: a priority head first, then the longest waiting.
            letter, head = min(heads, key=lambda h: (not h[1].priority, self._issued_at(h[0], day, h[1].number)))
            self.db.execute(
                "UPDATE tickets SET status = 'called', called_at = ?, counter = ? WHERE service = ? AND day = ? AND number = ?",
                [_time(now), number, letter, day, head.number],
            )
            row = self._row("service = ? AND day = ? AND number = ?", [letter, day, head.number])
            assert row is not None
            return self._view(row, now)

    def _issued_at(self, letter: str, day: str, number: int) -> str:
        return self.db.execute(
            "SELECT issued_at FROM tickets WHERE service = ? AND day = ? AND number = ?", [letter, day, number]
        ).fetchone()[0]

    def _called_at_counter(self, number: int) -> dict[str, Any]:
        self._counter(number)
        current = self._current(number)
        if current is None:
            raise RequestError(404, "no_current_ticket", f"Counter {number} has no ticket called.")
        return current

    def recall(self, number: int, now: dt.datetime) -> dict[str, Any]:
        with self.store.write():
            current = self._called_at_counter(number)
            self.db.execute("UPDATE tickets SET recalls = recalls + 1 WHERE id = ?", [current["id"]])
            return self._view(current, now)

    def no_show(self, number: int, now: dt.datetime) -> dict[str, Any]:
        with self.store.write():
            current = self._called_at_counter(number)
            self.db.execute(
                "UPDATE tickets SET status = 'no_show', finished_at = ? WHERE id = ?", [_time(now), current["id"]]
            )
            return self._view({**current, "status": "no_show"}, now)

    # -- statistics --------------------------------------------------------------

    def daily(self, day: dt.date) -> list[dict[str, Any]]:
        """Per service: tickets by outcome, average wait and service time, in minutes."""
        answer = []
        for service in self.config().services:
            row = self.db.execute(
                """SELECT COUNT(*),
                          SUM(status = 'served'), SUM(status = 'no_show'), SUM(status = 'void'),
                          SUM(status = 'waiting'),
                          AVG((julianday(called_at) - julianday(issued_at)) * 1440),
                          AVG(CASE WHEN status = 'served'
                              THEN (julianday(finished_at) - julianday(called_at)) * 1440 END)
                   FROM tickets WHERE service = ? AND day = ?""",
                [service.letter, day.isoformat()],
            ).fetchone()
            answer.append({
                "letter": service.letter, "name": service.name, "issued": row[0],
                "served": row[1] or 0, "no_show": row[2] or 0, "void": row[3] or 0, "waiting": row[4] or 0,
                "average_wait_minutes": None if row[5] is None else round(row[5], 1),
                "average_service_minutes": None if row[6] is None else round(row[6], 1),
            })
        return answer
