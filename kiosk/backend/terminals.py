"""The kiosks a backend knows: tokens, health from heartbeats, and configuration."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from typing import Any

from ..domain.terminal import Health, TerminalConfig
from .store import BackendStore


def token_hash(token: str) -> str:
    # Tokens are 256 random bits: a plain digest is enough, no slow hash is needed.
    return hashlib.sha256(token.encode()).hexdigest()


class Terminals:
    def __init__(self, store: BackendStore):
        self.store = store
        self.db = store.db

    def add(self, name: str, now: dt.datetime) -> tuple[int, str]:
        """Register a terminal; answers its id and its token, which is not kept."""
        token = secrets.token_urlsafe(32)
        with self.store.write():
            table = self.db["terminals"]
            table.insert({
                "name": name, "token_hash": token_hash(token), "created_at": now.isoformat(timespec="seconds"),
                "config": json.dumps(TerminalConfig().to_dict()), "config_version": 1,
            })
            return table.last_pk, token

    def list(self) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT id, name, created_at, revoked_at, last_seen, config_version, health FROM terminals ORDER BY id"
        )
        return [
            {"id": r[0], "name": r[1], "created_at": r[2], "revoked_at": r[3], "last_seen": r[4],
             "config_version": r[5], "health": json.loads(r[6]) if r[6] else None}
            for r in rows
        ]

    def revoke(self, terminal_id: int, now: dt.datetime) -> bool:
        with self.store.write():
            cursor = self.db.execute(
                "UPDATE terminals SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                [now.isoformat(timespec="seconds"), terminal_id],
            )
            return cursor.rowcount == 1

    def authenticate(self, token: str) -> int | None:
        """The id of the live terminal holding `token`, or None."""
        row = self.db.execute(
            "SELECT id FROM terminals WHERE token_hash = ? AND revoked_at IS NULL", [token_hash(token)]
        ).fetchone()
        return row[0] if row else None

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
