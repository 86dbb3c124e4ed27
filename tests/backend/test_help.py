"""Calls for staff ("Gọi cán bộ hỗ trợ") over real HTTP against a real backend process and its
SQLite file: a kiosk's call stored, shown at the top of /admin in the staff's words, answered
there (CSRF checked, audited, who came recorded), a second press within a minute not a second
call, hostile calls refused with 4xx JSON, and where the information desk is (help_desk) from
the admin page to the kiosk's heartbeat."""

import asyncio
import datetime as dt
import json
import re

import pytest

from backend.test_admin import kiosk
from kiosk.backend.terminals import Terminals
from kiosk.client.api import BackendClient
from kiosk.domain.calendar import TIMEZONE
from kiosk.domain.terminal import Health
from support import PASSWORD, Staff, add_admin, query, start_site
from stores import db_args, new_store

pytestmark = pytest.mark.both_stores


@pytest.fixture(scope="module")
def site(tmp_path_factory, store_kind):
    folder = tmp_path_factory.mktemp("help")
    server = start_site(folder)
    for name in ("staff", "other"):
        add_admin(server.db, name, PASSWORD, folder)
    server.terminal = json.loads(kiosk("terminal", "list", *db_args(server.db), "--json").stdout)[0]["id"]
    yield server
    assert server.stop() == 0


@pytest.fixture
def staff(site):
    person = Staff(site)
    assert person.log_in().status == 303
    return person


def new_kiosk(site, name):
    """Another terminal of the site: its id and token, with no call of its own yet."""
    added = json.loads(kiosk("terminal", "add", name, *db_args(site.db), "--json").stdout)
    return added["id"], added["token"]


def calls(site, number):
    return query(site.db, "SELECT id, screen, answered_at, answered_by FROM help_requests WHERE terminal_id = ? "
                          "ORDER BY id", number)


def audited(site, action):
    return query(site.db, "SELECT who, target, detail FROM audit_log WHERE action = ? ORDER BY id", action)


def help_section(page):
    found = re.search(r'<section class="help" id="help">.*?</section>', page, re.S)
    return found.group(0) if found else ""


def test_a_call_is_stored_shown_on_admin_and_answered_there(site, staff):
    number, token = new_kiosk(site, "Sảnh 1")
    reply = site.post(f"/api/v1/terminals/{number}/help", {"screen": "dossier"}, token=token)
    assert reply.status == 201, reply.body
    answer = reply.json()
    assert answer["repeated"] is False
    call = answer["request"]
    assert (call["terminal_id"], call["terminal_name"], call["screen"]) == (number, "Sảnh 1", "dossier")
    assert call["answered_at"] is None and call["answered_by"] is None and call["asked_at"]
    assert calls(site, number) == [(call["id"], "dossier", None, None)]
    who, target, detail = audited(site, "help_requested")[-1]
    assert (who, target, json.loads(detail)) == (f"terminal {number}", f"terminal {number}",
                                                 {"request": call["id"], "screen": "dossier"})

    page = staff.get("/admin/terminals").text
    shown = help_section(page)
    assert page.index('id="help"') < page.index("<h1>"), "at the top of the page"
    assert "Cần hỗ trợ:" in shown and "Máy “Sảnh 1” — màn hình Tra cứu hồ sơ — vừa xong" in shown
    assert "dossier" not in shown, "the screen in the staff's words, not its name in the code"
    assert '<meta http-equiv="refresh" content="30; url=/admin/terminals">' in page, "new calls show by themselves"

    # Without the session's CSRF token, a form (a forged one, from another site) answers nothing.
    forged = staff.post(f"/admin/help/{call['id']}/answered", {"csrf_token": "forged"})
    assert forged.status == 403 and calls(site, number)[0][2] is None

    csrf = re.search(rf'action="/admin/help/{call["id"]}/answered">\s*<input type="hidden" name="csrf_token" '
                     r'value="([^"]+)"', page).group(1)
    done = staff.post(f"/admin/help/{call['id']}/answered", {"csrf_token": csrf})
    assert done.status == 303 and done.headers["Location"] == "/admin/terminals?done=help_answered"
    after = staff.get(done.headers["Location"]).text
    assert "Đã ghi nhận: cán bộ đã đến hỗ trợ" in after and "Sảnh 1" not in help_section(after)
    (_, _, answered_at, answered_by), = calls(site, number)
    assert answered_at and answered_by == "staff"
    who, target, detail = audited(site, "help_answered")[-1]
    assert (who, target, json.loads(detail)["requests"]) == ("staff", f"terminal {number}", [call["id"]])
    assert "Cán bộ đã đến hỗ trợ tại kiosk" in staff.get("/admin/audit").text

    # A second member of staff with the page still open: told, and nothing changes.
    other = Staff(site)
    other.log_in(username="other")
    late = other.post(f"/admin/help/{call['id']}/answered", {"csrf_token": other.csrf("/admin/terminals")})
    assert late.headers["Location"].endswith("?done=help_answered_before")
    assert calls(site, number)[0][3] == "staff" and len(audited(site, "help_answered")) == 1
    assert other.post("/admin/help/999999/answered", {"csrf_token": other.csrf("/admin/terminals")}).status == 404


