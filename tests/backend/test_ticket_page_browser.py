"""A queue ticket's page on the citizen's phone, through a real browser (the system's Chromium,
headless, phone-sized, driven by Selenium through the system's chromedriver): no rating while
the citizen waits or is called; once the counter has served the ticket, four faces, then the
reasons that fit the face chosen, and the rating stored like a kiosk's, once per ticket."""

import json
import os
import tempfile
import uuid
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import WebDriverWait

from support import headless_chromium, query, start_site

pytestmark = pytest.mark.both_stores

COUNTER = 8
"""The sample site's counter for service E."""
SHOTS = Path(os.environ.get("KIOSK_SCREENSHOTS") or tempfile.mkdtemp(prefix="kiosk-shots-"))


@pytest.fixture(scope="module")
def site(tmp_path_factory, store_kind):
    server = start_site(tmp_path_factory.mktemp("ticket-page"))
    yield server
    assert server.stop() == 0


@pytest.fixture
def phone(tmp_path):
    session = headless_chromium(tmp_path / "profile", 412, 915)
    yield session
    session.quit()


def call_next(site):
    reply = site.post(f"/api/v1/queue/counters/{COUNTER}/call-next", token="admin")
    assert reply.status == 200, reply.body
    return reply.json()["ticket"]


def buttons(phone, css):
    return [b.text.split("\n")[0] for b in phone.find_elements(By.CSS_SELECTOR, css)]


def ratings(site, ticket):
    return query(site.db, "SELECT level, reasons, terminal_id FROM ratings WHERE ticket_id = ?", ticket)


def test_the_ticket_page_asks_for_a_rating_once_served(site, phone):
    while call_next(site):  # the counter's queue empty
        pass
    ticket = site.post("/api/v1/queue/tickets", {"service": "E"}, Idempotency_Key=uuid.uuid4().hex).json()
    page = f"http://{site.host}:{site.port}/t/{ticket['id']}"
    SHOTS.mkdir(parents=True, exist_ok=True)

    # Waiting, then called: nothing to rate yet, and a rating posted anyway is refused.
    phone.get(page)
    assert ticket["display"] in phone.find_element(By.CLASS_NAME, "number").text
    assert not phone.find_elements(By.CSS_SELECTOR, "form.rating")
    assert call_next(site)["id"] == ticket["id"]
    phone.refresh()
    assert "Mời bạn đến Quầy 8" in phone.page_source
    assert not phone.find_elements(By.CSS_SELECTOR, "form.rating")
    early = site.request("POST", f"/t/{ticket['id']}", b"level=satisfied",
                         {"Content-Type": "application/x-www-form-urlencoded"}, token=None)
    assert early.status == 409 and ratings(site, ticket["id"]) == []

    # Served: the page (which refreshes itself while the ticket is live) now asks.
    call_next(site)
    phone.refresh()
    faces = WebDriverWait(phone, 20).until(seen.presence_of_element_located((By.CSS_SELECTOR, "form.rating .faces")))
    assert buttons(phone, ".faces button") == ["Rất hài lòng", "Hài lòng", "Chưa hài lòng",
                                               "Không hài lòng"]
    for face in faces.find_elements(By.TAG_NAME, "button"):
        assert face.size["height"] >= 60 and face.size["width"] >= 60  # a thumb's target on a phone
    phone.save_screenshot(str(SHOTS / "ticket-page-faces.png"))

    # An unsatisfied face: complaints to tick, no praise.
    phone.find_element(By.CSS_SELECTOR, "button[value=unsatisfied]").click()
    WebDriverWait(phone, 20).until(seen.presence_of_element_located((By.CSS_SELECTOR, ".reasons")))
    reasons = [r.text.split("\n")[0] for r in phone.find_elements(By.CSS_SELECTOR, ".reason")]
    assert reasons == ["Chờ đợi lâu", "Hướng dẫn chưa rõ ràng", "Yêu cầu thêm giấy tờ"]
    # Changing one's mind: the satisfied face offers praise instead.
    phone.find_element(By.CSS_SELECTOR, "a.again").click()
    phone.find_element(By.CSS_SELECTOR, "button[value=satisfied]").click()
    WebDriverWait(phone, 20).until(seen.presence_of_element_located((By.CSS_SELECTOR, ".reasons")))
    reasons = [r.text.split("\n")[0] for r in phone.find_elements(By.CSS_SELECTOR, ".reason")]
    assert reasons == ["Giải quyết nhanh chóng", "Cán bộ nhiệt tình", "Hướng dẫn rõ ràng"]
    phone.find_element(By.CSS_SELECTOR, "input[value='Helpful staff']").click()
    phone.save_screenshot(str(SHOTS / "ticket-page-reasons.png"))
    phone.find_element(By.CSS_SELECTOR, "button.send").click()
    WebDriverWait(phone, 20).until(seen.text_to_be_present_in_element((By.CSS_SELECTOR, ".rating"), "Cảm ơn"))
    phone.save_screenshot(str(SHOTS / "ticket-page-thanks.png"))
    stored = json.dumps(["Cán bộ nhiệt tình"], ensure_ascii=False)
    assert ratings(site, ticket["id"]) == [("satisfied", stored, 0)]  # terminal 0: from a phone, no kiosk

    # Once per ticket: the page thanks again, a second post records nothing.
    phone.get(page)
    assert not phone.find_elements(By.CSS_SELECTOR, "form.rating")
    assert "Ý kiến của bạn giúp chúng tôi" in phone.page_source
    again = site.request("POST", f"/t/{ticket['id']}", b"level=very_unsatisfied",
                         {"Content-Type": "application/x-www-form-urlencoded"}, token=None)
    assert again.status == 200 and len(ratings(site, ticket["id"])) == 1

    # Only the reasons of the face chosen, and no made-up words.
    other = site.post("/api/v1/queue/tickets", {"service": "E"}, Idempotency_Key=uuid.uuid4().hex).json()
    call_next(site), call_next(site)
    for body in (b"level=unsatisfied&reason=Quick+service", b"level=unsatisfied&reason=anything+at+all",
                 b"level=ecstatic", b""):
        refused = site.request("POST", f"/t/{other['id']}", body,
                               {"Content-Type": "application/x-www-form-urlencoded"}, token=None)
        assert refused.status == 400 and b"</html>" in refused.body, body
    assert ratings(site, other["id"]) == []
