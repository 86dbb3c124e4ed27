"""The baseline: the least an aiohttp server can do, measured beside the real one.

/hello answers a tiny JSON; /blob/{size} answers that many bytes prepared in advance,
so the cost of moving the bytes alone can be told from the backend's own work.

With `--db PATH`, POST /insert is the least a server that writes can do: the JSON body parsed,
ONE committed INSERT into an SQLite file with the backend's durability (WAL, synchronous=FULL,
BEGIN IMMEDIATE), run as the backend runs its writes (on one thread of its own, the event loop
free meanwhile), and a small JSON answered.
"""

import argparse
import asyncio
import functools
import os
import signal
import sqlite3
import uuid
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

BLOBS: dict[int, bytes] = {}
DB = web.AppKey("db", sqlite3.Connection)
WORKER = web.AppKey("worker", ThreadPoolExecutor)


async def hello(request: web.Request) -> web.Response:
    return web.json_response({"hello": "world"})


async def blob(request: web.Request) -> web.Response:
    size = int(request.match_info["size"])
    if size not in BLOBS:
        BLOBS[size] = os.urandom(size)
    return web.Response(body=BLOBS[size], content_type="application/json")


def open_db(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, public_id TEXT, service TEXT, number INTEGER)")
    return conn


def insert_row(conn: sqlite3.Connection, service: str) -> tuple[int, str]:
    public_id = uuid.uuid4().hex
    conn.execute("BEGIN IMMEDIATE")
    try:
        cursor = conn.execute("INSERT INTO t (public_id, service, number) VALUES (?, ?, 0)", [public_id, service])
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return cursor.lastrowid, public_id


async def insert(request: web.Request) -> web.Response:
    data = await request.json()
    loop = asyncio.get_running_loop()
    number, public_id = await loop.run_in_executor(
        request.app[WORKER], functools.partial(insert_row, request.app[DB], str(data.get("service", ""))))
    return web.json_response({"id": public_id, "number": number}, status=201)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", help="an SQLite file for POST /insert")
    args = parser.parse_args()
    app = web.Application()
    app.router.add_get("/hello", hello)
    app.router.add_get("/blob/{size}", blob)
    if args.db:
        app[DB] = open_db(args.db)
        app[WORKER] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")
        app.router.add_post("/insert", insert)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()
    if args.db:
        app[WORKER].shutdown()
        app[DB].close()


if __name__ == "__main__":
    asyncio.run(main())
