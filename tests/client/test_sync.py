"""The kiosk's offline store, sync and outbox against a real backend process."""

import asyncio
import gzip
import json
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid

import pytest
from aiohttp import web

from kiosk.backend.sample import synthetic_catalogue
from kiosk.backend.store import BackendStore
from kiosk.client.api import BackendClient
from kiosk.client.errors import Offline, ServerError
from kiosk.client.outbox import Outbox
from kiosk.client.store import SNAPSHOT, CatalogueError, LocalStore
from kiosk.client.sync import sync_catalogue
from kiosk.domain.rating import Rating
from kiosk.domain.terminal import Health
from support import KIOSK, Backend, query, serving, start_site

FIXTURE = "tests/fixtures/dvcqg_sample.json"


def run(coroutine):
    return asyncio.run(coroutine)


def url(server):
    return f"http://{server.host}:{server.port}"


async def sync(address, store, token=None):
    async with BackendClient(address, token, retries=1) as client:
        return await sync_catalogue(client, store)


def kiosk(*args, timeout=120):
    return subprocess.run([KIOSK, *args], capture_output=True, text=True, timeout=timeout)


def test_first_start_offline_uses_the_bundled_snapshot(tmp_path):
    store = LocalStore(tmp_path / "catalogue.sqlite3")
    assert store.source == "snapshot" and len(store) >= 150 and store.etag == ""
    store.close()
    found = kiosk("search", "khai sinh", "--data", str(tmp_path), "--json")
    assert found.returncode == 0 and json.loads(found.stdout)[0]["name"].startswith("Thủ tục đăng ký khai sinh")
    failed = kiosk("sync", "--data", str(tmp_path), "--backend", "http://127.0.0.1:9")
    assert failed.returncode == 1 and len(failed.stderr.strip().splitlines()) == 1
    assert "keeps catalogue version" in failed.stderr and "(snapshot)" in failed.stderr


def test_no_snapshot_says_so(tmp_path):
    store = LocalStore(tmp_path / "catalogue.sqlite3", snapshot=None)
    assert store.source == "none" and len(store) == 0
    store.close()


def test_bundled_snapshot_is_the_sample_site_as_served():
    from kiosk.backend.snapshot import build_snapshot

    assert gzip.decompress(SNAPSHOT.read_bytes()) == build_snapshot(), "run: python -m kiosk.backend.snapshot"


def test_sync_then_304_then_a_changed_catalogue(tmp_path):
    server = start_site(tmp_path / "site")
    try:
        store = LocalStore(tmp_path / "kiosk" / "catalogue.sqlite3")
        first = run(sync(url(server), store))
        assert first.changed and store.source == "backend" and store.etag
        second = run(sync(url(server), store))
        assert not second.changed and second.bytes_on_wire == 0 and second.version == first.version
        assert kiosk("import-catalogue", FIXTURE, "--db", str(server.db)).returncode == 0
        third = run(sync(url(server), store))
        assert third.changed and third.version != first.version and third.procedures > first.procedures
        store.close()
    finally:
        assert server.stop() == 0


class CuttingProxy:
    """Forwards to the backend but hangs up after `limit` bytes of the answer: a backend
    that dies in the middle of sending the catalogue."""

    def __init__(self, port, limit):
        self.port, self.limit = port, limit

    async def __aenter__(self):
        async def handle(reader, writer):
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.port)
            request = await reader.readuntil(b"\r\n\r\n")
            upstream_writer.write(request)
            await upstream_writer.drain()
            answer = await upstream_reader.read(self.limit)
            while len(answer) < self.limit:
                more = await upstream_reader.read(self.limit - len(answer))
                if not more:
                    break
                answer += more
            writer.write(answer)
            await writer.drain()
            writer.close()
            upstream_writer.close()

        self.server = await asyncio.start_server(handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc):
        self.server.close()
        await self.server.wait_closed()


