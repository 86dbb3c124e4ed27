"""Test support: a real backend process on 127.0.0.1 and a plain HTTP client for it."""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from contextlib import asynccontextmanager
from http.cookies import SimpleCookie
from dataclasses import dataclass
from pathlib import Path

import stores
from stores import db_args

KIOSK = str(Path(sys.executable).with_name("kiosk"))


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        return json.loads(self.body)


class Backend:
    """A `kiosk backend` process, stopped with SIGTERM like a service manager would."""

    def __init__(self, *args: str, env: dict[str, str] | None = None):
        self.args = args
        self.process = subprocess.Popen(
            [KIOSK, "backend", "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **(env or {})},
        )
        self.output: list[str] = []
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            for line in self.process.stdout:  # type: ignore[union-attr]
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        while True:
            try:
                line = lines.get(timeout=60)
            except queue.Empty:
                self.process.kill()
                raise RuntimeError("the backend did not start within 60 s: " + "".join(self.output))
            if line is None:
                raise RuntimeError("the backend exited: " + "".join(self.output) + self.process.stderr.read())
            self.output.append(line)
            found = re.search(r"listening on http://([\d.]+):(\d+)", line)
            if found:
                self.host, self.port = found.group(1), int(found.group(2))
                break

    token: str | None = None
    """The terminal token that `request` sends unless told otherwise."""
    admin_token: str | None = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str | bytes] | None = None, token: str | None = "terminal") -> Reply:
        """`token`: "terminal" (the default), "admin", None for none, or a token itself."""
        headers = dict(headers or {})
        chosen = {"terminal": self.token, "admin": self.admin_token}.get(token or "", token)
        if chosen and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {chosen}"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            for name, value in headers.items():
                connection.putheader(name, value)
            if body is not None:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            connection.close()

    def get(self, path: str, token: str | None = "terminal", **headers: str) -> Reply:
        return self.request("GET", path, headers={k.replace("_", "-"): v for k, v in headers.items()}, token=token)

    def post(self, path: str, data: object = None, token: str | None = "terminal", **headers: str) -> Reply:
        body = json.dumps(data).encode() if data is not None else b""
        sent = {"Content-Type": "application/json", **{k.replace("_", "-"): v for k, v in headers.items()}}
        return self.request("POST", path, body=body, headers=sent, token=token)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        finally:
            if self.process.poll() is not None:  # what it logged, for a test to read
                self.errors = self.process.stderr.read()  # type: ignore[union-attr]
            self.process.stdout.close()  # type: ignore[union-attr]
            self.process.stderr.close()  # type: ignore[union-attr]

    errors = ""
    """What the process wrote to its standard error, once stopped."""


ADMIN_TOKEN = "admin-token-for-tests-0123456789"


def prepare_site(folder: Path, for_the_run: bool = False) -> tuple[str, Path, str]:
    """A backend database (on the test's store, tests/stores.py) with the sample site open around
    the clock, one terminal, and an admin token file: (database, admin token file, terminal token)."""
    from kiosk.backend.sample import load_sample_site
    from kiosk.backend.terminals import Terminals
    from kiosk.config import load_config, working_calendar
    from kiosk.domain.calendar import now, today

    folder.mkdir(parents=True, exist_ok=True)
    db = stores.location(folder / "backend.sqlite3", for_the_run)
    store = stores.new_store(folder / "backend.sqlite3")
    load_sample_site(store, working_calendar(load_config()), today(), all_day=True)
    _, token = Terminals(store).add("test kiosk", now())
    store.close()
    admin_file = folder / "admin-token"
    admin_file.write_text(ADMIN_TOKEN, encoding="utf-8")
    return db, admin_file, token


def add_sites(db: str | Path, count: int) -> list[str]:
    """`count` more sites beside "main" (xa-000, xa-001...), each with the sample queue open around
    the clock (services A to E, the sample counters): their codes."""
    from kiosk.backend.queue import TicketQueue
    from kiosk.backend.sample import sample_queue
    from kiosk.backend.sites import Sites
    from kiosk.config import load_config, working_calendar
    from kiosk.domain.calendar import now

    store = stores.new_store(db)
    try:
        codes = []
        for n in range(count):
            code = f"xa-{n:03d}"
            Sites(store).add(code, f"Xã thử {n} (dữ liệu mẫu)", "", now())
            TicketQueue(store, working_calendar(load_config()), code).configure(sample_queue(all_day=True))
            codes.append(code)
        return codes
    finally:
        store.close()


