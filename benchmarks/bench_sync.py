"""A kiosk's catalogue sync: a full download (fetch, check, apply) and a 304 revalidation,
time and bytes, for the sample site and 10,000 synthetic procedures. Baselines measured in
the same run: fetching the same gzip bytes from a trivial aiohttp handler, and a tiny JSON.

The goal of a full sync at 10,000 procedures is absolute: at most 500 ms.

    python benchmarks/bench_sync.py [--smoke] [--figures FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import tempfile
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from common import add_report_arguments, clock, figure, kiosk_backend, median, ms, report, trivial_backend
from kiosk.backend.sample import sample_catalogue, synthetic_catalogue
from kiosk.backend.store import BackendStore
from kiosk.client.api import BackendClient
from kiosk.client.store import LocalStore
from kiosk.client.sync import sync_catalogue

GOAL_SECONDS = 0.5
"""A full sync at 10,000 procedures."""


@dataclass
class Measured:
    procedures: int
    full: float
    full_bytes: int
    base_full: float
    not_modified: float
    base_tiny: float


async def fetch_seconds(url: str, repeat: int) -> float:
    times = []
    async with aiohttp.ClientSession() as session:
        for _ in range(repeat):
            start = clock()
            async with session.get(url) as response:
                await response.read()
            times.append(clock() - start)
    return median(times)


async def measure(name: str, catalogue, folder: Path, repeat: int) -> Measured:
    db = folder / f"{name}.sqlite3"
    store = BackendStore(db)
    store.replace_catalogue(catalogue)
    gzipped = len(gzip.compress(store.catalogue_json(), 6))
    store.close()
    full, not_modified = [], []
    with kiosk_backend(db) as url, trivial_backend() as base:
        async with BackendClient(url) as client:
            await client.catalogue(None)  # the backend encodes its catalogue once: not timed
            for round_ in range(repeat):
                local = LocalStore(folder / f"{name}-kiosk-{round_}.sqlite3", snapshot=None)
                first = await sync_catalogue(client, local)
                second = await sync_catalogue(client, local)
                assert first.changed and not second.changed
                full.append((first.seconds, first.bytes_on_wire))
                not_modified.append(second.seconds)
                local.close()
        base_full = await fetch_seconds(f"{base}/blob/{gzipped}", repeat)
        base_tiny = await fetch_seconds(f"{base}/hello", repeat)
    measured = Measured(len(catalogue.procedures), median([t for t, _ in full]), full[0][1], base_full,
                        median(not_modified), base_tiny)
    print(f"\n{name}: {measured.procedures} procedures (median of {repeat})")
    print(f"  full sync  {ms(measured.full)}  {measured.full_bytes / 1e6:6.2f} MB on the wire"
          f"   baseline: same bytes from a trivial handler {ms(base_full)}  ratio {measured.full / base_full:6.1f}")
    print(f"  304        {ms(measured.not_modified)}"
          f"   baseline: tiny JSON {ms(base_tiny)}  ratio {measured.not_modified / base_tiny:6.1f}")
    return measured


def figures_of(label: str, measured: Measured, goal: bool):
    absolute = (f"≤ {GOAL_SECONDS * 1000:.0f} ms", lambda f: f.value <= GOAL_SECONDS * 1000) if goal else None
    return [
        figure(f"full sync, {label} ({measured.procedures} procedures)", measured.full * 1000,
               measured.base_full * 1000, "ms", "same gzip bytes, trivial handler", absolute),
        figure(f"304 sync, {label}", measured.not_modified * 1000, measured.base_tiny * 1000, "ms",
               "tiny JSON, trivial handler"),
    ]


async def main(args) -> None:
    with tempfile.TemporaryDirectory() as folder:
        if args.smoke:
            small = await measure("synthetic", synthetic_catalogue(200), Path(folder), 1)
            figures = figures_of("synthetic", small, goal=False)
        else:
            sample = await measure("sample site", sample_catalogue(), Path(folder), 5)
            synthetic = await measure("synthetic", synthetic_catalogue(10_000), Path(folder), 3)
            figures = figures_of("sample site", sample, goal=False) + figures_of("synthetic", synthetic, goal=True)
    print()
    report(args, figures)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_report_arguments(parser)
    asyncio.run(main(parser.parse_args()))
