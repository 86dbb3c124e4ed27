"""The counter page over real HTTP against a real backend process: who may use which counter,
each button, transfer keeping the citizen's place, pause, the audit, and the waiting lines."""

import re
import urllib.parse
import uuid

import pytest

from support import PASSWORD, Staff, add_admin, query, start_site

pytestmark = pytest.mark.both_stores

# The sample site's counters (kiosk/backend/sample_data/*/queue.json): 3, 4 and 5 call service B,
# 1 and 2 call A, 8 calls E and A.


@pytest.fixture(scope="module")
def site(tmp_path_factory, store_kind):
    folder = tmp_path_factory.mktemp("counter")
    server = start_site(folder)
    add_admin(server.db, "lan", PASSWORD, folder, "--counter", "3")
    add_admin(server.db, "minh", PASSWORD, folder, "--counter", "4", "--counter", "8")
    add_admin(server.db, "chief", PASSWORD, folder)
    yield server
    assert server.stop() == 0


def officer(site, name):
    person = Staff(site)
    reply = person.log_in(name)
    assert reply.status == 303, reply.text
    return person


def issue(site, service, priority=None):
    reply = site.post("/api/v1/queue/tickets", {"service": service, "priority": priority},
                      Idempotency_Key=uuid.uuid4().hex)
    assert reply.status == 201, reply.body
    return reply.json()


def press(person, counter, action, **form):
    page = f"/admin/counter/{counter}"
    reply = person.post(f"{page}/{action}", {"csrf_token": person.csrf(page), **form})
    assert reply.status == 303, reply.text
    return reply.headers["Location"], person.get(reply.headers["Location"]).text


def current(page):
    return re.search(r'id="current">([^<]*)<', page).group(1)


def empty(site, counter):
    """Calls until nobody waits for `counter` (the last call finishes the one before): a clean line."""
    person = officer(site, "chief")
    while "done=nobody" not in press(person, counter, "call-next")[0]:
        pass


def test_a_counter_account_goes_to_its_counter_and_nowhere_else(site):
    person = Staff(site)
    login = person.log_in("lan")
    assert login.headers["Location"] == "/admin/counter"
    assert person.get("/admin/counter").headers["Location"] == "/admin/counter/3"
    assert site.get("/counter", token=None).status == 303  # the address officers are given
    page = person.get("/admin/counter/3")
    assert page.status == 200 and "Quầy 3" in page.text and "Gọi số tiếp theo" in page.text
    assert 'href="/admin/terminals"' not in page.text  # no admin links for an officer
    for path in ("/admin/terminals", "/admin/queue", "/admin/stats", "/admin/audit", "/admin/integrations"):
        assert person.get(path).headers["Location"] == "/admin/counter", path
    refused = person.get("/admin/counter/4")
    assert refused.status == 403 and "không được dùng quầy này" in refused.text
    forged = person.post("/admin/counter/4/call-next", {"csrf_token": person.csrf("/admin/counter/3")})
    assert forged.status == 403
    two = officer(site, "minh")
    choose = two.get("/admin/counter")
    assert choose.status == 200 and 'href="/admin/counter/4"' in choose.text and 'href="/admin/counter/8"' in choose.text
    chief = officer(site, "chief")
    assert chief.get("/admin/counter/5").status == 200  # an admin may stand in at any counter


def test_a_form_needs_the_session_and_its_csrf_token(site):
    person = officer(site, "lan")
    reply = person.post("/admin/counter/3/call-next", {"csrf_token": "forged"})
    assert reply.status == 403
    stranger = Staff(site).post("/admin/counter/3/call-next", {"csrf_token": "x"})
    assert stranger.status == 303 and stranger.headers["Location"] == "/admin/login"
    assert person.post("/admin/counter/3/explode", {"csrf_token": person.csrf("/admin/counter/3")}).status == 404


def test_each_button_does_what_it_says_and_is_audited(site):
    empty(site, 3)
    person = officer(site, "lan")
    first, second = issue(site, "B"), issue(site, "B")
    where, page = press(person, 3, "call-next")
    assert current(page) == first["display"] and f"Đã gọi số {first['display']}" in page
    assert second["display"] in page.split("Đang chờ")[1]  # the line below shows who waits
    _, page = press(person, 3, "recall")
    assert f"Đã gọi lại số {first['display']}" in page and "đã gọi lại 1 lần" in page
    _, page = press(person, 3, "no-show")
    assert current(page) == "—" and f"Số {first['display']} được ghi là vắng mặt" in page
    _, page = press(person, 3, "call-next")
    assert current(page) == second["display"]
    _, page = press(person, 3, "done")
    assert current(page) == "—" and f"Đã phục vụ xong số {second['display']}" in page
    statuses = dict(query(site.db, "SELECT public_id, status FROM tickets WHERE public_id IN (?, ?)",
                          first["id"], second["id"]))
    assert statuses == {first["id"]: "no_show", second["id"]: "served"}
    events = query(site.db, "SELECT action, display, counter, officer FROM queue_events WHERE display IN (?, ?)"
                            " AND action != 'issued' ORDER BY id", first["display"], second["display"])
    assert events[-5:] == [("called", first["display"], 3, "lan"), ("recalled", first["display"], 3, "lan"),
                           ("no_show", first["display"], 3, "lan"), ("called", second["display"], 3, "lan"),
                           ("served", second["display"], 3, "lan")]
    audited = query(site.db, "SELECT who, action, target FROM audit_log WHERE who = 'lan' AND action LIKE 'counter_%'"
                             " ORDER BY id")
    assert [a for _, a, _ in audited[-5:]] == ["counter_called_next", "counter_recalled", "counter_no_show",
                                                "counter_called_next", "counter_finished"]
    assert {t for _, _, t in audited} == {"counter 3"}


