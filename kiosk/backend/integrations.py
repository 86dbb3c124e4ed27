"""Accounts of the one-stop systems that push dossiers to the backend (the national portal's
protocol, `POST /api/v1/dvcqg/auth`): salted scrypt passwords, sessions of which only a hash
is kept, revocation. Made with `kiosk integration add NAME`."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import Any

from .accounts import hash_password, password_problems
from .store import BackendStore
from .terminals import token_hash

NAME = re.compile(r"[A-Za-z0-9._-]{1,64}\Z")
SESSION_LIFE = dt.timedelta(hours=1)
"""Senders log in again when their session is refused, as they do with the national portal."""


def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


@dataclass(frozen=True)
class Integration:
    id: int
    name: str


class Integrations:
    def __init__(self, store: BackendStore):
        self.store = store
        self.db = store.db

    def add(self, name: str, password: str, now: dt.datetime) -> int:
        """A new account (the name is its username); ValueError says why it cannot be made."""
        if not NAME.match(name):
            raise ValueError("an integration name is 1 to 64 of A-Z a-z 0-9 . _ -")
        problems = password_problems(password)
        if problems:
            raise ValueError(problems[0])
        with self.store.write():
            if self.db.execute("SELECT 1 FROM integrations WHERE name = ?", [name]).fetchone():
                raise ValueError(f"the integration {name} exists already")
            return self.db.insert_id("integrations", {"name": name, "password_hash": hash_password(password),
                                                      "created_at": _stamp(now)})

    def list(self) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT id, name, created_at, revoked_at, last_used_at FROM integrations ORDER BY id")
        return [{"id": r[0], "name": r[1], "created_at": r[2], "revoked_at": r[3], "last_used_at": r[4]}
                for r in rows]

    def revoke(self, number: int, now: dt.datetime) -> bool:
        """Whether an account with this id was live; its sessions end with it."""
        with self.store.write():
            cursor = self.db.execute("UPDATE integrations SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                                     [_stamp(now), number])
            self.db.execute("DELETE FROM integration_sessions WHERE integration_id = ?", [number])
            return cursor.rowcount == 1

    def credentials(self, name: str) -> tuple[int, str] | None:
        """The id and password hash of a live account (scrypt is checked by the caller, off the
        event loop: it takes tens of milliseconds)."""
        row = self.db.execute(
            "SELECT id, password_hash FROM integrations WHERE name = ? AND revoked_at IS NULL", [name]).fetchone()
        return (row[0], row[1]) if row else None

    def open_session(self, number: int, now: dt.datetime) -> str:
        """A new session token for the account; only its hash is kept."""
        token = secrets.token_urlsafe(32)
        with self.store.write():
            self.db.execute("DELETE FROM integration_sessions WHERE expires_at <= ?", [_stamp(now)])
            self.db.insert("integration_sessions", {
                "token_hash": token_hash(token), "integration_id": number, "created_at": _stamp(now),
                "expires_at": _stamp(now + SESSION_LIFE)})
            self.db.execute("UPDATE integrations SET last_used_at = ? WHERE id = ?", [_stamp(now), number])
        return token

    def session(self, token: str, now: dt.datetime) -> Integration | None:
        """The live account of a session token, or None when unknown, expired or revoked."""
        row = self.db.execute(
            """SELECT i.id, i.name, s.expires_at FROM integration_sessions s
               JOIN integrations i ON i.id = s.integration_id
               WHERE s.token_hash = ? AND i.revoked_at IS NULL""", [token_hash(token)]).fetchone()
        if row is None or dt.datetime.fromisoformat(row[2]) <= now:
            return None
        return Integration(row[0], row[1])
