"""Whatever is sent, the answer is a 4xx with the JSON error shape: never a 500, never a traceback."""

import pytest

pytestmark = pytest.mark.both_stores

HOSTILE_PATHS = [
    "/api/v1/dossiers/" + "9" * 5000,
    "/api/v1/procedures/" + "A" * 1000,
    "/api/v1/dossiers/%00",
    "/api/v1/dossiers/..%2F..%2Fetc%2Fpasswd",
    "/api/v1/procedures/..%2f..%2fsetup.cfg",
    "/api/v1/../../etc/passwd",
    "/api/v1/dossiers/'%20OR%20'1'='1",
    "/api/v1/dossiers/000.00.53.H48-220921-0099'%3B%20DROP%20TABLE%20dossiers%3B--",
    "/api/v1/procedures/1%20UNION%20SELECT%20*%20FROM%20sqlite_master",
    "/api/v1/procedures/%F0%9F%92%A9",
    "/api/v1/procedures/%E2%80%AE%E2%80%8B",
    "/api/v1/dossiers/%C3%28",
    "/api/v1/dossiers/%ZZ",
    "/api/v1/dossiers/" + "%E1%BB%87" * 300,
    "/api/v1/catalogue/extra",
    "/api/v2/catalogue",
    "/api/v1/dossiers/",
    "/" + "x" * 10000,
    "/api/v1/dossiers/000.00.53.H48-220921-0099?code=<script>alert(1)</script>",
    "/%2e%2e/%2e%2e/",
    "/api/v1/procedures/$(reboot)",
]


def check_json_error(reply):
    assert 400 <= reply.status < 500, (reply.status, reply.body[:200])
    assert reply.headers["Content-Type"].startswith("application/json")
    error = reply.json()["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    assert b"Traceback" not in reply.body


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_hostile_paths(backend, path):
    check_json_error(backend.request("GET", path))


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND"])
@pytest.mark.parametrize("path", ["/api/v1/catalogue", "/api/v1/dossiers/000.00.53.H48-220921-0099"])
def test_wrong_methods(backend, method, path):
    reply = backend.request(method, path, body=b'{"a": 1}', headers={"Content-Type": "application/json"})
    check_json_error(reply)
    assert reply.status in (404, 405)


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"\xff\xfe\x00garbage", b'{"a": ' * 10000, b"null", b"[]", "{\"tên\": \"Nguyễn\"}".encode()],
)
def test_bad_bodies(backend, body):
    reply = backend.request("POST", "/api/v1/catalogue", body=body, headers={"Content-Type": "application/json"})
    check_json_error(reply)


@pytest.mark.parametrize(
    "path, headers",
    [("/" + "x" * 40000, {}), ("/api/v1/catalogue", {"If-None-Match": "\x01\x02"})],
)
def test_what_the_http_parser_refuses_is_400_without_traceback(backend, path, headers):
    # A request line past 16 KiB or a control character in a header: the HTTP parser
    # answers before any handler runs, in plain text.
    reply = backend.request("GET", path, headers=headers)
    assert reply.status == 400 and b"Traceback" not in reply.body
    assert backend.get("/api/v1/catalogue").status == 200


def test_oversized_body_is_413(backend):
    reply = backend.request("POST", "/api/v1/catalogue", body=b"x" * (2 * 1024 * 1024))
    check_json_error(reply)
    assert reply.status == 413


@pytest.mark.parametrize(
    "headers",
    [
        {"If-None-Match": "\t" + "x" * 4000},
        {"Accept-Encoding": "gzip;q=abc, " * 200},
        {"If-None-Match": ('"' + "🙂" * 10 + '"').encode()},
    ],
)
def test_odd_headers_do_not_break_the_catalogue(backend, headers):
    reply = backend.request("GET", "/api/v1/catalogue", headers=headers)
    assert reply.status == 200


def test_the_server_is_still_well(backend):
    assert backend.get("/api/v1/catalogue").status == 200


BODY_CALLS = [
    ("POST", "/api/v1/queue/tickets", "terminal"),
    ("POST", "/api/v1/ratings", "terminal"),
    ("POST", "/api/v1/dossiers/by-citizen", "terminal"),
    ("POST", "/api/v1/terminals/1/heartbeat", "terminal"),
    ("POST", "/api/v1/terminals/1/help", "terminal"),
    ("PUT", "/api/v1/terminals/1/config", "admin"),
]
BAD_BODIES = [
    b"", b"{not json", b"\xff\xfe\x00garbage", b'{"a": ' * 10000, b"null", b"[]", b"42", b'"text"',
    b'{"service": {"$ne": null}}', b'{"level": ["very_satisfied"]}', b'{"id_number": 52090000001, "proof": "qr"}',
    b'{"app_version": "' + b"9" * 60 + b'"}', b'{"office_name": null}', "{\"service\": \"Ạ\"}".encode(),
    b'{"service": "A", "priority": "' + b"x" * 1000 + b'"}', b'{"__proto__": {"admin": true}}',
]


@pytest.mark.parametrize("method, path, token", BODY_CALLS)
@pytest.mark.parametrize("body", BAD_BODIES)
def test_bad_bodies_to_every_endpoint_that_takes_one(backend, method, path, token, body):
    reply = backend.request(method, path, body=body, token=token,
                            headers={"Content-Type": "application/json", "Idempotency-Key": "hostile-1"})
    check_json_error(reply)
    assert reply.status in (400, 403, 404, 429)


@pytest.mark.parametrize("method, path, token", BODY_CALLS)
def test_oversized_bodies_to_every_endpoint_that_takes_one(backend, method, path, token):
    reply = backend.request(method, path, body=b'{"x": "' + b"a" * 200_000 + b'"}', token=token)
    check_json_error(reply)
    assert reply.status == 413
