"""The reference central backend: aiohttp.web over one SQLite file."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import json
import logging
import re
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from ..domain.calendar import TIMEZONE, WorkingCalendar
from ..domain.codes import dossier_code_shape
from ..domain.dossier import Status, timeliness, working_days_left
from ..domain.text import mask_name
from .store import BackendStore

API = "/api/v1"
MAX_BODY = 64 * 1024
MAX_PATH = 2048
OPENAPI_FILE = Path(__file__).with_name("openapi.json")
# National procedure codes: 1.001193 or 1.001193.000.00.00.H08; synthetic and imported ones alike.
PROCEDURE_CODE_PATTERN = r"[0-9A-Za-z][0-9A-Za-z._-]{0,63}"
_PROCEDURE_CODE = re.compile(PROCEDURE_CODE_PATTERN + r"\Z")

log = logging.getLogger("kiosk.backend")

# Lookups are primary-key reads of a few microseconds, so they run on the event loop;
# a thread hop would cost more than the read.
STORE = web.AppKey("store", BackendStore)
CALENDAR = web.AppKey("calendar", WorkingCalendar)
CLOCK = web.AppKey("clock", Callable[[], dt.datetime])
CATALOGUE = web.AppKey("catalogue", dict)


def error_response(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


_ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 413: "body_too_large", 414: "uri_too_long"}


@web.middleware
async def json_errors(request: web.Request, handler: Callable) -> web.StreamResponse:
    """Every error leaves as JSON `{"error": {"code", "message"}}`, never as a traceback."""
    if len(request.raw_path) > MAX_PATH:
        return error_response(414, "uri_too_long", f"The address is longer than {MAX_PATH} characters.")
    if (request.content_length or 0) > MAX_BODY:
        return error_response(413, "body_too_large", f"The body is larger than {MAX_BODY} bytes.")
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = error_response(exc.status, _ERROR_CODES.get(exc.status, "http_error"), exc.reason)
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, "internal", "Something went wrong on the server.")


@dataclass(frozen=True)
class CachedCatalogue:
    version: str
    plain: bytes
    gzipped: bytes


def _cached_catalogue(app: web.Application) -> CachedCatalogue:
    """The encoded catalogue, rebuilt only when its version changes (an import may run beside us)."""
    store = app[STORE]
    version = store.catalogue_version
    cache = app[CATALOGUE]
    if cache.get("entry") is None or cache["entry"].version != version:
        plain = store.catalogue_json()
        cache["entry"] = CachedCatalogue(version, plain, gzip.compress(plain, 6))
    return cache["entry"]


def _etag_matches(header: str, version: str) -> bool:
    """Either encoding's tag revalidates: both carry the same catalogue version."""
    candidates = {c.strip().removeprefix("W/") for c in header.split(",")}
    return bool(candidates & {"*", f'"{version}"', f'"{version}-gzip"'})


async def get_catalogue(request: web.Request) -> web.Response:
    entry = _cached_catalogue(request.app)
    gzipped = "gzip" in request.headers.get("Accept-Encoding", "").lower()
    # A strong ETag names one sequence of bytes, so the gzip body has a tag of its own.
    etag = f'"{entry.version}-gzip"' if gzipped else f'"{entry.version}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if _etag_matches(request.headers.get("If-None-Match", ""), entry.version):
        return web.Response(status=304, headers=headers)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    body = entry.gzipped if gzipped else entry.plain
    return web.Response(body=body, content_type="application/json", charset="utf-8", headers=headers)


async def get_procedure(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    if not _PROCEDURE_CODE.match(code):
        return error_response(400, "bad_procedure_code", "This is not a procedure code.")
    data = request.app[STORE].procedure_json(code)
    if data is None:
        return error_response(404, "procedure_not_found", f"No procedure has the code {code}.")
    return web.Response(text=data, content_type="application/json", charset="utf-8")


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def dossier_view(stored: dict[str, Any], now: dt.datetime, calendar: WorkingCalendar) -> dict[str, Any]:
    """What a kiosk shows of a stored dossier (Dossier.to_dict() form): the applicant's
    name masked, status and timeliness in words."""
    view = dict(stored)
    status = Status(stored["status"])
    due_at = _time(stored["due_at"])
    standing = timeliness(status, due_at, _time(stored["completed_at"]), now, calendar)
    view["applicant_name"] = mask_name(stored["applicant_name"])
    view["status"] = {"code": int(status), "label_vi": status.label_vi, "label_en": status.label_en}
    view["timeliness"] = standing and {
        "code": standing.value,
        "label_vi": standing.label_vi,
        "label_en": standing.label_en,
        "working_days_left": working_days_left(due_at, now, calendar),
    }
    return view


async def get_dossier(request: web.Request) -> web.Response:
    # Shape only: a code with an impossible date is simply one that no dossier has (404).
    code = dossier_code_shape(request.match_info["code"])
    if code is None:
        return error_response(
            400, "bad_dossier_code",
            "This is not a dossier code. It looks like 000.00.53.H48-220921-0099.",
        )
    stored = request.app[STORE].dossier_data(code)
    if stored is None:
        return error_response(404, "dossier_not_found", f"No dossier has the code {code}.")
    view = dossier_view(stored, request.app[CLOCK](), request.app[CALENDAR])
    return web.json_response(view, dumps=lambda v: json.dumps(v, ensure_ascii=False))


async def get_openapi(request: web.Request) -> web.FileResponse:
    return web.FileResponse(OPENAPI_FILE, headers={"Content-Type": "application/json"})


def make_app(
    store: BackendStore,
    calendar: WorkingCalendar,
    clock: Callable[[], dt.datetime] | None = None,
) -> web.Application:
    app = web.Application(middlewares=[json_errors], client_max_size=MAX_BODY)
    app[STORE] = store
    app[CALENDAR] = calendar
    app[CLOCK] = clock or (lambda: dt.datetime.now(TIMEZONE))
    app[CATALOGUE] = {}
    app.router.add_get(f"{API}/catalogue", get_catalogue)
    app.router.add_get(f"{API}/procedures/{{code}}", get_procedure)
    app.router.add_get(f"{API}/dossiers/{{code}}", get_dossier)
    app.router.add_get(f"{API}/openapi.json", get_openapi)
    return app


async def serve(app: web.Application, host: str, port: int, on_ready: Callable[[str], None]) -> None:
    """Serve until SIGINT or SIGTERM, then close cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # Long hostile request lines reach our middleware (and its JSON 414) instead of
    # being cut short by the HTTP parser with a plain-text answer.
    runner = web.AppRunner(app, handle_signals=False, access_log=None,
                           max_line_size=16 * 1024, max_field_size=16 * 1024)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    sockets = site._server.sockets if site._server else []  # the port actually bound when 0 was asked
    bound = sockets[0].getsockname()[1] if sockets else port
    on_ready(f"http://{host}:{bound}")
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
