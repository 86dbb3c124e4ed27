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
from .store import DEFAULT_SITE, BackendStore

# A counter that called someone this recently counts as open.
QUEUE_CHANNEL = "kiosk_queue"
"""What a change of the queue is announced on (PostgreSQL's NOTIFY): every backend process's
hall displays hear of it at once (board.py)."""
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
    """The queue of one site: its services, counters and tickets (`at` gives another site's)."""

    def __init__(self, store: BackendStore, calendar: WorkingCalendar, site: str = DEFAULT_SITE):
        self.store = store
        self.db = store.db
        self.calendar = calendar
        self.site = site

    def at(self, site: str) -> TicketQueue:
        """The queue of `site` (which the caller has checked exists and may be used)."""
        return self if site == self.site else TicketQueue(self.store, self.calendar, site)

    # -- configuration ---------------------------------------------------------

    def configure(self, config: QueueConfig) -> None:
        problems = config.problems()
        if problems:
            raise ValueError("; ".join(problems))
        with self.store.write():
            self.db.execute("DELETE FROM services WHERE site = ?", [self.site])
            self.db.execute("DELETE FROM counters WHERE site = ?", [self.site])
            self.db.insert_all("services", ({"site": self.site, "letter": s.letter, "data": json.dumps(s.to_dict())}
                                            for s in config.services))
            self.db.insert_all("counters", ({"site": self.site, "number": c.number, "data": json.dumps(c.to_dict())}
                                            for c in config.counters))
            categories = json.dumps([c.to_dict() for c in config.priority_categories], ensure_ascii=False)
            if not self.db.execute("UPDATE sites SET priority_categories = ? WHERE code = ?",
                                   [categories, self.site]).rowcount:
                raise ValueError(f"there is no site {self.site}: add it first (kiosk site add)")

    def config(self) -> QueueConfig:
        return QueueConfig(
            services=[_service_of(r[0]) for r in self.db.execute(
                "SELECT data FROM services WHERE site = ? ORDER BY letter", [self.site])],
            counters=self._counters(),
            priority_categories=[PriorityCategory.from_dict(c) for c in self._categories()],
        )

    def _categories(self) -> list[dict[str, Any]]:
        row = self.db.execute("SELECT priority_categories FROM sites WHERE code = ?", [self.site]).fetchone()
        return json.loads(row[0]) if row else []

    def _counters(self) -> list[Counter]:
        return [_counter_of(r[0]) for r in self.db.execute("SELECT data FROM counters WHERE site = ? ORDER BY number",
                                                                  [self.site])]

    def _service(self, letter: str) -> Service:
        row = self.db.execute("SELECT data FROM services WHERE site = ? AND letter = ?",
                              [self.site, letter]).fetchone()
        if row is None:
            raise RequestError(404, "service_not_found", f"No service has the letter {letter}.")
        return _service_of(row[0])

    def _counter(self, number: int) -> Counter:
        row = self.db.execute("SELECT data FROM counters WHERE site = ? AND number = ?",
                              [self.site, number]).fetchone()
        if row is None:
            raise RequestError(404, "counter_not_found", f"No counter has the number {number}.")
        return _counter_of(row[0])

    def _priority_codes(self) -> set[str]:
        return {c["code"] for c in self._categories()}

    # -- estimates -------------------------------------------------------------

    def _service_minutes(self, service: Service) -> float:
        """The median time a counter spent on each of the last tickets served."""
        rows = self.db.execute(
            f"SELECT {self.db.minutes_between('finished_at', 'called_at')} FROM tickets"
            " WHERE site = ? AND service = ? AND status = 'served' AND called_at IS NOT NULL"
            " AND finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT ?",
            [self.site, service.letter, SERVICE_TIME_SAMPLES],
        ).fetchall()
        if len(rows) < MIN_SAMPLES:
            return service.default_service_minutes
        return statistics.median(r[0] for r in rows)

    def _open_counters(self, service: Service, now: dt.datetime) -> int:
        paused = self._paused()
        counters = [c.number for c in self._counters() if service.letter in c.services and c.number not in paused]
        if not counters:
            return 0
        marks = ",".join("?" * len(counters))
        active = self.db.execute(
            f"SELECT COUNT(DISTINCT counter) FROM tickets WHERE site = ? AND counter IN ({marks}) AND called_at >= ?",
            [self.site, *counters, _time(now - ACTIVE_COUNTER)],
        ).fetchone()[0]
        if active:
            return active
        return len(counters) if service.is_issuing(now, self.calendar.is_working_day(now.date())) else 0

    def _order(self, service: Service, day: str) -> list[Waiting]:
        """The line of `service` in calling order. A line holds the service's own tickets and those
        transferred to it, each in its place by the time it was taken."""
        waiting = [
            Waiting(ticket, priority is not None)
            for ticket, priority in self.db.execute(
                "SELECT id, priority FROM tickets WHERE site = ? AND line = ? AND day = ? AND status = 'waiting'"
                " ORDER BY issued_at, id",
                [self.site, service.letter, day],
            )
        ]
        return call_order(waiting, service.policy, service.every, self._streak(service, day))

    def _streak(self, service: Service, day: str) -> int:
        """Normal tickets called in the line since its last priority one."""
        streak = 0
        for (priority,) in self.db.execute(  # a streak longer than `every` counts no more
            "SELECT priority FROM tickets WHERE site = ? AND line = ? AND day = ? AND called_at IS NOT NULL"
            " ORDER BY called_at DESC LIMIT ?",
            [self.site, service.letter, day, service.every],
        ):
            if priority is not None:
                break
            streak += 1
        return streak

    # -- views -------------------------------------------------------------------

    def _ahead_of_newest(self, service: Service, row: dict[str, Any]) -> int | None:
        """How many will be called before `row`, the ticket just issued, counted without ordering
        the line (which costs as much as the line is long, at every ticket); None when `row` is
        not the last of its line in issue order (another process's clock runs ahead), for
        `_order` to settle."""
        waiting, priorities, later = self.db.execute(
            "SELECT (SELECT COUNT(*) FROM tickets WHERE site = ?4 AND line = ?1 AND day = ?2 AND status = 'waiting'),"
            " (SELECT COUNT(*) FROM tickets WHERE site = ?4 AND line = ?1 AND day = ?2 AND status = 'waiting'"
            " AND priority IS NOT NULL),"
            " EXISTS (SELECT 1 FROM tickets WHERE site = ?4 AND line = ?1 AND day = ?2 AND status = 'waiting'"
            " AND issued_at > ?3)",
            [service.letter, row["day"], row["issued_at"], self.site]).fetchone()
        if later:
            return None
        streak = 0
        if service.policy != "strict":
            streak = self._streak(service, row["day"])
        return people_ahead_of_last(waiting - priorities, priorities, row["priority"] is not None,
                                    service.policy, service.every, streak)

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

    def _view(self, row: dict[str, Any], now: dt.datetime, service: Service | None = None,
              newest: bool = False) -> dict[str, Any]:
        """What a kiosk is told of a ticket. `newest`: the ticket was just issued, the last of its
        line in issue order, which lets its place be counted rather than the line ordered."""
        service = service or self._service(row["service"])
        line = self._service(row["line"]) if row["line"] != row["service"] else service
        ahead = 0
        if row["status"] == "waiting":
            found = self._ahead_of_newest(line, row) if newest else None
            if found is None:
                order = [t.id for t in self._order(line, row["day"])]
                found = order.index(row["id"])
            ahead = found
        counters = self._open_counters(line, now)
        return {
            "id": row["public_id"],
            "service": {"letter": service.letter, "name": service.name, "name_en": service.name_en},
            "number": row["number"],
            "display": display_number(service.letter, row["number"]),
            "day": row["day"],
            "priority": row["priority"],
            "status": row["status"],
            "people_ahead": ahead,
            "estimated_wait_minutes": estimated_wait_minutes(ahead, self._service_minutes(line), counters),
            "issued_at": row["issued_at"],
            "called_at": row["called_at"],
            "counter": row["counter"],
        }

    def _row(self, where: str, args: list[Any]) -> dict[str, Any] | None:
        cursor = self.db.execute(f"SELECT * FROM tickets WHERE {where}", args)
        row = cursor.fetchone()
        return dict(zip([c[0] for c in cursor.description], row)) if row else None

    def ticket(self, public_id: str, now: dt.datetime) -> dict[str, Any] | None:
        """A ticket of any site, by its public id (the kiosk, the citizen's page)."""
        row = self._row("public_id = ?", [public_id])
        return self.at(row["site"])._view(row, now) if row else None

    def site_of(self, public_id: str) -> str | None:
        row = self.db.execute("SELECT site FROM tickets WHERE public_id = ?", [public_id]).fetchone()
        return row[0] if row else None

    # -- changes -----------------------------------------------------------------

    def issue(
        self, letter: str, priority: str | None, terminal_id: int, key: str, now: dt.datetime
    ) -> tuple[dict[str, Any], bool]:
        """A new ticket, or the one this key already got: (ticket, created)."""
        with self.store.write():
            return self.issue_within(letter, priority, terminal_id, key, now)

    def issue_within(
        self, letter: str, priority: str | None, terminal_id: int, key: str, now: dt.datetime
    ) -> tuple[dict[str, Any], bool]:
        """`issue`, inside a write transaction the caller holds (so that a request's checks, its
        ticket and its event are one transaction, one commit)."""
        conn = self.db
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
        number = conn.execute(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM tickets WHERE site = ? AND service = ? AND day = ?",
            [self.site, letter, day]
        ).fetchone()[0]
        # Written and then known, not read back: the row is what was just written.
        row = {"site": self.site, "public_id": secrets.token_urlsafe(12), "service": letter, "line": letter, "day": day,
               "number": number, "priority": priority, "status": "waiting", "issued_at": _time(now),
               "called_at": None, "counter": None, "terminal_id": terminal_id, "idempotency_key": key}
        row["id"] = conn.execute(
            "INSERT INTO tickets (site, public_id, service, line, day, number, priority, status, issued_at, terminal_id,"
            " idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?) RETURNING id",
            [self.site, row["public_id"], letter, letter, day, number, priority, row["issued_at"], terminal_id, key],
        ).fetchone()[0]
        self._event("issued", row, now)
        return self._view(row, now, service, newest=True), True

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
            queue = self.at(row["site"])
            if row["status"] == "waiting":
                self.db.execute("UPDATE tickets SET status = 'void', finished_at = ? WHERE id = ?",
                                [_time(now), row["id"]])
                queue._event("voided", row, now)
            return queue._view({**row, "status": "void"}, now)

    def _current(self, counter: int) -> dict[str, Any] | None:
        return self._row("site = ? AND counter = ? AND status = 'called'", [self.site, counter])

    def _event(self, action: str, row: dict[str, Any], now: dt.datetime, counter: int | None = None,
               officer: str | None = None, line: str | None = None) -> None:
        """One change of the queue, for the hall displays and the statistics (inside the change's
        own transaction: a change and its event are written together or not at all)."""
        self.db.execute(
            "INSERT INTO queue_events (site, day, at, action, ticket_id, display, counter, officer, line)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [self.site, row["day"], _time(now), action, row["id"], display_number(row["service"], row["number"]), counter,
             officer, line or row["line"]],
        )
        self.db.notify(QUEUE_CHANNEL)

    def _finish_current(self, number: int, status: str, now: dt.datetime, officer: str | None) -> dict[str, Any] | None:
        current = self._current(number)
        if current:
            self.db.execute("UPDATE tickets SET status = ?, finished_at = ? WHERE id = ?",
                            [status, _time(now), current["id"]])
            self._event(status, current, now, number, officer)
        return current

    def call_next(self, number: int, now: dt.datetime, officer: str | None = None) -> dict[str, Any] | None:
        """Finish the counter's current ticket and call the next one, if anyone waits. In one
        write transaction (BEGIN IMMEDIATE): two counters calling at the same instant, from any
        process, are served one after the other and never get the same ticket."""
        counter = self._counter(number)
        with self.store.write():
            if self.is_paused(number):
                raise RequestError(409, "counter_paused", f"Counter {number} is paused; resume it first.")
            self._finish_current(number, "served", now, officer)
            day = now.date().isoformat()
            heads = []
            for letter in counter.services:
                order = self._order(self._service(letter), day)
                if order:
                    heads.append(order[0])
            if not heads:
                return None
            # Across the counter's lines: a priority head first, then the one who took a number first.
            head = min(heads, key=lambda h: (not h.priority, self._issued_at(h.id), h.id))
            self.db.execute(
                "UPDATE tickets SET status = 'called', called_at = ?, counter = ?, officer = ? WHERE id = ?",
                [_time(now), number, officer, head.id],
            )
            row = self._row("id = ?", [head.id])
            assert row is not None
            self._event("called", row, now, number, officer)
            return self._view(row, now)

    def _issued_at(self, ticket: int) -> str:
        return self.db.execute("SELECT issued_at FROM tickets WHERE id = ?", [ticket]).fetchone()[0]

    def _called_at_counter(self, number: int) -> dict[str, Any]:
        self._counter(number)
        current = self._current(number)
        if current is None:
            raise RequestError(404, "no_current_ticket", f"Counter {number} has no ticket called.")
        return current

    def recall(self, number: int, now: dt.datetime, officer: str | None = None) -> dict[str, Any]:
        with self.store.write():
            current = self._called_at_counter(number)
            self.db.execute("UPDATE tickets SET recalls = recalls + 1 WHERE id = ?", [current["id"]])
            self._event("recalled", current, now, number, officer)
            return self._view(current, now)

    def no_show(self, number: int, now: dt.datetime, officer: str | None = None) -> dict[str, Any]:
        with self.store.write():
            current = self._called_at_counter(number)
            self._finish_current(number, "no_show", now, officer)
            return self._view({**current, "status": "no_show"}, now)

    def finish(self, number: int, now: dt.datetime, officer: str | None = None) -> dict[str, Any]:
        """ "Xong": the counter has served its current ticket, and calls no one yet."""
        with self.store.write():
            current = self._called_at_counter(number)
            self._finish_current(number, "served", now, officer)
            return self._view({**current, "status": "served"}, now)

    def transfer(self, number: int, letter: str, now: dt.datetime, officer: str | None = None) -> dict[str, Any]:
        """The counter's current ticket waits again, in the line of service `letter`: in its place
        there by the time the number was taken, not at the end, as the citizen has waited once."""
        target = self._service(letter)
        with self.store.write():
            current = self._called_at_counter(number)
            if target.letter == current["line"]:
                raise RequestError(409, "same_service", "The ticket is in this service's line already.")
            self.db.execute(
                "UPDATE tickets SET status = 'waiting', line = ?, counter = NULL, called_at = NULL,"
                " transfers = transfers + 1 WHERE id = ?", [target.letter, current["id"]])
            self._event("transferred", current, now, number, officer, target.letter)
            row = self._row("id = ?", [current["id"]])
            assert row is not None
            return self._view(row, now)

    def _paused(self) -> set[int]:
        return {r[0] for r in self.db.execute("SELECT number FROM counter_pauses WHERE site = ?", [self.site])}

    def is_paused(self, number: int) -> bool:
        return self.db.execute("SELECT 1 FROM counter_pauses WHERE site = ? AND number = ?",
                               [self.site, number]).fetchone() is not None

    def pause(self, number: int, paused: bool, now: dt.datetime, officer: str) -> bool:
        """Pause (a break: the counter calls no one and counts as closed in estimates) or resume
        the counter; answers whether anything changed. A paused counter keeps its current ticket."""
        self._counter(number)
        with self.store.write():
            if paused == self.is_paused(number):
                return False
            if paused:
                self.db.execute("INSERT INTO counter_pauses (site, number, since, officer) VALUES (?, ?, ?, ?)",
                                [self.site, number, _time(now), officer])
            else:
                self.db.execute("DELETE FROM counter_pauses WHERE site = ? AND number = ?", [self.site, number])
            self.db.execute(
                "INSERT INTO queue_events (site, day, at, action, counter, officer) VALUES (?, ?, ?, ?, ?, ?)",
                [self.site, now.date().isoformat(), _time(now), "paused" if paused else "resumed", number, officer])
            self.db.notify(QUEUE_CHANNEL)
            return True

    # -- what the counters and the hall see -------------------------------------

    def last_event(self) -> int:
        """The newest change's id: a display that has seen it has seen everything."""
        return self.db.execute("SELECT COALESCE(MAX(id), 0) FROM queue_events WHERE site = ?",
                               [self.site]).fetchone()[0]

    def newest_event(self) -> int:
        """The newest change of any site."""
        return self.db.execute("SELECT COALESCE(MAX(id), 0) FROM queue_events").fetchone()[0]

    def sites_changed_since(self, event: int) -> set[str]:
        """The sites whose queue changed after `event` (any site's)."""
        return {r[0] for r in self.db.execute("SELECT DISTINCT site FROM queue_events WHERE id > ?", [event])}

    def waiting_list(self, letter: str, now: dt.datetime) -> list[dict[str, Any]]:
        """A line's waiting tickets in calling order, as a counter sees them: nothing personal."""
        service = self._service(letter)
        order = [w.id for w in self._order(service, now.date().isoformat())]
        rows = {}
        if order:
            marks = ",".join("?" * len(order))
            cursor = self.db.execute(
                f"SELECT id, service, number, priority, issued_at, transfers FROM tickets WHERE id IN ({marks})", order)
            rows = {r[0]: r for r in cursor}
        return [{"display": display_number(rows[i][1], rows[i][2]), "priority": rows[i][3],
                 "issued_at": rows[i][4], "transferred": rows[i][5] > 0} for i in order]

    def counter_view(self, number: int, now: dt.datetime) -> dict[str, Any]:
        event = self.last_event()  # read first: a change while the rest is read shows as newer
        counter = self._counter(number)
        current = self._current(number)
        paused = self.db.execute("SELECT since, officer FROM counter_pauses WHERE site = ? AND number = ?",
                                 [self.site, number]).fetchone()
        return {
            "event": event,
            "counter": counter,
            "current": self._view(current, now) | {"recalls": current["recalls"], "line": current["line"]} if current else None,
            "paused": {"since": paused[0], "officer": paused[1]} if paused else None,
            "lines": [{"service": self._service(letter), "waiting": self.waiting_list(letter, now)}
                      for letter in counter.services],
        }

    def board(self, now: dt.datetime, recent: int = 6) -> dict[str, Any]:
        """What a hall display shows: each counter's number being served, the last calls (newest
        first, each with the id of its event, so that a display announces each call once), and how
        many wait for each service. Ticket numbers only: nothing of the citizens."""
        day = now.date().isoformat()
        called = {r[0]: display_number(r[1], r[2]) for r in self.db.execute(
            "SELECT counter, service, number FROM tickets WHERE site = ? AND day = ? AND status = 'called'",
            [self.site, day])}
        paused = self._paused()
        calls = [{"event": r[0], "display": r[1], "counter": r[2], "at": r[3], "recall": r[4] == "recalled"}
                 for r in self.db.execute(
                     "SELECT id, display, counter, at, action FROM queue_events WHERE site = ? AND day = ?"
                     " AND action IN ('called', 'recalled') ORDER BY id DESC LIMIT ?", [self.site, day, recent])]
        waiting = dict(self.db.execute(
            "SELECT line, COUNT(*) FROM tickets WHERE site = ? AND day = ? AND status = 'waiting' GROUP BY line",
            [self.site, day]).fetchall())
        config = self.config()
        return {
            "event": self.last_event(),
            "counters": [{"number": c.number, "name": c.name, "serving": called.get(c.number),
                          "paused": c.number in paused} for c in config.counters],
            "calls": calls,
            "services": [{"letter": s.letter, "name": s.name, "name_en": s.name_en, "waiting": waiting.get(s.letter, 0)}
                         for s in config.services],
        }

    # -- statistics --------------------------------------------------------------

    def daily(self, day: dt.date) -> list[dict[str, Any]]:
        """Per service: tickets by outcome, average wait and service time, in minutes."""
        answer = []
        for service in self.config().services:
            minutes = self.db.minutes_between
            row = self.db.execute(
                f"""SELECT COUNT(*),
                          COUNT(CASE WHEN status = 'served' THEN 1 END), COUNT(CASE WHEN status = 'no_show' THEN 1 END),
                          COUNT(CASE WHEN status = 'void' THEN 1 END), COUNT(CASE WHEN status = 'waiting' THEN 1 END),
                          AVG({minutes('called_at', 'issued_at')}),
                          AVG(CASE WHEN status = 'served' THEN {minutes('finished_at', 'called_at')} END)
                   FROM tickets WHERE site = ? AND service = ? AND day = ?""",
                [self.site, service.letter, day.isoformat()],
            ).fetchone()
            answer.append({
                "letter": service.letter, "name": service.name, "issued": row[0],
                "served": row[1] or 0, "no_show": row[2] or 0, "void": row[3] or 0, "waiting": row[4] or 0,
                "average_wait_minutes": None if row[5] is None else round(row[5], 1),
                "average_service_minutes": None if row[6] is None else round(row[6], 1),
            })
        return answer

    def work(self, day: dt.date) -> dict[str, Any]:
        """The day's work from the queue's events: served / not present / transferred per counter
        and per officer, and the waits (number taken to first call) and service times (call to
        done) as median and 90th percentile, in minutes, for the day and by hour of the call."""
        counts: dict[tuple[str, Any], dict[str, int]] = {}
        waits: dict[int | None, list[float]] = {None: []}
        services: dict[int | None, list[float]] = {None: []}
        called_at: dict[int, dt.datetime] = {}
        for action, at, ticket, counter, officer, issued_at in self.db.execute(
                "SELECT e.action, e.at, e.ticket_id, e.counter, e.officer, t.issued_at FROM queue_events e"
                " LEFT JOIN tickets t ON t.id = e.ticket_id WHERE e.site = ? AND e.day = ? ORDER BY e.id",
                [self.site, day.isoformat()]):
            moment = dt.datetime.fromisoformat(at)
            if action == "called":
                if ticket not in called_at:  # the wait ends at the first call; a transfer's second call is service
                    waits.setdefault(moment.hour, []).append(_minutes_between(issued_at, moment))
                    waits[None].append(waits[moment.hour][-1])
                called_at[ticket] = moment
            if action == "served" and ticket in called_at:
                started = called_at[ticket]
                services.setdefault(started.hour, []).append(_minutes_between(started, moment))
                services[None].append(services[started.hour][-1])
            if action in ("served", "no_show", "transferred"):
                for key in (("counter", counter), ("officer", officer or "—")):
                    counts.setdefault(key, {"served": 0, "no_show": 0, "transferred": 0})[action] += 1

        def times(hour: int | None) -> dict[str, Any]:
            wait, service = waits.get(hour, []), services.get(hour, [])
            return {"calls": len(wait), "wait_p50": _percentile(wait, 50), "wait_p90": _percentile(wait, 90),
                    "served": len(service), "service_p50": _percentile(service, 50),
                    "service_p90": _percentile(service, 90)}

        return {
            "counters": [{"counter": key, **counts[kind, key]} for kind, key in sorted(k for k in counts if k[0] == "counter")],
            "officers": [{"officer": key, **counts[kind, key]} for kind, key in sorted(k for k in counts if k[0] == "officer")],
            "day": times(None),
            "hours": [{"hour": hour, **times(hour)} for hour in sorted(h for h in {*waits, *services} if h is not None)],
        }


def people_ahead_of_last(normals: int, priorities: int, is_priority: bool, policy: str, every: int,
                         streak: int) -> int:
    """The place of the last ticket in issue order (counted among `normals` or `priorities`, the
    waiting tickets of its line) in the order `call_order` gives, without building that order."""
    if policy == "strict":
        return priorities - 1 if is_priority else priorities + normals - 1
    # Interleaved: the first priority ticket comes after `first` normal ones, each next one after `every`.
    first = max(0, every - streak)
    if is_priority:
        return priorities - 1 + min(normals, first + (priorities - 1) * every)
    before = 0 if normals - 1 < first else min(priorities, (normals - 1 - first) // every + 1)
    return normals - 1 + before


def _minutes_between(start: str | dt.datetime, end: dt.datetime) -> float:
    begun = dt.datetime.fromisoformat(start) if isinstance(start, str) else start
    return max(0.0, (end - begun).total_seconds() / 60)


def _percentile(values: list[float], percent: int) -> float | None:
    """The nearest-rank percentile, in minutes to one decimal; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, -(-len(ordered) * percent // 100) - 1)], 1)