def test_backend_dying_mid_sync_leaves_the_old_catalogue(tmp_path):
    server = start_site(tmp_path / "site")
    try:
        store = LocalStore(tmp_path / "kiosk" / "catalogue.sqlite3")
        before = (store.version, len(store), store.source)

        async def go():
            async with CuttingProxy(server.port, 20_000) as proxy:
                with pytest.raises(Offline):
                    await sync(proxy.url, store)

        run(go())
        assert (store.version, len(store), store.source) == before
        store.close()
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize(
    "body",
    [b"<html>502 Bad Gateway</html>", b'{"version": "x", "procedures": [{"code": 1}]', b'{"version": "x", "procedures": "all"}',
     b'{"version": "x", "levels": [], "fields": [], "procedures": [{"code": "1", "name": "x"}]}', b"[" * 100_000],
)
def test_garbage_catalogue_changes_nothing(tmp_path, body):
    async def garbage(request):
        return web.Response(body=body, content_type="application/json", headers={"ETag": '"garbage"'})

    async def go():
        app = web.Application()
        app.router.add_get("/api/v1/catalogue", garbage)
        async with serving(app) as address:
            with pytest.raises(CatalogueError):
                await sync(address, store)

    store = LocalStore(tmp_path / "catalogue.sqlite3")
    before = (store.version, len(store), store.etag)
    run(go())
    assert (store.version, len(store), store.etag) == before
    store.close()


def catalogue_answering(body, headers=None):
    """An application that answers the catalogue with `body` and `headers`, for `serving`."""
    async def catalogue(request):
        return web.Response(body=body, content_type="application/json", headers={"ETag": '"served"', **(headers or {})})

    app = web.Application()
    app.router.add_get("/api/v1/catalogue", catalogue)
    return app


def big_catalogue(count=2_000):
    return synthetic_catalogue(count).to_dict()


def test_a_bad_procedure_near_the_end_rolls_back_what_was_written(tmp_path):
    catalogue = big_catalogue()
    catalogue["procedures"][-2]["levels"] = ["nowhere"]  # checked after most rows are written
    store = LocalStore(tmp_path / "catalogue.sqlite3")
    before = (store.version, len(store), store.etag)

    async def go():
        async with serving(catalogue_answering(json.dumps(catalogue).encode())) as address:
            with pytest.raises(CatalogueError, match="nowhere"):
                await sync(address, store)

    run(go())
    assert (store.version, len(store), store.etag) == before
    store.close()


@pytest.mark.parametrize("cut", [0.5, 0.99])
def test_a_gzip_body_cut_short_changes_nothing(tmp_path, cut):
    """A body that ends early but whole as HTTP goes (its Content-Length says so)."""
    packed = gzip.compress(json.dumps(big_catalogue()).encode())
    store = LocalStore(tmp_path / "catalogue.sqlite3")
    before = (store.version, len(store), store.etag)

    async def go():
        async with serving(catalogue_answering(packed[:int(len(packed) * cut)], {"Content-Encoding": "gzip"})) as address:
            with pytest.raises(ServerError, match="cut short"):
                await sync(address, store)

    run(go())
    assert (store.version, len(store), store.etag) == before
    store.close()


def test_a_gzip_bomb_is_refused(tmp_path):
    bomb = gzip.compress(b" " * (8 * 1024 * 1024))  # 8 MB of spaces: a few kB on the wire
    store = LocalStore(tmp_path / "catalogue.sqlite3")

    async def go():
        async with serving(catalogue_answering(bomb, {"Content-Encoding": "gzip"})) as address:
            async with BackendClient(address, retries=1, max_catalogue=1024 * 1024) as client:
                with pytest.raises(ServerError, match="larger than 1 MB"):
                    await sync_catalogue(client, store)

    run(go())
    assert store.source == "snapshot"
    store.close()


def test_a_304_writes_nothing(tmp_path):
    server = start_site(tmp_path / "site")
    try:
        path = tmp_path / "kiosk" / "catalogue.sqlite3"
        store = LocalStore(path)
        run(sync(url(server), store))
        probe = sqlite3.connect(path)
        seen = probe.execute("PRAGMA data_version").fetchone()[0]  # changes when another connection commits
        files = {f.name: f.read_bytes() for f in path.parent.iterdir()}
        checked = run(sync(url(server), store))
        assert not checked.changed and store.checked_at is not None
        assert probe.execute("PRAGMA data_version").fetchone()[0] == seen
        assert {f.name: f.read_bytes() for f in path.parent.iterdir()} == files
        probe.close()
        store.close()
    finally:
        assert server.stop() == 0


