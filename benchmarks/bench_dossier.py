"""Dossier lookup latency at 20 concurrent clients (p50, p99), each look-up with a terminal's
token as the kiosks send it, next to a trivial aiohttp handler measured in the same run (the
overhead ratio), in turns.

Each side's percentile is the median of its rounds' percentiles. The clients, the backend and
the trivial server share this machine's cores, and one round in which the scheduler was unkind
to one side moved a pooled p99 by a third (ratios of 1.43 to 2.07 in five runs of the same code).

    python benchmarks/bench_dossier.py [--clients 20] [--requests 200] [--smoke] [--figures FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
from pathlib import Path

import aiohttp

from common import (add_report_arguments, clock, figure, median, ms, percentile, ratio_at_most, report, server,
                    trivial_backend)
from kiosk.backend.store import BackendStore

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support import KIOSK, prepare_site  # noqa: E402  (the tests' way to build a sample site)


async def load(urls: list[str], clients: int, per_client: int, token: str = "") -> list[float]:
    """Each client sends `per_client` requests one after another; all clients at once."""
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def client(session: aiohttp.ClientSession, seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(per_client):
            start = clock()
            async with session.get(rng.choice(urls), headers=headers) as response:
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
    parser.add_argument("--rounds", type=int, default=5, help="alternate backend and baseline this many times")
    add_report_arguments(parser)
    args = parser.parse_args()
    if args.smoke:
        args.clients, args.requests, args.rounds = 2, 20, 1
    with tempfile.TemporaryDirectory() as folder:
        db, admin_file, token = prepare_site(Path(folder))
        store = BackendStore(db)
        codes = store.dossier_codes()
        store.close()
        real, base = [], []  # one list of latencies per round
        backend = [KIOSK, "backend", "--db", str(db), "--admin-token-file", str(admin_file), "--port", "0"]
        with server(backend) as url, trivial_backend() as trivial:
            await load([f"{trivial}/hello"], args.clients, 20)  # warm both up
            await load([f"{url}/api/v1/dossiers/{codes[0]}"], args.clients, 20, token)
            for _ in range(args.rounds):  # interleaved, so that machine noise hits both alike
                real.append(await load([f"{url}/api/v1/dossiers/{c}" for c in codes], args.clients, args.requests, token))
                base.append(await load([f"{trivial}/hello"], args.clients, args.requests))
    print(f"{args.clients} concurrent clients, {args.rounds} rounds of {len(real[0])} requests each side, {len(codes)} dossiers")

    def rounds(latencies: list[list[float]], p: float) -> float:
        return median([percentile(one, p) for one in latencies])

    for name, p in (("p50", 0.50), ("p99", 0.99)):
        ours, theirs = rounds(real, p), rounds(base, p)
        each = ", ".join(f"{percentile(r, p) / percentile(b, p):.2f}" for r, b in zip(real, base))
        print(f"  {name}  dossier lookup {ms(ours)}   trivial handler {ms(theirs)}   ratio {ours / theirs:5.2f}"
              f"   (round by round: {each})")
    total_real, total_base = sum(map(sum, real)), sum(map(sum, base))
    count = len(real) * len(real[0])
    real_rate, base_rate = count * args.clients / total_real, count * args.clients / total_base
    print(f"  throughput  dossier lookup {real_rate:7.0f} req/s   trivial handler {base_rate:7.0f} req/s")
    trivial_name = f"GET /hello, {args.clients} clients"
    report(args, [
        figure("dossier lookup p50", rounds(real, 0.5) * 1000, rounds(base, 0.5) * 1000, "ms", trivial_name),
        figure("dossier lookup p99", rounds(real, 0.99) * 1000, rounds(base, 0.99) * 1000, "ms", trivial_name,
               ratio_at_most(2)),
        figure("dossier lookups/s", real_rate, base_rate, "/s", trivial_name),
    ])


if __name__ == "__main__":
    asyncio.run(main())
