"""Attack class: hostile bodies to every route. The routes are read from the application's own
router (sub-applications such as /admin included), so that a route added later is covered
without a line here. Each route and method gets a JSON body with a lone surrogate in each of its
string fields (a form with one, for the staff pages), a body that is not UTF-8, a body over the
route's limit (announced by Content-Length, and chunked without one), and a body cut short by the
client hanging up; each with no token, a terminal's
and the admin's (the staff pages: a logged-in session and its CSRF token; the national
protocol: a live integration session). Every answer is a 2xx/4xx with a JSON body (an HTML
page, or a redirect to one, for the pages), never a 500, and nothing at ERROR is logged."""

from __future__ import annotations

import http.client
import json
import logging
import socket
from dataclasses import dataclass

import pytest
from support import ADMIN_TOKEN, prepare_site

from kiosk.backend import admin, dvcqg_api
from kiosk.backend.accounts import Accounts
from kiosk.backend.http import MAX_BODY
from kiosk.backend.integrations import Integrations
from kiosk.backend.server import API, OPENAPI_FILE, BackgroundServer, make_app
from kiosk.domain.calendar import WorkingCalendar, now
from stores import new_store

pytestmark = pytest.mark.both_stores

SURROGATE = "\ud800"  # json.dumps writes it as the escape \ud800: half a character
PAGES = ("/admin", "/t/", "/display", "/counter")
"""Routes that answer HTML pages for people, errors included."""
TOKENS = ("none", "terminal", "admin")
CASES = ("surrogate", "not_utf8", "bad_charset", "huge", "huge_chunked", "truncated")
STAFF = "hostile"
PASSWORD = "a long enough password for the staff 1"
INTEGRATION = "hostile-one-stop"


@dataclass(frozen=True)
class Route:
    method: str
    formatter: str
    """The path with its {parameters}."""
    limit: int
    """The most body it takes (its handler's `body_limit`, MAX_BODY otherwise)."""

    def __str__(self) -> str:
        return f"{self.method} {self.formatter}"

    @property
    def page(self) -> bool:
        return self.formatter.startswith(PAGES)


def routes_of(app) -> list[Route]:
    found = []
    for resource in app.router.resources():
        info = resource.get_info()
        if "app" in info:  # a sub-application: its routes already carry the prefix it is mounted at
            found += routes_of(info["app"])
            continue
        for route in resource:
            if route.method == "HEAD":  # GET without the body: nothing of its own to check
                continue
            path = info.get("path", info.get("formatter", ""))
            found.append(Route(route.method, path, getattr(route.handler, "body_limit", MAX_BODY)))
    return found


def all_routes() -> list[Route]:
    store = new_store(":memory:")
    try:
        return routes_of(make_app(store, WorkingCalendar()))
    finally:
        store.close()


ROUTES = all_routes()


# -- bodies ---------------------------------------------------------------------------------

_OPENAPI = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))


