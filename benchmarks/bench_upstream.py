"""A dossier looked up in the province's one-stop system (the backend does not hold it: cold,
asked upstream with TraCuuHoSo, then kept) next to a dossier the backend holds, p50 and p90
through the real HTTP API, one look-up at a time. Measured in the same run, interleaved: the
local look-up (the baseline), the same codes again once kept, and TraCuuHoSo sent straight to
the fake upstream (what the upstream itself costs).

The upstream is tests/backend/fake_upstream.py in a process of its own, on this machine: a real
province's system adds its own network and answer time to the cold figure.

    python benchmarks/bench_upstream.py [--lookups 300] [--smoke] [--figures FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

import aiohttp

from common import KIOSK, add_report_arguments, clock, figure, ms, percentile, report, server

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from backend.fake_upstream import code, record  # noqa: E402  (the tests' fake and its records)

from kiosk.backend.sample import load_sample_site  # noqa: E402
from kiosk.backend.store import BackendStore  # noqa: E402
from kiosk.backend.terminals import Terminals  # noqa: E402
from kiosk.config import load_config, working_calendar  # noqa: E402
from kiosk.domain.calendar import now, today  # noqa: E402
from kiosk.domain.codes import dossier_code_shape  # noqa: E402

FAKE = HERE.parent / "tests" / "backend" / "fake_upstream.py"
USER, PASSWORD = "bench", "mat-khau-cua-tinh-2026"


def prepare(folder: Path, lookups: int) -> tuple[Path, str, list[str], Path]:
    """The backend's database (sample site, one terminal), its token, the local dossier codes,
    and the fake upstream's data file with `lookups` dossiers the backend does not hold."""
    db = folder / "backend.sqlite3"
    store = BackendStore(db)
    load_sample_site(store, working_calendar(load_config()), today())
    _, token = Terminals(store).add("bench", now())
    local = [c for c in store.dossier_codes() if dossier_code_shape(c)]  # forms this build reads
    store.close()
    data = folder / "upstream.json"
    data.write_text(json.dumps({"accounts": {USER: PASSWORD},
                                "dossiers": {code(n): record(n) for n in range(1, lookups + 1)}},
                               ensure_ascii=False), encoding="utf-8")
    return db, token, local, data


def config(folder: Path, url: str) -> Path:
    secret = folder / "upstream-password"
    secret.write_text(PASSWORD, encoding="utf-8")
    ini = folder / "kiosk.ini"
    ini.write_text(f"[upstream]\nadapter_url = {url}\nauth_endpoint = /auth\nintegration_endpoint = /integration\n"
                   f"username = {USER}\npassword_file = {secret}\nmadonvi = 000.00.53.H48\nkeep_minutes = 60\n",
                   encoding="utf-8")
    return ini


async def timed(session: aiohttp.ClientSession, method: str, url: str, **kwargs) -> float:
    start = clock()
    async with session.request(method, url, **kwargs) as response:
        await response.read()
        assert response.status == 200, (url, response.status)
    return clock() - start


async def measure(backend: str, upstream: str, token: str, local: list[str], lookups: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"cold": [], "local": [], "kept": [], "direct": []}
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.post(f"{upstream}/auth", json={"username": USER, "password": PASSWORD}) as answer:
            direct_session = (await answer.json())["session"]
        for n in range(1, 6):  # warm up the local path and the connections, not the upstream's codes
            await timed(session, "GET", f"{backend}/api/v1/dossiers/{local[n % len(local)]}")
        for n in range(1, lookups + 1):  # interleaved, so that machine noise hits all alike
            times["cold"].append(await timed(session, "GET", f"{backend}/api/v1/dossiers/{code(n)}"))
            times["local"].append(await timed(session, "GET", f"{backend}/api/v1/dossiers/{local[n % len(local)]}"))
            times["direct"].append(await timed(session, "POST", f"{upstream}/integration", json={
                "session": direct_session, "madonvi": "000.00.53.H48", "service": "TraCuuHoSo", "mahoso": code(n)}))
        for n in range(1, lookups + 1):
            times["kept"].append(await timed(session, "GET", f"{backend}/api/v1/dossiers/{code(n)}"))
    return times


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lookups", type=int, default=300)
    add_report_arguments(parser)
    args = parser.parse_args()
    if args.smoke:
        args.lookups = 10
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        db, token, local, data = prepare(folder, args.lookups)
        with server([sys.executable, str(FAKE), str(data)]) as upstream:
            ini = config(folder, upstream)
            with server([KIOSK, "backend", "--db", str(db), "--port", "0", "--config", str(ini)]) as backend:
                times = await measure(backend, upstream, token, local, args.lookups)
        store = BackendStore(db)
        kept = store.db.execute("SELECT count(*) FROM dossiers WHERE origin = 'upstream'").fetchone()[0]
        store.close()
    print(f"{args.lookups} look-ups of each kind, one at a time; {kept} dossiers kept from upstream")
    figures = []
    for label, p in (("p50", 0.50), ("p90", 0.90)):
        cold, base = percentile(times["cold"], p), percentile(times["local"], p)
        kept, direct = percentile(times["kept"], p), percentile(times["direct"], p)
        print(f"  {label}  pulled (cold) {ms(cold)}   local (baseline) {ms(base)}   ratio {cold / base:5.1f}"
              f"   | kept copy {ms(kept)}   TraCuuHoSo straight to the upstream {ms(direct)}")
        local = "a dossier the backend holds"
        figures += [figure(f"look-up pulled from upstream (cold), {label}", cold * 1000, base * 1000, "ms", local),
                    figure(f"look-up of a kept copy, {label}", kept * 1000, base * 1000, "ms", local),
                    figure(f"TraCuuHoSo straight to the upstream, {label}", direct * 1000, base * 1000, "ms", local)]
    report(args, figures)


if __name__ == "__main__":
    asyncio.run(main())
