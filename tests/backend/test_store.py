"""The backend's store, on SQLite and on PostgreSQL: migrations, catalogue replacement, levels as data."""

import json

import pytest

from kiosk.backend.sample import sample_catalogue
from kiosk.backend.store import MIGRATIONS, StoreError
from stores import new_store, old_database

pytestmark = pytest.mark.both_stores


@pytest.mark.sqlite_only
def test_new_file_is_migrated_in_wal_mode(tmp_path):
    store = new_store(tmp_path / "b.sqlite3")
    assert store.schema_version == len(MIGRATIONS)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.is_empty() and store.catalogue_version == "empty"
    store.close()
    again = new_store(tmp_path / "b.sqlite3")  # opening again migrates nothing
    assert again.schema_version == len(MIGRATIONS)
    again.close()


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "b.sqlite3"
    store = new_store(path)
    store.db.set_schema_version(len(MIGRATIONS) + 1)
    store.close()
    with pytest.raises(StoreError, match="newer"):
        new_store(path)


def test_every_earlier_schema_migrates_to_the_same_as_a_new_one(tmp_path):
    """A database left by each earlier version of the program, from none to the last, opened
    by this one: the same tables, columns and indexes as a database made new."""
    fresh = new_store(tmp_path / "new.sqlite3")
    expected = schema(fresh.db)
    fresh.close()
    assert "tickets" in expected and len(expected) >= 20
    for version in range(len(MIGRATIONS)):
        old_database(tmp_path / f"v{version}.sqlite3", version).close()
        store = new_store(tmp_path / f"v{version}.sqlite3")
        assert store.schema_version == len(MIGRATIONS)
        assert schema(store.db) == expected, f"from schema {version}"
        store.close()


def schema(db) -> dict[str, tuple]:
    """Each table's columns (name, type, whether it may be NULL, default) and its indexes."""
    if db.dialect == "sqlite":
        tables = {t: tuple(r[1:] for r in db.execute(f"PRAGMA table_info({t})")) for t in db.tables()}
        indexes = db.execute("SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name")
    else:
        tables = {t: tuple(db.execute(
            "SELECT column_name, data_type, is_nullable, column_default, collation_name, is_identity "
            "FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? "
            "ORDER BY ordinal_position", [t])) for t in db.tables()}
        indexes = db.execute("SELECT tablename, indexname, indexdef FROM pg_indexes "
                             "WHERE schemaname = current_schema() ORDER BY indexname")
    for table, name, sql in indexes:
        tables[table] += ((name, sql),)
    return tables


@pytest.mark.sqlite_only
def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    path = tmp_path / "b.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open"):
        new_store(path)


def test_catalogue_round_trip_and_version(tmp_path):
    store = new_store(tmp_path / "b.sqlite3")
    catalogue = sample_catalogue()
    version = store.replace_catalogue(catalogue)
    assert version == store.catalogue_version and len(version) == 16
    loaded = store.catalogue()
    assert loaded.procedures == sorted(catalogue.procedures, key=lambda p: p.code)
    assert loaded.levels == catalogue.levels and loaded.site == catalogue.site
    assert store.replace_catalogue(catalogue) == version  # same content, same version
    store.close()
    elsewhere = new_store(tmp_path / "other.sqlite3")  # another backend, its own secrets
    assert elsewhere.replace_catalogue(catalogue) == version
    elsewhere.close()


def test_two_level_catalogue_replaces_three_levels(tmp_path):
    store = new_store(tmp_path / "b.sqlite3")
    store.replace_catalogue(sample_catalogue("district-2019"))
    two_level = sample_catalogue("two-level")
    version = store.replace_catalogue(two_level)
    data = json.loads(store.catalogue_json())
    assert [level["code"] for level in data["levels"]] == ["province", "commune"]
    assert data["version"] == version
    assert len(data["procedures"]) == len(two_level.procedures) >= 5
    assert {lvl for p in data["procedures"] for lvl in p["levels"]} == {"province", "commune"}
    assert any(p["interconnection"] == ["commune", "province"] for p in data["procedures"])
    store.close()


def test_failed_write_leaves_the_catalogue_whole(tmp_path):
    store = new_store(tmp_path / "b.sqlite3")
    catalogue = sample_catalogue()
    version = store.replace_catalogue(catalogue)
    broken = sample_catalogue("district-2019")
    broken.procedures[-1].channels = [object()]  # cannot be encoded: fails after the old rows were deleted
    with pytest.raises(Exception):
        store.replace_catalogue(broken)
    assert store.catalogue_version == version
    assert len(store.catalogue().procedures) == len(catalogue.procedures)
    store.close()


def test_a_schema_6_centre_keeps_its_queue_and_accounts_after_the_counters_migration(tmp_path):
    """A centre's file from before the counters' side (schema 6), with tickets waiting and an admin
    account, opened by this version: each ticket waits in its own service's line, the account stays
    an admin of every counter, and the queue works on."""
    from kiosk.backend.accounts import Accounts
    from kiosk.backend.queue import TicketQueue
    from kiosk.backend.sample import sample_queue
    from kiosk.domain.calendar import WorkingCalendar, now

    path = tmp_path / "b.sqlite3"
    db = old_database(path, 6)
    today = now().date().isoformat()
    for n, service in enumerate("AAB", 1):
        db.insert("tickets", {"public_id": f"old-ticket-{n:04d}", "service": service, "day": today, "number": n,
                              "status": "waiting", "issued_at": now().isoformat(), "terminal_id": 1,
                              "idempotency_key": f"k{n}"})
    db.insert("admins", {"username": "lan", "password_hash": "scrypt$1$1$1$00$00", "created_at": "2026-01-01"})
    db.close()

    store = new_store(path)
    assert store.schema_version == len(MIGRATIONS)
    assert store.db.execute("SELECT service, line FROM tickets ORDER BY id").fetchall() == [
        ("A", "A"), ("A", "A"), ("B", "B")]
    assert Accounts(store).list()[0] | {"created_at": None} == {
        "username": "lan", "created_at": None, "locked_until": None, "role": "admin", "counters": [],
        "sites": ["*"]}
    queue = TicketQueue(store, WorkingCalendar())
    queue.configure(sample_queue(all_day=True))
    assert queue.call_next(1, now(), "lan")["id"] == "old-ticket-0001"
    assert queue.waiting_list("A", now())[0]["display"] == "A002"
    store.close()
