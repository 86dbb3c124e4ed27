"""A counter's call to the hall displays: the time from the call being sent until each connected
display has the new board (the Server-Sent Event, not its drawing), with 1 and with 50 displays
connected, next to the call's own answer time (the least any display could see it after) and a
tiny GET, measured in the same run against the same backend process.

    python benchmarks/bench_display.py [--calls 40] [--displays 50] [--smoke] [--figures FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import uuid
from pathlib import Path

import aiohttp

from common import add_report_arguments, clock, figure, percentile, report, server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support import ADMIN_TOKEN, KIOSK, lifted_config, prepare_site  # noqa: E402  (the tests' way to build a sample site)

COUNTER = 3  # calls service B


class Display:
    """One hall display's event stream: when it first showed each number as the newest call."""

    def __init__(self) -> None:
        self.shown: dict[str, float] = {}
        self.changed = asyncio.Event()

    async def follow(self, session: aiohttp.ClientSession, url: str, site: str = "main") -> None:
        async with session.get(f"{url}/display/events?site={site}", timeout=aiohttp.ClientTimeout(total=None)) as reply:
            async for line in reply.content:
                if line.startswith(b"data: "):
                    calls = json.loads(line[6:])["calls"]
                    self.shown.setdefault(calls[0]["display"] if calls else "", clock())
                    self.changed.set()

    async def seen(self, number: str | None = None) -> None:
        """Until the display has shown `number` called (None: any board at all)."""
        while (number not in self.shown) if number else not self.shown:
            self.changed.clear()
            await self.changed.wait()


async def measure(url: str, token: str, displays: int, calls: int) -> tuple[list[float], list[float], list[float]]:
    """(call to each display's event, call answered, tiny GET) in seconds."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    connector = aiohttp.TCPConnector(limit=displays + 4)
    async with aiohttp.ClientSession(connector=connector) as session:
        screens = [Display() for _ in range(displays)]
        following = [asyncio.create_task(d.follow(session, url)) for d in screens]
        await asyncio.gather(*(d.seen() for d in screens))  # each has its first board
        latencies, answers, gets = [], [], []
        try:
            for _ in range(calls):
                headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
                async with session.post(f"{url}/api/v1/queue/tickets", json={"service": "B"}, headers=headers) as r:
                    assert r.status == 201, await r.text()
                    number = (await r.json())["display"]
                await asyncio.sleep(0.3)  # the displays have the board with the new ticket waiting
                start = clock()
                async with session.get(f"{url}/api/v1/health") as r:
                    await r.read()
                gets.append(clock() - start)
                start = clock()
                async with session.post(f"{url}/api/v1/queue/counters/{COUNTER}/call-next", headers=admin) as r:
                    assert r.status == 200, await r.text()
                    await r.read()
                answers.append(clock() - start)
                await asyncio.wait_for(asyncio.gather(*(d.seen(number) for d in screens)), 30)
                latencies += [d.shown[number] - start for d in screens]
        finally:
            for task in following:
                task.cancel()
            await asyncio.gather(*following, return_exceptions=True)
        return latencies, answers, gets


def ms(values: list[float], fraction: float) -> str:
    return f"{percentile(values, fraction) * 1000:7.1f} ms"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--displays", type=int, default=50)
    add_report_arguments(parser)
    args = parser.parse_args()
    warm_up = 5
    if args.smoke:
        args.calls, args.displays, warm_up = 2, 2, 1
    with tempfile.TemporaryDirectory() as name:
        db, admin_file, token = prepare_site(Path(name))
        config = lifted_config(Path(name))  # one token issues all the tickets: no per-kiosk ceiling
        with server([KIOSK, "backend", "--db", str(db), "--admin-token-file", str(admin_file), "--config", str(config),
                     "--port", "0"]) as url:
            await measure(url, token, 1, warm_up)  # warm up
            one, _, _ = await measure(url, token, 1, args.calls)
            many, answers, gets = await measure(url, token, args.displays, args.calls)
    print(f"{args.calls} calls; each ticket issued first, then counter {COUNTER} calls it (admin API)")
    print(f"  baseline: a tiny GET (/api/v1/health)            p50 {ms(gets, 0.5)}  p99 {ms(gets, 0.99)}")
    print(f"  baseline: the call's own answer                  p50 {ms(answers, 0.5)}  p99 {ms(answers, 0.99)}")
    print(f"  call to display, 1 display                       p50 {ms(one, 0.5)}  p99 {ms(one, 0.99)}")
    print(f"  call to display, {args.displays} displays (each one's)       "
          f"p50 {ms(many, 0.5)}  p99 {ms(many, 0.99)}")
    answer = "the call's own answer"
    figures = []
    for label, fraction in (("p50", 0.5), ("p99", 0.99)):
        base = percentile(answers, fraction) * 1000
        figures += [figure(f"call to display, 1 display, {label}", percentile(one, fraction) * 1000, base, "ms", answer),
                    figure(f"call to display, {args.displays} displays, {label}", percentile(many, fraction) * 1000,
                           base, "ms", answer),
                    figure(f"the call's own answer, {label}", base, percentile(gets, fraction) * 1000, "ms",
                           "a tiny GET (/api/v1/health)")]
    report(args, figures)


if __name__ == "__main__":
    asyncio.run(main())
