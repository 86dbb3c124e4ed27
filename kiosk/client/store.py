"""The kiosk's own copy of the catalogue, in a local SQLite file that survives anything."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from ..domain.procedure import Field, Level, Procedure
from ..domain.serial import DataShapeError
from .files import move_aside


SNAPSHOT = Path(__file__).with_name("snapshot.json.gz")
"""The catalogue the kiosk starts with when it has never reached a backend."""
SCHEMA_VERSION = 1


class CatalogueError(Exception):
    """A catalogue that cannot be applied; the kiosk keeps the one it has."""


def parse_catalogue(data: bytes) -> dict[str, Any]:
    """Check a catalogue as the backend sends it, all of it, before any of it is applied."""
    try:
        catalogue = json.loads(data)
    except (ValueError, RecursionError):
        raise CatalogueError("the catalogue is not JSON") from None
    if not isinstance(catalogue, dict) or not isinstance(catalogue.get("procedures"), list):
        raise CatalogueError("the catalogue has no list of procedures")
    try:
        levels = [Level.from_dict(x) for x in catalogue["levels"]]
        fields = [Field.from_dict(x) for x in catalogue["fields"]]
        procedures = [Procedure.from_dict(x) for x in catalogue["procedures"]]
    except (DataShapeError, KeyError) as error:
        raise CatalogueError(f"the catalogue does not fit: {error}") from None
    level_codes, field_codes = {x.code for x in levels}, {x.code for x in fields}
    for procedure in procedures:
        problems = procedure.problems(level_codes, field_codes)
        if problems:
            raise CatalogueError(f"procedure {procedure.code}: {'; '.join(problems)}")
    if not isinstance(catalogue.get("version"), str):
        raise CatalogueError("the catalogue has no version")
    return catalogue


class LocalStore:
    """Opening never fails for a bad file: a corrupt one is moved aside and rebuilt."""

    def __init__(self, path: str | Path, snapshot: Path | None = SNAPSHOT):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.moved_aside: Path | None = None
        try:
            self._open()
        except sqlite3.DatabaseError as error:
            self.moved_aside = move_aside(self.path, error)
            self._open()
        if self.version is None and snapshot is not None and snapshot.exists():
            with gzip.open(snapshot, "rb") as handle:
                self.apply_catalogue(handle.read(), etag=None, source="snapshot")

    def _open(self) -> None:
        self.db = sqlite_utils.Database(self.path)
        try:
            check = self.db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(f"quick_check: {check}")
            self.db.enable_wal()
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                self.db["meta"].create({"key": str, "value": str}, pk="key", if_not_exists=True)
                self.db["procedures"].create({"code": str, "data": str}, pk="code", if_not_exists=True)
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            elif version != SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"unknown local schema {version}")
        except sqlite3.DatabaseError:
            self.db.close()
            raise

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def _write(self) -> Iterator[None]:
        self.db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.conn.execute("ROLLBACK")
            raise
        self.db.conn.execute("COMMIT")

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
        return self._meta("synced_at")

    def apply_catalogue(self, data: bytes, etag: str | None, source: str = "backend") -> int:
        return self.apply_parsed(parse_catalogue(data), etag, source)

    def apply_parsed(self, catalogue: dict[str, Any], etag: str | None, source: str = "backend") -> int:
        """Replace the catalogue (checked by `parse_catalogue`) in one transaction: a kill
        half-way leaves the old one whole."""
        head = {k: catalogue[k] for k in ("site", "levels", "fields", "agencies") if k in catalogue}
        with self._write():
            self.db.execute("DELETE FROM procedures")
            self.db["procedures"].insert_all(
                ({"code": p["code"], "data": json.dumps(p, ensure_ascii=False)} for p in catalogue["procedures"]),
                batch_size=500,
            )
            meta = {"version": catalogue["version"], "etag": etag or "", "source": source,
                    "synced_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                    "head": json.dumps(head, ensure_ascii=False)}
            self.db["meta"].upsert_all(({"key": k, "value": v} for k, v in meta.items()), pk="key")
        return len(catalogue["procedures"])

    def mark_checked(self) -> None:
        """The backend said the catalogue is current (304)."""
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        with self._write():
            self.db["meta"].upsert({"key": "synced_at", "value": now}, pk="key")

    def head(self) -> dict[str, Any]:
        """Site, levels, fields and agencies."""
        return json.loads(self._meta("head") or "{}")

    def levels(self) -> list[Level]:
        return [Level.from_dict(x) for x in self.head().get("levels", [])]

    def fields(self) -> list[Field]:
        return [Field.from_dict(x) for x in self.head().get("fields", [])]

    def procedure(self, code: str) -> Procedure | None:
        row = self.db.execute("SELECT data FROM procedures WHERE code = ?", [code]).fetchone()
        return Procedure.from_dict(json.loads(row[0])) if row else None

    def procedures(self) -> list[Procedure]:
        return [Procedure.from_dict(json.loads(r[0])) for r in self.db.execute("SELECT data FROM procedures ORDER BY code")]

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM procedures").fetchone()[0]
