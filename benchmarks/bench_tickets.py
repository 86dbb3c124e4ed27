"""Queue tickets issued per second at 1, 10 and 50 concurrent kiosks, next to the plain rate
of committed single-row INSERTs into SQLite on the same disk with the same durability
(WAL, synchronous=FULL), measured in the same run. The ratio is the figure.

    python benchmarks/bench_tickets.py [--tickets 600] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import uuid
from pathlib import Path

import aiohttp

from common import clock, median, server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support import KIOSK, prepare_site  # noqa: E402  (the tests' way to build a sample site)


def plain_inserts(folder: Path, count: int) -> float:
    """Committed single-row INSERTs per second, each its own transaction."""
    path = folder / f"plain-{uuid.uuid4().hex}.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, public_id TEXT, number INTEGER)")
    start = clock()
    for number in range(count):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (public_id, number) VALUES (?, ?)", [uuid.uuid4().hex, number])
        conn.execute("COMMIT")
    elapsed = clock() - start
    conn.close()
    return count / elapsed


def serve_everyone(db: Path) -> None:
    """Empty the line between measurements, as the counters would over a day, so that each
    measurement starts from the same queue and not behind thousands of earlier tickets."""
    conn = sqlite3.connect(db, timeout=10)
    with conn:
        conn.execute("UPDATE tickets SET status = 'served', called_at = issued_at, finished_at = issued_at"
                     " WHERE status = 'waiting'")
    conn.close()


async def tickets_per_second(url: str, token: str, clients: int, count: int) -> float:
    per_client = count // clients

    async def kiosk(session: aiohttp.ClientSession) -> None:
        for _ in range(per_client):
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
            async with session.post(f"{url}/api/v1/queue/tickets", json={"service": "B"}, headers=headers) as reply:
                assert reply.status == 201, await reply.text()
                await reply.read()

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = clock()
        await asyncio.gather(*(kiosk(session) for _ in range(clients)))
        return per_client * clients / (clock() - start)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=600, help="tickets per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        db, admin_file, token = prepare_site(folder)
        rates: dict[int, list[float]] = {1: [], 10: [], 50: []}
        plain: list[float] = []
        with server([KIOSK, "backend", "--db", str(db), "--admin-token-file", str(admin_file), "--port", "0"]) as url:
            await tickets_per_second(url, token, 10, 100)  # warm up
            for _ in range(args.rounds):  # interleaved, so that machine noise hits both alike
                plain.append(plain_inserts(folder, args.tickets))
                for clients in rates:
                    serve_everyone(db)
                    rates[clients].append(await tickets_per_second(url, token, clients, args.tickets))
    base = median(plain)
    print(f"{args.tickets} tickets a measurement, median of {args.rounds} rounds, one service")
    print(f"  baseline: committed single-row INSERTs (WAL, synchronous=FULL)  {base:8.0f} /s")
    for clients, values in rates.items():
        rate = median(values)
        print(f"  tickets at concurrency {clients:>2}  {rate:8.0f} /s   ratio to plain INSERTs {rate / base:5.2f}")


if __name__ == "__main__":
    asyncio.run(main())