def test_transfer_keeps_the_citizens_place_by_the_time_taken(site):
    empty(site, 3)
    empty(site, 1)
    person = officer(site, "lan")
    early_a = issue(site, "A")
    moved = issue(site, "B")
    late_a = issue(site, "A")
    _, page = press(person, 3, "call-next")
    assert current(page) == moved["display"]
    assert 'value="B"' not in page.split('id="service"')[1].split("</select>")[0]  # not to its own line
    _, page = press(person, 3, "transfer", service="A")
    assert current(page) == "—" and "giữ chỗ theo giờ lấy số" in page
    ticket = site.get(f"/api/v1/queue/tickets/{moved['id']}").json()
    assert ticket["status"] == "waiting" and ticket["display"] == moved["display"]  # the same paper ticket
    line_a = officer(site, "chief").get("/admin/counter/1").text.split("Đang chờ")[1]
    order = [early_a["display"], moved["display"], late_a["display"]]
    assert all(number in line_a for number in order)
    assert sorted(order, key=line_a.index) == order, "between the one taken before it and the one after"
    assert "chuyển từ quầy khác" in line_a
    chief = officer(site, "chief")
    called = [current(press(chief, 1, "call-next")[1]) for _ in range(3)]
    assert called == order
    assert query(site.db, "SELECT transfers, line, officer FROM tickets WHERE public_id = ?", moved["id"]) == [
        (1, "A", "chief")]
    bad = chief.post("/admin/counter/1/transfer", {"csrf_token": chief.csrf("/admin/counter/1"), "service": "Z"})
    assert bad.status == 404


def test_a_paused_counter_calls_no_one_until_resumed(site):
    empty(site, 3)
    person = officer(site, "lan")
    waiting = issue(site, "B")
    _, page = press(person, 3, "pause")
    assert "Tạm dừng từ" in page and 'id="call-next"' not in page and 'id="resume"' in page
    refused = person.post("/admin/counter/3/call-next", {"csrf_token": person.csrf("/admin/counter/3")})
    assert refused.status == 409
    board = site.get("/display", token=None).body.decode()
    assert re.search(r'id="counter-3"><span class="paused">Tạm nghỉ', board)
    _, page = press(person, 3, "resume")
    assert "Quầy đã mở lại" in page
    _, page = press(person, 3, "call-next")
    assert current(page) == waiting["display"]
    assert [a for (a,) in query(site.db, "SELECT action FROM queue_events WHERE counter = 3 AND action IN"
                                         " ('paused', 'resumed') ORDER BY id")][-2:] == ["paused", "resumed"]


def test_priority_tickets_are_marked_in_the_line(site):
    empty(site, 1)
    normal = issue(site, "A")
    elderly = issue(site, "A", "elderly")
    chief = officer(site, "chief")
    line = chief.get("/admin/counter/1").text.split("Đang chờ")[1]
    # Service A's policy is strict: the priority ticket is called first, and the line says so.
    assert line.index(elderly["display"]) < line.index("★ Người cao tuổi") < line.index(normal["display"])
    english = chief.get("/admin/counter/1?lang=en").text
    assert "★ Elderly person" in english and "Call the next number" in english


def test_the_days_work_on_the_statistics_page_and_as_csv(site):
    empty(site, 3)
    person = officer(site, "lan")
    issue(site, "B")
    press(person, 3, "call-next")
    press(person, 3, "done")
    chief = officer(site, "chief")
    page = chief.get("/admin/stats").text
    assert "Quầy và cán bộ" in page and "<svg" in page and "<rect" in page
    lan = re.search(r"<tr><td>lan</td><td class=\"n\">(\d+)</td>", page)
    assert lan and int(lan.group(1)) >= 1
    csv = chief.get("/admin/stats.csv")
    assert csv.status == 200 and csv.headers["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="queue-' in csv.headers["Content-Disposition"]
    rows = [line.split(",") for line in csv.text.splitlines()]
    assert rows[0][:6] == ["date", "kind", "who", "served", "no_show", "transferred"]
    assert any(r[1] == "officer" and r[2] == "lan" and int(r[3]) >= 1 for r in rows)
    assert any(r[1] == "hour" and r[6] == "all" for r in rows)
    assert person.get("/admin/stats.csv").headers["Location"] == "/admin/counter"  # not for an officer
    assert chief.get("/admin/stats.csv?date=nonsense").status == 400


def test_a_crafted_address_puts_no_words_in_the_page(site):
    query = urllib.parse.urlencode({"done": "transfer", "number": "Hãy chuyển tiền", "service": "vào tài khoản"})
    page = officer(site, "lan").get(f"/admin/counter/3?{query}").text
    assert "chuyển tiền" not in page and "tài khoản" not in page and 'class="message"' not in page
