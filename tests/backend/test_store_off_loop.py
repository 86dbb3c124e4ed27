"""The store's work runs on a thread of its own, not on the event loop: a write that waits for
SQLite's lock (held here by another connection, as another process or `kiosk import-dossiers`
would hold it) leaves the server answering. Ordered by events, not timed."""

import asyncio
import http.client
import json
import logging
import threading

import pytest

from support import prepare_site

from kiosk.backend.http import STORE
from kiosk.backend.server import BackgroundServer, make_app
from kiosk.backend.store import BackendStore, StoreBusy
from kiosk.domain.calendar import WorkingCalendar
import stores
from stores import WriteLockHolder, new_store

pytestmark = pytest.mark.both_stores


def call(port, method, path, body=None, token=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json", "Idempotency-Key": "off-loop-1"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(method, path, body=body, headers=headers)
        reply = connection.getresponse()
        return reply.status, reply.read()
    finally:
        connection.close()


class NotingStore(BackendStore):
    """A store that says when a write transaction is asked for (on the store's thread, just
    before BEGIN IMMEDIATE waits for the lock)."""

    writing = threading.Event()

    def write(self):
        self.writing.set()
        return super().write()


def test_health_answers_while_a_write_waits_for_the_lock(tmp_path):
    db, _, token = prepare_site(tmp_path)
    apps = []

    def make():
        apps.append(make_app(new_store(db, kind=NotingStore), WorkingCalendar()))
        return apps[-1]

    server = BackgroundServer(make)
    port = int(server.start().rsplit(":", 1)[1])
    NotingStore.writing.clear()  # opening the store may have written (its schema)
    holder = WriteLockHolder(db)
    ticket: list = []
    try:
        holder.take()  # another connection holds the write lock
        writer = threading.Thread(target=lambda: ticket.append(
            call(port, "POST", "/api/v1/queue/tickets", json.dumps({"service": "A"}), token)))
        writer.start()
        assert NotingStore.writing.wait(30), "the ticket's write never started"
        # The write now waits on the store's thread for the lock; the server still answers.
        status, body = call(port, "GET", "/api/v1/health")
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        assert not ticket, "the ticket was answered although the lock is still held"
        holder.release()
        writer.join(60)
        assert ticket and ticket[0][0] == 201, ticket
    finally:
        holder.close()
        server.stop()
        apps[0][STORE].close()


def test_store_work_runs_on_one_thread_that_is_not_the_loop(tmp_path):
    store = new_store(tmp_path / "b.sqlite3")

    async def main():
        loop_thread = threading.get_ident()
        threads = {await store.run(threading.get_ident) for _ in range(5)}
        return loop_thread, threads

    try:
        loop_thread, threads = asyncio.run(main())
        assert len(threads) == 1 and loop_thread not in threads
        # The connection made on this thread is usable from the store's thread, and back.
        assert asyncio.run(store.run(lambda: store.db.execute("SELECT 1").fetchone()[0])) == 1
        assert store.db.execute("SELECT 1").fetchone()[0] == 1
    finally:
        store.close()


def test_a_lock_held_past_the_busy_timeout_is_a_503_not_a_500(tmp_path, caplog):
    db, _, token = prepare_site(tmp_path)
    store = new_store(db)
    server = BackgroundServer(lambda: make_app(store, WorkingCalendar()))
    port = int(server.start().rsplit(":", 1)[1])
    holder = WriteLockHolder(db)
    try:
        with caplog.at_level(logging.INFO):
            holder.take()  # held until the server's write gives up waiting
            status, body = call(port, "POST", "/api/v1/queue/tickets", json.dumps({"service": "A"}), token)
            holder.release()
            assert call(port, "GET", "/api/v1/health")[0] == 200
    finally:
        holder.close()
        server.stop()
        store.close()
    assert status == 503 and json.loads(body)["error"]["code"] == "busy", body
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert any("stayed locked" in r.getMessage() for r in caplog.records)


def test_a_read_by_key_is_done_at_once_on_the_loop_and_sees_the_last_commit(tmp_path):
    """BackendStore.read: a token or a dossier read on the loop's thread through a connection
    that only reads, even while another connection holds the write lock (WAL); what a write
    committed a moment before is seen."""
    store = new_store(tmp_path / "b.sqlite3")
    holder = WriteLockHolder(tmp_path / "b.sqlite3")

    async def main():
        await store.run(lambda: store.db.execute("CREATE TABLE seen (n INTEGER)"))
        await store.run_write(lambda: store.db.execute("INSERT INTO seen VALUES (1)"))
        holder.take()  # as another process writing at that moment
        try:
            return await store.read(lambda conn: (threading.get_ident(), conn.execute("SELECT n FROM seen").fetchall()))
        finally:
            holder.release()

    try:
        thread, rows = asyncio.run(main())
        assert rows == [(1,)]
        if stores.KIND == "sqlite":
            assert thread == threading.get_ident()
        else:  # a round trip to the server: on the reads' own thread, not the loop's nor the writes'
            assert thread not in (threading.get_ident(), asyncio.run(store.run(threading.get_ident)))
        with pytest.raises(Exception, match="(?i)read.?only"):
            asyncio.run(store.read(lambda conn: conn.execute("INSERT INTO seen VALUES (2)")))
    finally:
        holder.close()
        store.close()


@pytest.mark.sqlite_only
def test_a_read_that_would_wait_goes_to_the_store_s_thread(tmp_path):
    """When the loop's connection would have to wait (SQLITE_BUSY: raised here by the work
    itself, as a file being recovered by another process is not made on purpose), the read is
    done on the store's thread, with the store's connection; a database in memory, which no
    other connection sees, is always read there."""
    store, in_memory = new_store(tmp_path / "b.sqlite3"), new_store(":memory:")
    seen = []

    def work(conn):
        seen.append((threading.get_ident(), conn))
        if len(seen) == 1:
            raise StoreBusy("database is locked")  # as the store's connection reports SQLITE_BUSY
        return conn.execute("SELECT 1").fetchone()[0]

    try:
        assert asyncio.run(store.read(work)) == 1
        (first_thread, first_conn), (second_thread, second_conn) = seen
        assert first_thread == threading.get_ident() and first_conn is not store.db
        assert second_thread != threading.get_ident() and second_conn is store.db
        seen.clear()
        seen.append(None)  # no failure this time
        assert asyncio.run(in_memory.read(work)) == 1
        assert seen[1][0] != threading.get_ident() and seen[1][1] is in_memory.db
    finally:
        store.close()
        in_memory.close()
