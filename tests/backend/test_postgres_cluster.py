"""The tests' own PostgreSQL (tests/postgres.py): made, reached on 127.0.0.1, and gone at the
end, with nothing of it left behind."""

import subprocess
from pathlib import Path

from postgres import TestPostgres


def test_the_cluster_answers_on_its_own_port(postgres):
    assert postgres.port not in (0, 5432)  # never the machine's own PostgreSQL
    postgres.psql("CREATE DATABASE kiosk_cluster_test")
    postgres.psql("CREATE TABLE t (code text PRIMARY KEY, name text)", "kiosk_cluster_test")
    # Vietnamese text goes in and comes back as it was (the cluster is UTF-8).
    postgres.psql("INSERT INTO t VALUES ('000.00.01.H21-261002-0050', 'Phạm Thị Thùy Dung')", "kiosk_cluster_test")
    assert postgres.psql("SELECT name FROM t", "kiosk_cluster_test") == "Phạm Thị Thùy Dung"
    assert postgres.psql("SHOW listen_addresses") == "127.0.0.1"


def test_a_stopped_cluster_leaves_nothing():
    cluster = TestPostgres().start()
    pid = int((cluster.data / "postmaster.pid").read_text().split()[0])
    assert cluster.psql("SELECT 1") == "1"
    cluster.stop()
    assert not cluster.folder.exists()
    assert not running(pid)


def running(pid: int) -> bool:
    """A process that runs: not gone, and not a zombie waiting for a parent that does not reap
    (pg_ctl's server is adopted by the machine's first process, which may not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_the_backend_rides_out_a_database_restart(tmp_path):
    """PostgreSQL stops (a restart, a failover): the backend answers 503 with a reason, never a
    500, its health check still answers, and once the database is back the next requests work
    without restarting the backend."""
    import uuid

    from kiosk.backend.sample import load_sample_site
    from kiosk.backend.store import BackendStore
    from kiosk.backend.terminals import Terminals
    from kiosk.domain.calendar import WorkingCalendar, now, today
    from support import Backend

    cluster = TestPostgres().start()
    try:
        cluster.psql("CREATE DATABASE site")
        key_file, config = tmp_path / "site.citizen.key", tmp_path / "backend.ini"
        store = BackendStore(cluster.url("site"), key_file)
        load_sample_site(store, WorkingCalendar(), today(), all_day=True)
        _, token = Terminals(store).add("kiosk", now())
        code = store.dossier_codes()[0]
        store.close()
        config.write_text(f"[backend]\ncitizen_key_file = {key_file}\n", encoding="utf-8")
        server = Backend("--db", cluster.url("site"), "--config", str(config))
        server.token = token

        def ticket():
            return server.post("/api/v1/queue/tickets", {"service": "A"}, idempotency_key=uuid.uuid4().hex)

        try:
            assert server.get(f"/api/v1/dossiers/{code}").status == 200 and ticket().status == 201
            cluster.pause()
            for reply in (server.get(f"/api/v1/dossiers/{code}"), ticket(), server.get("/api/v1/catalogue")):
                assert reply.status == 503, reply.body
                assert reply.json()["error"]["code"] == "database_unavailable" and reply.headers["Retry-After"]
            assert server.get("/api/v1/health").status == 200
            cluster.resume()
            assert server.get(f"/api/v1/dossiers/{code}").status == 200
            again = ticket()
            assert again.status == 201 and again.json()["number"] == 2
        finally:
            assert server.stop() == 0
        assert "Traceback" not in server.errors and "database could not be reached" in server.errors
    finally:
        cluster.stop()


def test_a_backup_restores_into_a_backend_that_finds_the_same(postgres, tmp_path):
    """docs/deploy-province.md's backup, done and restored: pg_dump's custom format of a used
    database, pg_restore into a new one; with the key file kept apart, every table comes back
    equal and a citizen's dossiers are found by their ID number."""
    from kiosk.backend.copy_store import _digest
    from kiosk.backend.queue import TicketQueue
    from kiosk.backend.sample import load_sample_site
    from kiosk.backend.store import BackendStore
    from kiosk.domain.calendar import WorkingCalendar, now, today
    from postgres import server_binaries

    postgres.psql("CREATE DATABASE backed_up")
    postgres.psql("CREATE DATABASE restored")
    try:
        key_file = tmp_path / "province.citizen.key"
        store = BackendStore(postgres.url("backed_up"), key_file)
        load_sample_site(store, WorkingCalendar(), today(), all_day=True)
        for key in ("a", "b", "c"):
            TicketQueue(store, WorkingCalendar()).issue("A", None, 1, key, now())
        found = [d["code"] for d in store.dossiers_of_citizen("052090000001")]
        tables = store.db.tables()
        store.close()
        dump = tmp_path / "kiosk.dump"
        subprocess.run([str(server_binaries() / "pg_dump"), "-Fc", "-f", str(dump), "-d", postgres.url("backed_up")],
                       check=True, capture_output=True, timeout=120)
        subprocess.run([str(server_binaries() / "pg_restore"), "--no-owner", "-d", postgres.url("restored"), str(dump)],
                       check=True, capture_output=True, timeout=120)
        original = BackendStore(postgres.url("backed_up"), key_file)
        restored = BackendStore(postgres.url("restored"), key_file)
        try:
            assert len(found) == 3
            assert [d["code"] for d in restored.dossiers_of_citizen("052090000001")] == found
            for table in tables:
                assert _digest(restored.db, table) == _digest(original.db, table), table
            ticket, _ = TicketQueue(restored, WorkingCalendar()).issue("A", None, 1, "d", now())
            assert ticket["number"] == 4  # the restored database goes on where the backup stopped
        finally:
            original.close()
            restored.close()
    finally:
        postgres.psql("DROP DATABASE backed_up WITH (FORCE)")
        postgres.psql("DROP DATABASE restored WITH (FORCE)")
