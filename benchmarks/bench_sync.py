"""A kiosk's catalogue sync: a full download (fetch, check, apply) and a 304 revalidation,
time and bytes, for the sample site and 10,000 synthetic procedures. Baselines measured in
the same run: fetching the same gzip bytes from a trivial aiohttp handler, and a tiny JSON.

    python benchmarks/bench_sync.py
"""

from __future__ import annotations

import asyncio
import gzip
import tempfile
from pathlib import Path

import aiohttp

from common import clock, kiosk_backend, median, ms, trivial_backend
from kiosk.backend.sample import sample_catalogue, synthetic_catalogue
from kiosk.backend.store import BackendStore
from kiosk.client.api import BackendClient
from kiosk.client.store import LocalStore
from kiosk.client.sync import sync_catalogue


async def fetch_seconds(url: str, repeat: int) -> float:
    times = []
    async with aiohttp.ClientSession() as session:
        for _ in range(repeat):
            start = clock()
            async with session.get(url) as response:
                await response.read()
            times.append(clock() - start)
    return median(times)


async def measure(name: str, catalogue, folder: Path, repeat: int) -> None:
    db = folder / f"{name}.sqlite3"
    store = BackendStore(db)
    store.replace_catalogue(catalogue)
    gzipped = len(gzip.compress(store.catalogue_json(), 6))
    store.close()
    full, not_modified = [], []
    with kiosk_backend(db) as url, trivial_backend() as base:
        async with BackendClient(url) as client:
            for round_ in range(repeat):
                local = LocalStore(folder / f"{name}-kiosk-{round_}.sqlite3", snapshot=None)
                first = await sync_catalogue(client, local)
                second = await sync_catalogue(client, local)
                assert first.changed and not second.changed
                full.append((first.seconds, first.bytes_on_wire))
                not_modified.append((second.seconds, second.bytes_on_wire))
                local.close()
        base_full = await fetch_seconds(f"{base}/blob/{gzipped}", repeat)
        base_tiny = await fetch_seconds(f"{base}/hello", repeat)
    full_t = median([t for t, _ in full])
    nm_t = median([t for t, _ in not_modified])
    print(f"\n{name}: {len(catalogue.procedures)} procedures (median of {repeat})")
    print(f"  full sync  {ms(full_t)}  {full[0][1] / 1e6:6.2f} MB on the wire"
          f"   baseline: same bytes from a trivial handler {ms(base_full)}  ratio {full_t / base_full:6.1f}")
    print(f"  304        {ms(nm_t)}  {not_modified[0][1]:6d} bytes of body"
          f"   baseline: tiny JSON {ms(base_tiny)}  ratio {nm_t / base_tiny:6.1f}")


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        await measure("sample site", sample_catalogue(), Path(folder), 5)
        await measure("synthetic", synthetic_catalogue(10_000), Path(folder), 3)


if __name__ == "__main__":
    asyncio.run(main())