def test_a_sync_cancelled_while_writing_leaves_the_old_catalogue(tmp_path, monkeypatch):
    """The app closing in the middle of a write: the write stops and rolls back before the
    cancelled task ends, so nothing is written after it."""
    from kiosk.client import store as store_module

    started, checked_rows = threading.Event(), store_module._checked_rows

    def slow_rows(catalogue, stop):
        for number, row in enumerate(checked_rows(catalogue, stop)):
            yield row
            if number == 10:
                started.set()
                stop.wait(30)  # the cancelled task sets it

    path = tmp_path / "catalogue.sqlite3"
    store = LocalStore(path)
    before = (store.version, len(store), store.etag)
    monkeypatch.setattr(store_module, "_checked_rows", slow_rows)

    async def go():
        async with serving(catalogue_answering(json.dumps(big_catalogue()).encode())) as address:
            task = asyncio.ensure_future(sync(address, store))
            await asyncio.to_thread(started.wait, 30)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert not writing(path), "the write went on after the task was cancelled"

    run(go())
    assert (store.version, len(store), store.etag) == before
    store.close()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "zeros"])
def test_corrupt_store_is_moved_aside_and_rebuilt(tmp_path, damage):
    path = tmp_path / "catalogue.sqlite3"
    LocalStore(path).close()
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"not a database at all" * 500)
    elif damage == "truncated":
        path.write_bytes(data[:1000])
    else:
        path.write_bytes(data[:100] + b"\0" * (len(data) - 100))
    store = LocalStore(path)
    assert store.moved_aside is not None and store.moved_aside.exists()
    assert store.source == "snapshot" and len(store) >= 150
    assert store.procedure("1.001193").name == "Thủ tục đăng ký khai sinh"
    store.close()
    found = kiosk("search", "ket hon", "--data", str(tmp_path), "--json")
    assert found.returncode == 0 and json.loads(found.stdout)


DIE_HALF_WAY = """
import os, signal, sys
from kiosk.client import store as module
from kiosk.client.store import LocalStore

checked_rows = module._checked_rows

def dying(*args):
    for number, row in enumerate(checked_rows(*args)):
        if number == int(sys.argv[3]):
            os.kill(os.getpid(), signal.SIGKILL)  # half the rows written, nothing committed
        yield row

module._checked_rows = dying
store = LocalStore(sys.argv[1])
store.apply_catalogue(open(sys.argv[2], "rb").read(), '"new"')
"""


def test_kill_in_the_middle_of_applying_leaves_the_old_catalogue(tmp_path):
    big = BackendStore(tmp_path / "big.sqlite3")
    big.replace_catalogue(synthetic_catalogue(10_000))
    (tmp_path / "catalogue.json").write_bytes(big.catalogue_json())
    big.close()
    path = tmp_path / "kiosk" / "catalogue.sqlite3"
    store = LocalStore(path)
    before = (store.version, len(store), store.source)
    store.close()
    for kill_at in (1, 5_000, 9_999):
        result = subprocess.run([sys.executable, "-c", DIE_HALF_WAY, str(path), str(tmp_path / "catalogue.json"),
                                 str(kill_at)], capture_output=True, timeout=120)
        assert result.returncode == -signal.SIGKILL
        store = LocalStore(path)
        assert (store.version, len(store), store.source) == before and store.moved_aside is None
        store.close()


def writing(path) -> bool:
    """Whether another process is inside a write transaction on the SQLite file `path`."""
    try:
        probe = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=0, isolation_level=None)
    except sqlite3.OperationalError:
        return False  # not there yet
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as error:
        if "locked" in str(error):
            return True
        raise
    finally:
        probe.close()


