"""The cost of a citizen ID hash (scrypt keyed by the key file's secret), next to a baseline
measured in the same run: the HMAC-SHA256 that databases before schema 5 used. Prints what
trying every plausible ID number costs one core with the key, a citizen look-up, and an import
of dossiers each with its own applicant.

    python benchmarks/bench_citizen_key.py [--hashes 50] [--import 200] [--smoke] [--figures FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

from common import add_report_arguments, clock, figure, ms, report
from kiosk.backend.citizen_keys import CitizenKey
from kiosk.backend.store import BackendStore
from kiosk.domain.dossier import Dossier

YEAR = 365.25 * 24 * 3600
PLAUSIBLE = (3e9, 1e10)
"""Plausible 12-digit ID numbers: 63 province codes x sex-and-century x some 80 birth years x
10^6 serials, narrowed or not (living adults only, both centuries)."""


def per_hash(key: CitizenKey, count: int) -> float:
    start = clock()
    for number in range(count):
        key.hash(f"0520{number:08d}")
    return (clock() - start) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hashes", type=int, default=50)
    parser.add_argument("--import", dest="imported", type=int, default=200)
    add_report_arguments(parser)
    args = parser.parse_args()
    if args.smoke:
        args.hashes, args.imported = 5, 10
    secret = bytes(range(32))
    slow = per_hash(CitizenKey(1, "scrypt", secret), args.hashes)
    fast = per_hash(CitizenKey(0, "hmac", secret), args.hashes * 1000)
    print(f"one hash: scrypt {ms(slow)}, baseline HMAC-SHA256 {fast * 1e6:.2f} us ({slow / fast:,.0f} x)")
    for size in PLAUSIBLE:
        print(f"every one of {size:.0e} plausible numbers, one core: scrypt {size * slow / YEAR:.1f} years, "
              f"HMAC {size * fast / 3600:.1f} hours")
    with tempfile.TemporaryDirectory() as folder:
        store = BackendStore(Path(folder) / "b.sqlite3")
        received = dt.datetime(2026, 1, 5, 8)
        dossiers = [Dossier(f"000.00.53.H48-260105-{n:04d}", "1.001193", "Đăng ký khai sinh", "Nguyễn Văn An", 2,
                            received) for n in range(args.imported)]
        start = clock()
        store.put_dossiers(dossiers, {d.code: f"0521{n:08d}" for n, d in enumerate(dossiers)})
        imported = clock() - start
        start = clock()
        store.dossiers_of_citizen("052200000007")
        first = clock() - start
        start = clock()
        store.dossiers_of_citizen("052200000007")
        again = clock() - start
        store.close()
    print(f"import of {args.imported} dossiers, each its own applicant: {ms(imported)} "
          f"({ms(imported / args.imported)} a dossier; 1,000 dossiers some {imported / args.imported * 1000:.0f} s)")
    print(f"citizen look-up: {ms(first)} the first time, {ms(again)} again (kept in memory)")
    report(args, [
        figure("one ID hash (scrypt)", slow * 1e6, fast * 1e6, "us", "HMAC-SHA256 (before schema 5)"),
        figure("import, a dossier with its own applicant", imported / args.imported * 1000, slow * 1000, "ms",
               "one ID hash"),
        figure("citizen look-up, first time", first * 1000, slow * 1000, "ms", "one ID hash"),
        figure("citizen look-up, again", again * 1000, slow * 1000, "ms", "one ID hash"),
    ])


if __name__ == "__main__":
    main()
