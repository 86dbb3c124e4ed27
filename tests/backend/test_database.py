"""The two databases behind one interface (kiosk/backend/database.py): what each says in its own
words, and what must come out the same from both."""

import subprocess

import pytest

import stores
from kiosk.backend.database import UnstorableText, _bound, is_postgres_url, shown_url
from kiosk.backend.sample import sample_catalogue
from kiosk.backend.store import BackendStore, StoreError
from stores import new_store
from support import KIOSK

pytestmark = pytest.mark.both_stores


def test_placeholders_become_psycopgs_outside_quoted_text():
    assert _bound("SELECT a FROM t WHERE b = ? AND c LIKE 'x%' AND d = '?'", ["B"]) == (
        "SELECT a FROM t WHERE b = %s AND c LIKE 'x%%' AND d = '?'", ["B"])
    # Numbered ones, each used where it appears, as SQLite reads them.
    assert _bound("SELECT ?2, ?1, ?2 WHERE 'it''s ?1' = ?1", ["one", "two"]) == (
        "SELECT %s, %s, %s WHERE 'it''s ?1' = %s", ["two", "one", "two", "one"])


def test_the_value_of_db_chooses_the_database():
    assert is_postgres_url("postgresql://kiosk@db.example/kiosk") and is_postgres_url("postgres://h/d")
    assert not is_postgres_url("/var/lib/kiosk/postgresql.sqlite3") and not is_postgres_url("backend.sqlite3")
    assert shown_url("postgresql://kiosk:s3cret@db/kiosk") == "postgresql://kiosk:***@db/kiosk"
    assert shown_url("postgresql://kiosk:p@ss@db/kiosk") == "postgresql://kiosk:***@db/kiosk"
    assert shown_url("postgresql://kiosk@db/kiosk?password=s3cret&sslmode=require") == (
        "postgresql://kiosk@db/kiosk?password=***&sslmode=require")


def test_the_same_catalogue_has_the_same_version_on_either_store(tmp_path):
    """The version is a digest of the content: a kiosk that moves from a centre's SQLite backend to
    the province's PostgreSQL one does not download the same catalogue again."""
    store, reference = new_store(tmp_path / "b.sqlite3"), BackendStore(tmp_path / "reference.sqlite3")
    try:
        assert store.replace_catalogue(sample_catalogue()) == reference.replace_catalogue(sample_catalogue())
        assert store.catalogue_json() == reference.catalogue_json()
    finally:
        store.close()
        reference.close()


def test_a_nul_is_refused_as_text_the_database_cannot_hold(tmp_path):
    store = new_store(tmp_path / "b.sqlite3")
    try:
        if stores.KIND == "postgresql":
            with pytest.raises(UnstorableText):
                store.meta("a\x00b")
        else:
            assert store.meta("a\x00b") is None  # SQLite holds it; nothing has that key
    finally:
        store.close()


@pytest.mark.parametrize("url", ["postgresql://nobody@127.0.0.1:9/kiosk", "postgresql://kiosk:s3cret@127.0.0.1:9/x"])
def test_an_unreachable_postgresql_is_one_line_without_its_password(url):
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL at postgresql://") as raised:
        BackendStore(url, "/nonexistent.key")
    assert "s3cret" not in str(raised.value)
    done = subprocess.run([KIOSK, "terminal", "list", "--db", url], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1
    assert "cannot connect" in done.stderr and "s3cret" not in done.stderr and "Traceback" not in done.stderr


def test_a_dossier_whose_text_holds_a_nul_is_counted_like_any_other(tmp_path):
    """A one-stop system may send a NUL inside a name: kept as U+FFFD (a character that could not
    be read), and the statistics, which read the dossiers' dates from their JSON, still read them."""
    from kiosk.domain.dossier import Dossier

    store = new_store(tmp_path / "b.sqlite3")
    try:
        store.put_dossiers([Dossier.from_dict({
            "code": "000.00.53.H48-260105-0001", "procedure_code": "1.001193", "procedure_name": "Khai\x00 sinh",
            "applicant_name": "Nguyễn\x00 An", "status": 2, "received_at": "2026-01-05T08:00:00",
            "due_at": "2026-01-09T17:00:00+07:00"})])
        [(status, due_at, completed_at)] = list(store.dossier_deadlines())
        assert status == 2 and due_at.isoformat() == "2026-01-09T17:00:00+07:00" and completed_at is None
        assert store.dossier("000.00.53.H48-260105-0001").applicant_name == "Nguyễn\ufffd An"
    finally:
        store.close()
