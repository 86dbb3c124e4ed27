"""Deliver a rating: sent now, or kept in the outbox and sent when the backend is back. The
same idempotency key either way, so the backend records it once however often it arrives.
Cancelled half-way (the citizen left), the rating is kept all the same."""

from __future__ import annotations

import asyncio

from ..client.api import BackendClient
from ..client.errors import BackendError
from ..client.outbox import Outbox
from ..domain.rating import Rating

SENT, KEPT = "sent", "kept"


async def deliver_rating(client: BackendClient | None, outbox: Outbox, rating: Rating, key: str) -> str:
    """SENT, or KEPT in the outbox."""
    try:
        if client is None:
            raise BackendError("no backend configured")
        await client.rate(rating, key)
    except BackendError:
        outbox.add_rating(rating, key)
        return KEPT
    except asyncio.CancelledError:
        outbox.add_rating(rating, key)  # maybe it arrived: the key makes a second arrival harmless
        raise
    return SENT
