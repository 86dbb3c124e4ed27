"""The queue's event stream (/display/events, /t/{id}/events) on a real server on 127.0.0.1: the
first board at once, each change once, Last-Event-ID honoured, a change made by another process
seen, streams ended at shutdown rather than waited for, and a ceiling on streams open at once;
the spoken call as real audio, and clear refusals."""

import asyncio
import contextlib
import io
import json
import time
import uuid
import wave

import aiohttp
import pytest
from aiohttp import web

from kiosk.backend import board as board_module
from kiosk.backend.queue import TicketQueue
from kiosk.backend.server import app_runner, make_app, speech_folder
from kiosk.config import load_config, working_calendar
from kiosk.domain.calendar import WorkingCalendar, now
from support import ADMIN_TOKEN, add_sites, prepare_site
import stores
from stores import new_store

pytestmark = pytest.mark.both_stores


@contextlib.asynccontextmanager
async def serving(db):
    store = new_store(db)
    runner = app_runner(make_app(store, WorkingCalendar(), admin_token=ADMIN_TOKEN))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
            yield session, runner
    finally:
        await runner.cleanup()
        store.close()


async def events(reply, count):
    """The next `count` events of a stream: (id, data)."""
    found, event = [], None
    async for line in reply.content:
        if line.startswith(b"id: "):
            event = int(line[4:])
        elif line.startswith(b"data: "):
            found.append((event, json.loads(line[6:])))
            if len(found) == count:
                return found
    return found


async def the_call(reply, number):
    """The stream's next board that shows `number` called (the ticket's issue, announced at
    once on PostgreSQL, may come first as a board of its own): (id, board)."""
    while True:
        [(event, board)] = await events(reply, 1)
        if board["calls"] and board["calls"][0]["display"] == number:
            return event, board


def another_process_calls(db, counter):
    """A change made beside the server (another process would do the same): a ticket, then its call."""
    store = new_store(db)
    try:
        queue = TicketQueue(store, working_calendar(load_config()))
        ticket, _ = queue.issue("B", None, 1, uuid.uuid4().hex, now())
        queue.call_next(counter, now(), "elsewhere")
        return ticket["display"]
    finally:
        store.close()


def test_the_stream_sends_the_board_then_each_change(tmp_path):
    db, _, token = prepare_site(tmp_path)

    async def run():
        async with serving(db) as (session, _):
            async with session.get("/display/events?site=main") as reply:
                assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/event-stream")
                assert reply.headers["Cache-Control"] == "no-store"
                [(first, board)] = await events(reply, 1)
                assert board["calls"] == [] and "Hôm nay chưa gọi số nào" in board["html"]
                number = await asyncio.to_thread(another_process_calls, db, 3)
                second, board = await asyncio.wait_for(the_call(reply, number), 10)
                assert second > first and f'id="latest-number">{number}<' in board["html"]
            # A display that reconnects with the last event it had is not sent it again.
            async with session.get("/display/events", headers={"Last-Event-ID": str(second)}) as reply:
                number = await asyncio.to_thread(another_process_calls, db, 4)
                third, board = await asyncio.wait_for(the_call(reply, number), 10)
                assert third > second
            refused = await session.get("/display/events?site=other")
            assert refused.status == 404

    asyncio.run(run())


def test_on_postgresql_another_process_s_change_is_heard_not_polled_for(tmp_path, monkeypatch):
    """PostgreSQL announces each change of the queue (NOTIFY) to every backend process: with the
    poll put off for ten minutes, a call made by another process still reaches the display. SQLite
    has no such announcement: there the poll finds it (not within the second waited here)."""
    db, _, _ = prepare_site(tmp_path)
    monkeypatch.setattr(board_module, "POLL_SECONDS", 600.0)

    async def run():
        async with serving(db) as (session, _):
            async with session.get("/display/events") as reply:
                [(first, _board)] = await events(reply, 1)
                await asyncio.sleep(0.5)  # the watcher is waiting on its (now long) poll
                number = await asyncio.to_thread(another_process_calls, db, 3)
                if stores.KIND == "sqlite":
                    with pytest.raises(asyncio.TimeoutError):
                        await asyncio.wait_for(events(reply, 1), 1)
                    return
                second, _board = await asyncio.wait_for(the_call(reply, number), 10)
                assert second > first

    asyncio.run(run())


def test_streams_end_at_shutdown_and_are_bounded(tmp_path, monkeypatch):
    db, _, _ = prepare_site(tmp_path)
    monkeypatch.setattr(board_module, "MAX_LISTENERS", 3)

    async def run():
        async with serving(db) as (session, runner):
            open_streams = [await session.get("/display/events") for _ in range(3)]
            for reply in open_streams:
                assert reply.status == 200
                await events(reply, 1)
            over = await session.get("/display/events")
            assert over.status == 503
            started = time.monotonic()
            await runner.cleanup()  # what SIGTERM does: the streams end, they are not waited for
            assert time.monotonic() - started < board_module.KEEPALIVE_SECONDS
            for reply in open_streams:
                assert b"data:" not in await asyncio.wait_for(reply.content.read(), 5)  # it ended
                reply.close()

    asyncio.run(run())


