"""Dossier lookup latency at 20 concurrent clients (p50, p99), next to a trivial aiohttp
handler measured in the same run (the overhead ratio).

    python benchmarks/bench_dossier.py [--clients 20] [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
from pathlib import Path

import aiohttp

from common import clock, kiosk_backend, ms, percentile, trivial_backend
from kiosk.backend.sample import load_sample_site
from kiosk.backend.store import BackendStore
from kiosk.config import load_config, working_calendar
from kiosk.domain.calendar import today


async def load(urls: list[str], clients: int, per_client: int) -> list[float]:
    """Each client sends `per_client` requests one after another; all clients at once."""
    latencies: list[float] = []

    async def client(session: aiohttp.ClientSession, seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(per_client):
            start = clock()
            async with session.get(rng.choice(urls)) as response:
                await response.read()
                assert response.status == 200, response.status
            latencies.append(clock() - start)

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(client(session, n) for n in range(clients)))
    return latencies


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200, help="per client")
    parser.add_argument("--rounds", type=int, default=3, help="alternate backend and baseline this many times")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "backend.sqlite3"
        store = BackendStore(db)
        load_sample_site(store, working_calendar(load_config()), today())
        codes = store.dossier_codes()
        store.close()
        real, base = [], []
        with kiosk_backend(db) as url, trivial_backend() as trivial:
            await load([f"{trivial}/hello"], args.clients, 20)  # warm both up
            await load([f"{url}/api/v1/dossiers/{codes[0]}"], args.clients, 20)
            for _ in range(args.rounds):  # interleaved, so that machine noise hits both alike
                real += await load([f"{url}/api/v1/dossiers/{c}" for c in codes], args.clients, args.requests)
                base += await load([f"{trivial}/hello"], args.clients, args.requests)
    print(f"{args.clients} concurrent clients, {len(real)} requests each side, {len(codes)} dossiers")
    for name, p in (("p50", 0.50), ("p99", 0.99)):
        ours, theirs = percentile(real, p), percentile(base, p)
        print(f"  {name}  dossier lookup {ms(ours)}   trivial handler {ms(theirs)}   ratio {ours / theirs:5.2f}")
    total_real, total_base = sum(real), sum(base)
    print(f"  throughput  dossier lookup {len(real) * args.clients / total_real:7.0f} req/s"
          f"   trivial handler {len(base) * args.clients / total_base:7.0f} req/s")


if __name__ == "__main__":
    asyncio.run(main())
