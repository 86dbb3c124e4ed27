"""The staff's /admin pages over real HTTP against a real backend process: logging in,
lockout, CSRF, cookies, editing a terminal's configuration, and the audit log."""

import base64
import hashlib
import json
import re
import subprocess
import threading
from http.cookies import SimpleCookie

import pytest

from kiosk.backend.sample import SAMPLE_DIR
from support import KIOSK, PASSWORD, Staff, add_admin, start_site
from stores import db_args, new_store

pytestmark = pytest.mark.both_stores

def kiosk(*args):
    # No terminal on standard input, even when the tests run in one: nobody types a password here.
    return subprocess.run([KIOSK, *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def site(tmp_path_factory, store_kind):
    folder = tmp_path_factory.mktemp("admin")
    server = start_site(folder)
    for name in ("staff", "locky", "leaver"):
        add_admin(server.db, name, PASSWORD, folder)
    listed = kiosk("terminal", "list", *db_args(server.db), "--json")
    server.terminal = json.loads(listed.stdout)[0]["id"]  # the sample site's, whose token `server` sends
    yield server
    assert server.stop() == 0


@pytest.fixture
def staff(site):
    person = Staff(site)
    reply = person.log_in()
    assert reply.status == 303 and reply.headers["Location"] == "/admin/terminals"
    return person


def audit(site, action):
    store = new_store(site.db)
    try:
        return store.db.execute("SELECT who, target, detail FROM audit_log WHERE action = ? ORDER BY id",
                                [action]).fetchall()
    finally:
        store.close()


def config_of(site, number):
    return site.get(f"/api/v1/terminals/{number}/config", token="admin").json()


def config_form(staff, number, **changes):
    form = {"csrf_token": staff.csrf(f"/admin/terminals/{number}"), "office_name": "Bộ phận Một cửa",
            "services": ["A", "B"], "default_language": "vi", "idle_timeout_seconds": "120",
            "printer_driver": "file", "printer_profile": "TM-T20II", "printer_address": "/dev/usb/lp0"}
    form.update(changes)
    return form


@pytest.mark.parametrize("path", ["/admin", "/admin/", "/admin/terminals", "/admin/terminals/1", "/admin/integrations", "/admin/queue",
                                  "/admin/stats", "/admin/audit"])
def test_pages_need_a_login(site, path):
    reply = Staff(site).get(path)
    assert reply.status == 303
    assert reply.headers["Location"] in ("/admin/login", "/admin/terminals")


def test_a_form_without_a_session_changes_nothing(site):
    number = site.terminal
    before = config_of(site, number)
    reply = Staff(site).post(f"/admin/terminals/{number}", {"idle_timeout_seconds": "300", "csrf_token": "x"})
    assert reply.status == 303 and reply.headers["Location"] == "/admin/login"
    assert config_of(site, number) == before


def test_security_headers_and_the_inline_style_allowed_by_its_hash(site):
    reply = Staff(site).get("/admin/login")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/html")
    policy = reply.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert reply.headers["X-Frame-Options"] == "DENY"
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    style = re.search(r"<style>(.*?)</style>", reply.text, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy
    assert "<script" not in reply.text and 'lang="vi"' in reply.text


def test_wrong_password_refused_and_audited(site):
    person = Staff(site)
    reply = person.log_in(password="not the password")
    assert reply.status == 403 and "Sai tên đăng nhập hoặc mật khẩu" in reply.text
    assert "kiosk_admin" not in person.cookies
    assert person.get("/admin/terminals").status == 303
    who, target, detail = audit(site, "login_failed")[-1]
    assert (who, target, json.loads(detail)["reason"]) == ("staff", "staff", "wrong_password")

    # An unknown name is refused the same way, and is not written down: it is often a password.
    reply = person.log_in(username="staff mật khẩu thật dài", password="x")
    assert reply.status == 403 and "Sai tên đăng nhập hoặc mật khẩu" in reply.text
    who, target, detail = audit(site, "login_failed")[-1]
    assert (who, target, json.loads(detail)["reason"]) == ("—", "", "unknown_user")
    assert "mật khẩu thật dài" not in json.dumps(audit(site, "login_failed"), ensure_ascii=False)


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_login_without_its_csrf_token_is_refused(site, token):
    person = Staff(site)
    person.get("/admin/login")  # the login cookie is set; the form's token must match it
    form = {"username": "staff", "password": PASSWORD}
    if token is not None:
        form["csrf_token"] = token
    reply = person.post("/admin/login", form)
    assert reply.status == 403 and "kiosk_admin" not in person.cookies


def test_session_cookie_is_random_http_only_strict_and_only_its_hash_kept(site):
    person = Staff(site)
    reply = person.log_in()
    assert reply.status == 303
    header = next(h for h in reply.headers.get_all("Set-Cookie") if h.startswith("kiosk_admin="))
    morsel = SimpleCookie(header)["kiosk_admin"]
    assert morsel["httponly"] and morsel["samesite"] == "Strict" and morsel["path"] == "/admin"
    assert morsel["max-age"] == str(8 * 3600)
    assert not morsel["secure"], "plain http: a Secure cookie would never come back"
    other = Staff(site)
    other.log_in()
    assert len(morsel.value) >= 40 and morsel.value != other.cookies["kiosk_admin"]
    store = new_store(site.db)
    rows = store.db.execute("SELECT token_hash, csrf_token FROM admin_sessions").fetchall()
    store.close()
    assert rows and all(morsel.value not in row for row in rows)
    assert hashlib.sha256(morsel.value.encode()).hexdigest() in [row[0] for row in rows]
    # A client cannot make its plain-http cookie Secure by saying it came over https.
    forwarded = Staff(site).log_in(headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in forwarded.headers["Set-Cookie"]


def test_cookie_is_secure_behind_a_trusted_proxy_over_https(tmp_path):
    config = tmp_path / "kiosk.ini"
    config.write_text("[backend]\ntrust_forwarded_headers = yes\n", encoding="utf-8")
    server = start_site(tmp_path / "site", "--config", str(config))
    try:
        add_admin(server.db, "staff", PASSWORD, tmp_path)
        reply = Staff(server).log_in(headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
        assert reply.status == 303
        morsel = SimpleCookie(reply.headers["Set-Cookie"])["kiosk_admin"]
        assert morsel["secure"] and morsel["httponly"] and morsel["samesite"] == "Strict"
        assert json.loads(audit(server, "login")[-1][2])["address"] == "203.0.113.9"
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize("token", [None, "", "wrong-token-wrong-token-wrong-token-00", "ünïcode"])
def test_a_form_without_the_right_csrf_token_is_refused(site, staff, token):
    number = site.terminal
    before = config_of(site, number)
    form = config_form(staff, number, idle_timeout_seconds="500")
    if token is None:
        del form["csrf_token"]
    else:
        form["csrf_token"] = token
    reply = staff.post(f"/admin/terminals/{number}", form)
    assert reply.status == 403 and "mã chống giả mạo" in reply.text
    assert reply.headers["Content-Type"].startswith("text/html")
    assert config_of(site, number) == before
    revoke = staff.post(f"/admin/terminals/{number}/revoke", {"confirm": "on"})
    assert revoke.status == 403 and site.post(f"/api/v1/terminals/{number}/heartbeat", {"app_version": "1"}).status == 200
    logout = staff.post("/admin/logout", {"csrf_token": "nope"})
    assert logout.status == 403 and staff.get("/admin/terminals").status == 200


def test_terminals_page_shows_health_from_heartbeats(site, staff):
    number = site.terminal
    health = {"app_version": "0.9.1", "catalogue_version": "cat-42", "printer": "paper_low", "scanner": "ok",
              "card_reader": "absent", "free_disk_mb": 900, "outbox_size": 7}
    assert site.post(f"/api/v1/terminals/{number}/heartbeat", health).status == 200
    page = staff.get("/admin/terminals").text
    row = re.search(rf'<a href="/admin/terminals/{number}">.*?</tr>', page, re.S).group(0)
    for shown in ("Đang hoạt động", "Sắp hết giấy", "0.9.1", "cat-42", ">7<"):
        assert shown in row
    detail = staff.get(f"/admin/terminals/{number}").text
    assert "Không có" in detail and "900 MB" in detail


def test_config_edit_reaches_the_next_heartbeat_and_is_audited(site, staff):
    number = site.terminal
    before = config_of(site, number)
    reply = staff.post(f"/admin/terminals/{number}", config_form(staff, number, large_text="on"))
    assert reply.status == 303 and reply.headers["Location"] == f"/admin/terminals/{number}?done=saved"
    assert "Đã lưu cấu hình" in staff.get(reply.headers["Location"]).text
    pushed = site.post(f"/api/v1/terminals/{number}/heartbeat", {"app_version": "1"}).json()
    assert pushed["config_version"] == before["config_version"] + 1
    assert pushed["config"] == {"office_name": "Bộ phận Một cửa", "services": ["A", "B"], "default_language": "vi",
                                "idle_timeout_seconds": 120, "large_text": True,
                                "printer": {"driver": "file", "profile": "TM-T20II", "address": "/dev/usb/lp0"},
                                "help_desk": ""}
    who, target, detail = audit(site, "terminal_config_changed")[-1]
    assert (who, target) == ("staff", f"terminal {number}")
    changes = json.loads(detail)["changes"]
    assert changes["idle_timeout_seconds"][1] == 120 and changes["large_text"] == [before["config"]["large_text"], True]

    again = staff.post(f"/admin/terminals/{number}", config_form(staff, number, large_text="on"))
    assert again.headers["Location"].endswith("?done=unchanged")
    assert config_of(site, number)["config_version"] == pushed["config_version"]


@pytest.mark.parametrize("changes, words", [
    ({"idle_timeout_seconds": "5"}, "Thời gian chờ phải là số giây từ 30 đến 600"),
    ({"idle_timeout_seconds": "9000"}, "Thời gian chờ phải là số giây từ 30 đến 600"),
    ({"idle_timeout_seconds": "abc"}, "Thời gian chờ phải là số giây từ 30 đến 600"),
    ({"idle_timeout_seconds": "٣٠٠"}, "Thời gian chờ phải là số giây từ 30 đến 600"),
    ({"default_language": "fr"}, "Ngôn ngữ mặc định"),
    ({"printer_driver": "bluetooth"}, "Loại máy in"),
    ({"services": ["A", "Q"]}, "dịch vụ của hàng đợi"),
    ({"office_name": "x" * 201}, "Tên đơn vị"),
])
def test_a_bad_config_shows_the_message_and_keeps_the_old_one(site, staff, changes, words):
    number = site.terminal
    before = config_of(site, number)
    reply = staff.post(f"/admin/terminals/{number}", config_form(staff, number, **changes))
    assert reply.status == 400 and words in reply.text and "Chưa lưu được cấu hình" in reply.text
    assert config_of(site, number) == before


def test_revoke_needs_a_confirmation_and_is_audited(site, staff):
    added = json.loads(kiosk("terminal", "add", "Máy cũ", *db_args(site.db), "--json").stdout)
    number, token = added["id"], added["token"]
    csrf = staff.csrf(f"/admin/terminals/{number}")
    refused = staff.post(f"/admin/terminals/{number}/revoke", {"csrf_token": csrf})
    assert refused.status == 400 and "xác nhận" in refused.text
    assert site.post("/api/v1/ratings", {"level": "satisfied"}, token=token).status == 201
    done = staff.post(f"/admin/terminals/{number}/revoke", {"csrf_token": csrf, "confirm": "on"})
    assert done.status == 303 and site.post("/api/v1/ratings", {"level": "satisfied"}, token=token).status == 401
    assert "Đã thu hồi" in staff.get(done.headers["Location"]).text
    assert audit(site, "terminal_revoked")[-1][:2] == ("staff", f"terminal {number}")
    assert staff.get("/admin/terminals/999999").status == 404
    assert staff.get("/admin/terminals/abc").status == 404


def test_logout_ends_the_session(site):
    person = Staff(site)
    person.log_in(username="leaver")
    cookie = person.cookies["kiosk_admin"]
    reply = person.post("/admin/logout", {"csrf_token": person.csrf("/admin/terminals")})
    assert reply.status == 303 and reply.headers["Location"] == "/admin/login"
    assert "kiosk_admin" not in person.cookies, "the cookie is deleted"
    person.cookies["kiosk_admin"] = cookie  # and kept by a careless browser, it no longer opens anything
    assert person.get("/admin/terminals").status == 303
    assert audit(site, "logout")[-1][:2] == ("leaver", "leaver")


def test_an_account_is_locked_after_five_wrong_passwords(site):
    person = Staff(site)
    for _ in range(5):
        assert person.log_in(username="locky", password="wrong password").status == 403
    reply = person.log_in(username="locky")
    assert reply.status == 403 and "kiosk_admin" not in person.cookies, "locked even to the right password"
    assert audit(site, "account_locked")[-1][:2] == ("locky", "locky")
    assert json.loads(audit(site, "login_failed")[-1][2])["reason"] == "locked"
    listed = json.loads(kiosk("admin", "list", *db_args(site.db), "--json").stdout)
    assert next(a for a in listed if a["username"] == "locky")["locked_until"]
    assert Staff(site).log_in().status == 303, "other accounts are not locked"


def test_an_address_is_stopped_after_many_failed_logins(tmp_path):
    server = start_site(tmp_path / "site")
    try:
        add_admin(server.db, "staff", PASSWORD, tmp_path)
        statuses = []

        def fail(number):
            statuses.append(Staff(server).log_in(username=f"guess{number}", password="guess").status)

        threads = [threading.Thread(target=fail, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [403] * 20
        reply = Staff(server).log_in()
        assert reply.status == 429 and "quá nhiều lần" in reply.text
        assert json.loads(audit(server, "login_failed")[-1][2])["reason"] == "too_many_failures_from_address"
    finally:
        assert server.stop() == 0


def test_queue_statistics_and_audit_pages(site, staff):
    assert Staff(site).log_in("leaver", "not the password").status == 403  # for the audit log, whatever ran before
    assert site.post("/api/v1/queue/tickets", {"service": "A"}, Idempotency_Key="admin-page-1").status == 201
    queue = staff.get("/admin/queue")
    assert queue.status == 200 and "Hộ tịch" in queue.text and "Quầy" in queue.text
    stats = staff.get("/admin/stats")
    assert stats.status == 200 and "Thống kê trong ngày" in stats.text and 'type="date"' in stats.text
    assert "Rất hài lòng" in stats.text and "Đang xử lý" in stats.text
    old_day = staff.get("/admin/stats?date=2020-01-31")
    assert old_day.status == 200 and 'value="2020-01-31"' in old_day.text
    bad_day = staff.get("/admin/stats?date=31/01/2020")
    assert bad_day.status == 400 and "Ngày không hợp lệ" in bad_day.text
    log = staff.get("/admin/audit")
    assert log.status == 200 and "Đăng nhập" in log.text and "Đăng nhập không thành công" in log.text
    assert staff.get("/admin/audit?page=999").status == 200 and staff.get("/admin/audit?page=-1").status == 200


def test_unknown_admin_pages_are_html_with_the_headers(site, staff):
    for reply in (staff.get("/admin/nothing-here"), staff.send("DELETE", "/admin/terminals")):
        assert reply.status in (404, 405) and reply.headers["Content-Type"].startswith("text/html")
        assert reply.headers["X-Frame-Options"] == "DENY" and "Traceback" not in reply.text


def test_no_citizen_data_on_the_pages(site, staff):
    with open(SAMPLE_DIR / "dossiers.json", encoding="utf-8") as handle:
        names = {spec["applicant"] for spec in json.load(handle)["dossiers"]}
    for path in ("/admin/terminals", f"/admin/terminals/{site.terminal}", "/admin/queue", "/admin/stats",
                 "/admin/audit"):
        text = staff.get(path).text
        assert not any(name in text for name in names), path
        assert not re.search(r"\b0\d{11}\b", text), f"something like an ID number on {path}"


def test_a_broken_form_is_a_400_page(site, staff):
    for headers in ({"Content-Type": "multipart/form-data"}, {"Content-Type": "multipart/form-data; boundary=zz"}):
        reply = staff.send("POST", "/admin/login", headers=headers)
        assert reply.status == 400 and reply.headers["Content-Type"].startswith("text/html")


def test_a_change_through_the_admin_token_is_audited_too(site):
    config = {**config_of(site, site.terminal)["config"], "idle_timeout_seconds": 333}
    reply = site.request("PUT", f"/api/v1/terminals/{site.terminal}/config", body=json.dumps(config).encode(),
                         token="admin")
    assert reply.status == 200
    who, target, detail = audit(site, "terminal_config_changed")[-1]
    assert (who, target) == ("admin token", f"terminal {site.terminal}")
    assert json.loads(detail)["changes"]["idle_timeout_seconds"][1] == 333




def test_admin_command_refusals_are_one_line_reasons(site, tmp_path):
    short = tmp_path / "short"
    short.write_text("123456789\n", encoding="utf-8")
    good = tmp_path / "good"
    good.write_text(PASSWORD, encoding="utf-8")
    for args, reason in [
        (["new-one", "--password-file", str(short)], "at least 10 characters"),
        (["staff", "--password-file", str(good)], "exists already"),
        (["Tên Có Dấu", "--password-file", str(good)], "a username is"),
        (["new-one", "--password-file", str(tmp_path / "missing")], "cannot read the password file"),
        (["new-one"], "give --password-file"),  # no terminal to ask on
    ]:
        done = kiosk("admin", "add", *args, *db_args(site.db))
        assert done.returncode == 1 and reason in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert kiosk("admin", "add", *db_args(site.db)).returncode == 2
    assert kiosk("admin", "add", "new-one", "--password-file", str(good), *db_args(site.db), "--json").stdout \
        == '{"username": "new-one", "role": "admin", "counters": [], "sites": ["*"]}\n'
    assert "new-one" in kiosk("admin", "list", *db_args(site.db)).stdout
    assert audit(site, "admin_added")[-1][1] == "new-one"


def test_one_stop_accounts_listed_and_revoked_with_their_audit(site, staff, tmp_path):
    secret = tmp_path / "igate.password"
    secret.write_text("igate-password-0123", encoding="utf-8")
    assert kiosk("integration", "add", "vnpt-igate", *db_args(site.db), "--password-file", str(secret)).returncode == 0
    number = json.loads(kiosk("integration", "list", *db_args(site.db), "--json").stdout)[-1]["id"]
    logged_in = site.post("/api/v1/dvcqg/auth", {"username": "vnpt-igate", "password": "igate-password-0123"}, token=None)
    assert logged_in.json()["error_code"] == 0
    page = staff.get("/admin/integrations").text
    row = re.search(r"<td>vnpt-igate</td>.*?</tr>", page, re.S).group(0)
    assert "Đang dùng" in row and f'action="/admin/integrations/{number}/revoke"' in row
    token = staff.csrf("/admin/integrations")
    unconfirmed = staff.post(f"/admin/integrations/{number}/revoke", {"csrf_token": token})
    assert unconfirmed.status == 400 and "xác nhận" in unconfirmed.text
    forged = staff.post(f"/admin/integrations/{number}/revoke", {"csrf_token": "forged", "confirm": "on"})
    assert forged.status == 403
    done = staff.post(f"/admin/integrations/{number}/revoke", {"csrf_token": token, "confirm": "on"})
    assert done.status == 303 and done.headers["Location"] == "/admin/integrations?done=integration_revoked"
    assert "Đã thu hồi" in staff.get("/admin/integrations?done=integration_revoked").text
    session = logged_in.json()["session"]
    refused = site.post("/api/v1/dvcqg", {"session": session, "service": "TraCuuHoSo", "mahoso": "x"}, token=None)
    assert refused.status == 401  # its sessions ended with it
    assert [r[1] for r in audit(site, "integration_revoked")] == [f"integration {number}"]
    log = staff.get("/admin/audit").text
    assert "Thu hồi tài khoản hệ thống một cửa" in log and "Hệ thống một cửa đăng nhập" in log
    assert staff.get("/admin/integrations/999/revoke").status == 405