def test_the_ticket_stream_sends_only_its_own_changes(tmp_path):
    db, _, token = prepare_site(tmp_path)

    async def run():
        async with serving(db) as (session, _):
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
            async with session.post("/api/v1/queue/tickets", json={"service": "E"}, headers=headers) as reply:
                ticket = await reply.json()
            async with session.get(f"/t/{ticket['id']}/events") as reply:
                [(_, state)] = await events(reply, 1)
                assert state["status"] == "waiting" and ticket["display"] not in json.dumps(state)
                admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
                async with session.post("/api/v1/queue/counters/8/call-next", headers=admin) as called:
                    assert (await called.json())["ticket"]["id"] == ticket["id"]
                [(_, state)] = await asyncio.wait_for(events(reply, 1), 10)
                assert state["status"] == "called" and "Quầy 8" in state["vi"] and "counter 8" in state["en"]
            bad = await session.get("/t/not-a-ticket!/events")
            assert bad.status == 400

    asyncio.run(run())


@pytest.mark.parametrize("counter", [3, 12])
def test_a_calls_audio_is_real_speech_after_a_chime(tmp_path, counter):
    db, _, _ = prepare_site(tmp_path)
    store = new_store(db)
    queue = TicketQueue(store, working_calendar(load_config()))
    config = queue.config()
    if counter not in {c.number for c in config.counters}:  # a two-digit counter: "quầy số mười hai"
        config.counters.append(type(config.counters[0])(counter, "Quầy 12", ["B"]))
        queue.configure(config)
    queue.issue("B", None, 1, "k", now())
    queue.call_next(counter, now())
    event = queue.last_event()
    store.close()

    async def run():
        async with serving(db) as (session, _):
            async with session.get(f"/display/audio/{event}") as reply:
                assert reply.status == 200 and reply.headers["Content-Type"] == "audio/wav"
                body = await reply.read()
            for missing in ("1", "999999", "x", "-1"):  # 1: the ticket's issue, not a call
                async with session.get(f"/display/audio/{missing}") as reply:
                    assert reply.status == 404 and (await reply.json())["error"]["code"] == "call_not_found"
            return body

    body = asyncio.run(run())
    with wave.open(io.BytesIO(body)) as sound:
        rate, frames = sound.getframerate(), sound.readframes(sound.getnframes())
    samples = memoryview(frames).cast("h")
    seconds = len(samples) / rate
    assert 3.0 < seconds < 10.0  # a chime (0.8 s) and "Mời công dân có số bê, một, đến quầy số ..."
    chime = samples[: int(rate * 0.8)]
    speech = samples[int(rate * 1.0):]
    for part in (chime, speech):
        rms = (sum(s * s for s in part) / len(part)) ** 0.5
        assert rms > 500, "not silence"
    if stores.KIND == "sqlite":
        assert (tmp_path / "backend.speech").is_dir()  # kept beside the database, per phrase
    else:
        opened = new_store(db, open_keys=False)
        assert speech_folder(opened).is_dir()  # in the user's cache folder
        opened.close()


def test_many_sites_displays_cost_one_poll_and_only_the_changed_site_is_read(tmp_path, monkeypatch):
    """Twenty sites with a display each: a call at one site reads that site's board again and no
    other, and the watch reads one newest-change id for all of them, not twenty."""
    db, _, _ = prepare_site(tmp_path)
    codes = add_sites(db, 20)
    reads: dict[str, int] = {}
    polls: list[int] = []
    site_polls: list[str] = []
    board_of, newest, last = TicketQueue.board, TicketQueue.newest_event, TicketQueue.last_event
    monkeypatch.setattr(TicketQueue, "board", lambda self, *a: reads.update({self.site: reads.get(self.site, 0) + 1})
                        or board_of(self, *a))
    monkeypatch.setattr(TicketQueue, "newest_event", lambda self: polls.append(1) or newest(self))
    monkeypatch.setattr(TicketQueue, "last_event", lambda self: site_polls.append(self.site) or last(self))

    async def run():
        async with serving(db) as (session, _runner):
            streams = {code: await session.get(f"/display/events?site={code}") for code in codes}
            for reply in streams.values():
                await events(reply, 1)
            before = dict(reads)
            polls.clear()
            site_polls.clear()
            await asyncio.sleep(1.0)  # a second of watching, nothing changing
            quiet_polls, quiet_site_polls = len(polls), len(site_polls)
            display = await asyncio.to_thread(_call_at, db, codes[7])
            event, board = await asyncio.wait_for(the_call(streams[codes[7]], display), 10)
            await asyncio.sleep(0.5)
            changed = {code for code in codes if reads.get(code, 0) != before.get(code, 0)}
            for reply in streams.values():
                reply.close()
            return quiet_polls, quiet_site_polls, changed

    quiet_polls, quiet_site_polls, changed = asyncio.run(run())
    assert changed == {codes[7]}
    assert 1 <= quiet_polls <= 10 and quiet_site_polls == 0  # about five a second for all twenty sites together


def _call_at(db, site):
    store = new_store(db)
    try:
        queue = TicketQueue(store, working_calendar(load_config()), site)
        ticket, _ = queue.issue("A", None, 1, uuid.uuid4().hex, now())
        queue.call_next(1, now(), "elsewhere")
        return ticket["display"]
    finally:
        store.close()


def test_one_site_cannot_take_every_stream(tmp_path, monkeypatch):
    db, _, _ = prepare_site(tmp_path)
    [other] = add_sites(db, 1)
    monkeypatch.setattr(board_module, "MAX_LISTENERS_PER_SITE", 2)

    async def run():
        async with serving(db) as (session, _runner):
            mine = [await session.get("/display/events?site=main") for _ in range(2)]
            for reply in mine:
                assert reply.status == 200
                await events(reply, 1)
            assert (await session.get("/display/events?site=main")).status == 503
            theirs = await session.get(f"/display/events?site={other}")
            assert theirs.status == 200 and (await events(theirs, 1))[0][1]["calls"] == []
            for reply in [*mine, theirs]:
                reply.close()

    asyncio.run(run())
