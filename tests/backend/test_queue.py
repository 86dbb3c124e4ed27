"""The queue on a real backend process: numbering under load and crashes, policies, voids."""

import asyncio
import datetime as dt
import os
import signal
import uuid

import aiohttp
import pytest

from kiosk.backend.queue import TicketQueue
from kiosk.backend.sample import sample_queue
from kiosk.config import load_config, working_calendar
from kiosk.domain.calendar import TIMEZONE
from support import Backend, start_site
from stores import db_args, new_store

pytestmark = pytest.mark.both_stores


@pytest.fixture(scope="module")
def site(tmp_path_factory, store_kind):
    server = start_site(tmp_path_factory.mktemp("queue"))
    yield server
    assert server.stop() == 0


def issue(server, service, priority=None, key=None, token="terminal"):
    return server.post("/api/v1/queue/tickets", {"service": service, "priority": priority},
                       token=token, Idempotency_Key=key or uuid.uuid4().hex)


def call_next(server, counter):
    reply = server.post(f"/api/v1/queue/counters/{counter}/call-next", token="admin")
    assert reply.status == 200, reply.body
    return reply.json()["ticket"]


def drain(server, counter):
    while call_next(server, counter):
        pass


async def burst(url, token, service, clients, per_client, answered):
    """`clients` kiosks at once, each issuing `per_client` tickets; answered tickets go in `answered`."""
    async def kiosk(session):
        for _ in range(per_client):
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
            async with session.post(f"{url}/api/v1/queue/tickets", json={"service": service}, headers=headers) as r:
                assert r.status == 201, await r.text()
                answered.append(await r.json())

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(kiosk(session) for _ in range(clients)))


def test_twenty_kiosks_fifty_tickets_each_gapless(site):
    answered = []
    asyncio.run(burst(f"http://{site.host}:{site.port}", site.token, "C", 20, 50, answered))
    numbers = sorted(t["number"] for t in answered)
    assert numbers == list(range(1, 1001))
    assert len({t["id"] for t in answered}) == 1000
    assert all(t["display"] == f"C{t['number']:03d}" for t in answered)
    drain(site, 6)


def test_same_idempotency_key_same_ticket(site):
    first = issue(site, "D", key="kiosk-7-ticket-1")
    again = issue(site, "D", key="kiosk-7-ticket-1")
    assert first.status == 201 and again.status == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["number"] == first.json()["number"]
    other = issue(site, "E", key="kiosk-7-ticket-1")
    assert other.status == 409 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert issue(site, "D", key="bad key with spaces").status == 400
    missing = site.post("/api/v1/queue/tickets", {"service": "D"})
    assert missing.status == 400 and missing.json()["error"]["code"] == "idempotency_key_required"
    drain(site, 7)


def test_strict_policy_calls_priority_first(site):
    drain(site, 1)
    a = [issue(site, "A", p).json() for p in (None, None, "elderly", None, "pregnant")]
    assert [t["people_ahead"] for t in a] == [0, 1, 0, 3, 1]
    called = [call_next(site, 1)["number"] for _ in a]
    assert called == [a[2]["number"], a[4]["number"], a[0]["number"], a[1]["number"], a[3]["number"]]
    assert call_next(site, 1) is None


def test_interleaved_policy_one_priority_after_every_three(site):
    drain(site, 3)
    b = [issue(site, "B", p).json() for p in (None, "disability", None, None, None, "merit", None)]
    order = [call_next(site, 3)["number"] for _ in b]
    n = [t["number"] for t in b]
    assert order == [n[0], n[2], n[3], n[1], n[4], n[6], n[5]]


def test_void_is_skipped_and_cannot_void_a_called_ticket(site):
    drain(site, 7)
    first, second, third = (issue(site, "D").json() for _ in range(3))
    voided = site.post(f"/api/v1/queue/tickets/{second['id']}/void")
    assert voided.status == 200 and voided.json()["status"] == "void"
    assert site.post(f"/api/v1/queue/tickets/{second['id']}/void").status == 200  # twice is harmless
    assert site.get(f"/api/v1/queue/tickets/{third['id']}").json()["people_ahead"] == 1
    assert call_next(site, 7)["id"] == first["id"]
    assert call_next(site, 7)["id"] == third["id"]
    refused = site.post(f"/api/v1/queue/tickets/{first['id']}/void")
    assert refused.status == 409
    assert site.post("/api/v1/queue/tickets/AAAAAAAAAAAAAAAA/void").status == 404


