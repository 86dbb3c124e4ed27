"""The reference backend's SQLite file: schema migrations, catalogue and dossiers."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from ..domain.dossier import Dossier
from ..domain.serial import parse_datetime
from ..domain.procedure import Agency, Catalogue, Field, Level, Procedure, Site, national_code
from .database import Busy, Database, DatabaseError, is_postgres_url, open_database, shown_url
from .citizen_keys import CitizenKey, CitizenKeys, KeyFileError, Ring, default_key_file, new_ring, read_ring, write_ring


def _dump(value: object) -> str:
    """`value` as the JSON text the store keeps. A NUL in a text (a one-stop system may send one
    in a name) is kept as U+FFFD, the mark of a character that could not be read: PostgreSQL's
    JSON functions refuse the escape "\\u0000" anywhere in a text they read a date from."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("\\u0000", "\\ufffd")


DEFAULT_SITE = "main"
"""The site every backend has: a centre's own backend serves only it; a province's serves it
among the others (`kiosk site add`)."""


def _v1(db: Database) -> None:
    db.ddl("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    db.ddl("CREATE TABLE levels (code TEXT PRIMARY KEY, name TEXT, name_en TEXT, rank INTEGER)")
    db.ddl("CREATE TABLE fields (code TEXT PRIMARY KEY, name TEXT, name_en TEXT)")
    db.ddl("CREATE TABLE agencies (code TEXT PRIMARY KEY, name TEXT, level TEXT, parent TEXT, address TEXT)")
    # The full procedure is kept as JSON text so the catalogue is served without re-encoding.
    db.ddl("CREATE TABLE procedures (code TEXT PRIMARY KEY, name TEXT, field TEXT, data TEXT)")
    db.ddl("CREATE INDEX idx_procedures_field ON procedures (field)")
    db.ddl("CREATE TABLE dossiers (code TEXT PRIMARY KEY, procedure_code TEXT, status INTEGER, data TEXT)")


def _v2(db: Database) -> None:
    """The queue, terminals, ratings, and citizen lookups."""
    db.ddl("CREATE TABLE services (letter TEXT PRIMARY KEY, data TEXT)")
    db.ddl("CREATE TABLE counters (number INTEGER PRIMARY KEY, data TEXT)")
    db.ddl("""
        CREATE TABLE tickets (
            id INTEGER PRIMARY KEY,
            public_id TEXT NOT NULL UNIQUE,
            service TEXT NOT NULL,
            day TEXT NOT NULL,
            number INTEGER NOT NULL,
            priority TEXT,
            status TEXT NOT NULL,
            issued_at TEXT NOT NULL,
            called_at TEXT,
            finished_at TEXT,
            counter INTEGER,
            recalls INTEGER NOT NULL DEFAULT 0,
            terminal_id INTEGER,
            idempotency_key TEXT,
            UNIQUE (service, day, number),
            UNIQUE (terminal_id, idempotency_key)
        )""")
    db.ddl("CREATE INDEX tickets_waiting ON tickets (service, day, status, number)")
    db.ddl("CREATE INDEX tickets_called ON tickets (service, day, called_at)")
    db.ddl("CREATE INDEX tickets_served ON tickets (service, status, finished_at)")
    db.ddl("CREATE INDEX tickets_counter ON tickets (counter, status)")
    db.ddl("CREATE INDEX tickets_counter_calls ON tickets (counter, called_at)")
    db.ddl("""
        CREATE TABLE terminals (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            revoked_at TEXT,
            config TEXT NOT NULL,
            config_version INTEGER NOT NULL DEFAULT 1,
            last_seen TEXT,
            health TEXT
        )""")
    db.ddl("""
        CREATE TABLE ratings (
            id INTEGER PRIMARY KEY,
            terminal_id INTEGER NOT NULL,
            idempotency_key TEXT,
            day TEXT NOT NULL,
            created_at TEXT NOT NULL,
            level TEXT NOT NULL,
            reasons TEXT NOT NULL,
            ticket_id TEXT,
            dossier_code TEXT,
            UNIQUE (terminal_id, idempotency_key)
        )""")
    # Who looked up a citizen's dossiers, when, and a keyed hash of the ID number: never the number.
    db.ddl("""
        CREATE TABLE citizen_lookups (
            id INTEGER PRIMARY KEY,
            terminal_id INTEGER NOT NULL,
            at TEXT NOT NULL,
            id_hash TEXT NOT NULL,
            proof TEXT NOT NULL,
            found INTEGER NOT NULL
        )""")
    db.ddl("ALTER TABLE dossiers ADD COLUMN applicant_key TEXT")
    db.ddl("CREATE INDEX dossiers_applicant ON dossiers (applicant_key)")
    # Until schema 5 the hashes' key was made here, in meta "citizen_key"; now it lives in a key
    # file apart from the database (citizen_keys.py), and BackendStore moves an old one there.


def _v3(db: Database) -> None:
    """Staff: admin accounts and sessions, the audit log, and one-time enrolment codes."""
    db.ddl("""
        CREATE TABLE admins (
            username TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT
        )""")
    # Only a hash of a session token is kept: a copy of the file opens no session.
    db.ddl("""
        CREATE TABLE admin_sessions (
            token_hash TEXT PRIMARY KEY,
            username TEXT NOT NULL,
            csrf_token TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )""")
    db.ddl("""
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            who TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            detail TEXT NOT NULL
        )""")
    db.ddl("""
        CREATE TABLE enrolment_codes (
            code_hash TEXT PRIMARY KEY,
            terminal_name TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT,
            terminal_id INTEGER
        )""")


def _v4(db: Database) -> None:
    """Dossiers from a province's one-stop system: accounts of the sending systems and their
    sessions, processing steps as they were pushed, and where each dossier came from."""
    db.ddl("""
        CREATE TABLE integrations (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            revoked_at TEXT,
            last_used_at TEXT
        )""")
    # Only a hash of a session is kept, as for the admin pages.
    db.ddl("""
        CREATE TABLE integration_sessions (
            token_hash TEXT PRIMARY KEY,
            integration_id INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )""")
    # A step is kept by a digest of what it says, so that the same step sent twice is one step;
    # steps may come before their dossier and wait for it here.
    db.ddl("""
        CREATE TABLE dossier_steps (
            id INTEGER PRIMARY KEY,
            dossier_code TEXT NOT NULL,
            step_key TEXT NOT NULL,
            at TEXT NOT NULL,
            data TEXT NOT NULL,
            UNIQUE (dossier_code, step_key)
        )""")
    db.ddl("CREATE INDEX dossier_steps_by_time ON dossier_steps (dossier_code, at, id)")
    # origin: "local" (sample or import), "sync" (pushed), "upstream" (looked up, kept until
    # fetched_at + the configured time). base: the dossier as its record says, before its steps.
    # steps_seen: the last step id when the record came, so that a later step moves the status.
    db.ddl("ALTER TABLE dossiers ADD COLUMN origin TEXT NOT NULL DEFAULT 'local'")
    db.ddl("ALTER TABLE dossiers ADD COLUMN fetched_at TEXT")
    db.ddl("ALTER TABLE dossiers ADD COLUMN base TEXT")
    db.ddl("ALTER TABLE dossiers ADD COLUMN steps_seen INTEGER NOT NULL DEFAULT 0")


def _v5(db: Database) -> None:
    """Rate limits kept here, so that they hold across requests in flight at once, across
    processes, and across a restart: one row per counted call."""
    db.ddl("""
        CREATE TABLE limit_events (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            key TEXT NOT NULL,
            at REAL NOT NULL
        )""")
    db.ddl("CREATE INDEX limit_events_key ON limit_events (name, key, at)")
    db.ddl("CREATE INDEX limit_events_age ON limit_events (at)")


def _v6(db: Database) -> None:
    """Calls for staff from the kiosks' "Gọi cán bộ hỗ trợ": which kiosk, from which screen, when,
    and who came. Nothing of the citizen: the screen's name is the most a kiosk sends. The
    kiosk's name is kept as it was then, so that a renamed kiosk's old calls read as they did."""
    db.ddl("""
        CREATE TABLE help_requests (
            id INTEGER PRIMARY KEY,
            terminal_id INTEGER NOT NULL,
            terminal_name TEXT NOT NULL,
            screen TEXT NOT NULL,
            asked_at TEXT NOT NULL,
            answered_at TEXT,
            answered_by TEXT
        )""")
    db.ddl("CREATE INDEX help_requests_open ON help_requests (answered_at, terminal_id, asked_at)")


def _v7(db: Database) -> None:
    """The counters' side of the queue. Staff accounts get a role: "admin" (the /admin pages) or
    "counter" (only the counter page, for the counters listed in `counters`, e.g. "3,5").
    A ticket waits in a `line`: its own service's, or the one a counter transferred it to (its
    number, printed on paper, stays). `officer`: the account that called it. Every change of the
    queue is a row of queue_events: what the hall displays follow (by id, so that a display of
    any process sees the changes of every process) and what the statistics count. A paused
    counter has a row in counter_pauses."""
    db.ddl("ALTER TABLE admins ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'")
    db.ddl("ALTER TABLE admins ADD COLUMN counters TEXT NOT NULL DEFAULT ''")
    db.ddl("ALTER TABLE tickets ADD COLUMN line TEXT")
    db.ddl("ALTER TABLE tickets ADD COLUMN officer TEXT")
    db.ddl("ALTER TABLE tickets ADD COLUMN transfers INTEGER NOT NULL DEFAULT 0")
    db.ddl("UPDATE tickets SET line = service")
    db.ddl("CREATE INDEX tickets_line ON tickets (line, day, status)")
    db.ddl("""
        CREATE TABLE queue_events (
            id INTEGER PRIMARY KEY,
            day TEXT NOT NULL,
            at TEXT NOT NULL,
            action TEXT NOT NULL,
            ticket_id INTEGER,
            display TEXT,
            counter INTEGER,
            officer TEXT,
            line TEXT
        )""")
    db.ddl("CREATE INDEX queue_events_day ON queue_events (day, action)")
    db.ddl("""
        CREATE TABLE counter_pauses (
            number INTEGER PRIMARY KEY,
            since TEXT NOT NULL,
            officer TEXT NOT NULL
        )""")


def _v8(db: Database) -> None:
    """What every new ticket reads of its line, from indexes: how many wait, how many of them
    with priority, and whether one was issued after it (its place, TicketQueue._ahead_of_newest);
    and the line's last calls by time (how many normal tickets were called since the last
    priority one), found at once, not by sorting the day's calls of the line."""
    db.ddl("DROP INDEX tickets_line")
    db.ddl("CREATE INDEX tickets_line ON tickets (line, day, status, issued_at)")
    db.ddl("CREATE INDEX tickets_line_priority ON tickets (line, day, status) WHERE priority IS NOT NULL")
    db.ddl("CREATE INDEX tickets_line_called ON tickets (line, day, called_at)")


def _v9(db: Database) -> None:
    """Sites: one backend serves many centres (a province's communes). Terminals, the queue's
    services, counters and tickets, the hall displays (queue_events), calls for staff, ratings
    and the audit of what staff did at a site belong to one; an account sees its own sites, or
    all of them ("*", a province admin). What was there before is the site "main", the one every
    backend has. A ticket number is unique per site, service and day: the tables whose keys
    change are made again and refilled (SQLite cannot change a table's constraints)."""
    db.ddl("""
        CREATE TABLE sites (
            code TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            name_en TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            priority_categories TEXT NOT NULL DEFAULT '[]'
        )""")
    # "main" without a name of its own is named by the catalogue (Sites.get), as before sites.
    categories = db.execute("SELECT value FROM meta WHERE key = 'priority_categories'").fetchone()
    db.execute("INSERT INTO sites (code, name, name_en, created_at, priority_categories) VALUES (?, '', '', ?, ?)",
               [DEFAULT_SITE, dt.datetime.now().isoformat(timespec="seconds"), categories[0] if categories else "[]"])
    db.execute("DELETE FROM meta WHERE key = 'priority_categories'")
    _rebuild(db, "services", "site TEXT NOT NULL, letter TEXT NOT NULL, data TEXT, PRIMARY KEY (site, letter)",
             "letter, data")
    _rebuild(db, "counters", "site TEXT NOT NULL, number INTEGER NOT NULL, data TEXT, PRIMARY KEY (site, number)",
             "number, data")
    _rebuild(db, "counter_pauses", "site TEXT NOT NULL, number INTEGER NOT NULL, since TEXT NOT NULL,"
             " officer TEXT NOT NULL, PRIMARY KEY (site, number)", "number, since, officer")
    _rebuild(db, "tickets", """
            id INTEGER PRIMARY KEY,
            site TEXT NOT NULL,
            public_id TEXT NOT NULL UNIQUE,
            service TEXT NOT NULL,
            line TEXT NOT NULL,
            day TEXT NOT NULL,
            number INTEGER NOT NULL,
            priority TEXT,
            status TEXT NOT NULL,
            issued_at TEXT NOT NULL,
            called_at TEXT,
            finished_at TEXT,
            counter INTEGER,
            officer TEXT,
            recalls INTEGER NOT NULL DEFAULT 0,
            transfers INTEGER NOT NULL DEFAULT 0,
            terminal_id INTEGER,
            idempotency_key TEXT,
            UNIQUE (site, service, day, number),
            UNIQUE (terminal_id, idempotency_key)""",
             "id, public_id, service, line, day, number, priority, status, issued_at, called_at, finished_at,"
             " counter, officer, recalls, transfers, terminal_id, idempotency_key")
    db.ddl("CREATE INDEX tickets_served ON tickets (site, service, status, finished_at)")
    db.ddl("CREATE INDEX tickets_counter ON tickets (site, counter, status)")
    db.ddl("CREATE INDEX tickets_counter_calls ON tickets (site, counter, called_at)")
    db.ddl("CREATE INDEX tickets_line ON tickets (site, line, day, status, issued_at)")
    db.ddl("CREATE INDEX tickets_line_priority ON tickets (site, line, day, status) WHERE priority IS NOT NULL")
    db.ddl("CREATE INDEX tickets_line_called ON tickets (site, line, day, called_at)")
    db.ddl("CREATE INDEX tickets_day ON tickets (site, day, status)")
    for table in ("terminals", "enrolment_codes", "queue_events", "help_requests", "ratings"):
        db.ddl(f"ALTER TABLE {table} ADD COLUMN site TEXT NOT NULL DEFAULT '{DEFAULT_SITE}'")
    db.ddl("CREATE INDEX terminals_site ON terminals (site, id)")
    db.ddl("DROP INDEX queue_events_day")
    db.ddl("CREATE INDEX queue_events_day ON queue_events (site, day, action)")
    db.ddl("CREATE INDEX queue_events_site ON queue_events (site, id)")
    db.ddl("DROP INDEX help_requests_open")
    db.ddl("CREATE INDEX help_requests_open ON help_requests (site, answered_at, terminal_id, asked_at)")
    db.ddl("CREATE INDEX help_requests_terminal ON help_requests (terminal_id, answered_at, id)")
    db.ddl("CREATE INDEX ratings_day ON ratings (site, day)")
    # The audit log's entries of a site's own (its kiosks, counters, calls for staff): NULL for
    # the province's (logins, one-stop systems, sites), which only a province admin sees.
    db.ddl("ALTER TABLE audit_log ADD COLUMN site TEXT")
    db.ddl("CREATE INDEX audit_log_site ON audit_log (site, id)")
    # "*": every site (a province admin, as every account was before); else codes, "a,b".
    db.ddl("ALTER TABLE admins ADD COLUMN sites TEXT NOT NULL DEFAULT '*'")
    db.execute(f"UPDATE admins SET sites = '{DEFAULT_SITE}' WHERE role = 'counter'")


def _rebuild(db: Database, table: str, columns: str, kept: str) -> None:
    """`table` made again with `columns`, its rows (the columns `kept`) in the site "main"."""
    db.ddl(f"CREATE TABLE {table}_new ({columns})")
    db.execute(f"INSERT INTO {table}_new (site, {kept}) SELECT '{DEFAULT_SITE}', {kept} FROM {table}")
    db.ddl(f"DROP TABLE {table}")
    db.ddl(f"ALTER TABLE {table}_new RENAME TO {table}")
    db.after_copy(table)


# Append only: each entry moves the schema one version up (SQLite: PRAGMA user_version;
# PostgreSQL: the schema_version table). Each is written once, for both (Database.ddl).
MIGRATIONS: list[Callable[[Database], None]] = [_v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8, _v9]
LIMIT_MEMORY = 24 * 3600.0
"""Seconds a counted call is kept: the longest period of any limit."""


T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class LimitCheck:
    """At most `limit` calls named `name` for `key` (a terminal, an address...) in `period` seconds."""
    name: str
    key: str
    limit: int
    period: float


class StoreError(Exception):
    """The database cannot be used, with the reason."""


StoreBusy = Busy
"""Another connection held the write lock longer than the store waits for it (5 s)."""


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


class BackendStore:
    """The backend's data, on the database `db` names (database.py): an SQLite file's path, or a
    PostgreSQL URL. Everything above it is the same for both."""

    def __init__(self, db: str | Path, citizen_key_file: str | Path | None = None, open_keys: bool = True):
        """`citizen_key_file`: the key file of the ID-number hashes (default: beside an SQLite
        file, citizen_keys.default_key_file; a PostgreSQL store must be told where it is).
        `open_keys` False only for `kiosk citizen-key reset`."""
        self.url = str(db)
        self.postgres = is_postgres_url(db)
        self.path = Path(db) if not self.postgres else None
        """The SQLite file, None on PostgreSQL."""
        self._worker: ThreadPoolExecutor | None = None
        self._pending: list[tuple[Callable[[], Any], asyncio.Future]] = []
        """Writes waiting for the store's thread to run them in one transaction (`run_write`)."""
        self._pending_lock = threading.Lock()
        self._reader: Database | None = None
        """The reads' own connection (`read`), opened at its first use."""
        self._read_worker: ThreadPoolExecutor | None = None
        try:
            self.db: Database = open_database(db)
        except DatabaseError as error:
            raise StoreError(str(error)) from None
        if citizen_key_file:
            self.key_file: Path | None = Path(citizen_key_file)
        else:
            self.key_file = None if self.postgres else default_key_file(db)
        self._keys: CitizenKeys | None = None
        try:
            self._migrate()
            if self.url == ":memory:" and not citizen_key_file:
                # A database that dies with the process: its key too, never in a file.
                self._keys = CitizenKeys(self.key_file, new_ring())
            elif open_keys:
                self._keys = self._open_keys()
        except BaseException:
            self.db.close()
            raise

    def _open_keys(self) -> CitizenKeys:
        if self.key_file is None:
            raise StoreError("a PostgreSQL store keeps the key of its ID-number hashes in a file of its own, "
                             "apart from the database: name it in [backend] citizen_key_file")
        try:
            return CitizenKeys(self.key_file, self._open_ring())
        except KeyFileError as error:
            raise StoreError(str(error)) from None

    @property
    def schema_version(self) -> int:
        return self.db.schema_version

    def _migrate(self) -> None:
        try:
            self._migrate_now()
        except (sqlite3.DatabaseError, DatabaseError) as error:
            raise StoreError(f"cannot open database {shown_url(self.url)}: {error}") from None
        except Busy:
            raise StoreError(f"the database {shown_url(self.url)} is busy (another command has held it for "
                             "5 s): try again in a moment") from None

    def _migrate_now(self) -> None:
        current = self.db.schema_version
        if current > len(MIGRATIONS):
            raise StoreError(f"database schema {current} is newer than this program knows")
        if current == len(MIGRATIONS):
            return  # nothing to do: no lock taken (an import may hold it for a while)
        # Under the write lock, looked at again: processes starting together migrate it once.
        with self.db.write():
            current = self.db.schema_version
            for number, migration in enumerate(MIGRATIONS[current:], start=current + 1):
                migration(self.db)
                self.db.set_schema_version(number)

    def close(self) -> None:
        for worker in (self._worker, self._read_worker):
            if worker is not None:
                worker.shutdown()
        if self._reader is not None:
            self._reader.close()
        self.db.close()

    def _thread(self) -> ThreadPoolExecutor:
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")
        return self._worker

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """`work(*args)`, which uses this store, on the store's own thread, the event loop free
        meanwhile: a write may wait up to 5 s for a lock that another process or connection
        holds, and every other request would wait with it. One thread, one call at a time, so
        that the one connection is never used by two threads at once: in the server,
        everything that touches the store goes through here."""
        return await asyncio.get_running_loop().run_in_executor(self._thread(), functools.partial(work, *args))

    async def read(self, work: Callable[[Database], T]) -> T:
        """`work(database)`, a read of a few rows by their key (a token, a dossier), through a
        connection of its own that only reads and never waits for a writer.

        On SQLite, at once on the event loop. For such a read, the trip to the store's thread
        costs more than the read: two thread switches and, on a busy server, waits for the
        interpreter's lock (a dossier look-up's p99 was 4.6 times a trivial handler's). In WAL
        mode a read takes no lock that a writer holds, so it does not wait for one: it sees the
        last commit. When it would have to wait all the same (SQLITE_BUSY: another process
        recovering the file after a crash, say), or for a database in memory (which another
        connection cannot see), the read goes to the store's thread as before. Never for a
        query that scans: the loop would wait for it.

        On PostgreSQL, on a thread of the reads' own: a read waits for no writer there either
        (each sees the last commit), but it is a round trip to the server, which the loop
        must not wait for, and it need not queue behind this process's writes."""
        if self.postgres:
            if self._read_worker is None:
                self._read_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-read")
            # The connection too is made on that thread, at its first read: never on the loop.
            return await asyncio.get_running_loop().run_in_executor(
                self._read_worker, lambda: work(self._read_connection()))
        reader = self._read_connection()
        if reader is not None:
            try:
                return work(reader)
            except Busy:
                pass
        return await self.run(work, self.db)

    def _read_connection(self) -> Database | None:
        if self._reader is None and self.url != ":memory:":
            # Used by one thread only (the event loop's, or the reads' own); closed with the store.
            self._reader = open_database(self.url, reader=True)
        return self._reader

    async def run_write(self, work: Callable[..., T], *args: Any) -> T:
        """`work(*args)` in a write transaction on the store's thread, as `run` with `write()`
        around it, but shared with the other writes waiting at that moment: one commit (one
        fsync, each changed page written once) for all of them, as when many kiosks ask for
        tickets at once. Each runs in a savepoint of its own, so that one that fails takes back
        only its own changes; each is answered only once the commit is done.

        `work` runs inside that transaction: it must not open one of its own (`write()`) nor
        commit: plain execute."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        entry = (functools.partial(work, *args), future)
        with self._pending_lock:
            self._pending.append(entry)
            first = len(self._pending) == 1
        if first:  # the others join it until the store's thread takes them
            try:
                self._thread().submit(self._write_pending)
            except BaseException:  # the store is closing: nobody would ever take this batch
                with self._pending_lock:
                    self._pending.clear()
                raise
        return await future

    def _write_pending(self) -> None:
        with self._pending_lock:
            batch, self._pending = self._pending, []
        db = self.db
        outcomes: list[tuple[Any, BaseException | None]] = []
        try:
            with self.write():
                for work, _future in batch:
                    db.execute("SAVEPOINT one_write")
                    try:
                        outcomes.append((work(), None))
                    except Exception as error:
                        db.execute("ROLLBACK TO SAVEPOINT one_write")
                        outcomes.append((None, error))
                    db.execute("RELEASE SAVEPOINT one_write")
        except BaseException as error:  # the lock was not had, the commit failed, or worse: none of them is done
            outcomes = [(None, error if isinstance(error, Exception) else RuntimeError(f"the write failed: {error!r}"))
                        for _ in batch]
        finally:
            # Every waiter is answered, whatever happened: a request must never hang.
            answers = outcomes + [(None, RuntimeError("the write was abandoned"))] * (len(batch) - len(outcomes))
            for (_work, future), (result, error) in zip(batch, answers):
                future.get_loop().call_soon_threadsafe(_settle, future, result, error)

    @contextmanager
    def write(self) -> Iterator[Database]:
        """One write transaction that takes the write lock at once, so that what it reads (the
        last ticket number, say) cannot change before it writes, in any process."""
        with self.db.write():
            yield self.db

    # -- catalogue ---------------------------------------------------------

    def is_empty(self) -> bool:
        return self.db.count("procedures") == 0 and self.db.count("levels") == 0

    def replace_catalogue(self, catalogue: Catalogue) -> str:
        """Put a whole catalogue in place of the current one, in one transaction."""
        with self.write():
            for table in ("levels", "fields", "agencies", "procedures"):
                self.db.execute(f"DELETE FROM {table}")
            self.db.upsert("meta", {"key": "site", "value": _dump(catalogue.site.to_dict())}, pk="key")
            self._put(catalogue.levels, catalogue.fields, catalogue.agencies, catalogue.procedures)
            return self._new_version()

    def add_procedures(self, procedures: Iterable[Procedure], fields: Iterable[Field] = ()) -> str:
        """Insert or replace procedures (and new fields), in one transaction. A procedure
        under its national code ("1.001193") also replaces one kept under a local long form
        of it ("1.001193.000.00.00.H08"): one procedure, the long form kept in local_codes."""
        with self.write():
            merged = [self._with_local_codes(p) for p in procedures]
            self._put((), fields, (), merged)
            return self._new_version()

    def _with_local_codes(self, procedure: Procedure) -> Procedure:
        """`procedure` with the local codes of the stored entries it replaces, which go."""
        # Codes from "1.001193" up to "1.001193/" ("/" follows "."): the code and its long forms, by the key's index.
        rows = self.db.execute("SELECT code, data FROM procedures WHERE code >= ? AND code < ?",
                               [procedure.code, procedure.code + "/"]).fetchall()
        codes = list(procedure.local_codes)
        for code, data in rows:
            if code != procedure.code and national_code(code) != procedure.code:
                continue
            for old in [code, *json.loads(data).get("local_codes", [])]:
                if old != procedure.code and old not in codes:
                    codes.append(old)
            if code != procedure.code:
                self.db.execute("DELETE FROM procedures WHERE code = ?", [code])
        return dataclasses.replace(procedure, local_codes=codes)

    def _put(self, levels, fields, agencies, procedures) -> None:
        self.db.upsert_all("levels", (x.to_dict() for x in levels), pk="code")
        self.db.upsert_all("fields", (x.to_dict() for x in fields), pk="code")
        self.db.upsert_all("agencies", (x.to_dict() for x in agencies), pk="code")
        rows = (
            {"code": p.code, "name": p.name, "field": p.field, "data": _dump(p.to_dict())}
            for p in procedures
        )
        self.db.upsert_all("procedures", rows, pk="code")

    def _new_version(self) -> str:
        # The version is a digest of the content: equal catalogues have equal versions,
        # on any backend (so nothing else kept in meta may go into it).
        digest = hashlib.sha256((self.meta("site") or "").encode())
        for table in ("levels", "fields", "agencies", "procedures"):
            for row in self.db.execute(f"SELECT * FROM {table} ORDER BY code"):
                digest.update(_dump(row).encode())
        version = digest.hexdigest()[:16]
        self.db.upsert("meta", {"key": "catalogue_version", "value": version}, pk="key")
        return version

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    @property
    def catalogue_version(self) -> str:
        return self.meta("catalogue_version") or "empty"

    def levels(self) -> list[Level]:
        return [Level.from_dict(r) for r in self.db.rows("SELECT * FROM levels ORDER BY rank")]

    def fields(self) -> list[Field]:
        return [Field.from_dict(r) for r in self.db.rows("SELECT * FROM fields ORDER BY code")]

    def catalogue_json(self) -> bytes:
        """The whole catalogue as UTF-8 JSON, assembled from the stored procedure texts."""
        site = self.meta("site")
        head = {
            "version": self.catalogue_version,
            "site": json.loads(site) if site else None,
            "levels": [x.to_dict() for x in self.levels()],
            "fields": [x.to_dict() for x in self.fields()],
            "agencies": self.db.rows("SELECT * FROM agencies ORDER BY code"),
        }
        procedures = ",".join(r[0] for r in self.db.execute("SELECT data FROM procedures ORDER BY code"))
        return (_dump(head)[:-1] + ',"procedures":[' + procedures + "]}").encode()

    def catalogue(self) -> Catalogue:
        data = json.loads(self.catalogue_json())
        return Catalogue(
            version=data["version"],
            site=Site.from_dict(data["site"]),
            levels=[Level.from_dict(x) for x in data["levels"]],
            fields=[Field.from_dict(x) for x in data["fields"]],
            agencies=[Agency.from_dict(x) for x in data["agencies"]],
            procedures=[Procedure.from_dict(x) for x in data["procedures"]],
        )

    def procedure_json(self, code: str) -> str | None:
        """A procedure by its code, or by a local long form of it kept in its local_codes."""
        row = self.db.execute("SELECT data FROM procedures WHERE code = ?", [code]).fetchone()
        if row is None and national_code(code) != code:
            row = self.db.execute(
                "SELECT data FROM procedures WHERE code = ? AND " + self.db.json_list_has("data", "local_codes"),
                [national_code(code), code]).fetchone()
        return row[0] if row else None

    # -- dossiers ------------------------------------------------------------

    # -- the key of citizens' ID hashes (citizen_keys.py) -------------------------

    def _hashes_held(self) -> int:
        return self.db.execute(
            "SELECT (SELECT COUNT(*) FROM dossiers WHERE applicant_key IS NOT NULL)"
            " + (SELECT COUNT(*) FROM citizen_lookups WHERE id_hash != '')").fetchone()[0]

    def _open_ring(self) -> Ring:
        """The key file's ring: made at the first start, the key of an older database moved into
        it, and never made anew while the database holds hashes of a lost one."""
        path, legacy = self.key_file, self.meta("citizen_key")
        exists = path.exists()
        if legacy:
            ring = read_ring(path) if exists else new_ring()
            secret = bytes.fromhex(legacy)
            if not any(k.secret == secret for k in ring.keys):
                number = min((k.number for k in ring.keys), default=1) - 1
                ring = Ring(ring.ring_id, (CitizenKey(number, "hmac", secret), *ring.keys))
            self._write_ring(ring, new=not exists)
            with self.write():  # only once the file holds it
                self.db.execute("DELETE FROM meta WHERE key = 'citizen_key'")
                self.db.upsert("meta", {"key": "citizen_key_ring", "value": ring.ring_id}, pk="key")
            return ring
        if exists:
            ring = read_ring(path)
            known = self.meta("citizen_key_ring")
            if known and known != ring.ring_id:
                raise StoreError(f"the citizen key file {path} belongs to another database: name this "
                                 "database's own file in [backend] citizen_key_file")
            if not known:
                with self.write():
                    self.db.upsert("meta", {"key": "citizen_key_ring", "value": ring.ring_id}, pk="key")
            return ring
        held = self._hashes_held()
        if held:
            raise StoreError(
                f"the citizen key file {path} is missing, and the database holds {held} ID-number hashes "
                "made with it: restore the file from its backup (see docs/deploy.md), or, if it is lost "
                "for good, run `kiosk citizen-key reset` (dossiers then cannot be found by ID number "
                "until they are sent again)")
        ring = new_ring()
        try:
            self._write_ring(ring, new=True)
        except FileExistsError:  # another process starting on the same database made it first
            ring = read_ring(path)
        with self.write():
            self.db.upsert("meta", {"key": "citizen_key_ring", "value": ring.ring_id}, pk="key")
        return ring

    def _write_ring(self, ring: Ring, new: bool) -> None:
        try:
            write_ring(self.key_file, ring, new)
        except FileExistsError:
            raise
        except OSError as error:
            raise KeyFileError(f"cannot write the citizen key file {self.key_file}: {error}") from None

    @property
    def citizen_keys(self) -> CitizenKeys:
        if self._keys is None:
            raise StoreError("this store was opened without its citizen keys")
        return self._keys

    def citizen_key(self, id_number: str) -> str:
        """The hash new rows keep of a citizen's ID number: lets us find their dossiers and audit
        lookups without keeping the number. Keyed with a secret kept apart from the database,
        and slow (scrypt): trying all numbers takes years even with the key."""
        return self.citizen_keys.newest_hash(id_number)

    def citizen_hashes(self, id_number: str) -> list[str]:
        """The number's hash under every live key: what a look-up looks for. Some 35 ms each:
        run it off the event loop."""
        return self.citizen_keys.all_hashes(id_number)

    def rotate_citizen_key(self) -> int:
        """Add a key to the ring, which new hashes use from now on; its number."""
        ring = self.citizen_keys.ring.with_new_key()
        self._write_ring(ring, new=False)
        return ring.newest.number

    def citizen_key_status(self) -> list[dict]:
        """Each key of the ring, newest last, with how many dossiers and audited look-ups hold its hashes."""
        ring = self.citizen_keys.ring
        found = []
        for key in sorted(ring.keys, key=lambda k: k.number):
            dossiers = self.db.execute("SELECT COUNT(*) FROM dossiers WHERE applicant_key LIKE ?", [key.like])
            lookups = self.db.execute("SELECT COUNT(*) FROM citizen_lookups WHERE id_hash LIKE ?", [key.like])
            found.append({"number": key.number, "kind": key.kind, "newest": key == ring.newest,
                          "dossiers": dossiers.fetchone()[0], "lookups": lookups.fetchone()[0]})
        return found

    def retire_citizen_keys(self) -> tuple[list[int], int, int]:
        """Drop every key but the newest, and the hashes made with them (a hash whose key is gone
        finds nothing, and could only help someone holding a stolen copy of the old key).
        Answers the retired key numbers, the dossiers that lost their ID look-up until they are
        sent again, and the audited look-ups whose hash was cleared."""
        ring = self.citizen_keys.ring
        newest = ring.newest
        with self.write():
            dossiers = self.db.execute(
                "UPDATE dossiers SET applicant_key = NULL WHERE applicant_key IS NOT NULL AND applicant_key NOT LIKE ?",
                [newest.like]).rowcount
            lookups = self.db.execute(
                "UPDATE citizen_lookups SET id_hash = '' WHERE id_hash != '' AND id_hash NOT LIKE ?",
                [newest.like]).rowcount
        retired = sorted(k.number for k in ring.keys if k != newest)
        if retired:
            self._write_ring(Ring(ring.ring_id, (newest,)), new=False)
        return retired, dossiers, lookups

    def reset_citizen_keys(self) -> tuple[int, int]:
        """When the key file is lost for good: clear every hash and make a new ring. Answers the
        dossiers that lost their ID look-up and the audited look-ups whose hash was cleared."""
        if self.key_file.exists():
            raise StoreError(f"the citizen key file {self.key_file} exists: use `kiosk citizen-key rotate` "
                             "and `kiosk citizen-key retire` instead")
        ring = new_ring()
        with self.write():
            dossiers = self.db.execute("UPDATE dossiers SET applicant_key = NULL WHERE applicant_key IS NOT NULL").rowcount
            lookups = self.db.execute("UPDATE citizen_lookups SET id_hash = '' WHERE id_hash != ''").rowcount
            self.db.execute("DELETE FROM meta WHERE key = 'citizen_key'")
            self.db.upsert("meta", {"key": "citizen_key_ring", "value": ring.ring_id}, pk="key")
            self._write_ring(ring, new=True)
        self._keys = CitizenKeys(self.key_file, ring)
        return dossiers, lookups

    # -- rate limits -----------------------------------------------------------

    def take_limits(self, checks: Sequence[LimitCheck], now: float) -> LimitCheck | None:
        """Count one call against every check, in one write transaction, unless one is used up:
        then count nothing and answer that check. Requests in flight together cannot all pass."""
        with self.write():
            return self.count_limits(checks, now)

    def count_limits(self, checks: Sequence[LimitCheck], now: float) -> LimitCheck | None:
        """`take_limits` inside a write transaction the caller holds, so that a request's ceilings
        and its own change are written together (one commit)."""
        conn = self.db
        conn.execute("DELETE FROM limit_events WHERE at <= ?", [now - LIMIT_MEMORY])
        for check in checks:
            # Counted no further than the limit: at most `limit` index entries read, whatever the
            # period holds (counting them all took as long as they were many).
            used = conn.execute(
                "SELECT COUNT(*) FROM (SELECT 1 FROM limit_events WHERE name = ? AND key = ? AND at > ? LIMIT ?) AS used",
                [check.name, check.key, now - check.period, check.limit]).fetchone()[0]
            if used >= check.limit:
                return check
        for name, key in dict.fromkeys((c.name, c.key) for c in checks):
            conn.execute("INSERT INTO limit_events (name, key, at) VALUES (?, ?, ?)", [name, key, now])
        return None

    def give_back_limit(self, name: str, key: str) -> None:
        """Uncount the last call of `name` for `key` (a login that turned out right)."""
        with self.write():
            self.db.execute(
                "DELETE FROM limit_events WHERE id = (SELECT id FROM limit_events WHERE name = ? AND key = ? "
                "ORDER BY at DESC, id DESC LIMIT 1)", [name, key])

    def put_dossiers(self, dossiers: Iterable[Dossier], applicant_ids: dict[str, str] | None = None) -> None:
        """Store dossiers; `applicant_ids` (code -> ID number) is kept only as keyed hashes."""
        # Hashed before the write lock is taken: some 35 ms each, and writers would wait on it.
        keys = {code: self.citizen_key(number) for code, number in (applicant_ids or {}).items()}
        rows = (
            {"code": d.code, "procedure_code": d.procedure_code, "status": d.status, "data": _dump(d.to_dict()),
             "applicant_key": keys.get(d.code)}
            for d in dossiers
        )
        with self.write():
            self.db.upsert_all("dossiers", rows, pk="code")

    def dossier_data(self, code: str) -> dict | None:
        """The stored dossier in its `Dossier.to_dict()` form."""
        text = self.dossier_text(code)
        return json.loads(text) if text else None

    def dossier_text(self, code: str, conn: Database | None = None) -> str | None:
        """The stored dossier as its JSON text (through `conn`, the store's own by default)."""
        row = (conn or self.db).execute("SELECT data FROM dossiers WHERE code = ?", [code]).fetchone()
        return row[0] if row else None

    def dossier(self, code: str) -> Dossier | None:
        data = self.dossier_data(code)
        return Dossier.from_dict(data) if data else None

    def dossiers_of_citizen(self, id_number: str, hashes: Sequence[str] | None = None) -> list[dict]:
        """A citizen's dossiers, by their number's hash under each live key (`hashes`, when the
        caller made them already, off the event loop)."""
        found = list(hashes) if hashes is not None else self.citizen_hashes(id_number)
        rows = self.db.execute(
            f"SELECT data FROM dossiers WHERE applicant_key IN ({', '.join('?' * len(found))}) ORDER BY code", found
        )
        return [json.loads(r[0]) for r in rows]

    def dossier_deadlines(self) -> Iterator[tuple[int, dt.datetime | None, dt.datetime | None]]:
        """(status, due at, completed at) of every dossier: what timeliness needs."""
        rows = self.db.execute(
            f"SELECT status, {self.db.json_text('data', 'due_at')}, {self.db.json_text('data', 'completed_at')} FROM dossiers"
        )
        for status, due_at, completed_at in rows:
            yield status, parse_datetime(due_at), parse_datetime(completed_at)

    def dossier_codes(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT code FROM dossiers ORDER BY code")]

    # -- audit log -----------------------------------------------------------

    def audit(self, who: str, action: str, target: str, detail: dict, now: dt.datetime,
              site: str | None = None) -> None:
        """Note who changed what: staff on the admin pages, the `kiosk` command, an enrolling kiosk.
        `site`: the site it was done at (its kiosks, counters, calls for staff); None for what
        belongs to the whole backend (logins, one-stop systems, sites)."""
        with self.write():
            self.db.insert("audit_log", {"at": now.isoformat(timespec="seconds"), "who": who, "action": action,
                                         "target": target, "detail": _dump(detail), "site": site})

    def audit_log(self, limit: int, offset: int = 0, sites: Sequence[str] | None = None) -> list[dict]:
        """The newest entries first: all of them, or only those done at `sites`."""
        where, args = "", []
        if sites is not None:
            where, args = f"WHERE site IN ({', '.join('?' * len(sites))})" if sites else "WHERE 1 = 0", list(sites)
        rows = self.db.execute(
            f"SELECT id, at, who, action, target, detail, site FROM audit_log {where} ORDER BY id DESC LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
        return [{"id": r[0], "at": r[1], "who": r[2], "action": r[3], "target": r[4], "detail": json.loads(r[5]),
                 "site": r[6]} for r in rows]
