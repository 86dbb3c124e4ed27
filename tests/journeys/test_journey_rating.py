"""Deliver a rating, without Kivy, against a real backend process: sent, kept in the outbox
when the backend cannot be reached, and kept when the journey is cancelled mid-way, then
recorded once however often it arrives."""

import asyncio
import socket

import pytest

from kiosk.client.api import BackendClient
from kiosk.client.outbox import Outbox
from kiosk.domain.rating import Rating
from kiosk.journeys.rating import KEPT, SENT, deliver_rating
from support import query
from journeys.proxy import HoldingProxy


def ratings(db):
    return query(db, "SELECT level, reasons, ticket_id FROM ratings ORDER BY id")


@pytest.fixture
def outbox(tmp_path):
    box = Outbox(tmp_path / "outbox.sqlite3")
    yield box
    box.close()


def test_sent(site, outbox):
    async def go():
        async with BackendClient(site.url, site.token, retries=1) as client:
            return await deliver_rating(client, outbox, Rating(level="satisfied", reasons=["Nhanh chóng"]), "key-sent")

    before = len(ratings(site.db))
    assert asyncio.run(go()) == SENT
    assert ratings(site.db)[before:] == [("satisfied", '["Nhanh chóng"]', None)] and len(outbox) == 0


def test_kept_while_offline_then_sent_once(site, outbox):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        gone = f"http://127.0.0.1:{probe.getsockname()[1]}"
    rating = Rating(level="unsatisfied", reasons=["Chờ đợi lâu"])

    async def go():
        async with BackendClient(gone, site.token, retries=1, timeout=2) as offline:
            kept = await deliver_rating(offline, outbox, rating, "key-kept")
        unconfigured = await deliver_rating(None, outbox, rating, "key-kept")  # the same rating again
        async with BackendClient(site.url, site.token, retries=1) as client:
            return kept, unconfigured, await outbox.replay(client)

    before = len(ratings(site.db))
    kept, unconfigured, replay = asyncio.run(go())
    assert kept == unconfigured == KEPT and replay.sent == 2 and len(outbox) == 0
    assert ratings(site.db)[before:] == [("unsatisfied", '["Chờ đợi lâu"]', None)], "one key, one rating"


def test_kept_when_the_journey_is_cancelled(site, outbox):
    async def go():
        async with HoldingProxy(site.url) as proxy, BackendClient(proxy.url, site.token, retries=1) as client:
            held = proxy.hold("POST", r"/ratings$")
            journey = asyncio.ensure_future(deliver_rating(client, outbox, Rating(level="very_satisfied"), "key-left"))
            await asyncio.wait_for(held.answered.wait(), 20)
            journey.cancel()
            with pytest.raises(asyncio.CancelledError):
                await journey
            held.release.set()
            assert [item["kind"] for item in outbox.pending()] == ["rating"]
        async with BackendClient(site.url, site.token, retries=1) as client:
            return await outbox.replay(client)

    before = len(ratings(site.db))
    replay = asyncio.run(go())
    assert replay.sent == 1 and len(outbox) == 0
    assert ratings(site.db)[before:] == [("very_satisfied", "[]", None)], "arrived twice, recorded once"
