"""`kiosk migrate-store FROM TO`: a centre's SQLite file into a province's PostgreSQL, and back,
without loss; the backend then serves from the copy as it served from the file."""

import json
import sqlite3
import subprocess
import uuid

import pytest

from kiosk.backend.store import BackendStore
from kiosk.domain.calendar import now
from support import KIOSK, Backend, prepare_site, query

CITIZEN = "052090000001"  # an applicant of the sample site's dossiers


@pytest.fixture
def empty_postgres(postgres):
    name = f"migrate_{uuid.uuid4().hex[:12]}"
    postgres.psql(f"CREATE DATABASE {name}")
    yield postgres.url(name)
    postgres.psql(f"DROP DATABASE {name} WITH (FORCE)")


def kiosk(*args):
    return subprocess.run([KIOSK, *args], capture_output=True, text=True, timeout=120)


def used_centre(folder):
    """The sample site on an SQLite file, with what a day leaves: tickets, a rating, a look-up."""
    db, admin_file, token = prepare_site(folder)
    server = Backend("--db", db, "--admin-token-file", str(admin_file))
    server.token = token
    try:
        for letter in "AAB":
            assert server.post("/api/v1/queue/tickets", {"service": letter},
                               idempotency_key=uuid.uuid4().hex).status == 201
        assert server.post("/api/v1/ratings", {"level": "satisfied", "reasons": ["Nhanh chóng"]},
                           idempotency_key=uuid.uuid4().hex).status == 201
        found = server.post("/api/v1/dossiers/by-citizen", {"id_number": CITIZEN, "proof": "qr"})
        assert found.status == 200 and len(found.json()["dossiers"]) == 3
    finally:
        assert server.stop() == 0
    with sqlite3.connect(db) as conn:
        conn.execute("ANALYZE")  # as an operator may have: SQLite's own table of statistics is not copied
    return db, admin_file, token


def test_a_centre_moves_to_the_province_s_postgresql_and_nothing_is_lost(tmp_path, empty_postgres):
    db, admin_file, token = used_centre(tmp_path)
    done = kiosk("migrate-store", db, empty_postgres, "--json")
    assert done.returncode == 0, done.stderr
    copied = json.loads(done.stdout)["tables"]
    assert copied["tickets"] == 3 and copied["ratings"] == 1 and copied["citizen_lookups"] == 1
    assert copied["procedures"] >= 150 and copied["terminals"] == 1
    said = kiosk("migrate-store", db, empty_postgres)  # again: the target is not empty any more
    assert said.returncode == 1 and "not empty" in said.stderr and len(said.stderr.splitlines()) == 1

    # The backend on the copy, with the same key file: the same kiosk token, catalogue, dossiers.
    config = tmp_path / "province.ini"
    config.write_text(f"[backend]\ncitizen_key_file = {tmp_path / 'backend.citizen.key'}\n", encoding="utf-8")
    source = BackendStore(db)
    version = source.catalogue_version
    source.close()
    server = Backend("--db", empty_postgres, "--config", str(config), "--admin-token-file", str(admin_file))
    server.token = token
    try:
        assert server.get("/api/v1/catalogue").json()["version"] == version
        found = server.post("/api/v1/dossiers/by-citizen", {"id_number": CITIZEN, "proof": "qr"})
        assert found.status == 200 and len(found.json()["dossiers"]) == 3  # the keyed hashes came along
        ticket = server.post("/api/v1/queue/tickets", {"service": "A"}, idempotency_key=uuid.uuid4().hex)
        assert ticket.status == 201 and ticket.json()["number"] == 3  # the day's numbering goes on
        rating = server.post("/api/v1/ratings", {"level": "satisfied"}, idempotency_key=uuid.uuid4().hex)
        assert rating.status == 201 and rating.json()["id"] == 2  # ids follow the copied rows
    finally:
        assert server.stop() == 0

    # And back into a new SQLite file: every table equal again.
    back = tmp_path / "back.sqlite3"
    returned = kiosk("migrate-store", empty_postgres, str(back), "--json")
    assert returned.returncode == 0, returned.stderr
    assert json.loads(returned.stdout)["tables"]["tickets"] == 4
    assert query(str(back), "SELECT COUNT(*) FROM dossiers") == query(db, "SELECT COUNT(*) FROM dossiers")


def test_what_cannot_be_copied_is_said_in_one_line(tmp_path, empty_postgres):
    missing = kiosk("migrate-store", str(tmp_path / "nothing.sqlite3"), empty_postgres)
    assert missing.returncode == 1 and "no database file" in missing.stderr and "Traceback" not in missing.stderr
    assert not (tmp_path / "nothing.sqlite3").exists()
    BackendStore(tmp_path / "a.sqlite3").close()
    unreachable = kiosk("migrate-store", str(tmp_path / "a.sqlite3"), "postgresql://kiosk@127.0.0.1:9/none")
    assert unreachable.returncode == 1 and "cannot connect" in unreachable.stderr
    assert len(unreachable.stderr.strip().splitlines()) == 1


def test_a_row_the_target_refuses_leaves_nothing_behind(tmp_path, empty_postgres):
    """SQLite keeps a NUL in text, PostgreSQL cannot: the copy stops, and the target holds none of it."""
    store = BackendStore(tmp_path / "b.sqlite3")
    store.audit("staff", "renamed", "terminal 1", {"name": "Quầy 1"}, now())
    store.db.execute("UPDATE audit_log SET who = ?", ["sta\x00ff"])
    store.close()
    done = kiosk("migrate-store", str(tmp_path / "b.sqlite3"), empty_postgres)
    assert done.returncode == 1 and "nothing was kept" in done.stderr and "NUL" in done.stderr
    assert query(empty_postgres, "SELECT COUNT(*) FROM audit_log") == [(0,)]
    assert query(empty_postgres, "SELECT COUNT(*) FROM meta") == [(0,)]
