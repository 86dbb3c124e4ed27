"""Attack class: text that is not Unicode (lone surrogates escaped in JSON, bytes that are not
UTF-8 in headers and cookies), and a broken multipart body: every one a 4xx with the JSON or
page error it belongs to, never a 500, and nothing stored that would break a page later."""

import json
import subprocess

import pytest

from support import KIOSK, query, start_site
from stores import db_args

pytestmark = pytest.mark.both_stores

SURROGATE = "\\ud800"  # as JSON escapes it: half of a character, which no database can hold


@pytest.fixture(scope="module")
def site(tmp_path_factory, store_kind):
    server = start_site(tmp_path_factory.mktemp("unicode"))
    server.terminal = json.loads(subprocess.run([KIOSK, "terminal", "list", *db_args(server.db), "--json"],
                                                capture_output=True, text=True).stdout)[0]["id"]
    yield server
    assert server.stop() == 0


def post_raw(site, path, text, token="terminal", method="POST", **headers):
    return site.request(method, path, body=text.encode(), token=token,
                        headers={"Content-Type": "application/json", **headers})


def no_500(reply):
    assert 400 <= reply.status < 500, (reply.status, reply.body[:300])
    assert b"Traceback" not in reply.body


def bodies(site):
    number = site.terminal
    s = SURROGATE
    return [
        ("POST", "/api/v1/queue/tickets", f'{{"service": "A{s}"}}', "terminal", {"Idempotency-Key": "u-1"}),
        ("POST", "/api/v1/ratings", f'{{"level": "satisfied", "reasons": ["x{s}"]}}', "terminal", {}),
        ("POST", "/api/v1/ratings", f'{{"level": "satisfied", "reasons": [], "ticket_id": "{s}"}}', "terminal", {}),
        ("POST", "/api/v1/ratings", f'{{"level": "satisfied", "reasons": [], "dossier_code": "{s}"}}', "terminal", {}),
        ("POST", "/api/v1/terminals/enrol", f'{{"code": "{s}"}}', None, {}),
        ("POST", f"/api/v1/terminals/{number}/heartbeat", f'{{"app_version": "1.0{s}"}}', "terminal", {}),
        ("POST", f"/api/v1/terminals/{number}/help", f'{{"screen": "home{s}"}}', "terminal", {}),
        ("PUT", f"/api/v1/terminals/{number}/config", f'{{"office_name": "M{s}"}}', "admin", {}),
        ("PUT", f"/api/v1/terminals/{number}/config", f'{{"help_desk": "Q{s}"}}', "admin", {}),
        ("PUT", f"/api/v1/terminals/{number}/config", f'{{"printer": {{"driver": "file", "address": "{s}"}}}}',
         "admin", {}),
        ("POST", "/api/v1/dossiers/by-citizen", f'{{"id_number": "0520900000{s}", "proof": "qr"}}', "terminal", {}),
    ]


def test_lone_surrogates_in_any_json_body_are_refused(site):
    for method, path, text, token, headers in bodies(site):
        reply = post_raw(site, path, text, token=token, method=method, **headers)
        no_500(reply)
        assert reply.status == 400 and reply.json()["error"]["code"] == "bad_text", (path, reply.body)


def test_the_admin_pages_and_the_terminal_list_still_work_after(site):
    page = site.request("GET", "/admin/login", token=None)
    assert page.status == 200
    listed = subprocess.run([KIOSK, "terminal", "list", *db_args(site.db), "--json"], capture_output=True, text=True)
    assert listed.returncode == 0 and "Traceback" not in listed.stderr


def test_health_already_stored_with_a_lone_surrogate_is_shown_safely(site):
    # As a backend of before this check may hold it.
    query(site.db, "UPDATE terminals SET health = ? WHERE id = ?", '{"app_version": "1.0\\ud800"}', site.terminal)
    listed = subprocess.run([KIOSK, "terminal", "list", *db_args(site.db), "--json"], capture_output=True, text=True)
    assert listed.returncode == 0 and "Traceback" not in listed.stderr, listed.stderr
    text = subprocess.run([KIOSK, "terminal", "list", *db_args(site.db)], capture_output=True, text=True)
    assert text.returncode == 0


