"""The `kiosk` command as staff and scripts use it: exit codes, one-line reasons, imports."""

import json
import signal
import subprocess
from pathlib import Path

import pytest

from kiosk.backend.sample import sample_catalogue
from support import KIOSK, Backend
from stores import db_args, new_store

pytestmark = pytest.mark.both_stores

FIXTURE = Path(__file__).parent.parent / "fixtures" / "dvcqg_sample.json"


def kiosk(*args, timeout=60):
    return subprocess.run([KIOSK, *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def site_db(tmp_path):
    path = tmp_path / "backend.sqlite3"
    store = new_store(path)
    store.replace_catalogue(sample_catalogue())
    store.close()
    return path


def version_of(path):
    store = new_store(path)
    try:
        return store.catalogue_version, len(store.catalogue().procedures)
    finally:
        store.close()


def test_usage_errors_exit_2():
    assert kiosk("--help").returncode == 0
    assert kiosk("backend", "--help").returncode == 0
    assert kiosk("no-such-command").returncode == 2
    assert kiosk("backend", "--port", "eighty").returncode == 2
    assert kiosk("import-catalogue").returncode == 2


def test_import_catalogue(site_db):
    before, count = version_of(site_db)
    result = kiosk("import-catalogue", str(FIXTURE), *db_args(site_db), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    # The sample site has two levels: the fixture's district-level records are refused with the rest.
    assert report["imported"] >= 5 and len(report["skipped"]) >= 6
    assert any("(district) is not a level of this site" in s["reason"] for s in report["skipped"])
    assert all(isinstance(s["index"], int) and s["reason"] for s in report["skipped"])
    after, new_count = version_of(site_db)
    assert after == report["catalogue_version"] != before
    assert new_count >= count + 1  # imported codes may replace sample ones of the same code

    text = kiosk("import-catalogue", str(FIXTURE), *db_args(site_db))
    assert text.returncode == 0 and text.stdout.startswith("Imported ")
    assert "Skipped record" in text.stdout


def test_import_of_a_file_that_is_not_json_changes_nothing(site_db, tmp_path):
    before = version_of(site_db)
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'[{"MATTHC": "1.1", "TENTTHC": ' + b"\xff\xfe broken")
    result = kiosk("import-catalogue", str(bad), *db_args(site_db))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "not JSON" in result.stderr
    assert version_of(site_db) == before
    wrong_shape = tmp_path / "object.json"
    wrong_shape.write_text('{"hello": "world"}', encoding="utf-8")
    result = kiosk("import-catalogue", str(wrong_shape), *db_args(site_db))
    assert result.returncode == 1 and "nothing was imported" in result.stderr
    assert version_of(site_db) == before
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = kiosk("import-catalogue", str(deep), *db_args(site_db))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert version_of(site_db) == before
    missing = kiosk("import-catalogue", str(tmp_path / "missing.json"), *db_args(site_db))
    assert missing.returncode == 1 and "cannot read" in missing.stderr


def test_import_needs_a_site_first(tmp_path):
    result = kiosk("import-catalogue", str(FIXTURE), *db_args(tmp_path / "empty.sqlite3"))
    assert result.returncode == 1 and "no administrative levels" in result.stderr


@pytest.mark.sqlite_only
def test_backend_on_a_corrupt_database_fails_in_one_line(tmp_path):
    path = tmp_path / "corrupt.sqlite3"
    path.write_bytes(b"garbage" * 1000)
    result = kiosk("backend", *db_args(path), "--port", "0")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "cannot open database" in result.stderr


def test_backend_on_a_busy_port_fails_in_one_line(tmp_path, backend):
    result = kiosk("backend", *db_args(tmp_path / "b.sqlite3"), "--port", str(backend.port))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "cannot listen" in result.stderr


def test_backend_serves_an_import_made_while_it_runs_and_stops_on_ctrl_c(site_db):
    server = Backend(*db_args(site_db))
    try:
        first = server.get("/api/v1/catalogue")
        result = kiosk("import-catalogue", str(FIXTURE), *db_args(site_db), "--json")
        assert result.returncode == 0
        second = server.get("/api/v1/catalogue", If_None_Match=first.headers["ETag"])
        assert second.status == 200
        assert second.json()["version"] == json.loads(result.stdout)["catalogue_version"]
        assert len(second.json()["procedures"]) > len(first.json()["procedures"])
    finally:
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(timeout=30) == 0


def test_queue_configure(site_db, tmp_path):
    from kiosk.backend.sample import SAMPLE_DIR

    good = kiosk("queue", "configure", str(SAMPLE_DIR / "queue.json"), *db_args(site_db))
    assert good.returncode == 0 and "5 services, 8 counters" in good.stdout
    bad = tmp_path / "queue.json"
    bad.write_text(json.dumps({"services": [{"letter": "AB", "name": "x", "name_en": "", "fields": []}],
                               "counters": [], "priority_categories": []}), encoding="utf-8")
    result = kiosk("queue", "configure", str(bad), *db_args(site_db))
    assert result.returncode == 1 and "letter" in result.stderr and len(result.stderr.splitlines()) == 1


def test_backend_loads_the_sample_site_into_an_empty_database(tmp_path):
    server = Backend(*db_args(tmp_path / "new.sqlite3"), "--sample-data")
    try:
        assert any("Loaded the sample site (two-level)" in line for line in server.output)
        catalogue = server.get("/api/v1/catalogue").json()
        assert len(catalogue["procedures"]) >= 150
        assert [level["code"] for level in catalogue["levels"]] == ["province", "commune"]
        assert len(server.get("/api/v1/queue/services", token=None).json()["services"]) >= 4
    finally:
        assert server.stop() == 0


def test_backend_loads_the_district_site_when_asked(tmp_path):
    server = Backend(*db_args(tmp_path / "new.sqlite3"), "--sample-data", "--sample-site", "district-2019")
    try:
        assert any("Loaded the sample site (district-2019)" in line for line in server.output)
        levels = server.get("/api/v1/catalogue").json()["levels"]
        assert [level["code"] for level in levels] == ["province", "district", "commune"]
    finally:
        assert server.stop() == 0
    result = kiosk("backend", "--sample-data", "--sample-site", "district-2025")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_sample_data_is_not_loaded_twice(site_db):
    server = Backend(*db_args(site_db), "--sample-data")
    try:
        assert any("was not loaded" in line for line in server.output)
    finally:
        assert server.stop() == 0
