"""The backend with an [upstream]: dossiers it lacks are looked up in a province's one-stop system
(a fake adapter, tests/backend/fake_upstream.py, in a process of its own) and kept for a while;
a slow, dead, garbled or refusing upstream is a clear error within seconds; the catalogue is
pulled from it, by `kiosk import-catalogue --upstream` and on a schedule.

Dossier codes have the provincial form seen on Quảng Ngãi's receipts (NATIONAL-FORMATS.md
section 2: agency 000.00.53.H48, yymmdd, sequence), their sequences invented; the procedure
(1.001193, Thủ tục đăng ký khai sinh) is the national database's. The catalogue pulled is
tests/fixtures/dvcqg_sample.json, served by the fake one procedure at a time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from backend.fake_upstream import CITIZEN_ID, PHONE, code, record
from support import KIOSK, prepare_site, query, start_site

from kiosk.backend.dvcqg import parse_dvcqg
from kiosk.backend.upstream import PULLED_AT
import stores
from stores import db_args, new_store

pytestmark = pytest.mark.both_stores

HERE = Path(__file__).parent
FAKE = HERE / "fake_upstream.py"
CATALOGUE = HERE / ".." / "fixtures" / "dvcqg_sample.json"
USER, PASSWORD = "kiosk-backend", "mat-khau-cua-tinh-2026"
UNAVAILABLE_VI = "Không liên lạc được với hệ thống một cửa của tỉnh"
HANG_GUARD = 10.0
"""Seconds: not a timing assertion, only proof that a look-up did not hang."""


class Fake:
    """fake_upstream.py in a process of its own."""

    def __init__(self, folder: Path, *args: str):
        data = {"accounts": {USER: PASSWORD},
                "dossiers": {code(n): record(n, None if n == 9 else "QuaTrinhXuLy") for n in range(1, 40)},
                "procedures": json.loads(CATALOGUE.read_text(encoding="utf-8"))["result"]}
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "upstream.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        self.process = subprocess.Popen([sys.executable, str(FAKE), str(path), *args],
                                        stdout=subprocess.PIPE, text=True)
        found = re.search(r"listening on (http://\S+)", self.process.stdout.readline())
        if not found:
            self.process.kill()
            raise RuntimeError("the fake upstream did not start")
        self.url = found.group(1)

    def _call(self, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def control(self, **body) -> None:
        self._call("/control", body)

    def stats(self) -> dict:
        return self._call("/stats")

    def lookups(self) -> int:
        return self.stats()["calls"].get("TraCuuHoSo", 0)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.process.stdout.close()


class Log:
    """A backend's standard error, read as it comes."""

    def __init__(self, server):
        self.server, self.lines = server, []
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self) -> None:
        try:
            for line in self.server.process.stderr:
                self.lines.append(line)
        except (ValueError, OSError):  # closed under us
            pass

    def wait_for(self, pattern: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(re.search(pattern, line) for line in self.lines):
            assert time.monotonic() < deadline, f"no log line like {pattern!r}: {self.lines}"
            time.sleep(0.05)

    def count(self, pattern: str) -> int:
        return sum(1 for line in self.lines if re.search(pattern, line))

    def stop(self) -> None:
        """Stop the backend and read its log to the end."""
        self.server.process.send_signal(signal.SIGTERM)
        self.server.process.wait(timeout=30)
        self.thread.join(timeout=10)
        assert self.server.stop() == 0


def config(folder: Path, url: str, password: str = PASSWORD, keep: int = 10, hours: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    secret = folder / "upstream-password"
    secret.write_text(password + "\n", encoding="utf-8")
    ini = folder / "kiosk.ini"
    ini.write_text(f"""[upstream]
adapter_url = {url}
auth_endpoint = /auth
integration_endpoint = /integration
username = {USER}
password_file = {secret}
madonvi = 000.00.53.H48
keep_minutes = {keep}
catalogue_hours = {hours}
""", encoding="utf-8")
    return ini


def backend(folder: Path, url: str, **options):
    server = start_site(folder, "--config", str(config(folder / "config", url, **options)))
    return server, Log(server)


def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def timed_get(server, path: str):
    started = time.monotonic()
    reply = server.get(path)
    elapsed = time.monotonic() - started
    assert elapsed < HANG_GUARD, f"the look-up took {elapsed:.1f} s"
    return reply


def assert_unavailable(reply) -> None:
    assert reply.status in (503, 504), reply.body
    error = reply.json()["error"]
    assert error["code"] == "upstream_unavailable"
    assert UNAVAILABLE_VI in error["message"]


@pytest.fixture(scope="module")
def fake(tmp_path_factory, store_kind):
    server = Fake(tmp_path_factory.mktemp("upstream"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory, fake, store_kind):
    server, log = backend(tmp_path_factory.mktemp("site"), fake.url)
    yield server
    log.stop()
    # Failures were met and said in a line each, never as a traceback or a lost task.
    assert log.count("Traceback|never retrieved|Unclosed") == 0, log.lines
    assert 0 < log.count("fails:") <= 6, log.lines


def test_a_dossier_the_backend_lacks_is_looked_up_then_kept(site, fake):
    before = fake.lookups()
    reply = timed_get(site, f"/api/v1/dossiers/{code(1)}")
    assert reply.status == 200, reply.body
    view = reply.json()
    assert view["code"] == code(1) and view["procedure_code"] == "1.001193"
    assert view["status"]["code"] == 4 and view["timeliness"]["code"]
    assert [step["name"] for step in view["timeline"]] == ["Tiếp nhận hồ sơ", "Thẩm định hồ sơ"]
    assert view["holder"]["officer_name"] == "Lê Văn Cường"
    assert view["applicant_name"] != "Nguyễn Văn An" and view["applicant_name"].startswith("N")
    assert fake.lookups() == before + 1
    # Kept: asked again within keep_minutes, the upstream is not asked.
    again = timed_get(site, f"/api/v1/dossiers/{code(1)}")
    assert again.status == 200 and again.json() == view
    assert fake.lookups() == before + 1
    origin, fetched_at = query(site.db, "SELECT origin, fetched_at FROM dossiers WHERE code = ?", code(1))[0]
    assert origin == "upstream" and fetched_at
    # Older than keep_minutes (10): asked again, and the same steps are not doubled.
    old = dt.datetime.fromisoformat(fetched_at) - dt.timedelta(minutes=11)
    store = new_store(site.db)
    with store.write():
        store.db.execute("UPDATE dossiers SET fetched_at = ? WHERE code = ?", [old.isoformat(), code(1)])
    store.close()
    third = timed_get(site, f"/api/v1/dossiers/{code(1)}")
    assert third.status == 200 and len(third.json()["timeline"]) == 2
    assert fake.lookups() == before + 2


def test_no_personal_data_of_the_upstream_is_kept(site):
    assert site.get(f"/api/v1/dossiers/{code(2)}").status == 200
    rows = query(site.db, "SELECT data, base, applicant_key FROM dossiers WHERE code = ?", code(2))
    text = json.dumps(rows, ensure_ascii=False)
    assert rows and CITIZEN_ID not in text and PHONE not in text and "Nguyễn Văn An" not in text
    assert rows[0][2]  # a keyed hash of the ID number, for the citizen's card look-up


def test_the_backend_s_own_dossiers_and_unknown_codes(site, fake):
    before = fake.lookups()
    local = query(site.db, "SELECT code FROM dossiers WHERE origin != 'upstream' LIMIT 1")[0][0]
    assert site.get(f"/api/v1/dossiers/{local}").status == 200
    assert fake.lookups() == before  # the backend's own: the upstream is not asked
    unknown = timed_get(site, "/api/v1/dossiers/000.00.53.H48-251103-9999")
    assert unknown.status == 404 and unknown.json()["error"]["code"] == "dossier_not_found"
    assert fake.lookups() == before + 1


def test_a_record_without_steps_and_a_proxy_s_wrapper(site, fake):
    reply = site.get(f"/api/v1/dossiers/{code(9)}")  # the fake's record 9 has no steps
    assert reply.status == 200 and reply.json()["timeline"] == []
    fake.control(mode="wrap")  # {"message": "<the JSON as text>"}, log-in included
    try:
        fake.control(expire=True)
        wrapped = site.get(f"/api/v1/dossiers/{code(3)}")
    finally:
        fake.control(mode="normal")
    assert wrapped.status == 200 and wrapped.json()["code"] == code(3)


def test_a_session_that_expires_is_renewed(site, fake):
    # A session in use first, whatever the tests before left: then each of the three sessions
    # below is refused once (the first when told to expire, the next two after two calls each).
    assert site.get(f"/api/v1/dossiers/{code(16)}").status == 200
    before = fake.stats()
    fake.control(expire=True, session_calls=2)  # now, and every new session after two calls
    try:
        for sequence in range(10, 16):
            reply = site.get(f"/api/v1/dossiers/{code(sequence)}")
            assert reply.status == 200, reply.body
    finally:
        fake.control(session_calls=0)
    after = fake.stats()
    assert after["refused"] - before["refused"] >= 3
    assert after["logins"] - before["logins"] >= 3
    assert after["calls"]["TraCuuHoSo"] - before["calls"]["TraCuuHoSo"] == 6


@pytest.mark.parametrize("mode, sequence", [("hang", 20), ("garbage", 21), ("huge", 22), ("bomb", 23),
                                            ("deep", 24)])
def test_an_upstream_that_does_not_answer_well_is_a_clear_error(site, fake, mode, sequence):
    fake.control(mode=mode)
    try:
        reply = timed_get(site, f"/api/v1/dossiers/{code(sequence)}")
    finally:
        fake.control(mode="normal")
    assert_unavailable(reply)
    if mode == "hang":
        assert reply.status == 504
    # Nothing kept of it, and the next look-up works.
    assert query(site.db, "SELECT count(*) FROM dossiers WHERE code = ?", code(sequence)) == [(0,)]
    assert site.get(f"/api/v1/dossiers/{code(sequence)}").status == 200


def test_a_kept_copy_is_answered_while_the_upstream_is_down(site, fake):
    assert site.get(f"/api/v1/dossiers/{code(30)}").status == 200
    store = new_store(site.db)
    with store.write():
        store.db.execute("UPDATE dossiers SET fetched_at = '2020-01-01T00:00:00+07:00' WHERE code = ?", [code(30)])
    store.close()
    fake.control(mode="garbage")
    try:
        reply = timed_get(site, f"/api/v1/dossiers/{code(30)}")
    finally:
        fake.control(mode="normal")
    assert reply.status == 200 and reply.json()["code"] == code(30)


def test_a_dead_upstream_is_a_clear_error_on_the_kiosk_too(tmp_path):
    from kiosk.client.api import BackendClient
    from kiosk.client.errors import UpstreamUnavailable
    from kiosk.journeys.dossier import NO_PROVINCE, why

    server, log = backend(tmp_path, closed_port(), hours=1)
    try:
        reply = timed_get(server, f"/api/v1/dossiers/{code(1)}")
        assert_unavailable(reply)
        assert reply.status == 503

        async def kiosk_asks():
            async with BackendClient(f"http://{server.host}:{server.port}", server.token) as client:
                with pytest.raises(UpstreamUnavailable) as raised:
                    await client.dossier(code(1))
                assert client.connectivity.state == "online"  # the backend answered: the kiosk is not offline
                return raised.value

        error = asyncio.run(kiosk_asks())
        assert why(error) == NO_PROVINCE
        # The scheduled pull failed too: one line, and the catalogue is the one it had.
        version = server.get("/api/v1/catalogue").json()["version"]
        log.wait_for("pulling the catalogue .* failed")
    finally:
        log.stop()
    assert log.count("pulling the catalogue") == 1
    assert query(server.db, "SELECT value FROM meta WHERE key = 'catalogue_version'") == [(version,)]
    assert log.count("Traceback") == 0


def test_a_wrong_password_is_a_clear_error_logged_once(tmp_path, fake):
    before = fake.stats()["failed_logins"]
    server, log = backend(tmp_path, fake.url, password="not-the-password")
    try:
        for sequence in (1, 2, 3):
            assert_unavailable(timed_get(server, f"/api/v1/dossiers/{code(sequence)}"))
    finally:
        log.stop()
    # Tried once: a wrong password tried at every look-up could lock the province's account.
    assert fake.stats()["failed_logins"] == before + 1
    assert log.count("refused") == 1, log.lines
    assert log.count(f"log-in of '{USER}' was refused") == 1
    assert PASSWORD not in "".join(log.lines) and "not-the-password" not in "".join(log.lines)


def expected_codes(db: Path) -> set[str]:
    """What importing the same records from the file gives: the pull must give the same."""
    store = new_store(db)
    try:
        parsed = parse_dvcqg(json.loads(CATALOGUE.read_text(encoding="utf-8")), store.levels(), store.fields())
    finally:
        store.close()
    assert len(parsed.procedures) >= 5
    return {p.code for p in parsed.procedures}


def test_import_catalogue_from_the_upstream(tmp_path, fake):
    db, _, _ = prepare_site(tmp_path)
    wanted = expected_codes(db)
    before = fake.stats()["calls"]
    done = subprocess.run([KIOSK, "import-catalogue", "--upstream", "--json", *db_args(db),
                           "--config", str(config(tmp_path / "config", fake.url))],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["imported"] == len(wanted) and report["failed"] == []
    codes = {row[0] for row in query(db, "SELECT code FROM procedures")}
    assert wanted <= codes
    after = fake.stats()["calls"]
    assert after["LayDanhSachTTHC"] == before.get("LayDanhSachTTHC", 0) + 1
    assert after["LayThuTuc"] - before.get("LayThuTuc", 0) >= len(wanted)


def test_import_catalogue_usage_and_a_dead_upstream(tmp_path):
    db, _, _ = prepare_site(tmp_path)
    neither = subprocess.run([KIOSK, "import-catalogue", *db_args(db)], capture_output=True, text=True)
    assert neither.returncode == 2 and "--upstream" in neither.stderr
    dead = subprocess.run([KIOSK, "import-catalogue", "--upstream", *db_args(db),
                           "--config", str(config(tmp_path / "config", closed_port()))],
                          capture_output=True, text=True, timeout=120)
    assert dead.returncode == 1 and "cannot pull the catalogue" in dead.stderr
    assert len(dead.stderr.strip().splitlines()) == 1 and "Traceback" not in dead.stderr


def test_the_backend_pulls_the_catalogue_on_its_schedule(tmp_path, fake):
    wanted = expected_codes(prepare_site(tmp_path / "reference")[0])
    fake.control(mode="wrap")  # the proxy's wrapper, this time
    server, log = backend(tmp_path / "pulled", fake.url, hours=6)
    try:
        deadline = time.monotonic() + 60
        while query(server.db, "SELECT value FROM meta WHERE key = ?", PULLED_AT) == []:
            assert time.monotonic() < deadline, log.lines
            time.sleep(0.1)
        for procedure in sorted(wanted):
            assert server.get(f"/api/v1/procedures/{procedure}").status == 200
    finally:
        fake.control(mode="normal")
        log.stop()


def test_four_workers_pull_the_catalogue_once(tmp_path, fake, site):
    """Every process of `kiosk backend --workers 4` runs the schedule; one of them pulls. (`site`:
    run after the module's other tests of the fake upstream, whose counts they read.)"""
    before = fake.stats()["calls"].get("LayDanhSachTTHC", 0)
    server = start_site(tmp_path / "pulled", "--workers", "4",
                        "--config", str(config(tmp_path / "config", fake.url, hours=6)))
    log = Log(server)
    try:
        deadline = time.monotonic() + 60
        while query(server.db, "SELECT value FROM meta WHERE key = ?", PULLED_AT) == []:
            assert time.monotonic() < deadline, log.lines
            time.sleep(0.1)
        time.sleep(2)  # the other workers have woken and looked by now
        assert fake.stats()["calls"]["LayDanhSachTTHC"] == before + 1
    finally:
        log.stop()


def test_a_bad_upstream_section_stops_the_backend_with_a_reason(tmp_path):
    db, _, _ = prepare_site(tmp_path)
    ini = config(tmp_path / "config", "http://127.0.0.1:9")
    (tmp_path / "config" / "upstream-password").unlink()
    stores.add_key_file(ini, db)
    missing = subprocess.run([KIOSK, "backend", "--db", db, "--port", "0", "--config", str(ini)],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1 and "[upstream] cannot read the password file" in missing.stderr
    ini.write_text(ini.read_text(encoding="utf-8").replace("adapter_url = http://", "adapter_url = ftp://"),
                   encoding="utf-8")
    wrong = subprocess.run([KIOSK, "backend", "--db", db, "--port", "0", "--config", str(ini)],
                           capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 1 and "[upstream] adapter_url must be an http://" in wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1


def test_the_example_section_reads_once_uncommented(tmp_path):
    from kiosk.config import EXAMPLE_CONFIG, load_config, upstream_settings

    assert upstream_settings(load_config(EXAMPLE_CONFIG)) is None  # shipped commented out: no upstream
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    uncommented = re.sub(r"^# (\[upstream\]|[a-z_]+ = .*)$", r"\1", text.split("# [upstream]", 1)[1], flags=re.M)
    ini = tmp_path / "kiosk.ini"
    ini.write_text("[upstream]" + uncommented.replace("/etc/kiosk/upstream-password", str(secret)), encoding="utf-8")
    settings = upstream_settings(load_config(ini))
    assert settings.adapter_url.startswith("https://") and settings.integration_endpoint.startswith("/")
    assert settings.password == PASSWORD and PASSWORD not in repr(settings)
    assert (settings.keep_minutes, settings.catalogue_hours) == (10, 0)
