"""The queue's changes as they happen, for every page that follows them: the hall displays, the
counter pages and the citizens' ticket pages (Server-Sent Events).

Each site has its board. One task reads the newest change's id of every site at once
(queue_events) a few times a second while anyone listens, and only then: a change made by any
other process on the same database (another backend process, a command) is seen that soon. A
change made through this process pokes it (`poke_after_changes`, after every POST): seen at once.
On PostgreSQL, every change is also announced (NOTIFY kiosk_queue) and heard by each process's
listener, which pokes it: seen at once in every process. When it moves, the boards of the sites
it moved for are read once and the same bytes go to every display of the site, however many:
50 displays cost one query, not 50, and 200 sites' displays one poll, not 200."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web

from .database import listen
from .errors import RequestError
from .queue import QUEUE_CHANNEL, TicketQueue
from .store import BackendStore

POLL_SECONDS = 0.2
"""How often the newest change's id is read while pages listen: a display shows a call within this
and the page's own drawing, well inside a second."""
KEEPALIVE_SECONDS = 15.0
"""A comment line this often on a quiet stream, so that a proxy or a NAT does not drop it and a
display whose network went away finds out."""
MAX_LISTENERS = 1000
"""Streams open at once in a process; past it a new one is refused (503) rather than the server
running out of sockets: a centre has a few displays and counters, and the phones of those waiting."""
MAX_LISTENERS_PER_SITE = 250
"""Streams of one site at once: a site's pages (or anyone opening its display a thousand times)
cannot take every stream of the process from the others."""
RETRY_MS = 1000
"""What a page's EventSource waits before it connects again after the stream broke."""


class Boards:
    """Every site's board, each made when a page of that site first follows it, and the one task
    that watches for changes for all of them: a few times a second while anyone listens, it reads
    the newest change of every site at once (one query, however many sites), and only when that
    moved, which sites it moved for; only their boards are read again. On PostgreSQL a listener
    thread hears every process's changes (NOTIFY) and pokes it."""

    def __init__(self, store: BackendStore, queue: TicketQueue, clock: Callable[[], dt.datetime]):
        self.store, self.queue, self.clock = store, queue, clock
        self.boards: dict[str, Board] = {}
        self.closing = False
        self.newest = -1
        """The newest change of any site seen; -1 before the first read."""
        self._wanted = asyncio.Event()
        self._poked = asyncio.Event()

    def of(self, site: str) -> Board:
        """The board of `site` (which the caller has checked exists)."""
        if site not in self.boards:
            self.boards[site] = Board(self.store, self.queue.at(site), self.clock, self)
        return self.boards[site]

    @property
    def listeners(self) -> int:
        return sum(board.listeners for board in self.boards.values())

    def poke(self) -> None:
        """The queue may have changed here: look now rather than at the next poll."""
        self._poked.set()

    def want(self) -> None:
        """A page listens: watch."""
        self._wanted.set()

    async def cleanup_ctx(self, app: web.Application) -> AsyncIterator[None]:
        watch = asyncio.create_task(self._watch())
        app.on_shutdown.append(self._close)
        stopping, listener = threading.Event(), None
        if self.store.postgres:  # every process's changes heard at once, not at the next poll
            listener = threading.Thread(target=listen, name="board-listen", daemon=True,
                                        args=(self.store.url, QUEUE_CHANNEL, self._poke_from(asyncio.get_running_loop()),
                                              stopping))
            listener.start()
        try:
            yield
        finally:
            stopping.set()
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
            if listener is not None:
                await asyncio.to_thread(listener.join, 5)

    def _poke_from(self, loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
        """`poke`, called from the listener's thread."""
        def poke() -> None:
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(self.poke)
        return poke

    async def _close(self, _app: web.Application) -> None:
        """Ends every stream at shutdown, so that the server does not wait for them to time out."""
        self.closing = True
        for board in self.boards.values():
            async with board._changed:
                board._changed.notify_all()

    async def _watch(self) -> None:
        while True:
            await self._wanted.wait()
            try:
                await self.refresh()
            except Exception:  # a busy or broken database: the displays keep what they have, and retry
                pass
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._poked.wait(), POLL_SECONDS)
            self._poked.clear()
            if self.listeners == 0:
                self._wanted.clear()

    async def refresh(self) -> None:
        """The boards that pages follow, read again where the queue has changed (or the day has: a
        new day's board is empty)."""
        watched = [board for board in self.boards.values() if board.listeners]
        last = await self.store.run(self.queue.newest_event)
        if last != self.newest:
            changed = await self.store.run(self.queue.sites_changed_since, self.newest) if self.newest >= 0 else None
            for board in watched:
                if changed is None or board.queue.site in changed:
                    await board.refresh()
            self.newest = last
        day = self.clock().date().isoformat()
        for board in watched:
            if board.day != day:
                await board.refresh()


