"""The /admin pages in Vietnamese by default and wholly in English on request (?lang=en, then
remembered by a cookie): over real HTTP against a real backend process."""

import json
import re
import unicodedata

import pytest

from kiosk.backend.sample import SAMPLE_DIR
from kiosk.domain.rating import RATING_REASONS
from kiosk.i18n import translate
from support import PASSWORD, Staff, add_admin, start_site

# The staff's browser and their account, as test_admin.py has them.
from backend.test_admin import kiosk
from stores import db_args

pytestmark = pytest.mark.both_stores

PAGES = ["/admin/terminals", "/admin/terminals/{terminal}", "/admin/integrations", "/admin/queue", "/admin/stats",
         "/admin/audit", "/admin/no-such-page"]


def vietnamese(text):
    return {c for c in text if ord(c) > 127 and "LATIN" in unicodedata.name(c, "")}


@pytest.fixture(scope="module")
def site(tmp_path_factory, store_kind):
    folder = tmp_path_factory.mktemp("admin-language")
    server = start_site(folder)
    add_admin(server.db, "staff", PASSWORD, folder)
    listed = kiosk("terminal", "list", *db_args(server.db), "--json")
    server.terminal = json.loads(listed.stdout)[0]["id"]
    # Something on every page: health, a rating with the kiosk's reasons (sent in Vietnamese),
    # a one-stop system's account, a failed login in the audit log.
    assert server.post(f"/api/v1/terminals/{server.terminal}/heartbeat",
                       {"app_version": "0.9.1", "printer": "paper_low", "scanner": "ok", "card_reader": "absent",
                        "free_disk_mb": 900, "outbox_size": 0}).status == 200
    reasons = [translate(reason, "vi") for reason in RATING_REASONS[:2]]
    assert server.post("/api/v1/ratings", {"level": "satisfied", "reasons": reasons}).status == 201
    assert kiosk("integration", "add", "igate", *db_args(server.db)).returncode == 0
    yield server
    assert server.stop() == 0


def data_words():
    """What the pages show as data, in Vietnamese only: the sample site's counter names."""
    queue = json.loads((SAMPLE_DIR / "queue.json").read_text(encoding="utf-8"))
    return [counter["name"] for counter in queue["counters"]]


def shown_text(html):
    """The page's text as a reader sees it: tags, the style sheet and the inline JSON of the
    audit log's details (stored data) left out."""
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    html = re.sub(r'<small class="detail">.*?</small>', "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def untranslated(html):
    text = shown_text(html).replace("Tiếng Việt", "")  # the link back to Vietnamese, named in it
    for word in data_words():
        text = text.replace(word, "")
    return sorted({line.strip() for line in text.splitlines() if vietnamese(line)})


def test_pages_are_in_vietnamese_by_default(site):
    staff = Staff(site)
    login = staff.get("/admin/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="vi">' in login.text and "Tên đăng nhập" in login.text, \
        "an English browser does not turn the staff's pages into English"
    assert staff.log_in().status == 303
    page = staff.get("/admin/stats")
    assert "Thống kê trong ngày" in page.text and 'href="?lang=en"' in page.text


def test_every_page_in_english_has_no_vietnamese_word_but_the_data(site):
    staff = Staff(site)
    assert staff.get("/admin/login?lang=en").status == 200
    assert staff.cookies.get("kiosk_admin_lang") == "en"
    assert "Username" in staff.get("/admin/login").text, "the choice is remembered"
    reply = staff.log_in()
    assert reply.status == 303
    seen = {}
    for path in PAGES:
        page = staff.get(path.format(terminal=site.terminal))
        assert '<html lang="en">' in page.text, path
        seen[path] = page.text
        assert not untranslated(page.text), f"{path}: {untranslated(page.text)}"
    assert "Paper low" in seen["/admin/terminals"] and "Working" in seen["/admin/terminals"]
    assert "Land, construction, environment" in seen["/admin/queue"], "a service's English name"
    stats = seen["/admin/stats"]
    assert "Satisfied" in stats and "Quick service" in stats, "ratings and the kiosks' reasons in English"
    assert "More documents requested" in stats and "Not yet due" in stats
    assert "Logged in" in seen["/admin/audit"] and "There is no such page." in seen["/admin/no-such-page"]


def test_messages_after_a_form_follow_the_language(site):
    staff = Staff(site)
    staff.get("/admin/login?lang=en")
    wrong = staff.log_in(password="not the password")
    assert wrong.status == 403 and "Wrong username or password" in wrong.text
    assert staff.log_in().status == 303
    number = site.terminal
    form = {"csrf_token": staff.csrf(f"/admin/terminals/{number}"), "office_name": "One-stop desk",
            "default_language": "fr", "idle_timeout_seconds": "5", "printer_driver": "file"}
    refused = staff.post(f"/admin/terminals/{number}", form)
    assert refused.status == 400 and "The configuration was not saved" in refused.text
    assert "The idle time must be a number of seconds from 30 to 600." in refused.text
    assert not untranslated(refused.text), untranslated(refused.text)
    unconfirmed = staff.post(f"/admin/terminals/{number}/revoke", {"csrf_token": staff.csrf(f"/admin/terminals/{number}")})
    assert unconfirmed.status == 400 and "Tick the box to confirm before revoking." in unconfirmed.text
    # Back to Vietnamese with the header's link.
    again = staff.get(f"/admin/terminals/{number}?lang=vi")
    assert '<html lang="vi">' in again.text and "Tình trạng" in again.text
    assert staff.cookies.get("kiosk_admin_lang") == "vi"
