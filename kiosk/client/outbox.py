"""What can wait for the backend: ratings, voided tickets and heartbeats, kept on disk and
sent in order, each exactly once, when the backend can be reached again.

Nothing personal goes in: only these three kinds, whose bodies hold no identity."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..domain.rating import Rating
from ..domain.terminal import Health
from . import API
from .errors import BackendError, NotFound, Rejected, TooManyRequests, Unauthorized
from .files import move_aside

if TYPE_CHECKING:
    from .api import BackendClient  # aiohttp: not needed before the first frame

log = logging.getLogger("kiosk.client")


@dataclass
class Replay:
    sent: int
    dropped: int
    """Refused by the backend for good (a 4xx): kept no longer, logged."""
    left: int


class Outbox:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._open()
        except sqlite3.DatabaseError as error:
            # What it held cannot be sent anyway: keep the file for staff and start anew.
            move_aside(self.path, error)
            self._open()

    def _open(self) -> None:
        # Plain sqlite3 for one small table: sqlite-utils loads numpy as it is imported, a tenth
        # of a second of the kiosk's start (the backend keeps it).
        self.db = sqlite3.connect(self.path)
        self.db.row_factory = sqlite3.Row
        try:
            self.db.execute("PRAGMA quick_check").fetchone()
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, kind TEXT, method TEXT,"
                            " path TEXT, body TEXT, key TEXT, created_at TEXT)")
        except sqlite3.DatabaseError:
            self.db.close()
            raise

    def close(self) -> None:
        self.db.close()

    def _add(self, kind: str, path: str, body: dict[str, Any] | None, key: str | None = None) -> None:
        self.db.execute("INSERT INTO items (kind, method, path, body, key, created_at) VALUES (?, 'POST', ?, ?, ?, ?)",
                        [kind, path, json.dumps(body, ensure_ascii=False), key or uuid.uuid4().hex,
                         dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")])
        self.db.commit()  # with a heartbeat's DELETE before it, if any: one transaction

    def add_rating(self, rating: Rating, key: str | None = None) -> None:
        self._add("rating", f"{API}/ratings", rating.to_dict(), key)

    def add_void(self, ticket_id: str) -> None:
        self._add("void", f"{API}/queue/tickets/{ticket_id}/void", None)

    def add_heartbeat(self, terminal_id: int, health: Health) -> None:
        # Only the latest health matters: an older heartbeat still waiting is replaced.
        self.db.execute("DELETE FROM items WHERE kind = 'heartbeat'")
        self._add("heartbeat", f"{API}/terminals/{terminal_id}/heartbeat", health.to_dict())

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM items").fetchone()[0]

    def pending(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self.db.execute("SELECT * FROM items ORDER BY id")]

    async def replay(self, client: BackendClient) -> Replay:
        """Send what waits, oldest first; stop at the first item the backend cannot take now."""
        sent = dropped = 0
        for item in self.pending():
            body = json.loads(item["body"])
            try:
                await client.send(item["method"], item["path"], body, item["key"])
            except TooManyRequests:
                break  # the backend's ceiling for this kiosk: the rest waits for the next sync
            except (Rejected, NotFound) as error:
                log.warning("outbox: the backend refused %s %s for good: %s", item["kind"], item["id"], error.detail)
                dropped += 1
            except Unauthorized:
                break  # the token is wrong: staff must fix it; nothing is lost meanwhile
            except BackendError as error:  # offline, timeout, server error: try again later
                log.info("outbox: %s %s not sent yet (%s)", item["kind"], item["id"], type(error).__name__)
                break
            else:
                sent += 1
            self.db.execute("DELETE FROM items WHERE id = ?", [item["id"]])
            self.db.commit()
        return Replay(sent, dropped, len(self))
