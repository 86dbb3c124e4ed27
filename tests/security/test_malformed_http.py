"""Attack class: HTTP that is not HTTP. What reaches the backend's middleware is answered in its
JSON error shape; what aiohttp's parser refuses before any handler runs gets the parser's own
plain-text 400 and a closed connection (aiohttp offers no public way to replace that page), and
one INFO line in the log instead of an ERROR with a traceback."""

from __future__ import annotations

import http.client
import json
import logging
import socket

import pytest

from kiosk.backend.http import MAX_HEADER, MAX_PATH, PARSER_LIMIT
from kiosk.backend.server import BackgroundServer, make_app
from kiosk.domain.calendar import WorkingCalendar
from stores import new_store

pytestmark = pytest.mark.both_stores

GET = b"GET /api/v1/queue/services HTTP/1.1\r\nHost: kiosk\r\n"


@pytest.fixture(scope="module")
def port(tmp_path_factory, store_kind):
    db = tmp_path_factory.mktemp("malformed") / "b.sqlite3"
    server = BackgroundServer(lambda: make_app(new_store(db), WorkingCalendar()))
    yield int(server.start().rsplit(":", 1)[1])
    server.stop()


def send(port: int, raw: bytes, wait_for_close: bool = False) -> tuple[http.client.HTTPResponse, bytes, bool]:
    """The answer to `raw`, its body, and (when asked: a kept-alive connection would make us
    wait) whether the server closed the connection after it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        sock.sendall(raw)
        reply = http.client.HTTPResponse(sock)
        reply.begin()
        body = reply.read()
        closed = False
        if wait_for_close:
            try:
                closed = sock.recv(1) == b""
            except ConnectionResetError:
                closed = True
        return reply, body, closed
    finally:
        sock.close()


def json_error(reply: http.client.HTTPResponse, body: bytes) -> str:
    assert reply.headers["Content-Type"].startswith("application/json"), (reply.status, body[:200])
    return json.loads(body)["error"]["code"]


# Refused by the middleware, in JSON.

def test_a_header_over_the_limit_is_a_json_431(port):
    raw = GET + b"X-Big: " + b"x" * (16 * 1024 + 1) + b"\r\n\r\n"
    assert MAX_HEADER < 16 * 1024 + 1 < PARSER_LIMIT
    reply, body, _ = send(port, raw)
    assert reply.status == 431 and json_error(reply, body) == "header_too_large"


def test_a_long_request_line_is_a_json_414(port):
    raw = b"GET /api/v1/dossiers/" + b"9" * (MAX_PATH * 4) + b" HTTP/1.1\r\nHost: kiosk\r\n\r\n"
    reply, body, _ = send(port, raw)
    assert reply.status == 414 and json_error(reply, body) == "uri_too_long"


def test_http_1_0_without_host_is_served(port):
    # HTTP/1.0 has no Host header to require.
    reply, body, _ = send(port, b"GET /api/v1/queue/services HTTP/1.0\r\n\r\n")
    assert reply.status == 200 and "services" in json.loads(body)


# Refused by aiohttp's parser before any handler: its plain 400, the connection closed.

PARSER_CASES = {
    "header past the parser's limit": GET + b"X-Big: " + b"x" * (PARSER_LIMIT + 1) + b"\r\n\r\n",
    "request line past the parser's limit": b"GET /" + b"x" * (PARSER_LIMIT + 1) + b" HTTP/1.1\r\nHost: kiosk\r\n\r\n",
    "NUL in a header": GET + b"X-Note: a\x00b\r\n\r\n",
    "Content-Length and Transfer-Encoding": (b"POST /api/v1/terminals/enrol HTTP/1.1\r\nHost: kiosk\r\n"
                                             b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    "bad chunk size": (b"POST /api/v1/terminals/enrol HTTP/1.1\r\nHost: kiosk\r\nTransfer-Encoding: chunked\r\n\r\n"
                       b"zz\r\n{}\r\n0\r\n\r\n"),
    "HTTP/1.1 without Host": b"GET /api/v1/queue/services HTTP/1.1\r\n\r\n",
    "more than 128 headers": GET + b"".join(b"X-%d: 1\r\n" % i for i in range(200)) + b"\r\n",
    "unknown HTTP version": b"GET /api/v1/queue/services HTTP/9.9\r\nHost: kiosk\r\n\r\n",
    "bad method": b"G@T /api/v1/queue/services HTTP/1.1\r\nHost: kiosk\r\n\r\n",
}


@pytest.mark.parametrize("case", PARSER_CASES)
def test_what_the_parser_refuses_is_a_400_and_a_closed_connection(port, case, caplog):
    with caplog.at_level(logging.INFO):
        reply, body, closed = send(port, PARSER_CASES[case], wait_for_close=True)
        # The next request is served: the log line of the refused one is written by then.
        assert send(port, GET + b"\r\n")[0].status == 200
    assert reply.status == 400 and closed, (reply.status, body[:200])
    assert b"Traceback" not in body
    assert reply.headers["Content-Type"].startswith("text/plain")  # aiohttp's own page, not ours
    records = [r for r in caplog.records if r.name.startswith(("aiohttp", "kiosk"))]
    assert all(r.levelno < logging.WARNING and r.exc_info is None for r in records), \
        [(r.levelname, r.getMessage()) for r in records]
    refused = [r for r in records if r.getMessage().startswith("refused a malformed HTTP request")]
    # aiohttp itself logs a bad method on a connection's first request at DEBUG only (port scans).
    assert len(refused) == (0 if case == "bad method" else 1), [r.getMessage() for r in records]
