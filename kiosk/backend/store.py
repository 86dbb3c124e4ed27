"""The reference backend's SQLite file: schema migrations, catalogue and dossiers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from ..domain.dossier import Dossier
from ..domain.serial import parse_datetime
from ..domain.procedure import Agency, Catalogue, Field, Level, Procedure, Site, national_code


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _v1(db: sqlite_utils.Database) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["levels"].create({"code": str, "name": str, "name_en": str, "rank": int}, pk="code")
    db["fields"].create({"code": str, "name": str, "name_en": str}, pk="code")
    db["agencies"].create(
        {"code": str, "name": str, "level": str, "parent": str, "address": str}, pk="code"
    )
    # The full procedure is kept as JSON text so the catalogue is served without re-encoding.
    db["procedures"].create({"code": str, "name": str, "field": str, "data": str}, pk="code")
    db["procedures"].create_index(["field"])
    db["dossiers"].create(
        {"code": str, "procedure_code": str, "status": int, "data": str}, pk="code"
    )


def _v2(db: sqlite_utils.Database) -> None:
    """The queue, terminals, ratings, and citizen lookups."""
    db["services"].create({"letter": str, "data": str}, pk="letter")
    db["counters"].create({"number": int, "data": str}, pk="number")
    db.execute("""
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
    db.execute("CREATE INDEX tickets_waiting ON tickets (service, day, status, number)")
    db.execute("CREATE INDEX tickets_called ON tickets (service, day, called_at)")
    db.execute("CREATE INDEX tickets_served ON tickets (service, status, finished_at)")
    db.execute("CREATE INDEX tickets_counter ON tickets (counter, status)")
    db.execute("CREATE INDEX tickets_counter_calls ON tickets (counter, called_at)")
    db.execute("""
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
    db.execute("""
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
    db.execute("""
        CREATE TABLE citizen_lookups (
            id INTEGER PRIMARY KEY,
            terminal_id INTEGER NOT NULL,
            at TEXT NOT NULL,
            id_hash TEXT NOT NULL,
            proof TEXT NOT NULL,
            found INTEGER NOT NULL
        )""")
    db.execute("ALTER TABLE dossiers ADD COLUMN applicant_key TEXT")
    db.execute("CREATE INDEX dossiers_applicant ON dossiers (applicant_key)")
    db["meta"].insert({"key": "citizen_key", "value": secrets.token_hex(32)})


def _v3(db: sqlite_utils.Database) -> None:
    """Staff: admin accounts and sessions, the audit log, and one-time enrolment codes."""
    db.execute("""
        CREATE TABLE admins (
            username TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT
        )""")
    # Only a hash of a session token is kept: a copy of the file opens no session.
    db.execute("""
        CREATE TABLE admin_sessions (
            token_hash TEXT PRIMARY KEY,
            username TEXT NOT NULL,
            csrf_token TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            who TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            detail TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE enrolment_codes (
            code_hash TEXT PRIMARY KEY,
            terminal_name TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT,
            terminal_id INTEGER
        )""")


def _v4(db: sqlite_utils.Database) -> None:
    """Dossiers from a province's one-stop system: accounts of the sending systems and their
    sessions, processing steps as they were pushed, and where each dossier came from."""
    db.execute("""
        CREATE TABLE integrations (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            revoked_at TEXT,
            last_used_at TEXT
        )""")
    # Only a hash of a session is kept, as for the admin pages.
    db.execute("""
        CREATE TABLE integration_sessions (
            token_hash TEXT PRIMARY KEY,
            integration_id INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )""")
    # A step is kept by a digest of what it says, so that the same step sent twice is one step;
    # steps may come before their dossier and wait for it here.
    db.execute("""
        CREATE TABLE dossier_steps (
            id INTEGER PRIMARY KEY,
            dossier_code TEXT NOT NULL,
            step_key TEXT NOT NULL,
            at TEXT NOT NULL,
            data TEXT NOT NULL,
            UNIQUE (dossier_code, step_key)
        )""")
    db.execute("CREATE INDEX dossier_steps_by_time ON dossier_steps (dossier_code, at, id)")
    # origin: "local" (sample or import), "sync" (pushed), "upstream" (looked up, kept until
    # fetched_at + the configured time). base: the dossier as its record says, before its steps.
    # steps_seen: the last step id when the record came, so that a later step moves the status.
    db.execute("ALTER TABLE dossiers ADD COLUMN origin TEXT NOT NULL DEFAULT 'local'")
    db.execute("ALTER TABLE dossiers ADD COLUMN fetched_at TEXT")
    db.execute("ALTER TABLE dossiers ADD COLUMN base TEXT")
    db.execute("ALTER TABLE dossiers ADD COLUMN steps_seen INTEGER NOT NULL DEFAULT 0")


# Append only: each entry moves the schema one version up (PRAGMA user_version).
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2, _v3, _v4]