def test_kiosk_sync_killed_at_any_moment_leaves_a_whole_catalogue(tmp_path):
    db = tmp_path / "big.sqlite3"
    big = BackendStore(db)
    version = big.replace_catalogue(synthetic_catalogue(10_000))
    big.close()
    # Every run starts from a kiosk holding the bundled snapshot (154 procedures), so that
    # each one downloads and writes the new catalogue: none ends early with "not modified".
    seeded = tmp_path / "seeded"
    LocalStore(seeded / "catalogue.sqlite3").close()
    server = Backend("--db", str(db))
    runs = iter(range(100))

    def start():
        data = tmp_path / f"kiosk{next(runs)}"
        shutil.copytree(seeded, data)
        process = subprocess.Popen([KIOSK, "sync", "--data", str(data), "--backend", url(server)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return process, data / "catalogue.sqlite3"

    def kill(process, path) -> bool:
        """SIGKILL; whether it landed inside the transaction that replaces the catalogue."""
        was_writing = writing(path)
        process.send_signal(signal.SIGKILL)
        process.wait()
        if process.returncode != 0:  # 0: the sync had finished before the kill
            assert process.returncode == -signal.SIGKILL, process.returncode
            store = LocalStore(path)
            state = (store.version, len(store))
            store.close()
            assert state[1] == (10_000 if state[0] == version else 154), state  # 154: the bundled snapshot
        return was_writing

    try:
        # One whole sync first: the kills are drawn over its length, so that they land
        # inside a sync (starting, downloading, writing) and not after it.
        started = time.monotonic()
        whole = subprocess.run([KIOSK, "sync", "--data", str(tmp_path / "whole"), "--backend", url(server)],
                               capture_output=True, timeout=120)
        length = time.monotonic() - started
        assert whole.returncode == 0, whole.stderr
        rng = random.Random(7)
        # At any moment: four kills that each stopped a running sync.
        kills = 0
        for _ in range(12):
            process, path = start()
            time.sleep(rng.uniform(0, length))
            kill(process, path)
            kills += process.returncode == -signal.SIGKILL
            if kills == 4:
                break
        assert kills == 4, "the syncs ended before the kills"
        # While the new catalogue is written (the last quarter or so of a sync, the part a
        # kill at any moment seldom hits): three kills inside that transaction.
        for _ in range(3):
            process, path = start()
            deadline = time.monotonic() + 60
            while not writing(path):
                assert process.poll() is None and time.monotonic() < deadline, "the sync never wrote"
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.1))
            assert kill(process, path), "the kill came after the catalogue was written"
            assert process.returncode == -signal.SIGKILL
    finally:
        assert server.stop() == 0


def test_outbox_replays_in_order_exactly_once(tmp_path):
    server = start_site(tmp_path / "site")
    db, token = server.db, server.token
    terminal = BackendStore(db)
    terminal_id = terminal.db.execute("SELECT MIN(id) FROM terminals").fetchone()[0]
    terminal.close()

    async def issue_one():
        async with BackendClient(url(server), token) as client:
            return await client.issue_ticket("B", None, uuid.uuid4().hex)

    ticket = run(issue_one())
    admin_file = tmp_path / "site" / "admin-token"
    assert server.stop() == 0  # the backend goes away

    outbox = Outbox(tmp_path / "kiosk" / "outbox.sqlite3")
    outbox.add_rating(Rating("unsatisfied", ["Chờ lâu"], ticket_id=ticket.id))
    outbox.add_void(ticket.id)
    outbox.add_heartbeat(terminal_id, Health(app_version="0.1.0", printer="paper_out"))
    outbox.add_heartbeat(terminal_id, Health(app_version="0.1.0", printer="ok"))  # replaces the first
    outbox.add_rating(Rating("very_satisfied"))
    assert [i["kind"] for i in outbox.pending()] == ["rating", "void", "heartbeat", "rating"]
    assert "052090000001" not in json.dumps(outbox.pending())

    async def replay(address):
        async with BackendClient(address, token, retries=1) as client:
            return await outbox.replay(client)

    offline = run(replay(url(server)))
    assert (offline.sent, offline.left) == (0, 4)

    again = Backend("--db", str(db), "--admin-token-file", str(admin_file))
    try:
        done = run(replay(url(again)))
        assert (done.sent, done.dropped, done.left) == (4, 0, 0)
        assert run(replay(url(again))).sent == 0
        # A kiosk that crashed after sending but before forgetting sends again: still once.
        async def resend():
            async with BackendClient(url(again), token) as client:
                await client.rate(Rating("satisfied"), key="crash-1")
                await client.rate(Rating("satisfied"), key="crash-1")
        run(resend())
    finally:
        assert again.stop() == 0
    store = BackendStore(db)
    ratings = store.db.execute("SELECT level FROM ratings ORDER BY id").fetchall()
    status = store.db.execute("SELECT status FROM tickets WHERE public_id = ?", [ticket.id]).fetchone()[0]
    health = store.db.execute("SELECT health FROM terminals WHERE id = ?", [terminal_id]).fetchone()[0]
    store.close()
    outbox.close()
    assert [r[0] for r in ratings] == ["unsatisfied", "very_satisfied", "satisfied"]
    assert status == "void" and json.loads(health)["printer"] == "ok"