def test_recall_and_no_show(site):
    drain(site, 6)
    ticket = issue(site, "C").json()
    assert call_next(site, 6)["id"] == ticket["id"]
    recalled = site.post("/api/v1/queue/counters/6/recall", token="admin")
    assert recalled.status == 200 and recalled.json()["ticket"]["id"] == ticket["id"]
    gone = site.post("/api/v1/queue/counters/6/no-show", token="admin")
    assert gone.json()["ticket"]["status"] == "no_show"
    assert site.post("/api/v1/queue/counters/6/recall", token="admin").status == 404
    assert site.post("/api/v1/queue/counters/99/call-next", token="admin").status == 404


def test_unknown_service_priority_and_closed_hours(site):
    assert issue(site, "Z").status == 404
    assert issue(site, "A", "vip").json()["error"]["code"] == "priority_not_found"
    for body in (b"{not json", b"[]", b'{"service": 7}', b'{"service": "A", "extra": 1}'):
        reply = site.request("POST", "/api/v1/queue/tickets", body=body,
                             headers={"Idempotency-Key": uuid.uuid4().hex, "Content-Type": "application/json"})
        assert reply.status == 400 and reply.json()["error"]["message"]


def test_services_overview(site):
    services = site.get("/api/v1/queue/services", token=None).json()["services"]
    assert [s["letter"] for s in services] == ["A", "B", "C", "D", "E"]
    assert sum(len([1 for _ in s["hours"]]) for s in services) >= 4
    assert all(s["issuing"] for s in services)


def test_public_ticket_page_shows_only_that_ticket(site):
    drain(site, 8)
    mine = issue(site, "E").json()
    other = issue(site, "E").json()
    page = site.get(f"/t/{other['id']}", token=None)
    text = page.body.decode()
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert other["display"] in text and "Còn 1 người trước bạn" in text
    assert '<noscript><meta http-equiv="refresh"' in text  # without a script, it still follows the queue
    assert mine["display"] not in text and mine["id"] not in text
    assert call_next(site, 8)["id"] == mine["id"]
    called = site.get(f"/t/{mine['id']}", token=None).body.decode()
    assert "Đến lượt bạn! Mời bạn đến Quầy 8" in called  # a phone may be anyone's: both languages
    assert "It is your turn! Please go to counter 8." in called
    assert f"<title>Số thứ tự {mine['display']}</title>" in called
    missing = site.get("/t/nosuchticket00", token=None)
    assert missing.status == 404 and "Không tìm thấy" in missing.body.decode()
    drain(site, 8)


def test_answered_tickets_survive_sigkill(tmp_path):
    server = start_site(tmp_path)
    answered = []

    async def kill_mid_burst():
        url = f"http://{server.host}:{server.port}"
        task = asyncio.ensure_future(burst(url, server.token, "A", 20, 200, answered))
        while len(answered) < 300 and not task.done():
            await asyncio.sleep(0.01)
        os.kill(server.process.pid, signal.SIGKILL)
        with pytest.raises(aiohttp.ClientError):
            await task

    asyncio.run(kill_mid_burst())
    server.process.wait(timeout=30)
    assert 300 <= len(answered) < 4000
    again = Backend(*db_args(server.db), "--admin-token-file", str(tmp_path / "admin-token"),
                    "--config", str(tmp_path / "backend.ini"))
    again.token, again.admin_token = server.token, server.admin_token
    try:
        for ticket in answered:
            stored = again.get(f"/api/v1/queue/tickets/{ticket['id']}", token=None).json()
            assert (stored["number"], stored["issued_at"]) == (ticket["number"], ticket["issued_at"])
        after = issue(again, "A").json()
    finally:
        assert again.stop() == 0
    store = new_store(server.db)
    numbers = [r[0] for r in store.db.execute("SELECT number FROM tickets WHERE service = 'A' ORDER BY number")]
    store.close()
    assert numbers == list(range(1, len(numbers) + 1)), "numbers must stay unique and gapless"
    assert after["number"] == numbers[-1] and len(numbers) >= len(answered) + 1


