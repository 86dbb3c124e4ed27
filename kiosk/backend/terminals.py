"""The kiosks a backend knows: tokens, one-time enrolment codes, health from heartbeats,
configuration, and their calls for staff."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from typing import Any

from ..domain.terminal import Health, TerminalConfig
from .database import Database
from .errors import RequestError
from .store import DEFAULT_SITE, BackendStore

# What an installer types on the kiosk's keypad: no I, L, O, 0 or 1 to mistake for one
# another; 12 of these 31 signs are 59 bits, far more than guesses at a limited rate in a day.
ENROLMENT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
ENROLMENT_LENGTH = 12
ENROLMENT_VALID = dt.timedelta(hours=24)
HELP_REPEAT = dt.timedelta(seconds=60)
"""A call for staff pressed again this soon after an open one is that one, not a new call."""


def token_hash(token: str) -> str:
    # Tokens are 256 random bits (enrolment codes 59 bits, for a day): a plain digest is
    # enough, no slow hash is needed.
    return hashlib.sha256(token.encode()).hexdigest()


def enrolment_code_text(code: str) -> str:
    """A code as people read it: groups of four, ABCD-EFGH-JKMN."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def _plain_code(text: str) -> str:
    """A code as typed: any case, with or without the hyphens and spaces."""
    return "".join(text.split()).replace("-", "").upper()


