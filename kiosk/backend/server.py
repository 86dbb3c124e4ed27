"""The reference central backend: aiohttp.web over one SQLite file."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import gzip
import json
import os
import re
import signal
import socket
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..domain.calendar import TIMEZONE, WorkingCalendar
from ..domain.codes import dossier_code_shape
from ..domain.dossier import Status, Timeliness, timeliness, working_days_left
from ..domain.serial import parse_datetime
from ..domain.text import mask_name
from ..speech import EspeakNg, PhraseCache
from . import admin, counter_page, display, dvcqg_api, queue_api, terminal_api
from .board import BOARD, Boards, poke_after_changes
from .accounts import Accounts
from .database import Database
from .errors import RequestError
from .http import (
    ACCOUNTS, ADMIN_TOKEN, CALENDAR, CITIZEN_DETAIL, CLOCK, LIMITS, MAX_BODY, QUEUE, RATINGS, SITES, STORE,
    TERMINALS, TRUST_FORWARDED, PARSER_LIMIT, Limits, ParserFaults, bearer, json_errors, json_response,
    known_terminal,
)
from .queue import TicketQueue
from .ratings import Ratings
from .sites import Sites
from .store import BackendStore
from .terminals import Terminals
from .upstream import Upstream

if TYPE_CHECKING:
    from ..config import UpstreamSettings

API = "/api/v1"
OPENAPI_FILE = Path(__file__).with_name("openapi.json")
# National procedure codes: 1.001193 or 1.001193.000.00.00.H08; synthetic and imported ones alike.
PROCEDURE_CODE_PATTERN = r"[0-9A-Za-z][0-9A-Za-z._-]{0,63}"
_PROCEDURE_CODE = re.compile(PROCEDURE_CODE_PATTERN + r"\Z")
CATALOGUE = web.AppKey("catalogue", dict)
UPSTREAM = web.AppKey("upstream", Upstream)


@dataclass
class CachedCatalogue:
    version: str
    plain: bytes
    gzipped: bytes | None = None
    """Made when first asked for: a kiosk that takes the plain body does not wait for it."""


async def _cached_catalogue(app: web.Application, version: str, gzipped: bool) -> tuple[str, bytes]:
    """The encoded catalogue's version and body, rebuilt only when its version changes (an import
    may run beside us); a burst of kiosks asking after a change builds it once."""
    cache = app[CATALOGUE]
    async with cache["lock"]:
        entry = cache.get("entry")
        if entry is None or entry.version != version:
            store = app[STORE]
            built, plain = await store.run(lambda: (store.catalogue_version, store.catalogue_json()))
            entry = cache["entry"] = CachedCatalogue(built, plain)
        if not gzipped:
            return entry.version, entry.plain
        if entry.gzipped is None:
            # Some megabytes to compress: off the event loop too, but not on the store's thread.
            entry.gzipped = await asyncio.to_thread(gzip.compress, entry.plain, 6)
        return entry.version, entry.gzipped


def _etag_matches(header: str, version: str) -> bool:
    """Either encoding's tag revalidates: both carry the same catalogue version."""
    candidates = {c.strip().removeprefix("W/") for c in header.split(",")}
    return bool(candidates & {"*", f'"{version}"', f'"{version}-gzip"'})


def _catalogue_headers(version: str, gzipped: bool) -> dict[str, str]:
    # A strong ETag names one sequence of bytes, so the gzip body has a tag of its own.
    etag = f'"{version}-gzip"' if gzipped else f'"{version}"'
    return {"ETag": etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}


async def get_catalogue(request: web.Request) -> web.Response:
    store = request.app[STORE]
    gzipped = "gzip" in request.headers.get("Accept-Encoding", "").lower()
    # The version is one small read: a kiosk that holds it is answered before anything of the
    # catalogue is built or even looked at (after a restart too, when nothing is cached yet).
    version = await store.run(lambda: store.catalogue_version)
    if _etag_matches(request.headers.get("If-None-Match", ""), version):
        return web.Response(status=304, headers=_catalogue_headers(version, gzipped))
    built, body = await _cached_catalogue(request.app, version, gzipped)
    headers = _catalogue_headers(built, gzipped)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return web.Response(body=body, content_type="application/json", charset="utf-8", headers=headers)


