"""What every handler of the backend shares: app keys, JSON errors, bodies, authentication."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from ..domain.calendar import WorkingCalendar
from ..domain.serial import DataShapeError
from .accounts import Accounts
from .database import Database, DatabaseError, UnstorableText
from .integrations import Integrations
from .errors import RequestError
from .queue import TicketQueue
from .ratings import Ratings
from .sites import SITE_CODE, Sites
from .store import DEFAULT_SITE, BackendStore, LimitCheck, StoreBusy
from .terminals import Terminals

def csp_hash(text: str) -> str:
    """`text`'s hash as a Content-Security-Policy source ('sha256-…'): a page's own inline style or
    script allowed, and nothing else."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


MAX_BODY = 64 * 1024
MAX_PATH = 2048
MAX_HEADER = 8 * 1024
"""The longest header value a handler is given; longer ones get a JSON 431."""
PARSER_LIMIT = 32 * 1024
"""The longest request line or header line the HTTP parser takes. Above MAX_PATH and MAX_HEADER,
so that what lies between is refused by `json_errors` in JSON; past it, aiohttp's parser answers
a plain-text 400 itself and closes (its error page cannot be replaced through its public API)."""
_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._:-]{1,100}\Z")

log = logging.getLogger("kiosk.backend")


class ParserFaults(logging.LoggerAdapter):
    """aiohttp's server logger, given to its request handler (the `logger` argument): a request
    its HTTP parser refuses (a NUL in a header, no Host, a bad chunk size...) is one INFO line,
    as a body cut short is, not an ERROR with a traceback. Anyone can send one; nothing broke.
    The refused bytes are not logged: they may hold anything."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger("aiohttp.server"), {})

    def exception(self, msg: object, *args: Any, exc_info: Any = True, **kwargs: Any) -> None:
        if isinstance(exc_info, HttpProcessingError):
            self.info("refused a malformed HTTP request (%s)", type(exc_info).__name__)
        else:
            super().exception(msg, *args, exc_info=exc_info, **kwargs)

# Handlers touch the store only through `await app[STORE].run(...)`: its own thread, so that a
# write waiting for SQLite's lock does not stop the event loop and every other request with it.
STORE = web.AppKey("store", BackendStore)
CALENDAR = web.AppKey("calendar", WorkingCalendar)
CLOCK = web.AppKey("clock", Callable[[], dt.datetime])
QUEUE = web.AppKey("queue", TicketQueue)
TERMINALS = web.AppKey("terminals", Terminals)
RATINGS = web.AppKey("ratings", Ratings)
ADMIN_TOKEN = web.AppKey("admin_token", str)
LIMITS = web.AppKey("limits", "Limits")
ACCOUNTS = web.AppKey("accounts", Accounts)
INTEGRATIONS = web.AppKey("integrations", Integrations)
SITES = web.AppKey("sites", Sites)
TRUST_FORWARDED = web.AppKey("trust_forwarded", bool)
"""Whether X-Forwarded-Proto and X-Forwarded-For are believed: only behind a reverse proxy
that sets them, since anyone else can send them too."""
CITIZEN_DETAIL = web.AppKey("citizen_detail", str)
"""The least proof of a citizen's card answered with their dossiers' codes ([backend]
citizen_detail_needs; terminal_api.DETAIL_NEEDS)."""

T = TypeVar("T")


def error_response(status: int, code: str, message: str) -> web.Response:
    response = web.json_response({"error": {"code": code, "message": message}}, status=status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="kiosk"'
    return response


_ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 413: "body_too_large", 414: "uri_too_long"}


@web.middleware
async def json_errors(request: web.Request, handler: Callable) -> web.StreamResponse:
    """Every error leaves as JSON `{"error": {"code", "message"}}`, never as a traceback."""
    if len(request.raw_path) > MAX_PATH:
        return error_response(414, "uri_too_long", f"The address is longer than {MAX_PATH} characters.")
    if any(len(value) > MAX_HEADER for value in request.headers.values()):
        return error_response(431, "header_too_large", f"A header is longer than {MAX_HEADER} characters.")
    # A handler may take more than MAX_BODY (a batch of dossiers): it says so in `body_limit`.
    limit = getattr(request.match_info.handler, "body_limit", MAX_BODY)
    if (request.content_length or 0) > limit:
        return error_response(413, "body_too_large", f"The body is larger than {limit} bytes.")
    try:
        return await handler(request)
    except RequestError as error:
        response = error_response(error.status, error.code, error.message)
        if error.status == 429:
            response.headers["Retry-After"] = "60"
        if error.status == 408:
            response.force_close()  # what is left of the slow body is not read
        return response
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = error_response(exc.status, _ERROR_CODES.get(exc.status, "http_error"), exc.reason)
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except asyncio.CancelledError:
        raise
    except DatabaseError as error:
        # PostgreSQL is down or failing over: not the request's fault; the next one reconnects.
        log.warning("%s %s: the database could not be reached (%s); answered 503", request.method, request.path, error)
        response = error_response(503, "database_unavailable", "The database cannot be reached; try again in a moment.")
        response.headers["Retry-After"] = "5"
        return response
    except UnstorableText:
        # A NUL in a path or a header that reached a query: PostgreSQL refuses it before it runs.
        return error_response(400, "bad_text", "The request holds a NUL character.")
    except StoreBusy:
        # Not the request's fault, nor a bug: another connection held the database too long.
        log.warning("%s %s: the database stayed locked; answered 503", request.method, request.path)
        response = error_response(503, "busy", "The database is busy; try again in a moment.")
        response.headers["Retry-After"] = "5"
        return response
    except (ConnectionResetError, HttpProcessingError) as error:
        # The client went away, or broke off its body, half-way: anyone can cause it, so it is
        # one line for the operator, not a traceback to learn to ignore.
        log.info("%s %s: the body was cut short (%s)", request.method, request.path, type(error).__name__)
        return error_response(400, "body_cut_short", "The body ended before it was whole.")
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, "internal", "Something went wrong on the server.")


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False))


async def read_body(request: web.Request, limit: int = MAX_BODY) -> bytes:
    """The body, decompressed, and never more than `limit` bytes of it kept (a chunked body
    has no length to refuse it by beforehand)."""
    if (request.content_length or 0) > limit:
        raise RequestError(413, "body_too_large", f"The body is larger than {limit} bytes.")
    if request.content.is_eof():
        # The whole body came in with the head, as a kiosk's small JSON does: nothing to wait
        # for, so no deadline to keep (what the parser holds is bounded by its buffer).
        body = request.content.read_nowait(-1)
        if len(body) > limit:
            raise RequestError(413, "body_too_large", f"The body is larger than {limit} bytes.")
        return body
    chunks, size = [], 0
    async with body_deadline(request):
        async for chunk in request.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise RequestError(413, "body_too_large", f"The body is larger than {limit} bytes.")
            chunks.append(chunk)
    return b"".join(chunks)


@contextlib.asynccontextmanager
async def body_deadline(request: web.Request) -> AsyncIterator[None]:
    """A body must come within Limits.client_seconds: a client that sends a byte a second would
    otherwise hold a connection (and its handler) as long as it likes. 408, and the connection closed."""
    seconds = request.config_dict.get(LIMITS, LIMITS_DEFAULT).client_seconds
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        raise RequestError(408, "body_too_slow", f"The body did not come within {seconds:g} seconds.") from None


def check_unicode(data: Any) -> None:
    """400 for text that is not Unicode: JSON may escape half a character (a lone surrogate),
    which no database, page or log can hold. Checked once, where a body comes in."""
    try:
        json.dumps(data, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise RequestError(400, "bad_text", "The body holds text that is not Unicode (a lone surrogate).") from None


async def read_json(request: web.Request, kind: type[T]) -> T:
    """The body as a `kind` dataclass, or a 400 that says what is wrong with it."""
    raw = await read_body(request)
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        raise RequestError(400, "bad_json", "The body is not JSON.") from None
    check_unicode(data)
    if not isinstance(data, dict):
        raise RequestError(400, "bad_json", "The body must be a JSON object.")
    try:
        value = kind.from_dict(data)  # type: ignore[attr-defined]
    except DataShapeError as error:
        raise RequestError(400, "bad_request", f"The body does not fit: {error}") from None
    problems = value.problems() if hasattr(value, "problems") else []
    if problems:
        raise RequestError(400, "bad_request", "; ".join(problems))
    return value


def idempotency_key(request: web.Request, required: bool) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        if required:
            raise RequestError(400, "idempotency_key_required", "An Idempotency-Key header is required.")
        return None
    if not _IDEMPOTENCY_KEY.match(key):
        raise RequestError(400, "bad_idempotency_key", "An Idempotency-Key is 1 to 100 of A-Z a-z 0-9 . _ : -")
    return key


def bearer(request: web.Request) -> str:
    """The request's bearer token (401 without one); whose it is, is not looked at here."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    # Tokens are URL-safe ASCII; other bytes in the header are no token (and no server error).
    if scheme.lower() != "bearer" or not token.strip() or not token.isascii():
        raise RequestError(401, "unauthorized", "This call needs a token: Authorization: Bearer <token>.")
    return token.strip()