def test_numbers_start_again_each_day_and_estimates_follow_service_times(tmp_path):
    calendar = working_calendar(load_config())
    store = new_store(tmp_path / "b.sqlite3")
    queue = TicketQueue(store, calendar)
    queue.configure(sample_queue(all_day=True))
    late = dt.datetime(2026, 11, 27, 23, 58, tzinfo=TIMEZONE)
    assert [queue.issue("A", None, 1, f"k{i}", late)[0]["display"] for i in range(3)] == ["A001", "A002", "A003"]
    morning = dt.datetime(2026, 11, 28, 0, 1, tzinfo=TIMEZONE)
    ticket, _ = queue.issue("A", None, 1, "next-day", morning)
    assert ticket["display"] == "A001" and ticket["people_ahead"] == 0, "yesterday's queue is not ahead"

    # Three citizens served in 10 minutes each at counter 1: the estimate follows.
    start = dt.datetime(2026, 11, 30, 8, 0, tzinfo=TIMEZONE)
    for i in range(6):
        queue.issue("A", None, 1, f"monday-{i}", start)
    for minutes in (0, 10, 20, 30):
        queue.call_next(1, start + dt.timedelta(minutes=minutes))
    waiting = queue.issue("A", None, 1, "monday-late", start + dt.timedelta(minutes=30))[0]
    assert waiting["people_ahead"] == 2
    assert waiting["estimated_wait_minutes"] == 20  # 2 ahead x 10 minutes / 1 open counter
    daily = {s["letter"]: s for s in queue.daily(start.date())}
    assert daily["A"]["served"] == 3 and daily["A"]["average_service_minutes"] == 10.0
    assert daily["A"]["issued"] == 7 and daily["A"]["waiting"] == 3
    store.close()


def test_the_days_work_per_counter_officer_and_hour(tmp_path):
    """Waits and service times by the hour of the call, as median and 90th percentile (nearest
    rank), and served / not present / transferred per counter and per officer, from the events."""
    store = new_store(tmp_path / "b.sqlite3")
    queue = TicketQueue(store, working_calendar(load_config()))
    queue.configure(sample_queue(all_day=True))
    at = lambda hour, minute: dt.datetime(2026, 11, 30, hour, minute, tzinfo=TIMEZONE)  # noqa: E731
    for i in range(5):
        queue.issue("A", None, 1, f"a{i}", at(8, 0))
    queue.issue("B", None, 1, "b0", at(8, 0))
    queue.call_next(1, at(8, 10), "lan")     # A001 waited 10 min
    queue.call_next(1, at(8, 16), "lan")     # A001 served in 6; A002 waited 16
    queue.no_show(1, at(8, 20), "lan")       # A002 not present
    queue.call_next(2, at(9, 0), "minh")     # A003 waited 60
    queue.transfer(2, "B", at(9, 5), "minh")  # A003 to B's line
    queue.call_next(3, at(9, 30), "minh")    # B's line: A003 (taken at 8:00 like B001, and first in it)
    queue.finish(3, at(9, 42), "minh")       # served in 12
    queue.call_next(2, at(10, 0), "minh")    # A004 waited 120
    queue.finish(2, at(10, 2), "minh")       # served in 2
    work = queue.work(dt.date(2026, 11, 30))
    assert work["counters"] == [{"counter": 1, "served": 1, "no_show": 1, "transferred": 0},
                                {"counter": 2, "served": 1, "no_show": 0, "transferred": 1},
                                {"counter": 3, "served": 1, "no_show": 0, "transferred": 0}]
    assert work["officers"] == [{"officer": "lan", "served": 1, "no_show": 1, "transferred": 0},
                                {"officer": "minh", "served": 2, "no_show": 0, "transferred": 1}]
    hours = {h["hour"]: h for h in work["hours"]}
    assert hours[8] == {"hour": 8, "calls": 2, "wait_p50": 10.0, "wait_p90": 16.0, "served": 1,
                        "service_p50": 6.0, "service_p90": 6.0}
    assert hours[9]["calls"] == 1 and hours[9]["wait_p50"] == 60.0  # a transfer's second call is not a wait
    assert hours[9]["service_p50"] == 12.0 and hours[10]["wait_p50"] == 120.0
    assert work["day"]["calls"] == 4 and work["day"]["wait_p50"] == 16.0 and work["day"]["wait_p90"] == 120.0
    assert work["day"]["served"] == 3 and work["day"]["service_p50"] == 6.0
    assert queue.work(dt.date(2026, 12, 1)) == {"counters": [], "officers": [], "day": {
        "calls": 0, "wait_p50": None, "wait_p90": None, "served": 0, "service_p50": None, "service_p90": None},
        "hours": []}
    store.close()
