"""A province's backend with many sites, each with its hall display open: what following them
costs the one site where work happens. With 100 other sites' displays connected (one each),
measured against the same backend process with none of them connected, in the same run:

- a counter's call at the main site to its display (the Server-Sent Event), p50 and p99;
- tickets issued per second by 10 kiosks of the main site at once;

and the tickets beside one other site's display open too (what a backend of one centre with a
display pays already), so that what 100 sites add shows apart from what watching at all costs.

Every display's site has its own queue and board; the backend watches them all with one read
of the newest change a few times a second, and reads again only the board of a site that changed.

    python benchmarks/bench_sites.py [--sites 100] [--calls 30] [--tickets 600] [--smoke] [--figures FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import uuid
from pathlib import Path

import aiohttp

from bench_display import COUNTER, Display
from common import add_report_arguments, clock, figure, percentile, report, server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import stores  # noqa: E402  (the tests' way to make a store)
from support import ADMIN_TOKEN, KIOSK, add_sites, lifted_config, prepare_site  # noqa: E402

KIOSKS = 10


def fresh_tokens(db: str, count: int) -> list[str]:
    """`count` new kiosks of the main site: each measurement's own, so that none starts with the
    rate-limit counts (and none with the waiting line) of the one before."""
    from kiosk.backend.terminals import Terminals
    from kiosk.domain.calendar import now

    store = stores.new_store(db, open_keys=False)
    try:
        return [Terminals(store).add(f"benchmark kiosk {n}", now())[1] for n in range(count)]
    finally:
        store.close()


async def calls_to_display(session: aiohttp.ClientSession, url: str, token: str, calls: int) -> list[float]:
    """Seconds from each call at the main site to its display's event."""
    screen = Display()
    task = asyncio.create_task(screen.follow(session, url))
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    latencies = []
    try:
        await screen.seen()
        for _ in range(calls):
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
            async with session.post(f"{url}/api/v1/queue/tickets", json={"service": "B"}, headers=headers) as r:
                assert r.status == 201, await r.text()
                number = (await r.json())["display"]
            await asyncio.sleep(0.2)
            start = clock()
            async with session.post(f"{url}/api/v1/queue/counters/{COUNTER}/call-next", headers=admin) as r:
                assert r.status == 200, await r.text()
            await asyncio.wait_for(screen.seen(number), 30)
            latencies.append(screen.shown[number] - start)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return latencies


async def tickets_per_second(session: aiohttp.ClientSession, url: str, tokens: list[str], letter: str,
                             tickets: int) -> float:
    """Tickets of service `letter`: each measurement a line of its own, empty, with the same policy
    (strict: A, D, E), as a waiting line's length and policy cost each new ticket."""
    async def kiosk(token: str, count: int) -> None:
        for _ in range(count):
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
            async with session.post(f"{url}/api/v1/queue/tickets", json={"service": letter}, headers=headers) as r:
                assert r.status == 201, await r.text()
                await r.read()

    start = clock()
    await asyncio.gather(*(kiosk(token, tickets // KIOSKS) for token in tokens))
    return (tickets // KIOSKS * KIOSKS) / (clock() - start)


async def measure(url: str, token: str, sites: list[str], calls: int, tickets: int, tokens: list[str],
                  letter: str) -> tuple[list[float], float]:
    connector = aiohttp.TCPConnector(limit=len(sites) + KIOSKS + 4)
    async with aiohttp.ClientSession(connector=connector) as session:
        screens = [Display() for _ in sites]
        following = [asyncio.create_task(s.follow(session, url, site)) for s, site in zip(screens, sites)]
        try:
            await asyncio.wait_for(asyncio.gather(*(s.seen() for s in screens)), 60)
            latencies = await calls_to_display(session, url, token, calls)
            rate = await tickets_per_second(session, url, tokens, letter, tickets)
        finally:
            for task in following:
                task.cancel()
            await asyncio.gather(*following, return_exceptions=True)
    return latencies, rate


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--tickets", type=int, default=600)
    add_report_arguments(parser)
    args = parser.parse_args()
    if args.smoke:
        args.sites, args.calls, args.tickets = 2, 2, KIOSKS
    with tempfile.TemporaryDirectory() as name:
        db, admin_file, token = prepare_site(Path(name))
        codes = add_sites(db, args.sites)
        tokens = [fresh_tokens(db, KIOSKS) for _ in range(4)]
        config = lifted_config(Path(name))
        with server([KIOSK, "backend", "--db", str(db), "--admin-token-file", str(admin_file), "--config", str(config),
                     "--port", "0"]) as url:
            await measure(url, token, [], 3, KIOSKS, tokens[0], "C")  # warm up
            alone, alone_rate = await measure(url, token, [], args.calls, args.tickets, tokens[1], "A")
            _, one_rate = await measure(url, token, codes[:1], 1, args.tickets, tokens[2], "E")
            many, many_rate = await measure(url, token, codes, args.calls, args.tickets, tokens[3], "D")
    baseline = "the same with no other site's display open"
    figures = [figure(f"call to display, {args.sites} sites' displays open, {label}",
                      percentile(many, fraction) * 1000, percentile(alone, fraction) * 1000, "ms", baseline)
               for label, fraction in (("p50", 0.5), ("p99", 0.99))]
    figures.append(figure(f"tickets/s, {KIOSKS} kiosks, {args.sites} sites' displays open", many_rate, alone_rate,
                          "/s", baseline))
    figures.append(figure(f"tickets/s, {KIOSKS} kiosks, {args.sites} sites' displays open", many_rate, one_rate,
                          "/s", "the same with one other site's display open"))
    report(args, figures)


if __name__ == "__main__":
    asyncio.run(main())
