"""Ratings from the kiosks, and the audit of citizen lookups."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ..domain.rating import RATING_LEVELS, Rating
from .store import DEFAULT_SITE, BackendStore


PHONE = 0
"""The terminal a rating from a ticket's page on the citizen's phone is recorded under: none."""


def phone_key(public_id: str) -> str:
    """The idempotency key of a ticket's rating from its page: one rating per ticket."""
    return f"ticket-page:{public_id}"


class Ratings:
    def __init__(self, store: BackendStore):
        self.store = store
        self.db = store.db

    def add(self, rating: Rating, terminal_id: int, key: str | None, now: dt.datetime,
            site: str = DEFAULT_SITE) -> tuple[int, bool]:
        """Record a rating of `site`'s service once per idempotency key: (rating id, created)."""
        with self.store.write():
            if key is not None:
                row = self.db.execute(
                    "SELECT id FROM ratings WHERE terminal_id = ? AND idempotency_key = ?", [terminal_id, key]
                ).fetchone()
                if row:
                    return row[0], False
            number = self.db.insert_id("ratings", {
                "site": site, "terminal_id": terminal_id, "idempotency_key": key, "day": now.date().isoformat(),
                "created_at": now.isoformat(timespec="seconds"), "level": rating.level,
                "reasons": json.dumps(rating.reasons, ensure_ascii=False),
                "ticket_id": rating.ticket_id, "dossier_code": rating.dossier_code,
            })
            return number, True

    def rated_from_page(self, public_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM ratings WHERE terminal_id = ? AND idempotency_key = ?",
                               [PHONE, phone_key(public_id)]).fetchone() is not None

    def daily(self, day: dt.date, site: str = DEFAULT_SITE) -> dict[str, Any]:
        counts = dict(self.db.execute(
            "SELECT level, COUNT(*) FROM ratings WHERE site = ? AND day = ? GROUP BY level", [site, day.isoformat()]
        ).fetchall())
        reasons: dict[str, int] = {}
        for (text,) in self.db.execute("SELECT reasons FROM ratings WHERE site = ? AND day = ?",
                                       [site, day.isoformat()]):
            for reason in json.loads(text):
                reasons[reason] = reasons.get(reason, 0) + 1
        return {"by_level": {level: counts.get(level, 0) for level in RATING_LEVELS}, "reasons": reasons}


def audit_citizen_lookup(store: BackendStore, terminal_id: int, id_hash: str, proof: str, found: int, now: dt.datetime) -> None:
    with store.write():
        store.db.insert("citizen_lookups", {
            "terminal_id": terminal_id, "at": now.isoformat(timespec="seconds"),
            "id_hash": id_hash, "proof": proof, "found": found,
        })