def _example(schema: dict) -> object:
    """A value of `schema` with every property present, as plain as the schema allows."""
    if "$ref" in schema:
        return _example(_OPENAPI["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    kind = schema.get("type")
    if kind == "object":
        return {name: _example(part) for name, part in schema.get("properties", {}).items()}
    if kind == "array":
        return [_example(schema.get("items", {}))]
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("pattern") == "^[0-9]{12}$":
        return "052090000001"
    return "x" * max(1, schema.get("minLength", 1))


def json_sample(route: Route) -> dict:
    """What the route's OpenAPI request body looks like; a small object for routes without one."""
    operation = _OPENAPI["paths"].get(route.formatter.removeprefix(API), {}).get(route.method.lower(), {})
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    sample = _example(schema) if schema else {"code": "x", "name": "x"}
    return sample if isinstance(sample, dict) else {"value": sample}


def with_surrogates(value: object) -> list[object]:
    """`value` once for each string in it, that string ending in a lone surrogate."""
    if isinstance(value, str):
        return [value + SURROGATE]
    if isinstance(value, dict):
        return [{**value, key: changed} for key, part in value.items() for changed in with_surrogates(part)]
    if isinstance(value, list):
        return [[*value[:i], changed, *value[i + 1:]] for i, part in enumerate(value) for changed in with_surrogates(part)]
    return []


FORM_FIELDS = ("username", "password", "office_name", "services", "default_language", "idle_timeout_seconds",
               "printer_driver", "printer_profile", "printer_address")
"""What the staff pages' forms send (never `confirm`: a revocation would end the run's terminal)."""


# -- the server -----------------------------------------------------------------------------

class Site:
    def __init__(self, folder):
        self.db, _, self.terminal_token = prepare_site(folder)
        side = new_store(self.db)
        try:
            Accounts(side).add(STAFF, PASSWORD, now())
            number = Integrations(side).add(INTEGRATION, PASSWORD, now())
            self.integration_session = Integrations(side).open_session(number, now())
            self.terminal = side.db.execute("SELECT id FROM terminals").fetchone()[0]
            self.dossier = side.dossier_codes()[0]
            self.procedure = side.db.execute("SELECT code FROM procedures").fetchone()[0]
        finally:
            side.close()
        self.server = BackgroundServer(lambda: make_app(new_store(self.db), WorkingCalendar(),
                                                        admin_token=ADMIN_TOKEN))
        self.port = int(self.server.start().rsplit(":", 1)[1])
        self.ticket = self.exchange("POST", f"{API}/queue/tickets", json.dumps({"service": "A"}).encode(),
                                    self.auth("terminal") | {"Idempotency-Key": "hostile-routes"}).json()["id"]

    def path(self, route: Route) -> str:
        ticket = "/queue/tickets/" in route.formatter or route.formatter.startswith("/t/")
        values = {"id": self.ticket if ticket else str(self.terminal), "code": self.dossier, "number": "1",
                  "event": "1", "action": "call-next"}
        if "/procedures/" in route.formatter:
            values["code"] = self.procedure
        return route.formatter.format_map(values)

    def staff_session(self) -> tuple[str, str]:
        """A new logged-in session (a form to /admin/logout ends the one before): cookie, CSRF token."""
        side = new_store(self.db)
        try:
            token, session = Accounts(side).open_session(STAFF, now())
        finally:
            side.close()
        return token, session.csrf_token

    def auth(self, token: str) -> dict[str, str]:
        if token == "none":
            return {}
        return {"Authorization": f"Bearer {self.terminal_token if token == 'terminal' else ADMIN_TOKEN}"}

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=30)

    def exchange(self, method: str, path: str, body: bytes, headers: dict[str, str], chunked: bool = False) -> Answer:
        sock = self.connect()
        try:
            length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}"
            head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", length,
                    "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
            if chunked:
                step = 64 * 1024
                body = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + step]), body[i:i + step])
                                for i in range(0, len(body), step)) + b"0\r\n\r\n"
            try:
                sock.sendall(body)
            except (BrokenPipeError, ConnectionResetError):  # answered before the whole body was read
                pass
            return read_answer(sock)
        finally:
            sock.close()


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        return json.loads(self.body)


def read_answer(sock: socket.socket) -> Answer:
    reply = http.client.HTTPResponse(sock)
    reply.begin()
    if reply.headers.get("Content-Type", "").startswith("text/event-stream"):
        return Answer(reply.status, reply.headers, b"")  # a stream that follows the queue: it does not end
    return Answer(reply.status, reply.headers, reply.read())


