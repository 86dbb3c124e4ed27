"""The backend's two databases behind one small interface.

An SQLite file is the default: one centre, one machine, nothing to install. PostgreSQL is for a
province: one backend for every commune's kiosks, several processes, a streaming replica. The
value of `--db` chooses: a path is SQLite, `postgresql://...` is PostgreSQL.

Above this module SQL is written once, in what both databases understand: `?` placeholders,
`INSERT ... ON CONFLICT`, `RETURNING`, `COALESCE`. Where they differ (JSON, time arithmetic, the
schema's column types, how a writer takes the lock), a method here says it in each one's words.

PostgreSQL is reached through psycopg 3's synchronous connections: the store does its work on
a thread of its own (BackendStore.run), as it does with sqlite3, so both are the same DB-API
shape and the store above them is one class."""

from __future__ import annotations

import functools
import itertools
import logging
import re
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

WRITE_LOCK = 7_146_000_017
"""The PostgreSQL advisory lock every write transaction takes (any number: one the backend owns).
Writers of every process take turns, as SQLite's writers do: what a write reads before it
writes (the last ticket number of a service, a rate limit's count, an idempotency key) cannot
change under it, whichever process runs it."""

LOCK_WAIT_SECONDS = 5
"""How long a writer waits for the lock before giving up (SQLite's busy_timeout, the same)."""


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list: ...
    def __iter__(self) -> Iterator: ...


class DatabaseError(Exception):
    """The database cannot be reached or used, with the reason."""


class Busy(Exception):
    """Another writer held the write lock for longer than LOCK_WAIT_SECONDS."""


class UnstorableText(ValueError):
    """Text PostgreSQL cannot hold (a NUL character): the request's fault, never the server's."""


def is_postgres_url(db: str | Path) -> bool:
    return str(db).startswith(("postgresql://", "postgres://"))


def shown_url(db: str | Path) -> str:
    """`db` as it may be printed: a password in a URL is replaced by ***."""
    text = re.sub(r"(://[^:/@]*:)[^/]*@", r"\1***@", str(db))
    return re.sub(r"([?&]password=)[^&]*", r"\1***", text)


class Database(ABC):
    """What both databases do the same way; each subclass says how it connects, locks and types
    (the abstract methods)."""

    dialect = ""

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        """Run one statement with its `?` parameters."""

    @abstractmethod
    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement once for each row of parameters."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""

    @abstractmethod
    def write(self) -> AbstractContextManager[None]:
        """One write transaction that takes the write lock at its start: what it reads cannot
        change before it writes, whichever connection or process writes next."""

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read-only transaction: every read inside it sees the same moment of the database."""
        self.execute(self._snapshot_begin)
        try:
            yield
        finally:
            self.execute("ROLLBACK")

    _snapshot_begin = "BEGIN"

    @property
    @abstractmethod
    def in_transaction(self) -> bool:
        """Whether a transaction is open on this connection."""

    @abstractmethod
    def set_lock_wait(self, seconds: float) -> None:
        """How long a writer of this connection waits for the write lock (LOCK_WAIT_SECONDS)."""

    @property
    @abstractmethod
    def schema_version(self) -> int:
        """The schema's version: how many of the store's MIGRATIONS it has had."""

    @abstractmethod
    def set_schema_version(self, number: int) -> None:
        """Record that the schema is at `number`."""

    @abstractmethod
    def tables(self) -> list[str]:
        """The store's tables, by name (not the database's own)."""

    # -- rows by their columns' names ---------------------------------------------

    def insert(self, table: str, row: dict[str, Any]) -> None:
        self.execute(_insert_sql(table, list(row)), list(row.values()))

    def insert_id(self, table: str, row: dict[str, Any]) -> int:
        """Insert `row` and answer the `id` the database gave it."""
        return self.execute(_insert_sql(table, list(row), " RETURNING id"), list(row.values())).fetchone()[0]

    def insert_all(self, table: str, rows: Iterable[dict[str, Any]]) -> None:
        self._insert_many(table, rows, lambda _columns: "")

    def upsert_all(self, table: str, rows: Iterable[dict[str, Any]], pk: str) -> None:
        """Insert each row, or replace the columns it names in the row of the same `pk`."""
        def on_conflict(columns: list[str]) -> str:
            changed = ", ".join(f"{c} = excluded.{c}" for c in columns if c != pk) or f"{pk} = excluded.{pk}"
            return f" ON CONFLICT ({pk}) DO UPDATE SET {changed}"

        self._insert_many(table, rows, on_conflict)

    def upsert(self, table: str, row: dict[str, Any], pk: str) -> None:
        self.upsert_all(table, [row], pk)

    def _insert_many(self, table: str, rows: Iterable[dict[str, Any]], tail: Callable[[list[str]], str]) -> None:
        """One INSERT for all `rows`, with the columns of the first (`tail`: what follows it)."""
        rows = iter(rows)
        first = next(rows, None)
        if first is not None:
            columns = list(first)
            self.executemany(_insert_sql(table, columns, tail(columns)),
                             ([row[c] for c in columns] for row in itertools.chain((first,), rows)))

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows of a query as dictionaries, by column name."""
        cursor = self.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]

    def count(self, table: str) -> int:
        return self.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    def after_copy(self, table: str) -> None:
        """Rows were copied into `table` with their ids: the next id given must follow them.
        Nothing to do on SQLite, whose next id is always past the largest."""

    # -- what each says in its own words --------------------------------------------

    def ddl(self, sql: str) -> None:
        """A schema statement written for SQLite, in this database's column types."""
        self.execute(sql)

    def notify(self, channel: str) -> None:
        """Tell every process listening on `channel` that something changed, once the transaction
        commits (PostgreSQL's NOTIFY); SQLite's processes look for themselves (board.py polls)."""

    @abstractmethod
    def json_text(self, column: str, key: str) -> str:
        """SQL for the text of `key` in the JSON object held as text in `column`."""

    @abstractmethod
    def json_list_has(self, column: str, key: str) -> str:
        """SQL that holds when the JSON list at `key` of `column` has the value of one `?`."""

    @abstractmethod
    def minutes_between(self, later: str, earlier: str) -> str:
        """SQL for the minutes between two ISO 8601 texts with their offsets."""


