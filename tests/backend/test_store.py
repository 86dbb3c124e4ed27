"""The backend's SQLite file: migrations, catalogue replacement, levels as data."""

import json
import sqlite3

import pytest

from kiosk.backend.sample import sample_catalogue
from kiosk.backend.store import MIGRATIONS, BackendStore, StoreError


def test_new_file_is_migrated_in_wal_mode(tmp_path):
    store = BackendStore(tmp_path / "b.sqlite3")
    assert store.schema_version == len(MIGRATIONS)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.is_empty() and store.catalogue_version == "empty"
    store.close()
    again = BackendStore(tmp_path / "b.sqlite3")  # opening again migrates nothing
    assert again.schema_version == len(MIGRATIONS)
    again.close()


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "b.sqlite3"
    BackendStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StoreError, match="newer"):
        BackendStore(path)


def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    path = tmp_path / "b.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open"):
        BackendStore(path)


def test_catalogue_round_trip_and_version(tmp_path):
    store = BackendStore(tmp_path / "b.sqlite3")
    catalogue = sample_catalogue()
    version = store.replace_catalogue(catalogue)
    assert version == store.catalogue_version and len(version) == 16
    loaded = store.catalogue()
    assert loaded.procedures == sorted(catalogue.procedures, key=lambda p: p.code)
    assert loaded.levels == catalogue.levels and loaded.site == catalogue.site
    assert store.replace_catalogue(catalogue) == version  # same content, same version
    store.close()
    elsewhere = BackendStore(tmp_path / "other.sqlite3")  # another backend, its own secrets
    assert elsewhere.replace_catalogue(catalogue) == version
    elsewhere.close()


def test_two_level_catalogue_replaces_three_levels(tmp_path):
    store = BackendStore(tmp_path / "b.sqlite3")
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
    store = BackendStore(tmp_path / "b.sqlite3")
    catalogue = sample_catalogue()
    version = store.replace_catalogue(catalogue)
    broken = sample_catalogue("district-2019")
    broken.procedures[-1].channels = [object()]  # cannot be encoded: fails after the old rows were deleted
    with pytest.raises(Exception):
        store.replace_catalogue(broken)
    assert store.catalogue_version == version
    assert len(store.catalogue().procedures) == len(catalogue.procedures)
    store.close()