async def get_procedure(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    if not _PROCEDURE_CODE.match(code):
        raise RequestError(400, "bad_procedure_code", "This is not a procedure code.")
    store = request.app[STORE]
    data = await store.run(store.procedure_json, code)
    if data is None:
        raise RequestError(404, "procedure_not_found", f"No procedure has the code {code}.")
    return web.Response(text=data, content_type="application/json", charset="utf-8")


def _standing(stored: dict[str, Any], now: dt.datetime, calendar: WorkingCalendar) -> tuple[Timeliness | None, int | None]:
    """The dossier's timeliness now, and its working days left: all of its view that changes with time."""
    due_at = parse_datetime(stored["due_at"])
    standing = timeliness(Status(stored["status"]), due_at, parse_datetime(stored["completed_at"]), now, calendar)
    return standing, working_days_left(due_at, now, calendar) if standing else None


def _view(stored: dict[str, Any], standing: Timeliness | None, days_left: int | None) -> dict[str, Any]:
    view = dict(stored)
    status = Status(stored["status"])
    view["applicant_name"] = mask_name(stored["applicant_name"])
    view["status"] = {"code": int(status), "label_vi": status.label_vi, "label_en": status.label_en}
    view["timeliness"] = standing and {
        "code": standing.value,
        "label_vi": standing.label_vi,
        "label_en": standing.label_en,
        "working_days_left": days_left,
    }
    return view


def dossier_view(stored: dict[str, Any], now: dt.datetime, calendar: WorkingCalendar) -> dict[str, Any]:
    """What a kiosk shows of a stored dossier (Dossier.to_dict() form): the applicant's
    name masked, status and timeliness in words."""
    return _view(stored, *_standing(stored, now, calendar))


# A dossier is looked up again and again (each citizen scans their receipt more than once, the
# counters too): its stored text is parsed, and its answer encoded, once per text and standing.
@functools.lru_cache(maxsize=512)
def _parsed(text: str) -> dict[str, Any]:
    return json.loads(text)


@functools.lru_cache(maxsize=512)
def _encoded_view(text: str, standing: Timeliness | None, days_left: int | None) -> bytes:
    return json.dumps(_view(_parsed(text), standing, days_left), ensure_ascii=False).encode()


async def get_dossier(request: web.Request) -> web.Response:
    token = bearer(request)
    # Shape only: a code with an impossible date is simply one that no dossier has (404).
    code = dossier_code_shape(request.match_info["code"])
    store, terminals = request.app[STORE], request.app[TERMINALS]
    upstream = request.app.get(UPSTREAM)

    def look_up(conn: Database) -> str | None:
        # The token and the dossier, two reads by key, at once; a bad code is told only to a
        # known terminal, as before.
        known_terminal(terminals, token, conn)
        if code is None:
            raise RequestError(400, "bad_dossier_code", "This is not a dossier code. It looks like "
                                                        "000.00.53.H48-220921-0099 or G22.99.08-260921-896048.")
        return None if upstream else store.dossier_text(code, conn)

    text = await store.read(look_up)
    now, calendar = request.app[CLOCK](), request.app[CALENDAR]
    if upstream:
        # With an upstream, a dossier the backend lacks (or kept from there too long) is asked there.
        stored = await upstream.dossier_data(code)
        if stored is None:
            raise RequestError(404, "dossier_not_found", f"No dossier has the code {code}.")
        return json_response(dossier_view(stored, now, calendar))
    if text is None:
        raise RequestError(404, "dossier_not_found", f"No dossier has the code {code}.")
    body = _encoded_view(text, *_standing(_parsed(text), now, calendar))
    return web.Response(body=body, content_type="application/json", charset="utf-8")


async def get_openapi(request: web.Request) -> web.FileResponse:
    return web.FileResponse(OPENAPI_FILE, headers={"Content-Type": "application/json"})


async def get_health(request: web.Request) -> web.Response:
    """The server answers: the event loop runs. The store is not asked, so that a monitor
    is answered at once while a write waits on the store's thread for the database's lock."""
    return json_response({"status": "ok"})


def speech_folder(store: BackendStore) -> Path:
    """Where the spoken phrases are kept: beside an SQLite file (backend.speech/); for PostgreSQL,
    in the user's cache folder (each process of the backend makes the same files there); for a
    database in memory, in a temporary folder that goes with the machine's next clean-up."""
    if store.path is None:
        cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        return Path(cache) / "kiosk-backend" / "speech"
    if store.path.name == ":memory:":
        return Path(tempfile.mkdtemp(prefix="kiosk-speech-"))
    return store.path.with_suffix(".speech")


def make_app(
    store: BackendStore,
    calendar: WorkingCalendar,
    clock: Callable[[], dt.datetime] | None = None,
    admin_token: str = "",
    limits: Limits | None = None,
    trust_forwarded: bool = False,
    upstream: UpstreamSettings | None = None,
    speech: PhraseCache | None = None,
    citizen_detail: str = "qr",
) -> web.Application:
    """`trust_forwarded`: the backend stands behind a reverse proxy that sets X-Forwarded-Proto
    and X-Forwarded-For (for the admin cookie's Secure flag and per-address limits).
    `upstream`: the province's one-stop system, asked for dossiers the backend does not hold.
    `limits`: the ceilings on look-ups, tickets and ratings, and the slow-client deadline.
    `speech`: how the hall displays' calls are spoken, and where the phrases are kept; by default
    espeak-ng, the phrases in a folder beside the database.
    `citizen_detail`: the least proof of a citizen's card answered with their dossiers' codes
    (terminal_api.DETAIL_NEEDS: qr, chip or chip-chain)."""
    app = web.Application(middlewares=[json_errors, poke_after_changes], client_max_size=MAX_BODY)
    app[STORE] = store
    app[CALENDAR] = calendar
    app[CLOCK] = clock or (lambda: dt.datetime.now(TIMEZONE))
    app[CATALOGUE] = {"lock": asyncio.Lock()}
    app[QUEUE] = TicketQueue(store, calendar)
    app[TERMINALS] = Terminals(store)
    app[RATINGS] = Ratings(store)
    app[ADMIN_TOKEN] = admin_token
    app[LIMITS] = limits or Limits()
    app[ACCOUNTS] = Accounts(store)
    app[SITES] = Sites(store)
    app[TRUST_FORWARDED] = trust_forwarded
    app[CITIZEN_DETAIL] = citizen_detail
    if upstream is not None:
        app[UPSTREAM] = Upstream(upstream, store, app[CLOCK])
        app.cleanup_ctx.append(app[UPSTREAM].cleanup_ctx)
    app.router.add_get(f"{API}/catalogue", get_catalogue)
    app.router.add_get(f"{API}/procedures/{{code}}", get_procedure)
    # Not "by-citizen": that address takes a POST of its own, and a GET there is 405, not a lookup.
    app.router.add_get(f"{API}/dossiers/{{code:(?!by-citizen$)[^/]+}}", get_dossier)
    app.router.add_get(f"{API}/openapi.json", get_openapi)
    app.router.add_get(f"{API}/health", get_health)
    app[BOARD] = Boards(store, app[QUEUE], app[CLOCK])
    app.cleanup_ctx.append(app[BOARD].cleanup_ctx)
    queue_api.add_routes(app, API)
    display.add_routes(app, speech or PhraseCache(speech_folder(store), EspeakNg()))
    terminal_api.add_routes(app, API)
    dvcqg_api.add_routes(app, API)
    app.router.add_get(admin.PREFIX, admin.home)
    app.router.add_get("/counter", counter_page.counter_shortcut)
    admin_pages = admin.admin_app()
    counter_page.add_routes(admin_pages)
    app.add_subapp(admin.PREFIX, admin_pages)
    return app


def app_runner(app: web.Application) -> web.AppRunner:
    """How the backend is served, by `kiosk backend`, the demo and the tests alike."""
    # Long hostile request lines and headers reach our middleware (and its JSON 414 or 431)
    # instead of being cut short by the HTTP parser with a plain-text answer.
    # keepalive_timeout also bounds a request's head: aiohttp closes a connection that has not
    # sent a whole head that long after it opened (or after its last answer), however slowly
    # it trickles bytes; the body has its own deadline (http.body_deadline).
    return web.AppRunner(app, handle_signals=False, access_log=None, logger=ParserFaults(),
                         max_line_size=PARSER_LIMIT, max_field_size=PARSER_LIMIT,
                         keepalive_timeout=app[LIMITS].client_seconds)


async def serve(app: web.Application, host: str, port: int, on_ready: Callable[[str], None],
                sock: socket.socket | None = None) -> None:
    """Serve until SIGINT or SIGTERM, then close cleanly; on `sock`, a listening socket that
    several worker processes share (workers.py), instead of `host` and `port`."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner = app_runner(app)
    await runner.setup()
    site = web.SockSite(runner, sock) if sock is not None else web.TCPSite(runner, host, port)
    await site.start()
    sockets = site._server.sockets if site._server else []  # the port actually bound when 0 was asked
    bound = sockets[0].getsockname()[1] if sockets else port
    on_ready(f"http://{host}:{bound}")
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


class BackgroundServer:
    """The backend on a thread of its own, for `kiosk demo`: the kiosk's UI loop never waits
    on it. `make` builds the application inside that thread, where its SQLite file is opened."""

    def __init__(self, make: Callable[[], web.Application], host: str = "127.0.0.1", port: int = 0):
        self._make, self._host, self._port = make, host, port
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self.url = ""
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="backend", daemon=True)

    def start(self, timeout: float = 30.0) -> str:
        self._thread.start()
        if not self._ready.wait(timeout) or self.error:
            raise RuntimeError(f"the embedded backend did not start: {self.error}")
        return self.url

    def stop(self) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        async def main() -> None:
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
            runner = app_runner(self._make())
            await runner.setup()
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
            port = site._server.sockets[0].getsockname()[1] if site._server else self._port
            self.url = f"http://{self._host}:{port}"
            self._ready.set()
            try:
                await self._stop.wait()
            finally:
                await runner.cleanup()

        try:
            asyncio.run(main())
        except BaseException as error:  # reported to the thread that waits in start()
            self.error = error
            self._ready.set()