class Errors(logging.Handler):
    """Every record at WARNING or above, or with a traceback, from any logger."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING or record.exc_info:
            self.found.append(f"{record.levelname} {record.name}: {record.getMessage()}")


@pytest.fixture(scope="module")
def site(tmp_path_factory, store_kind):
    errors = Errors()
    root = logging.getLogger()
    level = root.level
    root.addHandler(errors)
    root.setLevel(logging.INFO)
    # A refused log-in waits half a second, to slow guessing; the suite sends hundreds.
    delays = admin.FAILED_LOGIN_DELAY, dvcqg_api.FAILED_AUTH_DELAY
    admin.FAILED_LOGIN_DELAY = dvcqg_api.FAILED_AUTH_DELAY = 0
    server = Site(tmp_path_factory.mktemp("hostile-routes"))
    server.errors = errors
    try:
        yield server
    finally:
        server.server.stop()  # waits for the requests still being handled
        admin.FAILED_LOGIN_DELAY, dvcqg_api.FAILED_AUTH_DELAY = delays
        root.removeHandler(errors)
        root.setLevel(level)
    assert not errors.found, errors.found


def check(route: Route, answer: Answer, what: str) -> None:
    where = f"{route} {what}: {answer.status} {answer.body[:300]!r}"
    assert answer.status < 500 and b"Traceback" not in answer.body, where
    kind = answer.headers.get("Content-Type", "")
    if route.page and 300 <= answer.status < 400:
        # A staff page without a session sends the browser to the log-in page.
        assert answer.headers["Location"].startswith("/admin"), where
        return
    assert 200 <= answer.status < 300 or 400 <= answer.status < 500, where
    if answer.status == 200 and kind.startswith(("text/event-stream", "audio/wav", "text/csv")):
        return  # the queue's event stream (its body never ends), a call's announcement, the day's work
    if route.page and kind.startswith("text/html"):
        assert b"</html>" in answer.body.lower(), where
        return
    assert kind.startswith("application/json"), where
    data = answer.json()
    if answer.status >= 400:
        assert isinstance(data["error"]["code"], str) and data["error"]["message"], where


def requests_for(site: Site, route: Route, case: str, token: str):
    """(what, body, headers) of each request of `case` to `route` with `token`."""
    headers = site.auth(token)
    form = route.page and route.method == "POST"
    csrf = ""
    if route.page and token == "admin":
        cookie, csrf = site.staff_session()
        # The log-in form's token is checked against a cookie of its own.
        headers["Cookie"] = f"{admin.SESSION_COOKIE}={cookie}; {admin.LOGIN_COOKIE}={csrf}"
    headers["Content-Type"] = "application/x-www-form-urlencoded" if form else "application/json"
    headers["Idempotency-Key"] = f"hostile-{case}-{token}"
    sample = json_sample(route)
    if token != "none" and "session" in sample:
        sample["session"] = site.integration_session
    if case == "surrogate":
        if form:
            for field in FORM_FIELDS:  # a surrogate as the form's percent-escaped UTF-8 would carry it
                yield field, f"csrf_token={csrf}&{field}=x%ED%A0%80".encode(), headers
        else:
            for changed in with_surrogates(sample):
                yield json.dumps(changed), json.dumps(changed).encode(), headers
    elif case == "not_utf8":
        body = f"csrf_token={csrf}&office_name=".encode() + b"\xff\xfe\xc3\x28" if form else b'{"code": "\xff\xfe\xc3\x28"}'
        yield "not UTF-8", body, headers
    elif case == "bad_charset":
        # A charset that is no encoding, or not a text one: aiohttp's form reader looks it up.
        body = f"csrf_token={csrf}&office_name=x".encode() if form else json.dumps(sample).encode()
        for charset in ("x-bogus", "rot13", "zlib_codec"):
            yield f"charset={charset}", body, {**headers, "Content-Type": f"{headers['Content-Type']}; charset={charset}"}
        if form:
            part = (f'--XX\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
                    '--XX\r\nContent-Disposition: form-data; name="username"\r\n'
                    'Content-Type: text/plain; charset=x-bogus\r\n\r\nabc\r\n--XX--\r\n')
            yield "multipart part charset=x-bogus", part.encode(), {**headers, "Content-Type": "multipart/form-data; boundary=XX"}
    elif case in ("huge", "huge_chunked"):
        text = json.dumps(sample).encode()
        body = text[:-1] + b"," + b" " * (route.limit - len(text)) + b"}"  # JSON, one byte over the limit
        yield f"{len(body)} bytes", body, headers
    else:
        yield "cut short", json.dumps(sample).encode(), headers


def send_cut_short(site: Site, method: str, path: str, body: bytes, headers: dict[str, str]) -> Answer | None:
    """Announce 1000 bytes more than are sent, then hang up: the answer, if one came before."""
    sock = site.connect()
    try:
        head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body) + 1000}",
                *(f"{k}: {v}" for k, v in headers.items())]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body[: len(body) // 2])
        sock.shutdown(socket.SHUT_WR)
        try:
            return read_answer(sock)
        except (http.client.RemoteDisconnected, ConnectionResetError):
            return None  # the server saw the body end short and closed: nothing to answer to
    finally:
        sock.close()


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_hostile_bodies_to_every_route(site, route, case):
    path = site.path(route)
    sent = 0
    for token in TOKENS:
        for what, body, headers in requests_for(site, route, case, token):
            label = f"[{token}] {what[:120]}"
            if case == "truncated":
                answer = send_cut_short(site, route.method, path, body, headers)
                if answer is not None:
                    check(route, answer, label)
            else:
                answer = site.exchange(route.method, path, body, headers, chunked=case == "huge_chunked")
                check(route, answer, label)
                if case == "huge":  # refused by its length, before any handler or session is looked at
                    assert answer.status == 413 and len(body) == route.limit + 1, (route, answer.status)
            sent += 1
    assert sent >= len(TOKENS)
    # The server is still well, and nothing so far was logged as an error.
    assert site.exchange("GET", f"{API}/queue/services", b"", {}).status == 200
    assert not site.errors.found, site.errors.found


def test_every_route_of_the_router_is_covered():
    # The list comes from the router itself: the public API, the national protocol, the
    # pages. Spot-check that each part is there, so that an empty list cannot pass.
    names = {str(r) for r in ROUTES}
    assert {f"POST {API}/queue/tickets", f"POST {API}/dvcqg", f"POST {API}/dvcqg/auth",
            "POST /admin/terminals/{id}", "GET /admin/audit", "GET /t/{id}"} <= names
    assert len(ROUTES) >= 30
