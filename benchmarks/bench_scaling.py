"""Past one machine: queue tickets issued per second (POST /api/v1/queue/tickets, each kiosk with
its own terminal token) and dossier look-ups answered per second (GET /api/v1/dossiers/{code}),
with 40 kiosks at once, on PostgreSQL served by 1, 2 and 4 backend processes
(`kiosk backend --workers N`), next to the baseline measured in turns in the same run: one
backend process on an SQLite file, as a centre runs it.

Both databases keep each answered ticket through a power cut: SQLite in WAL with
synchronous=FULL, PostgreSQL with fsync and synchronous_commit on (its defaults; the tests'
own cluster turns them off, this one does not). The load comes from this process, on the same
machine: on two cores, the kiosks, the backend processes and PostgreSQL share them, and where
the figures stop growing is where those cores are used up (said in docs/deploy-province.md).

    python benchmarks/bench_scaling.py [--tickets 1200] [--lookups 4000] [--rounds 3] [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import uuid
from pathlib import Path

import aiohttp

from common import add_report_arguments, clock, figure, median, report, server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import stores  # noqa: E402  (the tests' way to make a store on either database)
from postgres import TestPostgres  # noqa: E402
from support import KIOSK, lifted_config, prepare_site  # noqa: E402

KIOSKS = 40
"""Kiosks at once: a province's busy hour on one backend, the figure of the 4-process test."""
WORKERS = [1, 2, 4]


def kiosk_tokens(db: str, token: str, count: int) -> list[str]:
    from kiosk.backend.terminals import Terminals
    from kiosk.domain.calendar import now

    store = stores.new_store(db, open_keys=False)
    try:
        return [token] + [Terminals(store).add(f"benchmark kiosk {n}", now())[1] for n in range(2, count + 1)]
    finally:
        store.close()


def dossier_codes(db: str) -> list[str]:
    store = stores.new_store(db, open_keys=False)
    try:
        return store.dossier_codes()
    finally:
        store.close()


def serve_everyone(db: str) -> None:
    """Empty the lines between measurements, so that each starts from the same queue."""
    from kiosk.backend.database import open_database

    database = open_database(db)
    try:
        database.execute("UPDATE tickets SET status = 'served', called_at = issued_at, finished_at = issued_at"
                         " WHERE status = 'waiting'")
    finally:
        database.close()


async def tickets_per_second(url: str, tokens: list[str], count: int) -> float:
    per_kiosk = max(1, count // len(tokens))

    async def kiosk(session: aiohttp.ClientSession, token: str, number: int) -> None:
        for _ in range(per_kiosk):
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
            async with session.post(f"{url}/api/v1/queue/tickets", json={"service": "ABCDE"[number % 5]},
                                    headers=headers) as reply:
                assert reply.status == 201, await reply.text()
                await reply.read()

    # A connection each kiosk, as kiosks are machines of their own: spread over the workers.
    sessions = [aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) for _ in tokens]
    try:
        start = clock()
        await asyncio.gather(*(kiosk(s, t, n) for n, (s, t) in enumerate(zip(sessions, tokens))))
        return per_kiosk * len(tokens) / (clock() - start)
    finally:
        for session in sessions:
            await session.close()


async def lookups_per_second(url: str, token: str, codes: list[str], count: int, kiosks: int) -> float:
    per_kiosk = max(1, count // kiosks)

    async def kiosk(session: aiohttp.ClientSession, seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(per_kiosk):
            async with session.get(f"{url}/api/v1/dossiers/{rng.choice(codes)}",
                                   headers={"Authorization": f"Bearer {token}"}) as reply:
                assert reply.status == 200, reply.status
                await reply.read()

    sessions = [aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) for _ in range(kiosks)]
    try:
        start = clock()
        await asyncio.gather(*(kiosk(s, n) for n, s in enumerate(sessions)))
        return per_kiosk * kiosks / (clock() - start)
    finally:
        for session in sessions:
            await session.close()


async def measure(command: list[str], db: str, tokens: list[str], codes: list[str], args) -> tuple[float, float]:
    with server(command) as url:
        await tickets_per_second(url, tokens, len(tokens) * 2)  # warm up: connections, prepared statements
        serve_everyone(db)
        tickets = await tickets_per_second(url, tokens, args.tickets)
        lookups = await lookups_per_second(url, tokens[0], codes, args.lookups, len(tokens))
    serve_everyone(db)
    return tickets, lookups


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=1200, help="tickets per measurement")
    parser.add_argument("--lookups", type=int, default=4000, help="dossier look-ups per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    add_report_arguments(parser)
    args = parser.parse_args()
    kiosks, workers = KIOSKS, WORKERS
    if args.smoke:
        args.tickets, args.lookups, args.rounds, kiosks, workers = 20, 40, 1, 4, [1, 2]
    cluster = TestPostgres(durable=True).start()
    try:
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            sites = {}
            for kind in ("sqlite", "postgresql"):
                stores.use(kind, cluster if kind == "postgresql" else None)
                stores.enter()
                site = folder / kind
                db, admin_file, token = prepare_site(site)
                config = lifted_config(site)  # each kiosk issues more than the shipped ceilings allow
                sites[kind] = (db, [KIOSK, "backend", "--db", db, "--admin-token-file", str(admin_file),
                                    "--config", str(config), "--port", "0"],
                               kiosk_tokens(db, token, kiosks), dossier_codes(db))
            results: dict[str, list[tuple[float, float]]] = {}
            for _ in range(args.rounds):  # in turns, so that machine noise hits every configuration alike
                for kind, count in [("sqlite", 1)] + [("postgresql", n) for n in workers]:
                    db, command, tokens, codes = sites[kind]
                    label = f"{kind}-{count}"
                    results.setdefault(label, []).append(
                        await measure(command + ["--workers", str(count)], db, tokens, codes, args))
            stores.leave()
            stores.leave()
    finally:
        cluster.stop()
    base_tickets = median([r[0] for r in results["sqlite-1"]])
    base_lookups = median([r[1] for r in results["sqlite-1"]])
    print(f"{kiosks} kiosks at once; {args.tickets} tickets and {args.lookups} look-ups a measurement; "
          f"median of {args.rounds} rounds")
    figures = []
    for count in workers:
        tickets = median([r[0] for r in results[f"postgresql-{count}"]])
        lookups = median([r[1] for r in results[f"postgresql-{count}"]])
        print(f"  PostgreSQL, {count} process(es): tickets {tickets:7.0f} /s ({tickets / base_tickets:4.2f}x SQLite), "
              f"look-ups {lookups:7.0f} /s ({lookups / base_lookups:4.2f}x SQLite)")
        figures.append(figure(f"tickets/s, PostgreSQL, {count} backend process(es), {kiosks} kiosks", tickets,
                              base_tickets, "/s", "one backend process on SQLite, same kiosks"))
        figures.append(figure(f"dossier look-ups/s, PostgreSQL, {count} backend process(es), {kiosks} kiosks",
                              lookups, base_lookups, "/s", "one backend process on SQLite, same kiosks"))
    report(args, figures)


if __name__ == "__main__":
    asyncio.run(main())
