"""Queue tickets issued per second at 1, 10 and 50 concurrent kiosks, each with its own terminal
token (POST /api/v1/queue/tickets),
next to a fair baseline measured in turns in the same run: the same kind of aiohttp server
(trivial_server.py, POST /insert) answering each request with ONE committed INSERT into an
SQLite file on the same disk with the backend's durability (WAL, synchronous=FULL, BEGIN
IMMEDIATE, on a thread of its own as the backend runs its writes), its JSON body parsed and a
small JSON answered, at the same concurrency. The ratio is the figure. The plain rate of
committed INSERTs with no server at all is printed too, for scale.

The baseline commits each request alone; the backend shares one commit among the tickets that
arrive together (BackendStore.run_write). That sharing is part of what is measured: with one
kiosk there is nothing to share, and the figure at concurrency 1 shows the ticket's own cost.

    python benchmarks/bench_tickets.py [--tickets 600] [--rounds 3] [--smoke] [--figures FILE]
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

from common import (TRIVIAL_SERVER, add_report_arguments, clock, figure, median, ratio_at_least, report,
                    server)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support import KIOSK, lifted_config, prepare_site  # noqa: E402  (the tests' way to build a sample site)

GOAL_CLIENTS = 10
"""The concurrency the goal is set at: a centre's kiosks all busy at once."""


def plain_inserts(folder: Path, count: int) -> float:
    """Committed single-row INSERTs per second, each its own transaction, no server."""
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


def kiosk_tokens(db: Path, token: str, count: int) -> list[str]:
    """`count` kiosks' tokens: the prepared site's and more terminals enrolled beside it. Each
    kiosk asks with its own, as kiosks do: its ceilings count its own tickets."""
    from kiosk.backend.store import BackendStore
    from kiosk.backend.terminals import Terminals
    from kiosk.domain.calendar import now

    store = BackendStore(db)
    try:
        return [token] + [Terminals(store).add(f"benchmark kiosk {n}", now())[1] for n in range(2, count + 1)]
    finally:
        store.close()


async def per_second(url: str, tokens: list[str], clients: int, count: int) -> float:
    """Requests per second, `clients` kiosks at once, each with its own token, sending its share
    one after another: the same bodies and headers to the backend and to the baseline."""
    per_client = max(1, count // clients)

    async def kiosk(session: aiohttp.ClientSession, token: str) -> None:
        for _ in range(per_client):
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
            async with session.post(url, json={"service": "B"}, headers=headers) as reply:
                assert reply.status == 201, await reply.text()
                await reply.read()

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = clock()
        await asyncio.gather(*(kiosk(session, tokens[n]) for n in range(clients)))
        return per_client * clients / (clock() - start)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=600, help="tickets per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    add_report_arguments(parser)
    args = parser.parse_args()
    levels = [1, GOAL_CLIENTS, 50]
    goal_clients = GOAL_CLIENTS
    if args.smoke:
        args.tickets, args.rounds, levels, goal_clients = 20, 1, [1, 2], 2
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        db, admin_file, token = prepare_site(folder)
        # Each kiosk issues far more than the shipped ceilings allow (15 a minute, 400 an hour):
        # lifted, so that its own tickets are all counted against them, as the ceilings count.
        config = lifted_config(folder)
        tokens = kiosk_tokens(db, token, levels[-1])
        rates: dict[int, list[float]] = {c: [] for c in levels}
        inserts: dict[int, list[float]] = {c: [] for c in levels}
        plain: list[float] = []
        backend = [KIOSK, "backend", "--db", str(db), "--admin-token-file", str(admin_file), "--config", str(config),
                   "--port", "0"]
        baseline = [sys.executable, TRIVIAL_SERVER, "--db", str(folder / "baseline.sqlite3")]
        with server(backend) as url, server(baseline) as trivial:
            tickets, insert = f"{url}/api/v1/queue/tickets", f"{trivial}/insert"
            await per_second(tickets, tokens, levels[-1], 100)  # warm both up
            await per_second(insert, tokens, levels[-1], 100)
            for _ in range(args.rounds):  # in turns, so that machine noise hits both alike
                plain.append(plain_inserts(folder, args.tickets))
                for clients in levels:
                    serve_everyone(db)
                    rates[clients].append(await per_second(tickets, tokens, clients, args.tickets))
                    inserts[clients].append(await per_second(insert, tokens, clients, args.tickets))
    print(f"{args.tickets} tickets a measurement, median of {args.rounds} rounds, one service")
    print(f"  for scale: committed single-row INSERTs, no server (WAL, synchronous=FULL)  {median(plain):8.0f} /s")
    figures = []
    for clients in levels:
        rate, base = median(rates[clients]), median(inserts[clients])
        print(f"  concurrency {clients:>2}: tickets {rate:8.0f} /s   baseline POST /insert {base:8.0f} /s"
              f"   ratio {rate / base:5.2f}")
        figures.append(figure(f"tickets/s, {clients} kiosks", rate, base, "/s",
                              f"one committed INSERT per request, {clients} clients",
                              ratio_at_least(0.5) if clients == goal_clients else None))
    report(args, figures)


if __name__ == "__main__":
    asyncio.run(main())
