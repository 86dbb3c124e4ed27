"""What every handler of the backend shares: app keys, JSON errors, bodies, authentication."""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import json
import logging
import re
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from ..domain.calendar import WorkingCalendar
from ..domain.serial import DataShapeError
from .accounts import Accounts
from .integrations import Integrations
from .errors import RequestError
from .queue import TicketQueue
from .ratings import Ratings
from .store import BackendStore
from .terminals import Terminals

MAX_BODY = 64 * 1024
MAX_PATH = 2048
_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._:-]{1,100}\Z")

log = logging.getLogger("kiosk.backend")

# Lookups are primary-key reads of a few microseconds, so they run on the event loop;
# a thread hop would cost more than the read.
STORE = web.AppKey("store", BackendStore)
CALENDAR = web.AppKey("calendar", WorkingCalendar)
CLOCK = web.AppKey("clock", Callable[[], dt.datetime])
QUEUE = web.AppKey("queue", TicketQueue)
TERMINALS = web.AppKey("terminals", Terminals)
RATINGS = web.AppKey("ratings", Ratings)
ADMIN_TOKEN = web.AppKey("admin_token", str)
CITIZEN_LIMIT = web.AppKey("citizen_limit", "RateLimit")
ENROL_LIMIT = web.AppKey("enrol_limit", "RateLimit")
ACCOUNTS = web.AppKey("accounts", Accounts)
INTEGRATIONS = web.AppKey("integrations", Integrations)
TRUST_FORWARDED = web.AppKey("trust_forwarded", bool)
"""Whether X-Forwarded-Proto and X-Forwarded-For are believed: only behind a reverse proxy
that sets them, since anyone else can send them too."""

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
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise RequestError(413, "body_too_large", f"The body is larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


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


def _bearer(request: web.Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    # Tokens are URL-safe ASCII; other bytes in the header are no token (and no server error).
    if scheme.lower() != "bearer" or not token.strip() or not token.isascii():
        raise RequestError(401, "unauthorized", "This call needs a token: Authorization: Bearer <token>.")
    return token.strip()


def terminal_id(request: web.Request) -> int:
    """The terminal whose token the request carries (401 otherwise)."""
    found = request.app[TERMINALS].authenticate(_bearer(request))
    if found is None:
        raise RequestError(401, "unauthorized", "This terminal token is not valid or was revoked.")
    return found


def terminal_or_admin(request: web.Request) -> int | None:
    """The terminal whose token the request carries, or None for the admin token (401 otherwise)."""
    expected = request.app[ADMIN_TOKEN]
    token = _bearer(request)
    if expected and hmac.compare_digest(token.encode(), expected.encode()):
        return None
    return terminal_id(request)


def require_admin(request: web.Request) -> None:
    expected = request.app[ADMIN_TOKEN]
    token = _bearer(request)
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise RequestError(401, "unauthorized", "This call needs the admin token.")


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


class RateLimit:
    """At most `limit` calls per `period` seconds for each key (a sliding window)."""

    def __init__(self, limit: int, period: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.limit, self.period, self.clock = limit, period, clock
        self.calls: defaultdict[Any, deque[float]] = defaultdict(deque)

    def allow(self, key: Any) -> bool:
        """Count a call, unless `key` has used up its calls."""
        if self.full(key):
            return False
        self.note(key)
        return True

    def full(self, key: Any) -> bool:
        """Whether `key` has used up its calls, without counting one."""
        calls = self.calls[key]
        while calls and calls[0] <= self.clock() - self.period:
            calls.popleft()
        if not calls:
            del self.calls[key]  # keys are client addresses too: keep only the recent ones
            return False
        return len(calls) >= self.limit

    def note(self, key: Any) -> None:
        """Count a call (a failed login, say) whether or not it was allowed."""
        self.calls[key].append(self.clock())