def known_terminal(terminals: Terminals, token: str, conn: Database | None = None) -> tuple[int, str]:
    """The live terminal holding `token` and its site (401 otherwise), read through `conn`
    (BackendStore.read) or on the store's thread."""
    found = terminals.authenticate(token, conn)
    if found is None:
        raise RequestError(401, "unauthorized", "This terminal token is not valid or was revoked.")
    return found


async def terminal_and_site(request: web.Request) -> tuple[int, str]:
    """The terminal whose token the request carries (401 otherwise), and the site it serves."""
    terminals, token = request.app[TERMINALS], bearer(request)
    return await request.app[STORE].read(lambda conn: known_terminal(terminals, token, conn))


async def terminal_id(request: web.Request) -> int:
    """The terminal whose token the request carries (401 otherwise)."""
    return (await terminal_and_site(request))[0]


async def terminal_or_admin(request: web.Request) -> int | None:
    """The terminal whose token the request carries, or None for the admin token (401 otherwise)."""
    expected = request.app[ADMIN_TOKEN]
    token = bearer(request)
    if expected and hmac.compare_digest(token.encode(), expected.encode()):
        return None
    return await terminal_id(request)


def require_admin(request: web.Request) -> None:
    expected = request.app[ADMIN_TOKEN]
    token = bearer(request)
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise RequestError(401, "unauthorized", "This call needs the admin token.")


