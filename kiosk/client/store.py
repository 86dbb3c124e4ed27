"""The kiosk's own copy of the catalogue, in a local SQLite file that survives anything."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from ..domain.procedure import Field, Level, Procedure
from .files import move_aside


SNAPSHOT = Path(__file__).with_name("snapshot.json.gz")
"""The catalogue the kiosk starts with when it has never reached a backend."""
SCHEMA_VERSION = 1


class CatalogueError(Exception):
    """A catalogue that cannot be applied; the kiosk keeps the one it has."""


class _Catalogue(msgspec.Struct):
    """A catalogue as the backend sends it. The procedures stay raw JSON until each is checked
    and written: the catalogue is never held whole as Python objects, nor twice as text."""

    version: str
    levels: list[Level]
    fields: list[Field]
    procedures: list[msgspec.Raw]
    site: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET
    agencies: list[Any] | msgspec.UnsetType = msgspec.UNSET


_CATALOGUE = msgspec.json.Decoder(_Catalogue)
# msgspec checks types as strictly as JsonMixin.from_dict (no "5" for 5, no string for a list),
# in C, several times faster than cattrs over json.loads' dicts. Unlike from_dict it lets unknown keys through: a backend a version
# ahead still reaches older kiosks, and the stored JSON keeps what they do not read.
_PROCEDURE = msgspec.json.Decoder(Procedure)


def _read_envelope(data: bytes) -> _Catalogue:
    try:
        return _CATALOGUE.decode(data)
    except msgspec.ValidationError as error:
        raise CatalogueError(f"the catalogue does not fit: {error}") from None
    except (msgspec.DecodeError, RecursionError):
        raise CatalogueError("the catalogue is not JSON") from None


def _checked_rows(catalogue: _Catalogue, stop: threading.Event | None) -> Iterator[tuple[str, str]]:
    """(code, JSON) of each procedure, checked one at a time as it is written: an error raised
    here rolls the whole write back."""
    level_codes, field_codes = {x.code for x in catalogue.levels}, {x.code for x in catalogue.fields}
    for number, raw in enumerate(catalogue.procedures):
        if stop is not None and stop.is_set():
            raise CatalogueError("the catalogue write was stopped")
        try:
            procedure = _PROCEDURE.decode(raw)
        except msgspec.ValidationError as error:
            raise CatalogueError(f"the catalogue does not fit: {error} (procedure {number + 1})") from None
        problems = procedure.problems(level_codes, field_codes)
        if problems:
            raise CatalogueError(f"procedure {procedure.code}: {'; '.join(problems)}")
        yield procedure.code, str(memoryview(raw), "utf-8")


def write_catalogue(conn: sqlite3.Connection, data: bytes, etag: str | None, source: str = "backend",
                    stop: threading.Event | None = None) -> int:
    """Check a catalogue as the backend sends it and replace the local one with it, in one
    transaction: a bad procedure anywhere, or a kill half-way, leaves the old one whole.
    Raises CatalogueError. `stop`, once set, makes the write give up (and roll back)."""
    catalogue = _read_envelope(data)
    head: dict[str, Any] = {"levels": msgspec.to_builtins(catalogue.levels),
                            "fields": msgspec.to_builtins(catalogue.fields)}
    for key in ("site", "agencies"):
        value = getattr(catalogue, key)
        if value is not msgspec.UNSET:
            head[key] = value
    meta = {"version": catalogue.version, "etag": etag or "", "source": source,
            "synced_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "head": json.dumps(head, ensure_ascii=False)}
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("DELETE FROM procedures")
        conn.executemany("INSERT INTO procedures (code, data) VALUES (?, ?)", _checked_rows(catalogue, stop))
        conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", meta.items())
    except sqlite3.IntegrityError:
        conn.execute("ROLLBACK")
        raise CatalogueError("the catalogue has a procedure code twice") from None
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return len(catalogue.procedures)


def write_catalogue_file(path: Path, data: bytes, etag: str | None, stop: threading.Event | None = None) -> int:
    """`write_catalogue` on a connection of its own, for a worker thread (an SQLite connection
    stays in the thread that opened it); the store's own connection sees the new catalogue
    once this one commits."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        return write_catalogue(conn, data, etag, stop=stop)
    finally:
        conn.close()


