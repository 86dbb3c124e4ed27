"""The hall display, the counter page and a ticket's page through a real browser (the system's
Chromium, headless): a counter calls and the display shows it and fetches its spoken call; the
display says it is reconnecting while the backend is down and follows again once it is back; a
citizen's ticket page changes by itself when the ticket is called, then asks for a rating."""

import io
import os
import tempfile
import time
import uuid
import wave
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from support import PASSWORD, Backend, Staff, add_admin, headless_chromium, start_site

pytestmark = pytest.mark.both_stores

SHOTS = Path(os.environ.get("KIOSK_SCREENSHOTS") or tempfile.mkdtemp(prefix="kiosk-shots-"))
TV = ("--autoplay-policy=no-user-gesture-required",)
"""A hall TV's browser plays the calls without a touch first (docs: the kiosk-mode flags)."""


@pytest.fixture(scope="module")
def site(tmp_path_factory, store_kind):
    folder = tmp_path_factory.mktemp("display")
    server = start_site(folder)
    add_admin(server.db, "quay3", PASSWORD, folder, "--counter", "3")
    yield server
    server.stop()


@pytest.fixture
def browser(tmp_path):
    opened = []

    def open_one(width, height, *flags):
        session = headless_chromium(tmp_path / f"profile{len(opened)}", width, height, False, *flags)
        opened.append(session)
        return session

    yield open_one
    for session in opened:
        session.quit()


def issue(site, service="B"):
    reply = site.post("/api/v1/queue/tickets", {"service": service}, Idempotency_Key=uuid.uuid4().hex)
    assert reply.status == 201, reply.body
    return reply.json()


def call(site, action="call-next"):
    """Counter 3's officer presses a button: the display number now called there, or None."""
    officer = Staff(site)
    assert officer.log_in("quay3").status == 303
    page = "/admin/counter/3"
    reply = officer.post(f"{page}/{action}", {"csrf_token": officer.csrf(page)})
    assert reply.status == 303, reply.text
    return reply.headers["Location"].partition("number=")[2] or None


def until(check, seconds=15.0):
    """`check()`'s first true value, waiting up to `seconds` (a slow machine, not a time limit)."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, f"not seen within {seconds} s"
            return value
        time.sleep(0.02)


def shown(display, element="latest-number"):
    return display.execute_script(f"var e = document.getElementById('{element}'); return e && e.textContent;")


def following(page):
    """True once the page's event stream is open."""
    return page.execute_script("return document.body.dataset.live === 'yes'")


def test_a_call_shows_on_the_display_and_is_spoken(site, browser):
    while call(site):  # counter 3's line empty
        pass
    display = browser(1920, 1080, *TV)
    display.get(f"http://{site.host}:{site.port}/display?site=main")
    assert "Mời công dân có số" not in display.page_source  # nobody called yet at counter 3... or anywhere
    until(lambda: following(display))
    ticket = issue(site)
    started = time.monotonic()
    assert call(site) == ticket["display"]
    until(lambda: shown(display) == ticket["display"])
    took = time.monotonic() - started
    assert shown(display, "counter-3") == ticket["display"]
    print(f"call to display: {took * 1000:.0f} ms (the counter's POST and the page's redraw included)")
    # Its announcement fetched, and played: the page shows no "turn on the sound" button.
    event = until(lambda: display.execute_script("return window.announcements[0]"))
    fetched = display.execute_script(
        "return performance.getEntriesByType('resource').filter(function (e) {"
        " return e.name.indexOf('/display/audio/" + str(event) + "') >= 0; }).map(function (e) {"
        " return [e.responseStatus, e.decodedBodySize]; })")
    assert fetched and fetched[0][0] == 200 and fetched[0][1] > 100_000, fetched  # seconds of 16-bit sound
    time.sleep(0.5)
    assert not display.find_element(By.ID, "sound").is_displayed()
    audio = site.get(f"/display/audio/{event}", token=None)
    assert audio.status == 200 and audio.headers["Content-Type"] == "audio/wav"
    with wave.open(io.BytesIO(audio.body)) as sound:
        assert sound.getnchannels() == 1 and sound.getsampwidth() == 2
        assert 2.5 < sound.getnframes() / sound.getframerate() < 12  # the chime and the sentence
    SHOTS.mkdir(parents=True, exist_ok=True)
    display.save_screenshot(str(SHOTS / "display-1920x1080.png"))


def test_the_display_works_without_a_script(site, browser):
    """The first HTML already shows the board: a display whose script is off or broken still works."""
    ticket = issue(site)
    while call(site) != ticket["display"]:
        pass
    page = site.get("/display?site=main", token=None).body.decode()
    assert f'id="latest-number">{ticket["display"]}<' in page and 'http-equiv="refresh"' in page
    assert site.get("/display?site=elsewhere", token=None).status == 404


def test_the_display_recovers_after_the_backend_restarts(site, browser, tmp_path):
    display = browser(1280, 720)
    display.get(f"http://{site.host}:{site.port}/display")
    until(lambda: following(display))
    port = site.port
    assert site.stop() == 0
    until(lambda: display.find_element(By.ID, "reconnecting").is_displayed())
    assert "Đang kết nối lại" in display.find_element(By.ID, "reconnecting").text
    SHOTS.mkdir(parents=True, exist_ok=True)
    display.save_screenshot(str(SHOTS / "display-reconnecting-1280x720.png"))
    again = Backend(*site.args, "--port", str(port))
    site.process, site.port = again.process, again.port  # the module's site is this process from now on
    until(lambda: not display.find_element(By.ID, "reconnecting").is_displayed(), 30)
    ticket = issue(site)
    while call(site) != ticket["display"]:
        pass
    until(lambda: shown(display) == ticket["display"])


def test_the_ticket_page_follows_the_queue_by_itself(site, browser):
    while call(site):
        pass
    first, second = issue(site), issue(site)
    phone = browser(412, 915)
    phone.get(f"http://{site.host}:{site.port}/t/{second['id']}")
    assert "Còn 1 người trước bạn" in phone.find_element(By.ID, "state-vi").text
    phone.execute_script("window.notReloaded = true;")
    until(lambda: following(phone))
    assert call(site) == first["display"]
    until(lambda: "Bạn là người tiếp theo" in shown(phone, "state-vi"))
    assert phone.execute_script("return window.notReloaded === true")  # its words changed in place
    assert call(site) == second["display"]
    until(lambda: "Đến lượt bạn! Mời bạn đến Quầy 3" in (shown(phone, "state-vi") or ""))
    assert "It is your turn! Please go to counter 3." in shown(phone, "state-en")
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.save_screenshot(str(SHOTS / "ticket-called-412x915.png"))
    call(site, "done")
    until(lambda: phone.find_elements(By.CSS_SELECTOR, ".faces button"))  # served: now the rating
