"""One backend, several centres: each site's kiosks, queue, counters, hall display, staff and
statistics kept to itself, over real HTTP against a real backend process on both stores. A
province's second site is added with the `kiosk` command while the backend runs, as a province's
engineer would; the first is the sample site ("main")."""

import json
import re
import socket
import subprocess
import uuid

import pytest

from kiosk.backend.admin import ACTION_WORDS
from kiosk.i18n import translate
from support import KIOSK, PASSWORD, Staff, add_admin, query, start_site
from stores import db_args

pytestmark = pytest.mark.both_stores

SITE = "xa-an-nhon"
NAME = "UBND xã An Nhơn (dữ liệu mẫu)"
# A commune's queue: its own service A (the province's main site has an A too) and one counter.
QUEUE = {
    "services": [{"letter": "A", "name": "Một cửa xã An Nhơn", "name_en": "An Nhon one-stop desk",
                  "fields": ["HOTICH"], "hours": [["00:00", "24:00"]], "days": "all"}],
    "counters": [{"number": 1, "name": "Quầy xã 1", "services": ["A"]}],
    "priority_categories": [],
}


def kiosk(*args):
    return subprocess.run([KIOSK, *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def site(tmp_path_factory, store_kind):
    folder = tmp_path_factory.mktemp("sites")
    server = start_site(folder)
    db = db_args(server.db)
    # Added while the backend runs: it serves the new site at once, without a restart.
    added = kiosk("site", "add", SITE, NAME, "--name-en", "An Nhon commune (sample data)", *db)
    assert added.returncode == 0 and f"/display?site={SITE}" in added.stdout, added.stderr
    queue_file = folder / "queue.json"
    queue_file.write_text(json.dumps(QUEUE, ensure_ascii=False), encoding="utf-8")
    assert kiosk("queue", "configure", str(queue_file), "--site", SITE, *db).returncode == 0
    made = kiosk("terminal", "add", "Kiosk An Nhơn", "--site", SITE, "--json", *db)
    assert made.returncode == 0, made.stderr
    server.commune = json.loads(made.stdout)
    add_admin(server.db, "tinh", PASSWORD, folder)  # a province admin: every site
    add_admin(server.db, "annhon", PASSWORD, folder, "--site", SITE)
    add_admin(server.db, "quay1", PASSWORD, folder, "--counter", "1", "--site", SITE)
    add_admin(server.db, "quaychinh", PASSWORD, folder, "--counter", "1")  # the main site's counter 1
    yield server
    assert server.stop() == 0


def commune_token(site):
    return site.commune["token"]


def issue(site, token):
    reply = site.post("/api/v1/queue/tickets", {"service": "A"}, token=token, Idempotency_Key=uuid.uuid4().hex)
    assert reply.status == 201, reply.body
    return reply.json()


def signed_in(site, name):
    person = Staff(site)
    assert person.log_in(name).status == 303
    return person


def first_event(site, path):
    """The first message of an event stream (Server-Sent Events), as JSON. HTTP/1.0: the stream
    comes as it is written, not in chunks."""
    with socket.create_connection((site.host, site.port), timeout=10) as connection:
        connection.sendall(f"GET {path} HTTP/1.0\r\nAccept: text/event-stream\r\n\r\n".encode())
        received = b""
        while not (found := re.search(rb"\ndata: (.*)\n\n", received)):
            chunk = connection.recv(65536)
            assert chunk, received
            received += chunk
    return json.loads(found.group(1))


def test_each_site_numbers_its_own_tickets_and_offers_its_own_services(site):
    for _ in range(2):
        issue(site, "terminal")  # the main site's kiosk
    first = issue(site, commune_token(site))
    assert first["display"] == "A001" and first["service"]["name"] == "Một cửa xã An Nhơn"
    main_numbers = [r[0] for r in query(site.db, "SELECT number FROM tickets WHERE site = 'main' AND service = 'A'")]
    assert len(main_numbers) >= 2 and issue(site, commune_token(site))["display"] == "A002"
    # A kiosk is shown its own site's services; anyone else the site they name.
    own = site.get("/api/v1/queue/services", token=commune_token(site)).json()["services"]
    assert [(s["letter"], s["name"]) for s in own] == [("A", "Một cửa xã An Nhơn")]
    assert site.get(f"/api/v1/queue/services?site={SITE}", token=None).json()["services"] == own
    assert len(site.get("/api/v1/queue/services", token="terminal").json()["services"]) > 1
    missing = site.get("/api/v1/queue/services?site=nowhere", token=None)
    assert missing.status == 404 and missing.json()["error"]["code"] == "site_not_found"
    # The ticket's own page names its centre.
    page = site.get(f"/t/{first['id']}", token=None)
    assert page.status == 200 and "UBND xã An Nhơn" in page.body.decode()


def test_a_counter_officer_calls_their_own_site_s_citizens_and_its_display_shows_them(site):
    ticket = issue(site, commune_token(site))
    issue(site, "terminal")  # one waits at the main site's A too, which counter 1 there calls
    officer = signed_in(site, "quay1")
    assert officer.get("/admin/counter").headers["Location"] == "/admin/counter/1"  # one site: no choice to make
    page = officer.get("/admin/counter/1")
    assert page.status == 200 and "Quầy xã 1" in page.text and f'value="{SITE}"' in page.text
    called = ""
    while called != ticket["display"]:  # the earlier tests' tickets first, in order
        reply = officer.post("/admin/counter/1/call-next", {"csrf_token": officer.csrf("/admin/counter/1"),
                                                            "site": SITE})
        assert reply.status == 303 and "nobody" not in reply.headers["Location"], reply.headers["Location"]
        called = re.search(r'id="current">([^<]*)<', officer.get(reply.headers["Location"]).text).group(1)
    status = query(site.db, "SELECT status, counter, site FROM tickets WHERE public_id = ?", ticket["id"])
    assert status == [("called", 1, SITE)]
    # Its hall display shows the call; the main site's display does not.
    shown = first_event(site, f"/display/events?site={SITE}")
    assert shown["calls"][0]["display"] == ticket["display"] and shown["calls"][0]["counter"] == 1
    main = first_event(site, "/display/events?site=main")
    assert all(c["event"] != shown["calls"][0]["event"] for c in main["calls"])
    display = site.get(f"/display?site={SITE}", token=None).body.decode()
    assert "UBND xã An Nhơn" in display and ticket["display"] in display
    unknown = site.get("/display?site=nowhere", token=None)
    assert unknown.status == 404 and f"/display?site={SITE}" in unknown.body.decode()
    # The officer of the main site's counter 1 is not the commune's, and the other way round.
    main_officer = signed_in(site, "quaychinh")
    assert main_officer.get(f"/admin/counter/1?site={SITE}").status == 404
    refused = main_officer.post("/admin/counter/1/call-next", {"csrf_token": main_officer.csrf("/admin/counter/1"),
                                                               "site": SITE})
    assert refused.status == 403
    assert query(site.db, "SELECT status FROM tickets WHERE public_id = ?", ticket["id"]) == [("called",)]


def test_a_site_admin_sees_only_its_site(site):
    person = signed_in(site, "annhon")
    kiosks = person.get("/admin/terminals")
    assert kiosks.status == 200 and "Kiosk An Nhơn" in kiosks.text and "test kiosk" not in kiosks.text
    assert 'id="site-name"' in kiosks.text and 'id="site-choice"' not in kiosks.text  # one site: named, no choice
    main_kiosk = query(site.db, "SELECT id FROM terminals WHERE site = 'main'")[0][0]
    assert person.get(f"/admin/terminals/{main_kiosk}").status == 404
    assert person.get(f"/admin/terminals/{site.commune['id']}").status == 200
    assert person.get("/admin/terminals?site=main").status == 404
    assert person.get("/admin/integrations").status == 303  # the whole province's: not a commune's
    assert 'href="/admin/integrations"' not in kiosks.text
    queue = person.get("/admin/queue")
    assert "Một cửa xã An Nhơn" in queue.text and "Hộ tịch, chứng thực" not in queue.text
    # The audit log: what was done at the commune (its kiosk added, its counter's calls), not the
    # province's own entries (logins, accounts).
    audit = person.get("/admin/audit").text
    assert "Kiosk An Nhơn" in audit and translate(ACTION_WORDS["counter_called_next"], "vi") in audit
    assert translate(ACTION_WORDS["login"], "vi") not in audit
    # A call for staff from the commune's kiosk reaches the commune's staff, not the main site's.
    help_call = site.post(f"/api/v1/terminals/{site.commune['id']}/help", {"screen": "queue"},
                          token=commune_token(site))
    assert help_call.status == 201
    call = help_call.json()["request"]["id"]
    assert f'id="help-{call}"' in person.get("/admin/terminals").text
    province = signed_in(site, "tinh")
    assert f'id="help-{call}"' not in province.get("/admin/terminals?site=main").text
    assert f'id="help-{call}"' in province.get(f"/admin/terminals?site={SITE}").text


def test_a_province_admin_chooses_the_site_and_the_choice_stays(site):
    person = signed_in(site, "tinh")
    page = person.get("/admin/terminals")
    assert 'id="site-choice"' in page.text and f'value="{SITE}"' in page.text and "test kiosk" in page.text
    chosen = person.get(f"/admin/terminals?site={SITE}")
    assert "Kiosk An Nhơn" in chosen.text and "test kiosk" not in chosen.text
    again = person.get("/admin/terminals")  # remembered, as the language is
    assert "Kiosk An Nhơn" in again.text and "test kiosk" not in again.text
    assert person.get("/admin/integrations").status == 200
    english = person.get("/admin/queue?lang=en").text
    assert "An Nhon commune (sample data)" in english and "An Nhon one-stop desk" in english


def test_statistics_are_a_site_s_own(site):
    issued = {code: query(site.db, "SELECT COUNT(*) FROM tickets WHERE site = ? AND service = 'A' AND day = ?",
                          code, issue(site, token)["day"])[0][0]
              for code, token in (("main", "terminal"), (SITE, commune_token(site)))}
    rated = site.post("/api/v1/ratings", {"level": "very_satisfied", "reasons": []}, token=commune_token(site),
                      Idempotency_Key=uuid.uuid4().hex)
    assert rated.status == 201, rated.body
    commune = site.get(f"/api/v1/stats/daily?site={SITE}", token="admin").json()
    main = site.get("/api/v1/stats/daily", token="admin").json()
    assert commune["site"] == SITE and main["site"] == "main"
    assert [(s["letter"], s["issued"]) for s in commune["queue"]] == [("A", issued[SITE])]
    assert next(s["issued"] for s in main["queue"] if s["letter"] == "A") == issued["main"]
    assert commune["ratings"]["by_level"]["very_satisfied"] >= 1
    assert main["ratings"]["by_level"]["very_satisfied"] == 0
    assert site.get("/api/v1/stats/daily?site=nowhere", token="admin").status == 404
    # The admin token's counter calls name their site too.
    call = site.post(f"/api/v1/queue/counters/1/call-next?site={SITE}", token="admin")
    assert call.status == 200 and (call.json()["ticket"] is None or call.json()["ticket"]["display"].startswith("A"))


def test_an_enrolment_code_enrols_a_kiosk_at_its_site(site):
    made = kiosk("terminal", "add", "Kiosk An Nhơn 2", "--enrol", "--site", SITE, "--json", *db_args(site.db))
    assert made.returncode == 0, made.stderr
    enrolled = site.post("/api/v1/terminals/enrol", {"code": json.loads(made.stdout)["code"]}, token=None)
    assert enrolled.status == 201
    services = site.get("/api/v1/queue/services", token=enrolled.json()["token"]).json()["services"]
    assert [s["name"] for s in services] == ["Một cửa xã An Nhơn"]
    listed = kiosk("terminal", "list", *db_args(site.db))
    assert re.search(rf"{enrolled.json()['id']}\s+{SITE}\s+Kiosk An Nhơn 2", listed.stdout), listed.stdout


def test_the_site_commands_refuse_in_one_line(site, tmp_path):
    db = db_args(site.db)
    secret = tmp_path / "password"
    secret.write_text(PASSWORD, encoding="utf-8")
    account = ["admin", "add", "someone", "--password-file", str(secret)]
    queue_file = tmp_path / "queue.json"
    queue_file.write_text(json.dumps(QUEUE, ensure_ascii=False), encoding="utf-8")
    for args, reason in [
        (["site", "add", "Xã Có Dấu", "Tên"], "a site's code is"),
        (["site", "add", SITE, "Again"], "exists already"),
        (["site", "add", "xa-moi", "   "], "a site's name is"),
        (["terminal", "add", "Kiosk", "--site", "nowhere"], "there is no site nowhere"),
        (["queue", "configure", "/dev/null", "--site", SITE], "is not a queue configuration"),
        (["queue", "configure", str(queue_file), "--site", "nowhere"], "there is no site nowhere"),
        ([*account, "--counter", "1", "--site", "main", "--site", SITE], "works at one site"),
        ([*account, "--site", "nowhere"], "there is no site nowhere"),
    ]:
        done = kiosk(*args, *db)
        assert done.returncode == 1 and reason in done.stderr and done.stderr.count("\n") == 1, (args, done.stderr)
    listed = json.loads(kiosk("site", "list", "--json", *db).stdout)
    assert [s["code"] for s in listed] == ["main", SITE]
    assert listed[0]["name"].startswith("Trung tâm Phục vụ hành chính công")  # "main" named by its catalogue
    accounts = {a["username"]: a for a in json.loads(kiosk("admin", "list", "--json", *db).stdout)}
    assert accounts["tinh"]["sites"] == ["*"] and accounts["annhon"]["sites"] == [SITE]
    assert accounts["quay1"]["sites"] == [SITE] and accounts["quaychinh"]["sites"] == ["main"]