def test_corrupt_outbox_is_moved_aside(tmp_path):
    path = tmp_path / "outbox.sqlite3"
    path.write_bytes(b"\x00garbage" * 1000)
    outbox = Outbox(path)
    outbox.add_rating(Rating("satisfied"))
    assert len(outbox) == 1 and list(tmp_path.glob("outbox.sqlite3.corrupt-*"))
    outbox.close()


def test_periodic_sync_picks_up_a_new_catalogue(tmp_path):
    from kiosk.client.sync import keep_in_sync

    server = start_site(tmp_path / "site")
    changes = []
    try:
        store = LocalStore(tmp_path / "kiosk" / "catalogue.sqlite3")
        outbox = Outbox(tmp_path / "kiosk" / "outbox.sqlite3")

        async def go():
            async with BackendClient(url(server), server.token) as client:
                task = asyncio.ensure_future(keep_in_sync(client, store, outbox, every=0.2, on_change=changes.append))
                while len(changes) < 1:
                    await asyncio.sleep(0.05)
                await asyncio.to_thread(kiosk, "import-catalogue", FIXTURE, "--db", str(server.db))
                while len(changes) < 2:
                    await asyncio.sleep(0.05)
                task.cancel()

        run(asyncio.wait_for(go(), 60))
        assert changes[0].procedures == 154 and changes[1].procedures > 154
        assert store.version == changes[1].version
        store.close()
        outbox.close()
    finally:
        assert server.stop() == 0


def test_heartbeat_reports_health_and_brings_the_centres_configuration(tmp_path):
    from kiosk.client.sync import keep_heartbeat

    server = start_site(tmp_path / "site")
    configs = []
    try:
        terminal = query(server.db, "SELECT id FROM terminals")[0][0]

        async def health():
            return Health(app_version="test", catalogue_version="v1", printer="paper_low", outbox_size=2)

        async def go():
            async with BackendClient(url(server), server.token, retries=1) as client:
                task = asyncio.ensure_future(keep_heartbeat(
                    client, terminal, health, lambda version, config: configs.append((version, config)), every=0.2))
                while not configs:
                    await asyncio.sleep(0.05)
                changed = {**configs[0][1].to_dict(), "idle_timeout_seconds": 45, "office_name": "Bộ phận Một cửa xã Ân Hảo"}
                put = await asyncio.to_thread(server.request, "PUT", f"/api/v1/terminals/{terminal}/config",
                                              json.dumps(changed).encode(), token="admin")
                assert put.status == 200
                while configs[-1][0] == configs[0][0]:
                    await asyncio.sleep(0.05)
                task.cancel()

        run(asyncio.wait_for(go(), 60))
        version, config = configs[-1]
        assert version == configs[0][0] + 1
        assert (config.idle_timeout_seconds, config.office_name) == (45, "Bộ phận Một cửa xã Ân Hảo")
        seen = query(server.db, "SELECT last_seen, health FROM terminals WHERE id = ?", terminal)[0]
        assert seen[0] and json.loads(seen[1])["printer"] == "paper_low"
    finally:
        assert server.stop() == 0