def test_a_second_press_within_a_minute_is_the_same_call(site, staff):
    number, token = new_kiosk(site, "Sảnh 2")
    first = site.post(f"/api/v1/terminals/{number}/help", {"screen": "queue"}, token=token)
    again = site.post(f"/api/v1/terminals/{number}/help", {"screen": "queue"}, token=token)
    later = site.post(f"/api/v1/terminals/{number}/help", {"screen": "search"}, token=token)
    assert first.status == 201 and again.status == later.status == 200
    assert again.json() == later.json() == {"request": first.json()["request"], "repeated": True}
    assert len(calls(site, number)) == 1
    assert [json.loads(d) for _, t, d in audited(site, "help_requested") if t == f"terminal {number}"] == [
        {"request": first.json()["request"]["id"], "screen": "queue"}], "audited once"
    shown = help_section(staff.get("/admin/terminals").text)
    assert shown.count("Sảnh 2") == 1 and "Lấy số thứ tự" in shown


def test_a_screen_the_page_does_not_know_is_shown_by_its_name(site, staff):
    number, token = new_kiosk(site, "Sảnh 3")
    assert site.post(f"/api/v1/terminals/{number}/help", {"screen": "map_v2"}, token=token).status == 201
    assert "Máy “Sảnh 3” — màn hình chưa rõ (map_v2)" in help_section(staff.get("/admin/terminals").text)


def test_the_minute_and_an_answer_start_a_new_call(tmp_path):
    """On the store itself, with the clock given: a press a minute after an open call is a new
    call (the citizen still waits, or another one does), and so is one after an answer."""
    store = new_store(tmp_path / "backend.sqlite3")
    try:
        terminals = Terminals(store)
        start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TIMEZONE)
        number, _ = terminals.add("Sảnh 4", start)
        first, created = terminals.ask_help(number, "home", start)
        assert created
        assert terminals.ask_help(number, "home", start + dt.timedelta(seconds=59)) == (first, False)
        second, created = terminals.ask_help(number, "rating", start + dt.timedelta(seconds=61))
        assert created and second["id"] != first["id"]
        assert [c["id"] for c in terminals.open_help_requests()] == [first["id"], second["id"]]
        # One visit answers the kiosk's calls up to the one on the page; a newer one stays open.
        third, _ = terminals.ask_help(number, "home", start + dt.timedelta(seconds=200))
        assert terminals.answer_help(second["id"], "staff", start + dt.timedelta(seconds=210)) == [first["id"], second["id"]]
        assert [c["id"] for c in terminals.open_help_requests()] == [third["id"]]
        terminals.answer_help(third["id"], "staff", start + dt.timedelta(seconds=220))
        fourth, created = terminals.ask_help(number, "home", start + dt.timedelta(seconds=230))
        assert created and fourth["answered_at"] is None
    finally:
        store.close()