class LocalStore:
    """Opening never fails for a bad file: a corrupt one is moved aside and rebuilt."""

    def __init__(self, path: str | Path, snapshot: Path | None = SNAPSHOT):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.moved_aside: Path | None = None
        self.checked_at: dt.datetime | None = None
        """When the backend last said this catalogue is current (a 304), in this process."""
        try:
            self._open()
        except sqlite3.DatabaseError as error:
            self.moved_aside = move_aside(self.path, error)
            self._open()
        if self.version is None and snapshot is not None and snapshot.exists():
            with gzip.open(snapshot, "rb") as handle:
                self.apply_catalogue(handle.read(), etag=None, source="snapshot")

    def _open(self) -> None:
        # Plain sqlite3, in autocommit: every write says where its transaction begins and ends.
        self.db = sqlite3.connect(self.path, isolation_level=None)
        try:
            check = self.db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(f"quick_check: {check}")
            self.db.execute("PRAGMA journal_mode = WAL")
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
                self.db.execute("CREATE TABLE IF NOT EXISTS procedures (code TEXT PRIMARY KEY, data TEXT)")
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            elif version != SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"unknown local schema {version}")
        except sqlite3.DatabaseError:
            self.db.close()
            raise

    def close(self) -> None:
        self.db.close()

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    @property
    def version(self) -> str | None:
        return self._meta("version")

    @property
    def etag(self) -> str | None:
        return self._meta("etag")

    @property
    def source(self) -> str:
        """"backend", "snapshot" (the bundled one), or "none"."""
        return self._meta("source") or "none"

    @property
    def synced_at(self) -> str | None:
        """When this catalogue was written (UTC, ISO)."""
        return self._meta("synced_at")

    def apply_catalogue(self, data: bytes, etag: str | None, source: str = "backend") -> int:
        """Check and apply a catalogue as the backend sends it (`write_catalogue`), on this
        store's connection: for the bundled snapshot and tools. The app's sync writes from a
        worker thread instead (`write_catalogue_file`)."""
        return write_catalogue(self.db, data, etag, source)

    def apply_parsed(self, catalogue: dict[str, Any], etag: str | None, source: str = "backend") -> int:
        """`apply_catalogue` for a catalogue in its JSON-ready form (`Catalogue.to_dict()`)."""
        return self.apply_catalogue(json.dumps(catalogue, ensure_ascii=False).encode(), etag, source)

    def mark_checked(self) -> None:
        """The backend said the catalogue is current (304). Kept in memory only: a check that
        changed nothing writes nothing."""
        self.checked_at = dt.datetime.now(dt.timezone.utc)

    def head(self) -> dict[str, Any]:
        """Site, levels, fields and agencies."""
        return json.loads(self._meta("head") or "{}")

    def levels(self) -> list[Level]:
        return [Level.from_dict(x) for x in self.head().get("levels", [])]

    def fields(self) -> list[Field]:
        return [Field.from_dict(x) for x in self.head().get("fields", [])]

    def procedure(self, code: str) -> Procedure | None:
        row = self.db.execute("SELECT data FROM procedures WHERE code = ?", [code]).fetchone()
        return _PROCEDURE.decode(row[0]) if row else None

    def procedures(self) -> list[Procedure]:
        """Every procedure, by code: one decode a row, so that a thread reading them holds the
        GIL a few microseconds at a time, never for the whole catalogue."""
        decode = _PROCEDURE.decode
        return [decode(r[0]) for r in self.db.execute("SELECT data FROM procedures ORDER BY code")]

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM procedures").fetchone()[0]
