"""The admin pages through a real browser: the system's Chromium, headless, driven by
Selenium through the system's chromedriver. Staff log in, change a terminal's idle timeout,
and the kiosk's next heartbeat brings it."""

import asyncio

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import WebDriverWait

from kiosk.backend.accounts import Accounts
from kiosk.client.api import BackendClient
from kiosk.domain.calendar import now
from kiosk.domain.terminal import Health
from support import headless_chromium, start_site
from stores import new_store

pytestmark = pytest.mark.both_stores

PASSWORD = "một mật khẩu đủ dài"


@pytest.fixture(scope="module")
def site(tmp_path_factory, store_kind):
    server = start_site(tmp_path_factory.mktemp("admin-browser"))
    store = new_store(server.db)
    Accounts(store).add("staff", PASSWORD, now())
    server.terminal_id = store.db.execute("SELECT id FROM terminals ORDER BY id LIMIT 1").fetchone()[0]
    store.close()
    yield server
    assert server.stop() == 0


@pytest.fixture
def browser(tmp_path):
    session = headless_chromium(tmp_path / "profile", 1280, 900, browser_log=True)
    yield session
    session.quit()


def wait_for(browser, css):
    return WebDriverWait(browser, 20).until(seen.presence_of_element_located((By.CSS_SELECTOR, css)))


def test_log_in_change_idle_timeout_and_the_kiosk_gets_it(site, browser):
    base = f"http://{site.host}:{site.port}"
    browser.get(f"{base}/admin/terminals")
    wait_for(browser, "#username")
    assert browser.current_url == f"{base}/admin/login", "the page asks for a login first"

    browser.find_element(By.ID, "username").send_keys("staff")
    browser.find_element(By.ID, "password").send_keys("not the password")
    browser.find_element(By.ID, "login").click()
    assert "Sai tên đăng nhập" in wait_for(browser, "#error").text

    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login").click()
    wait_for(browser, f'a[href="/admin/terminals/{site.terminal_id}"]').click()
    field = wait_for(browser, "#idle_timeout_seconds")
    assert field.get_attribute("value") == "90"
    field.clear()
    field.send_keys("240")
    browser.find_element(By.ID, "save").click()
    assert "Đã lưu cấu hình" in wait_for(browser, "#message").text
    assert browser.find_element(By.ID, "idle_timeout_seconds").get_attribute("value") == "240"

    # The inline stylesheet is allowed by the Content-Security-Policy, and nothing was blocked.
    header = browser.find_element(By.TAG_NAME, "header")
    assert header.value_of_css_property("background-color") == "rgba(139, 26, 26, 1)"
    blocked = [e["message"] for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]
    assert not blocked

    async def heartbeat():
        async with BackendClient(base, site.token) as client:
            return await client.heartbeat(site.terminal_id, Health(app_version="browser-test", printer="ok"))

    version, config = asyncio.run(heartbeat())
    assert config.idle_timeout_seconds == 240 and version >= 2

    browser.get(f"{base}/admin/audit")
    log = wait_for(browser, "#audit").text
    assert "Sửa cấu hình kiosk" in log and "idle_timeout_seconds" in log and "Đăng nhập không thành công" in log

    browser.get(f"{base}/admin/terminals")
    assert "Đang hoạt động" in wait_for(browser, "table").text, "the heartbeat shows the kiosk online"
    browser.find_element(By.ID, "logout").click()
    wait_for(browser, "#username")
    browser.get(f"{base}/admin/terminals")
    wait_for(browser, "#username")
    assert browser.current_url == f"{base}/admin/login", "logged out"