@pytest.mark.parametrize("header, value", [
    ("Authorization", b"Bearer \xff\xfe\xc3\x28"),
    ("Authorization", "Bearer tôken".encode()),
    ("Cookie", b"kiosk_admin=\xff\xfe\xc3\x28"),
    ("Cookie", "kiosk_admin=phiên".encode()),
])
def test_header_bytes_that_are_not_utf8_or_ascii(site, header, value):
    for path in ("/api/v1/dossiers/000.00.01.H21-250101-0001", "/admin/terminals", "/api/v1/queue/services"):
        reply = site.request("GET", path, headers={header: value}, token=None)
        assert reply.status < 500 and b"Traceback" not in reply.body, (path, reply.status, reply.body[:200])


def test_a_broken_multipart_login_is_a_400_page(site):
    for body in (b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end",
                 b"--x\r\n\r\n\r\n--x--", b"\xff" * 100):
        reply = site.request("POST", "/admin/login", body=body, token=None,
                             headers={"Content-Type": "multipart/form-data; boundary=x"})
        assert 400 <= reply.status < 500 and b"Traceback" not in reply.body, (reply.status, reply.body[:200])


def terminal_pages(site, tmp_path, account):
    """The terminals' list and the terminal's own page, as a member of staff sees them."""
    from support import PASSWORD, Staff, add_admin

    add_admin(site.db, account, PASSWORD, tmp_path)
    staff = Staff(site)
    assert staff.log_in(account).status == 303
    pages = [staff.get(path) for path in ("/admin/terminals", f"/admin/terminals/{site.terminal}")]
    assert [page.status for page in pages] == [200, 200]
    return pages


def test_the_admin_pages_show_stored_bad_text_safely(site, tmp_path):
    from kiosk.domain.terminal import Health

    # SQLite holds only UTF-8: half a character can sit there only as a JSON escape, as health did.
    health = json.dumps(Health(app_version="1.0\ud800").to_dict())
    query(site.db, "UPDATE terminals SET health = ? WHERE id = ?", health, site.terminal)
    for page in terminal_pages(site, tmp_path, "unicode"):
        assert "1.0?" in page.text


def test_control_and_bidi_characters_reach_staff_pages_only_as_replacement_marks(site, tmp_path):
    """Unicode, so a heartbeat may carry them; on a page a NUL, a terminal escape or a
    right-to-left override (which makes "exe.pdf" read "fdp.exe") would mislead staff."""
    sent = "1.0\u0000\u001b[31m\u202eexe.pdf"
    reply = post_raw(site, f"/api/v1/terminals/{site.terminal}/heartbeat", json.dumps({"app_version": sent}))
    assert reply.status == 200, reply.body[:300]
    for page in terminal_pages(site, tmp_path, "controls"):
        assert "1.0\ufffd\ufffd[31m\ufffdexe.pdf" in page.text
        assert not any(c in page.text for c in "\u0000\u001b\u202e")


def test_control_characters_do_not_reach_the_staff_console(site):
    hostile = "Quầy 1\u001b]0;owned\u0007\u202e"  # a terminal's name comes from its enrolment
    query(site.db, "UPDATE terminals SET name = ?, health = ? WHERE id = ?", hostile,
          json.dumps({"app_version": hostile}), site.terminal)
    for args in ([], ["--json"]):
        listed = subprocess.run([KIOSK, "terminal", "list", *db_args(site.db), *args], capture_output=True, text=True)
        assert listed.returncode == 0, listed.stderr
        assert "Quầy 1" in listed.stdout and not any(c in listed.stdout for c in "\u001b\u0007\u202e"), listed.stdout