class StoreError(Exception):
    """The database file cannot be used, with the reason."""


class BackendStore:
    def __init__(self, path: str | Path):
        try:
            self.db = sqlite_utils.Database(path)
            self.db.enable_wal()
            self.db.execute("PRAGMA busy_timeout = 5000")
            # An answered ticket must survive a power cut, not only a crash of the process.
            self.db.execute("PRAGMA synchronous = FULL")
            self._migrate()
        except sqlite3.DatabaseError as error:
            raise StoreError(f"cannot open database {path}: {error}") from None

    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        current = self.schema_version
        if current > len(MIGRATIONS):
            raise StoreError(f"database schema {current} is newer than this program knows")
        for number, migration in enumerate(MIGRATIONS[current:], start=current + 1):
            with self.write():
                migration(self.db)
                self.db.execute(f"PRAGMA user_version = {number}")

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """One write transaction that takes the write lock at once (BEGIN IMMEDIATE), so
        that what it reads (the last ticket number, say) cannot change before it writes."""
        self.db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.conn.execute("ROLLBACK")
            raise
        self.db.conn.execute("COMMIT")

    # -- catalogue ---------------------------------------------------------

    def is_empty(self) -> bool:
        return self.db["procedures"].count == 0 and self.db["levels"].count == 0

    def replace_catalogue(self, catalogue: Catalogue) -> str:
        """Put a whole catalogue in place of the current one, in one transaction."""
        with self.write():
            for table in ("levels", "fields", "agencies", "procedures"):
                self.db.execute(f"DELETE FROM {table}")
            self.db["meta"].upsert({"key": "site", "value": _dump(catalogue.site.to_dict())}, pk="key")
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
        self.db["levels"].upsert_all((x.to_dict() for x in levels), pk="code")
        self.db["fields"].upsert_all((x.to_dict() for x in fields), pk="code")
        self.db["agencies"].upsert_all((x.to_dict() for x in agencies), pk="code")
        rows = (
            {"code": p.code, "name": p.name, "field": p.field, "data": _dump(p.to_dict())}
            for p in procedures
        )
        self.db["procedures"].upsert_all(rows, pk="code", batch_size=500)

    def _new_version(self) -> str:
        # The version is a digest of the content: equal catalogues have equal versions,
        # on any backend (so nothing else kept in meta may go into it).
        digest = hashlib.sha256((self.meta("site") or "").encode())
        for table in ("levels", "fields", "agencies", "procedures"):
            for row in self.db.execute(f"SELECT * FROM {table} ORDER BY code"):
                digest.update(_dump(row).encode())
        version = digest.hexdigest()[:16]
        self.db["meta"].upsert({"key": "catalogue_version", "value": version}, pk="key")
        return version

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    @property
    def catalogue_version(self) -> str:
        return self.meta("catalogue_version") or "empty"

    def levels(self) -> list[Level]:
        return [Level.from_dict(r) for r in self.db["levels"].rows_where(order_by="rank")]

    def fields(self) -> list[Field]:
        return [Field.from_dict(r) for r in self.db["fields"].rows_where(order_by="code")]

    def catalogue_json(self) -> bytes:
        """The whole catalogue as UTF-8 JSON, assembled from the stored procedure texts."""
        site = self.meta("site")
        head = {
            "version": self.catalogue_version,
            "site": json.loads(site) if site else None,
            "levels": [x.to_dict() for x in self.levels()],
            "fields": [x.to_dict() for x in self.fields()],
            "agencies": list(self.db["agencies"].rows_where(order_by="code")),
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
                "SELECT data FROM procedures WHERE code = ? AND EXISTS "
                "(SELECT 1 FROM json_each(data, '$.local_codes') WHERE value = ?)",
                [national_code(code), code]).fetchone()
        return row[0] if row else None

    # -- dossiers ------------------------------------------------------------

    def citizen_key(self, id_number: str) -> str:
        """A keyed hash of a citizen's ID number: lets us find their dossiers and audit
        lookups without keeping the number, and cannot be reversed by trying all numbers
        without the key."""
        key = bytes.fromhex(self.meta("citizen_key") or "")
        return hmac.new(key, id_number.encode(), hashlib.sha256).hexdigest()

    def put_dossiers(self, dossiers: Iterable[Dossier], applicant_ids: dict[str, str] | None = None) -> None:
        """Store dossiers; `applicant_ids` (code -> ID number) is kept only as keyed hashes."""
        ids = applicant_ids or {}
        rows = (
            {"code": d.code, "procedure_code": d.procedure_code, "status": d.status, "data": _dump(d.to_dict()),
             "applicant_key": self.citizen_key(ids[d.code]) if d.code in ids else None}
            for d in dossiers
        )
        with self.write():
            self.db["dossiers"].upsert_all(rows, pk="code")

    def dossier_data(self, code: str) -> dict | None:
        """The stored dossier in its `Dossier.to_dict()` form."""
        row = self.db.execute("SELECT data FROM dossiers WHERE code = ?", [code]).fetchone()
        return json.loads(row[0]) if row else None

    def dossier(self, code: str) -> Dossier | None:
        data = self.dossier_data(code)
        return Dossier.from_dict(data) if data else None

    def dossiers_of_citizen(self, id_number: str) -> list[dict]:
        rows = self.db.execute(
            "SELECT data FROM dossiers WHERE applicant_key = ? ORDER BY code", [self.citizen_key(id_number)]
        )
        return [json.loads(r[0]) for r in rows]

    def dossier_deadlines(self) -> Iterator[tuple[int, dt.datetime | None, dt.datetime | None]]:
        """(status, due at, completed at) of every dossier: what timeliness needs."""
        rows = self.db.execute(
            "SELECT status, json_extract(data, '$.due_at'), json_extract(data, '$.completed_at') FROM dossiers"
        )
        for status, due_at, completed_at in rows:
            yield status, parse_datetime(due_at), parse_datetime(completed_at)

    def dossier_codes(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT code FROM dossiers ORDER BY code")]

    # -- audit log -----------------------------------------------------------

    def audit(self, who: str, action: str, target: str, detail: dict, now: dt.datetime) -> None:
        """Note who changed what: staff on the admin pages, the `kiosk` command, an enrolling kiosk."""
        with self.write():
            self.db["audit_log"].insert({"at": now.isoformat(timespec="seconds"), "who": who, "action": action,
                                         "target": target, "detail": _dump(detail)})

    def audit_log(self, limit: int, offset: int = 0) -> list[dict]:
        """The newest entries first."""
        rows = self.db.execute(
            "SELECT id, at, who, action, target, detail FROM audit_log ORDER BY id DESC LIMIT ? OFFSET ?",
            [limit, offset],
        )
        return [{"id": r[0], "at": r[1], "who": r[2], "action": r[3], "target": r[4], "detail": json.loads(r[5])}
                for r in rows]