def _insert_sql(table: str, columns: list[str], tail: str = "") -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}){tail}"


class SqliteDatabase(Database):
    """One SQLite file, in WAL mode: readers never wait for the writer."""

    dialect = "sqlite"

    def __init__(self, path: str | Path, reader: bool = False):
        self.path = str(path)
        try:
            # Not only the opening thread: the server uses it from its store thread.
            # isolation_level None: each statement commits by itself outside `write()`, as on
            # PostgreSQL (sqlite3's default would open a transaction and leave it open).
            self.conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            if reader:
                self.conn.execute("PRAGMA busy_timeout = 0")  # never waits: the event loop must not
                self.conn.execute("PRAGMA query_only = ON")
            else:
                self.conn.execute("PRAGMA journal_mode = WAL")
                self.conn.execute(f"PRAGMA busy_timeout = {LOCK_WAIT_SECONDS * 1000}")
                # An answered ticket must survive a power cut, not only a crash of the process.
                self.conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.DatabaseError as error:
            raise DatabaseError(f"cannot open database {path}: {error}") from None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        try:
            return self.conn.execute(sql, params)
        except sqlite3.OperationalError as error:
            raise _sqlite_busy(error) from None

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            self.conn.executemany(sql, rows)
        except sqlite3.OperationalError as error:
            raise _sqlite_busy(error) from None

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def write(self) -> Iterator[None]:
        self.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:  # a COMMIT that failed (a full disk) leaves it open
                self.conn.execute("ROLLBACK")
            raise

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    def set_lock_wait(self, seconds: float) -> None:
        self.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")

    def tables(self) -> list[str]:
        return [r[0] for r in self.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")]

    def json_text(self, column: str, key: str) -> str:
        return f"json_extract({column}, '$.{key}')"

    def json_list_has(self, column: str, key: str) -> str:
        return f"EXISTS (SELECT 1 FROM json_each({column}, '$.{key}') WHERE value = ?)"

    def minutes_between(self, later: str, earlier: str) -> str:
        return f"((julianday({later}) - julianday({earlier})) * 1440)"

    @property
    def schema_version(self) -> int:
        return self.execute("PRAGMA user_version").fetchone()[0]

    def set_schema_version(self, number: int) -> None:
        self.execute(f"PRAGMA user_version = {int(number)}")


def _sqlite_busy(error: sqlite3.OperationalError) -> Exception:
    """SQLITE_BUSY as Busy: a long import or a backup held the lock; the caller may try again."""
    text = str(error)
    return Busy(text) if "locked" in text or "busy" in text else error


@functools.lru_cache(maxsize=1024)
def _pyformat(sql: str) -> tuple[str, tuple[int, ...] | None]:
    """`sql` with its placeholders as psycopg's `%s` (and a literal `%` as `%%`), outside quoted
    text; for numbered ones (`?1`, used twice say), the parameters' order as they appear."""
    parts = re.split(r"('(?:[^']|'')*')", sql)
    order: list[int] = []

    def numbered(found: re.Match) -> str:
        order.append(int(found.group(1)) - 1)
        return "%s"

    # psycopg reads every `%`, in quoted text too; a `?` there is text.
    text = "".join(p.replace("%", "%%") if i % 2 else re.sub(r"\?(\d+)", numbered, p.replace("%", "%%")).replace("?", "%s")
                   for i, p in enumerate(parts))
    return text, tuple(order) if order else None


def _bound(sql: str, params: Sequence[Any]) -> tuple[str, Sequence[Any]]:
    text, order = _pyformat(sql)
    return text, params if order is None else [params[n] for n in order]


_DDL = [
    # SQLite's rowid alias: a number the database gives; in PostgreSQL an identity column.
    (re.compile(r"\bINTEGER PRIMARY KEY\b"), "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    # A REAL in PostgreSQL is 4 bytes: a time in seconds since 1970 would lose minutes.
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
    # Text compared and sorted by its bytes, as in SQLite, whatever the cluster's locale:
    # codes' ranges ("1.001193" up to "1.001193/") and their order depend on it.
    (re.compile(r"\bTEXT\b"), 'TEXT COLLATE "C"'),
]


class PostgresDatabase(Database):
    """A connection to PostgreSQL. It commits each statement by itself (autocommit) except inside
    `write()`, so that a read never leaves a transaction open between requests."""

    dialect = "postgresql"
    _snapshot_begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

    def __init__(self, url: str, reader: bool = False):
        self.url = url
        self.reader = reader
        self.lock_wait = LOCK_WAIT_SECONDS
        self._writing = False
        self._to_notify: set[str] = set()
        """Channels to NOTIFY when the write transaction commits."""
        self.conn = self._connect()

    def _connect(self):
        import psycopg
        from psycopg.adapt import Dumper
        from psycopg.types.numeric import FloatLoader

        class BoolAsInteger(Dumper):
            """True and False as 1 and 0: the schema keeps flags in integer columns, as SQLite does."""
            oid = psycopg.adapters.types["int4"].oid

            def dump(self, obj: bool) -> bytes:
                return b"1" if obj else b"0"

        try:
            # A database machine that vanishes without a word (no reset): found out within some 15 s
            # by TCP, not after the system's quarter of an hour; no statement runs past 30 s.
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10, application_name="kiosk backend",
                                   keepalives=1, keepalives_idle=10, keepalives_interval=5, keepalives_count=3,
                                   tcp_user_timeout=15000, options="-c statement_timeout=30000")
        except psycopg.Error as error:
            raise DatabaseError(f"cannot connect to PostgreSQL at {shown_url(self.url)}: {_first_line(error)}") from None
        conn.adapters.register_dumper(bool, BoolAsInteger)
        # AVG and EXTRACT answer numeric: a float, as SQLite answers, which JSON can carry.
        conn.adapters.register_loader("numeric", FloatLoader)
        conn.execute(self._lock_timeout())
        if self.reader:
            conn.execute("SET default_transaction_read_only = on")
        return conn

    def _live(self):
        """The connection, made again if the last one broke (the server restarted, a failover):
        the next request works again without restarting the backend. Never inside `write()`:
        what the transaction did so far is gone with the connection, so it fails as a whole."""
        if self.conn.broken or self.conn.closed:
            if self._writing:
                raise DatabaseError("PostgreSQL: the connection broke during a write; nothing of it was kept")
            self.conn.close()
            self.conn = self._connect()
        return self.conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        with _psycopg_errors():
            return self._live().execute(*_bound(sql, params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with _psycopg_errors(), self._live().cursor() as cursor:
            cursor.executemany(_pyformat(sql)[0], list(rows))

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def write(self) -> Iterator[None]:
        self.execute("BEGIN")
        self._writing = True
        try:
            self.execute("SELECT pg_advisory_xact_lock(?)", [WRITE_LOCK])
            yield
            for channel in self._to_notify:
                self.execute("SELECT pg_notify(?, '')", [channel])
            self.execute("COMMIT")
        except BaseException:
            if not self.conn.broken and self.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        finally:
            self._writing = False
            self._to_notify.clear()

    def set_lock_wait(self, seconds: float) -> None:
        self.lock_wait = seconds  # kept for a connection made again
        self.execute(self._lock_timeout())

    def _lock_timeout(self) -> str:
        return f"SET lock_timeout = '{int(self.lock_wait * 1000)}ms'"

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.conn.info.transaction_status != TransactionStatus.IDLE

    def tables(self) -> list[str]:
        return [r[0] for r in self.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")]

    def after_copy(self, table: str) -> None:
        for (column,) in self.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = ? AND is_identity = 'YES'", [table]).fetchall():
            self.execute(f"SELECT setval(pg_get_serial_sequence(?, ?), COALESCE(MAX({column}), 0) + 1, false) "
                         f"FROM {table}", [table, column])

    def notify(self, channel: str) -> None:
        if self._writing:  # sent once, at the commit, for all the writes of the transaction
            self._to_notify.add(channel)
        else:
            self.execute("SELECT pg_notify(?, '')", [channel])

    def ddl(self, sql: str) -> None:
        for pattern, replacement in _DDL:
            sql = pattern.sub(replacement, sql)
        self.execute(sql)

    def json_text(self, column: str, key: str) -> str:
        # json, not jsonb: the text is read as far as the key, not converted whole.
        return f"(CAST({column} AS json) ->> '{key}')"

    def json_list_has(self, column: str, key: str) -> str:
        return f"EXISTS (SELECT 1 FROM json_array_elements_text(CAST({column} AS json) -> '{key}') AS e WHERE e = ?)"

    def minutes_between(self, later: str, earlier: str) -> str:
        return f"(EXTRACT(EPOCH FROM CAST({later} AS timestamptz) - CAST({earlier} AS timestamptz)) / 60)"

    @property
    def schema_version(self) -> int:
        self.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = self.execute("SELECT version FROM schema_version").fetchone()
        return row[0] if row else 0

    def set_schema_version(self, number: int) -> None:
        self.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        self.execute("DELETE FROM schema_version")
        self.execute("INSERT INTO schema_version (version) VALUES (?)", [number])


@contextmanager
def _psycopg_errors() -> Iterator[None]:
    """psycopg's errors as the store's own: a NUL in text is the request's fault (UnstorableText),
    a lock waited for too long is Busy, a connection lost or refused is DatabaseError."""
    import psycopg

    try:
        yield
    except psycopg.DataError as error:
        if "NUL" in str(error):
            raise UnstorableText("the text holds a NUL character") from None
        raise
    except psycopg.errors.LockNotAvailable as error:
        raise Busy(_first_line(error)) from None
    except psycopg.OperationalError as error:
        raise DatabaseError(f"PostgreSQL: {_first_line(error)}") from None


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def open_database(db: str | Path, reader: bool = False) -> Database:
    """The database `db` names: a PostgreSQL URL, else an SQLite file's path."""
    if is_postgres_url(db):
        return PostgresDatabase(str(db), reader=reader)
    return SqliteDatabase(db, reader=reader)


def listen(url: str, channel: str, on_notify: Callable[[], None], stopping: threading.Event) -> None:
    """Call `on_notify()` at each NOTIFY on `channel` of the PostgreSQL at `url`, and once each
    time it starts listening (what was sent while it was not), until `stopping` is set. A broken
    connection is made again a second later. Runs on a thread of its own."""
    import psycopg

    while not stopping.is_set():
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=10,
                                 application_name="kiosk backend listener") as conn:
                conn.execute(f"LISTEN {channel}")
                on_notify()
                while not stopping.is_set():
                    for _ in conn.notifies(timeout=1.0):
                        on_notify()
        except psycopg.Error as error:
            log.warning("listening for %s: %s; trying again", channel, _first_line(error))
            stopping.wait(1.0)