async def known_site(request: web.Request, code: str) -> str:
    """`code` if a site has it (404 otherwise)."""
    app = request.config_dict
    if not (isinstance(code, str) and SITE_CODE.match(code)) or await app[STORE].run(app[SITES].get, code) is None:
        raise RequestError(404, "site_not_found", f"No site is called {str(code)[:40]!r} here.")
    return code


async def requested_site(request: web.Request) -> str:
    """The site a call names in ?site= (the site "main" without it): for the admin token's calls,
    which may act at any site, and the public pages of a site."""
    return await known_site(request, request.query.get("site", DEFAULT_SITE))


def path_int(request: web.Request, name: str) -> int:
    text = request.match_info[name]
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise RequestError(400, "bad_request", f"{name} must be a whole number.")
    return int(text)


def client_address(request: web.Request) -> str:
    """Who is calling: the peer, or behind a trusted proxy the address the proxy saw."""
    if request.config_dict.get(TRUST_FORWARDED):
        forwarded = request.headers.get("X-Forwarded-For", "").rsplit(",", 1)[-1].strip()
        if forwarded:
            return forwarded[:64]
    return request.remote or "unknown"


def is_https(request: web.Request) -> bool:
    if request.config_dict.get(TRUST_FORWARDED):
        return request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower() == "https"
    return request.secure


@dataclass(frozen=True)
class Limits:
    """The backend's ceilings, from [backend] in kiosk.ini (config.backend_limits). Counted in the
    database (BackendStore.take_limits): they hold for requests in flight together, for several
    processes on one file, and across a restart."""

    citizen_lookups_per_minute: int = 10
    """Per terminal: a citizen reads their card once or twice."""
    citizen_lookups_per_minute_site: int = 60
    """All terminals of a site together: a stolen token or ten cannot harvest ID numbers faster than
    this (per site, so that a province's busy communes do not share one ceiling)."""
    citizen_lookups_per_minute_all: int = 600
    """All sites together: tokens stolen at many communes cannot harvest a province's dossiers
    faster than this either."""
    tickets_per_minute: int = 15
    tickets_per_hour: int = 400
    """Per terminal: at peak a kiosk issues a ticket every 10 s or so (6 a minute, 360 an hour)."""
    ratings_per_minute: int = 30
    ratings_per_hour: int = 600
    """Per terminal: one per citizen served, and a day's outbox sent after a cut (it waits on a 429)."""
    client_seconds: float = 30.0
    """How long a client may take to send a request's head, and then its body: a slow one is cut off.
    Also how long an idle connection is kept: above the kiosk client's own 15 s (aiohttp's
    default), so that the server never closes a connection the kiosk is about to reuse."""

    def problems(self) -> list[str]:
        found = [f"{name} must be 1 or more" for name, value in vars(self).items() if value < 1]
        return found


LIMITS_DEFAULT = Limits()


async def take_limits(request: web.Request, checks: list[LimitCheck], code: str, message: str) -> None:
    """Count this request against `checks` at once (one transaction), or refuse it with a 429
    that says `message` and counts nothing."""
    app = request.config_dict
    full = await app[STORE].run(app[STORE].take_limits, checks, app[CLOCK]().timestamp())
    if full is not None:
        raise RequestError(429, code, message)
