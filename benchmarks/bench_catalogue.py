"""Full catalogue download for the sample site (150+ procedures) and 10,000 synthetic ones:
time and bytes, gzip and plain, and a 304 revalidation, each next to a baseline measured
in the same run: the same number of bytes from a trivial aiohttp handler (a tiny JSON for the
304s). The first 304 is asked before anything else, as kiosks revalidate after a restart.

    python benchmarks/bench_catalogue.py [--repeat N] [--synthetic N] [--smoke] [--figures FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
from pathlib import Path

import aiohttp

from common import (Figure, add_report_arguments, clock, figure, kiosk_backend, median, ms, ratio_at_most, report,
                    trivial_backend)
from kiosk.backend.sample import sample_catalogue, synthetic_catalogue
from kiosk.backend.store import BackendStore


async def fetch(session: aiohttp.ClientSession, url: str, repeat: int, **headers: str) -> tuple[float, int, int]:
    """Median seconds, bytes on the wire, status."""
    times, size, status = [], 0, 0
    sent = {name.replace("_", "-"): value for name, value in headers.items()}
    sent.setdefault("Accept-Encoding", "identity")
    for _ in range(repeat):
        start = clock()
        async with session.get(url, headers=sent, auto_decompress=False) as response:
            body = await response.read()
            status = response.status
        times.append(clock() - start)
        size = len(body)
    return median(times), size, status


async def measure(name: str, catalogue, folder: Path, repeat: int, goal: bool) -> list[Figure]:
    db = folder / f"{name}.sqlite3"
    store = BackendStore(db)
    version = store.replace_catalogue(catalogue)
    store.close()
    with kiosk_backend(db) as url, trivial_backend() as base:
        async with aiohttp.ClientSession() as session:
            await fetch(session, f"{base}/hello", 3)  # the connections made, the servers warm
            await fetch(session, f"{url}/api/v1/openapi.json", 3)
            # A kiosk that holds this version, first thing after the start: nothing built yet.
            cold_t, _, status = await fetch(session, f"{url}/api/v1/catalogue", 1, If_None_Match=f'"{version}"')
            assert status == 304, status
            # The first full download after a change builds the cached encodings; the rest are warm.
            first_t, _, _ = await fetch(session, f"{url}/api/v1/catalogue", 1)
            plain_t, plain_b, _ = await fetch(session, f"{url}/api/v1/catalogue", repeat)
            first_gzip_t, _, _ = await fetch(session, f"{url}/api/v1/catalogue", 1, Accept_Encoding="gzip")
            gzip_t, gzip_b, _ = await fetch(session, f"{url}/api/v1/catalogue", repeat, Accept_Encoding="gzip")
            async with session.get(f"{url}/api/v1/catalogue") as response:
                etag = response.headers["ETag"]
            not_modified_t, _, status = await fetch(session, f"{url}/api/v1/catalogue", repeat, If_None_Match=etag)
            assert status == 304
            base_plain_t, _, _ = await fetch(session, f"{base}/blob/{plain_b}", repeat)
            base_gzip_t, _, _ = await fetch(session, f"{base}/blob/{gzip_b}", repeat)
            base_hello_t, _, _ = await fetch(session, f"{base}/hello", repeat)
    count = len(catalogue.procedures)
    print(f"\n{name}: {count} procedures (median of {repeat})")
    print(f"  first   {ms(first_t)} {plain_b / 1e6:8.2f} MB   baseline same bytes {ms(base_plain_t)}  ratio {first_t / base_plain_t:5.2f}"
          "   (encodes once per catalogue version; gzips at the first gzip request)")
    print(f"  plain   {ms(plain_t)} {plain_b / 1e6:8.2f} MB   baseline same bytes {ms(base_plain_t)}  ratio {plain_t / base_plain_t:5.2f}")
    print(f"  first gzip {ms(first_gzip_t)} {gzip_b / 1e6:5.2f} MB   baseline same bytes {ms(base_gzip_t)}"
          f"  ratio {first_gzip_t / base_gzip_t:5.2f}")
    print(f"  gzip    {ms(gzip_t)} {gzip_b / 1e6:8.2f} MB   baseline same bytes {ms(base_gzip_t)}  ratio {gzip_t / base_gzip_t:5.2f}"
          f"   ({plain_b / gzip_b:.1f}x smaller)")
    print(f"  304     {ms(not_modified_t)}      0 bytes   baseline tiny JSON  {ms(base_hello_t)}  ratio {not_modified_t / base_hello_t:5.2f}")
    print(f"  304 first after start {ms(cold_t)}  (one request)   ratio {cold_t / base_hello_t:5.2f}")
    same, tiny = "trivial handler, same bytes", "trivial handler, tiny JSON"
    return [
        figure(f"{name}: first download", first_t * 1000, base_plain_t * 1000, "ms", same),
        figure(f"{name}: plain download", plain_t * 1000, base_plain_t * 1000, "ms", same),
        figure(f"{name}: first gzip download", first_gzip_t * 1000, base_gzip_t * 1000, "ms", same),
        figure(f"{name}: gzip download", gzip_t * 1000, base_gzip_t * 1000, "ms", same),
        figure(f"{name}: 304 revalidation", not_modified_t * 1000, base_hello_t * 1000, "ms", tiny,
               ratio_at_most(5) if goal else None),
        figure(f"{name}: 304, first request after start", cold_t * 1000, base_hello_t * 1000, "ms", tiny),
    ]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--synthetic", type=int, default=10_000)
    add_report_arguments(parser)
    args = parser.parse_args()
    if args.smoke:
        args.repeat, args.synthetic = 3, 100
    with tempfile.TemporaryDirectory() as folder:
        start = clock()
        big = synthetic_catalogue(args.synthetic)
        print(f"generated {args.synthetic} synthetic procedures in {clock() - start:.1f} s ({dt.date.today()})")
        figures = await measure("sample site", sample_catalogue(), Path(folder), args.repeat, goal=False)
        figures += await measure("synthetic", big, Path(folder), args.repeat, goal=True)
    report(args, figures)


if __name__ == "__main__":
    asyncio.run(main())
