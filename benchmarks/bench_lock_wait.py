"""How long cheap requests wait while a write waits for SQLite's lock. Another connection (a long
import, a backup) holds the write lock for --hold seconds; meanwhile a kiosk asks for a ticket (a
write, which waits for the lock) and a monitor asks, one after another, for a page that touches
no database (GET /api/v1/health, GET /api/v1/openapi.json) and for a database read
(GET /api/v1/queue/services).
Baseline: the same requests with no lock held, measured in the same run.

    python benchmarks/bench_lock_wait.py [--hold 2] [--src DIR] [--smoke] [--figures FILE]

`--src DIR`: serve from another source tree (an export of an older commit, say), to measure the
backend as it was before a change; its own tests/support.py prepares its site.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import aiohttp

from common import add_report_arguments, clock, figure, median, ms, report, server

HERE = Path(__file__).resolve().parent.parent
PATHS = ("/api/v1/health", "/api/v1/openapi.json", "/api/v1/queue/services")
"""/health where the tree has it; the other two are in every tree, for a figure before and after."""

PREPARE = """import json, sys
from pathlib import Path
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/tests"]
from support import prepare_site
db, admin, token = prepare_site(Path(sys.argv[2]))
print(json.dumps([str(db), str(admin), token]))
"""
SERVE = "import sys; sys.path.insert(0, sys.argv.pop(1)); from kiosk.cli import main; sys.exit(main(sys.argv[1:]))"


async def timed_get(session: aiohttp.ClientSession, url: str) -> float:
    start = clock()
    async with session.get(url) as reply:
        await reply.read()
        assert reply.status == 200, reply.status
    return clock() - start


async def during_lock(session: aiohttp.ClientSession, url: str, path: str, db: Path, token: str,
                      hold: float) -> tuple[list[float], int, float]:
    """Latencies of `path` asked over and over while the lock is held and a ticket waits for it;
    the ticket's status and latency."""
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    start = clock()
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}

    async def ticket() -> tuple[int, float]:
        async with session.post(f"{url}/api/v1/queue/tickets", json={"service": "A"}, headers=headers) as reply:
            await reply.read()
            return reply.status, clock() - start

    waiting = asyncio.ensure_future(ticket())
    # Let go at `hold` whatever the requests are doing (one may be waiting behind the lock).
    asyncio.get_running_loop().call_later(hold, holder.execute, "COMMIT")
    await asyncio.sleep(0.2)  # the ticket reaches the server and waits for the lock
    latencies = []
    while clock() - start < hold:
        latencies.append(await timed_get(session, url + path))
    status, took = await waiting
    holder.close()
    return latencies, status, took


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hold", type=float, default=2.0, help="seconds the lock is held (under the 5 s busy timeout)")
    parser.add_argument("--src", type=Path, default=HERE, help="the source tree to serve from")
    add_report_arguments(parser)
    args = parser.parse_args()
    idle_count = 30
    if args.smoke:
        args.hold, idle_count = 0.3, 5
    figures = []
    src = str(args.src.resolve())
    with tempfile.TemporaryDirectory() as name:
        prepared = subprocess.run([sys.executable, "-c", PREPARE, src, name], capture_output=True, text=True, check=True)
        db, admin_file, token = json.loads(prepared.stdout.strip().splitlines()[-1])
        command = [sys.executable, "-c", SERVE, src, "backend", "--db", db, "--admin-token-file", admin_file,
                   "--port", "0"]
        with server(command) as url:
            async with aiohttp.ClientSession() as session:
                print(f"served from {src}; the write lock held {args.hold:g} s by another connection")
                for path in PATHS:
                    async with session.get(url + path) as reply:
                        if reply.status == 404:
                            continue
                    for _ in range(5):  # warm up
                        await timed_get(session, url + path)
                    idle = [await timed_get(session, url + path) for _ in range(idle_count)]
                    latencies, status, took = await during_lock(session, url, path, Path(db), token, args.hold)
                    print(f"  GET {path}")
                    print(f"    baseline, no lock held: median {ms(median(idle))}   max {ms(max(idle))}")
                    print(f"    while a ticket waits:   first  {ms(latencies[0])}   median {ms(median(latencies))}"
                          f"   max {ms(max(latencies))}   ({len(latencies)} requests)")
                    print(f"    the ticket: {status} after {ms(took)}")
                    idle_name = f"GET {path}, no lock held"
                    figures += [
                        figure(f"GET {path} while a ticket waits, median", median(latencies) * 1000,
                               median(idle) * 1000, "ms", idle_name),
                        figure(f"GET {path} while a ticket waits, max", max(latencies) * 1000,
                               max(idle) * 1000, "ms", idle_name),
                    ]
    report(args, figures)


if __name__ == "__main__":
    asyncio.run(main())