def lifted_config(folder: Path, backend: dict[str, str] | None = None) -> Path:
    """The shipped configuration with the per-terminal ceilings on tickets and ratings lifted: the
    tests that share one terminal token issue more than a kiosk would (the ceilings have tests of
    their own, tests/security/test_rate_limits.py). Citizen look-up limits stay as shipped.
    `backend`: more [backend] keys, such as {"citizen_detail_needs": "chip"}."""
    from kiosk.config import config_path

    lifted = "".join(f"{key} = 1000000\n" for key in
                     ("tickets_per_minute", "tickets_per_hour", "ratings_per_minute", "ratings_per_hour"))
    lifted += "".join(f"{key} = {value}\n" for key, value in (backend or {}).items())
    path = folder / "backend.ini"
    lifted += f"citizen_key_file = {stores.key_file(folder / 'backend.sqlite3')}\n"
    text = config_path().read_text(encoding="utf-8")
    path.write_text(text.replace("[backend]\n", "[backend]\n" + lifted, 1), encoding="utf-8")
    return path


def start_site(folder: Path, *args: str, for_the_run: bool = False, backend: dict[str, str] | None = None) -> Backend:
    """`kiosk backend` over a freshly prepared sample site (with `lifted_config` and its `backend`
    keys, unless `args` name a configuration of their own)."""
    db, admin_file, token = prepare_site(folder, for_the_run)
    if "--config" in args:
        stores.add_key_file(args[args.index("--config") + 1], db)
    server = Backend("--db", db, "--admin-token-file", str(admin_file), "--config",
                     str(lifted_config(folder, backend)), *args)
    server.db, server.token, server.admin_token = db, token, ADMIN_TOKEN
    return server


def query(db: str | Path, sql: str, *args: object) -> list[tuple]:
    """Rows of the backend's database (its `--db`), read as the tests check what a call left there."""
    from kiosk.backend.database import open_database

    database = open_database(db)
    try:
        cursor = database.execute(sql, args)
        return cursor.fetchall() if cursor.description else []  # an UPDATE: no rows
    finally:
        database.close()


def demo_started(demo: subprocess.Popen, out: Path, limit: float = 120) -> str:
    """What `kiosk demo` (writing to `out`) said once its app is starting; fails if it died first."""
    deadline = time.monotonic() + limit
    while "The kiosk app is starting" not in out.read_text(encoding="utf-8"):
        assert demo.poll() is None and time.monotonic() < deadline, out.read_text(encoding="utf-8")
        time.sleep(0.2)
    return out.read_text(encoding="utf-8")


def headless_chromium(profile: Path, width: int, height: int, browser_log: bool = False, *flags: str):
    """The system's Chromium without a screen, driven through the system's chromedriver
    (given by path, so that Selenium never fetches one of its own), at `width`x`height`."""
    import shutil

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, "the system's chromium and chromium-driver are needed: scripts/setup.sh --test"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile}", f"--window-size={width},{height}", *flags):
        options.add_argument(flag)
    if browser_log:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


PASSWORD = "mật khẩu thật dài 2025"


def add_admin(db: Path, username: str, password: str, folder: Path, *options: str) -> None:
    """A staff account through `kiosk admin add` (`options`: e.g. "--counter", "3")."""
    secret = folder / f"{username}.password"
    secret.write_text(password + "\n", encoding="utf-8")
    done = subprocess.run([KIOSK, "admin", "add", username, *db_args(db), "--password-file", str(secret), *options],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr


class Staff:
    """A person at a browser, as far as HTTP goes: cookies kept, forms posted."""

    def __init__(self, site):
        self.site, self.cookies = site, {}

    def send(self, method, path, form=None, headers=None):
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        reply = self.site.request(method, path, body=body, headers=sent, token=None)
        for header in reply.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        reply.text = reply.body.decode()
        return reply

    def get(self, path, **kwargs):
        return self.send("GET", path, **kwargs)

    def post(self, path, form, **kwargs):
        return self.send("POST", path, form=form, **kwargs)

    def csrf(self, path):
        """The CSRF token in the forms of the page at `path`."""
        return re.search(r'name="csrf_token" value="([^"]+)"', self.get(path).text).group(1)

    def log_in(self, username="staff", password=PASSWORD, **kwargs):
        return self.post("/admin/login", {"csrf_token": self.csrf("/admin/login"), "username": username,
                                          "password": password}, **kwargs)


@asynccontextmanager
async def serving(app):
    """An aiohttp application served by a real server on 127.0.0.1 (a free port); yields its address."""
    from aiohttp import web

    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    finally:
        await runner.cleanup()