class Board:
    """A site's newest board (TicketQueue.board) and the pages waiting for the next one."""

    def __init__(self, store: BackendStore, queue: TicketQueue, clock: Callable[[], dt.datetime], family: Boards):
        self.store, self.queue, self.clock = store, queue, clock
        self.family = family
        self.event = -1
        """The site's newest change seen; -1 before the first read."""
        self.state: dict[str, Any] = {}
        self.listeners = 0
        self.day = ""
        self._changed = asyncio.Condition()

    @property
    def closing(self) -> bool:
        return self.family.closing

    async def refresh(self) -> None:
        """Reads the board again if the site's queue has changed (or the day has)."""
        now = self.clock()
        day = now.date().isoformat()
        last = await self.store.run(self.queue.last_event)
        if last == self.event and day == self.day:
            return
        self.state = await self.store.run(self.queue.board, now)
        self.event, self.day = last, day
        async with self._changed:
            self._changed.notify_all()

    async def changes(self, seen: int) -> AsyncIterator[dict[str, Any]]:
        """The board now, then each time it changes, until the server closes; `seen`: the event a
        page already shows (its Last-Event-ID), which it is not sent again."""
        self.listeners += 1
        self.family.want()
        try:
            if self.listeners == 1:  # nobody followed it a moment ago: it may be behind
                await self.refresh()
            while not self.closing:
                if self.event != seen:
                    seen = self.event
                    yield self.state
                    continue
                async with self._changed:  # looked at under the lock: a change cannot slip in between
                    if self.event == seen and not self.closing:
                        with contextlib.suppress(asyncio.TimeoutError):
                            await asyncio.wait_for(self._changed.wait(), KEEPALIVE_SECONDS)
                if self.event == seen and not self.closing:
                    yield {}  # nothing new: a keep-alive
        finally:
            self.listeners -= 1


async def event_stream(request: web.Request, board: Board,
                       message: Callable[[dict[str, Any]], Awaitable[Any]]) -> web.StreamResponse:
    """Server-Sent Events: `message(state)` of each of a site's boards (as JSON; None sends
    nothing), a comment line when nothing changed for a while. Ends quietly when the page goes away."""
    if board.listeners >= MAX_LISTENERS_PER_SITE or board.family.listeners >= MAX_LISTENERS:  # before the answer starts: then it can still be a refusal
        raise RequestError(503, "too_many_streams", "Too many pages follow the queue right now; try again soon.")
    last = request.headers.get("Last-Event-ID", "")
    seen = int(last) if last.isascii() and last.isdigit() and len(last) < 16 else -1
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store",
        "X-Accel-Buffering": "no",  # nginx: pass each event on at once
    })
    await response.prepare(request)
    try:
        await response.write(f"retry: {RETRY_MS}\n\n".encode())
        async for state in board.changes(seen):
            if not state:
                await response.write(b": keep-alive\n\n")
                continue
            data = await message(state)
            if data is not None:
                text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
                await response.write(f"id: {state['event']}\ndata: {text}\n\n".encode())
    except ConnectionError:
        pass  # the page went away
    return response


BOARD = web.AppKey("board", Boards)


@web.middleware
async def poke_after_changes(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                             ) -> web.StreamResponse:
    """After any POST (a ticket, a call, a transfer...), the board looks at once."""
    try:
        return await handler(request)
    finally:
        if request.method == "POST":
            request.config_dict[BOARD].poke()  # the main application's, for /admin's forms too