@pytest.mark.parametrize("body", [
    b'{"screen": "' + b"a" * 33 + b'"}',
    b'{"screen": ""}', b'{"screen": "Dossier"}', b'{"screen": "h\xc3\xb4me"}', b'{"screen": "home\\n"}',
    b'{"screen": "1home"}', b'{"screen": "../admin"}', b'{"screen": 7}', b'{"screen": ["home"]}',
    b'{"screen": null}', b'{}', b'{"screen": "home", "name": "Nguyen Van A"}',
    b'{"screen": "home\\ud800"}', b"screen=home", b"", b"[]", b'"home"', b"\xff\xfe",
])
def test_hostile_bodies_are_refused_with_json(site, body):
    reply = site.request("POST", f"/api/v1/terminals/{site.terminal}/help", body=body,
                         headers={"Content-Type": "application/json"})
    assert reply.status == 400, (body, reply.status, reply.body)
    assert set(reply.json()["error"]) == {"code", "message"}
    assert calls(site, site.terminal) == []


def test_only_a_terminal_calls_and_only_for_itself(site):
    number, token = new_kiosk(site, "Sảnh 5")
    path = f"/api/v1/terminals/{number}/help"
    for reply, status in [
        (site.post(path, {"screen": "home"}, token=None), 401),
        (site.post(path, {"screen": "home"}, token="not-a-token"), 401),
        (site.post(path, {"screen": "home"}, token="admin"), 401),
        (site.post(path, {"screen": "home"}), 403),  # the sample terminal's token, another kiosk's id
        (site.post(f"/api/v1/terminals/{site.terminal}/help", {"screen": "home"}, token=token), 403),
        (site.post("/api/v1/terminals/99999999999/help", {"screen": "home"}, token=token), 400),
        (site.post("/api/v1/terminals/-1/help", {"screen": "home"}, token=token), 400),
        (site.request("GET", path, token=token), 405),
    ]:
        assert reply.status == status, (status, reply.status, reply.body)
        assert "error" in reply.json()
    assert calls(site, number) == calls(site, site.terminal) == []


def test_help_desk_from_the_admin_page_to_the_heartbeat(site, staff):
    number, token = new_kiosk(site, "Sảnh 6")
    desk = "Quầy hướng dẫn, bên phải cửa vào"
    form = {"csrf_token": staff.csrf(f"/admin/terminals/{number}"), "office_name": "", "default_language": "vi",
            "idle_timeout_seconds": "90", "printer_driver": "none", "printer_profile": "TM-T20II",
            "printer_address": "", "help_desk": f"  {desk}\n"}
    too_long = staff.post(f"/admin/terminals/{number}", {**form, "help_desk": "x" * 201})
    assert too_long.status == 400 and "Vị trí quầy hướng dẫn: tối đa 200 ký tự" in too_long.text
    saved = staff.post(f"/admin/terminals/{number}", form)
    assert saved.status == 303 and saved.headers["Location"].endswith("?done=saved")
    assert f'value="{desk}"' in staff.get(f"/admin/terminals/{number}").text
    assert json.loads(audited(site, "terminal_config_changed")[-1][2])["changes"]["help_desk"] == ["", desk]

    async def beat():
        async with BackendClient(f"http://{site.host}:{site.port}", token, retries=1) as client:
            return await client.heartbeat(number, Health(app_version="1"))

    version, config = asyncio.run(beat())
    assert version == 2 and config.help_desk == desk

    # The admin token's API checks the same bound.
    reply = site.request("PUT", f"/api/v1/terminals/{number}/config", token="admin",
                         body=json.dumps({"help_desk": "x" * 201}).encode(),
                         headers={"Content-Type": "application/json"})
    assert reply.status == 400 and "help_desk" in reply.json()["error"]["message"]