class Terminals:
    def __init__(self, store: BackendStore):
        self.store = store
        self.db = store.db

    def add(self, name: str, now: dt.datetime, site: str = DEFAULT_SITE) -> tuple[int, str]:
        """Register a terminal at `site`; answers its id and its token, which is not kept."""
        with self.store.write():
            self._check_site(site)
            return self._insert(name, now, site)

    def _check_site(self, site: str) -> None:
        if self.db.execute("SELECT 1 FROM sites WHERE code = ?", [site]).fetchone() is None:
            raise ValueError(f"there is no site {site}: add it first (kiosk site add)")

    def _insert(self, name: str, now: dt.datetime, site: str) -> tuple[int, str]:
        token = secrets.token_urlsafe(32)
        number = self.db.insert_id("terminals", {
            "site": site, "name": name, "token_hash": token_hash(token), "created_at": now.isoformat(timespec="seconds"),
            "config": json.dumps(TerminalConfig().to_dict()), "config_version": 1,
        })
        return number, token

    def add_enrolment(self, name: str, now: dt.datetime, site: str = DEFAULT_SITE) -> tuple[str, dt.datetime]:
        """A one-time code with which a kiosk registers itself as `name` at `site` (POST
        /terminals/enrol), instead of a token carried to it; answers the code, which is not kept,
        and its expiry."""
        code = "".join(secrets.choice(ENROLMENT_ALPHABET) for _ in range(ENROLMENT_LENGTH))
        expires = now + ENROLMENT_VALID
        with self.store.write():
            self._check_site(site)
            self.db.insert("enrolment_codes", {
                "site": site, "code_hash": token_hash(code), "terminal_name": name,
                "created_at": now.isoformat(timespec="seconds"), "expires_at": expires.isoformat(timespec="seconds"),
            })
        return enrolment_code_text(code), expires

    def enrol(self, code: str, name: str | None, now: dt.datetime) -> tuple[int, str, str]:
        """Use an enrolment code, once: the new terminal's id, token and name."""
        key = token_hash(_plain_code(code))
        with self.store.write():
            row = self.db.execute(
                "SELECT terminal_name, expires_at, used_at, site FROM enrolment_codes WHERE code_hash = ?", [key]
            ).fetchone()
            if row is None:
                raise RequestError(404, "enrolment_code_unknown", "No terminal waits for this enrolment code.")
            if row[2] is not None:
                raise RequestError(410, "enrolment_code_used", "This enrolment code was used already.")
            if dt.datetime.fromisoformat(row[1]) <= now:
                raise RequestError(410, "enrolment_code_expired", "This enrolment code has expired.")
            chosen = name or row[0]
            number, token = self._insert(chosen, now, row[3])
            self.db.execute("UPDATE enrolment_codes SET used_at = ?, terminal_id = ? WHERE code_hash = ?",
                            [now.isoformat(timespec="seconds"), number, key])
        return number, token, chosen

    _COLUMNS = "id, name, created_at, revoked_at, last_seen, config_version, health, site"

    @staticmethod
    def _row(r: tuple) -> dict[str, Any]:
        return {"id": r[0], "name": r[1], "created_at": r[2], "revoked_at": r[3], "last_seen": r[4],
                "config_version": r[5], "health": json.loads(r[6]) if r[6] else None, "site": r[7]}

    def list(self, site: str | None = None) -> list[dict[str, Any]]:
        """Every terminal, or `site`'s."""
        if site is None:
            return [self._row(r) for r in self.db.execute(f"SELECT {self._COLUMNS} FROM terminals ORDER BY id")]
        return [self._row(r) for r in self.db.execute(
            f"SELECT {self._COLUMNS} FROM terminals WHERE site = ? ORDER BY id", [site])]

    def site_of(self, terminal_id: int) -> str:
        """The site a terminal serves (it exists: its token was just checked)."""
        return self.db.execute("SELECT site FROM terminals WHERE id = ?", [terminal_id]).fetchone()[0]

    def get(self, terminal_id: int) -> dict[str, Any] | None:
        """One terminal as `list` shows it."""
        row = self.db.execute(f"SELECT {self._COLUMNS} FROM terminals WHERE id = ?", [terminal_id]).fetchone()
        return self._row(row) if row else None

    def revoke(self, terminal_id: int, now: dt.datetime) -> bool:
        with self.store.write():
            cursor = self.db.execute(
                "UPDATE terminals SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                [now.isoformat(timespec="seconds"), terminal_id],
            )
            return cursor.rowcount == 1

    def authenticate(self, token: str, conn: Database | None = None) -> tuple[int, str] | None:
        """The id and site of the live terminal holding `token`, or None (through `conn`, the
        store's own by default)."""
        row = (conn or self.db).execute(
            "SELECT id, site FROM terminals WHERE token_hash = ? AND revoked_at IS NULL", [token_hash(token)]
        ).fetchone()
        return (row[0], row[1]) if row else None

    def exists(self, terminal_id: int) -> bool:
        return self.db.execute("SELECT 1 FROM terminals WHERE id = ?", [terminal_id]).fetchone() is not None

    def config(self, terminal_id: int) -> tuple[int, TerminalConfig]:
        row = self.db.execute("SELECT config_version, config FROM terminals WHERE id = ?", [terminal_id]).fetchone()
        return row[0], TerminalConfig.from_dict(json.loads(row[1]))

    def set_config(self, terminal_id: int, config: TerminalConfig) -> int:
        """Replace the configuration; answers its new version."""
        with self.store.write():
            self.db.execute(
                "UPDATE terminals SET config = ?, config_version = config_version + 1 WHERE id = ?",
                [json.dumps(config.to_dict(), ensure_ascii=False), terminal_id],
            )
        return self.config(terminal_id)[0]

    def heartbeat(self, terminal_id: int, health: Health, now: dt.datetime) -> None:
        with self.store.write():
            self.db.execute(
                "UPDATE terminals SET last_seen = ?, health = ? WHERE id = ?",
                [now.isoformat(timespec="seconds"), json.dumps(health.to_dict()), terminal_id],
            )

    # -- calls for staff ("Gọi cán bộ hỗ trợ") --------------------------------------------

    _HELP_COLUMNS = "id, terminal_id, terminal_name, screen, asked_at, answered_at, answered_by, site"

    @staticmethod
    def _help_row(r: tuple) -> dict[str, Any]:
        return {"id": r[0], "terminal_id": r[1], "terminal_name": r[2], "screen": r[3], "asked_at": r[4],
                "answered_at": r[5], "answered_by": r[6], "site": r[7]}

    def ask_help(self, terminal_id: int, screen: str, now: dt.datetime) -> tuple[dict[str, Any], bool]:
        """A citizen at `terminal_id` called for staff from `screen`: (the request, whether it is
        new). A press within HELP_REPEAT of an open call is that call again, not a new one: a
        worried citizen taps twice or five times, and staff should see one call."""
        with self.store.write():
            row = self.db.execute(
                f"SELECT {self._HELP_COLUMNS} FROM help_requests WHERE terminal_id = ? AND answered_at IS NULL "
                "ORDER BY id DESC LIMIT 1", [terminal_id]).fetchone()
            if row is not None and now - dt.datetime.fromisoformat(row[4]) < HELP_REPEAT:
                return self._help_row(row), False
            name, site = self.db.execute("SELECT name, site FROM terminals WHERE id = ?", [terminal_id]).fetchone()
            number = self.db.insert_id("help_requests", {
                "site": site, "terminal_id": terminal_id, "terminal_name": name, "screen": screen,
                "asked_at": now.isoformat(timespec="seconds")})
        return self.help_request(number), True  # type: ignore[return-value]

    def help_request(self, request_id: int) -> dict[str, Any] | None:
        row = self.db.execute(f"SELECT {self._HELP_COLUMNS} FROM help_requests WHERE id = ?", [request_id]).fetchone()
        return self._help_row(row) if row else None

    def open_help_requests(self, site: str = DEFAULT_SITE) -> list[dict[str, Any]]:
        """The calls at `site` nobody has answered yet, the oldest first."""
        rows = self.db.execute(
            f"SELECT {self._HELP_COLUMNS} FROM help_requests WHERE site = ? AND answered_at IS NULL"
            " ORDER BY asked_at, id", [site])
        return [self._help_row(r) for r in rows]

    def answer_help(self, request_id: int, who: str, now: dt.datetime) -> list[int] | None:
        """Staff came to the kiosk of call `request_id`: it and that kiosk's open calls before it
        are answered (one visit answers them all; a call that came after the page was drawn
        stays open). Answers the ids it answered, [] when another staff member was first, or
        None when there is no such call."""
        with self.store.write():
            row = self.db.execute("SELECT terminal_id FROM help_requests WHERE id = ?", [request_id]).fetchone()
            if row is None:
                return None
            answered = [r[0] for r in self.db.execute(
                "SELECT id FROM help_requests WHERE terminal_id = ? AND id <= ? AND answered_at IS NULL ORDER BY id",
                [row[0], request_id])]
            self.db.execute(
                "UPDATE help_requests SET answered_at = ?, answered_by = ? "
                "WHERE terminal_id = ? AND id <= ? AND answered_at IS NULL",
                [now.isoformat(timespec="seconds"), who, row[0], request_id])
        return answered
