"""The tests' own PostgreSQL (tests/postgres.py): made, reached on 127.0.0.1, and gone at the
end, with nothing of it left behind."""

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
