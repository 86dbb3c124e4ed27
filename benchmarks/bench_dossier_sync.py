"""Dossier sync ingest: dossiers (DongBoHoSoMC) and steps (CapNhatTienDoHoSoMC) per second
pushed through the backend's protocol endpoint in batches of 250, next to the same rows
written by plain SQLite INSERTs (one transaction a batch, WAL, synchronous=FULL, on the same
disk) in the same run. The ratio is the figure.

    python benchmarks/bench_dossier_sync.py [--dossiers 2000] [--batch 250] [--smoke] [--figures FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import datetime as dt
from pathlib import Path

from common import KIOSK, add_report_arguments, clock, figure, report, server

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("fake_one_stop", HERE.parent / "tests" / "backend" / "fake_one_stop.py")
fake = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fake)  # type: ignore[union-attr]

PASSWORD = "bench-password-0123456789"


def batches(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def plain_inserts(folder: Path, records: list[dict], steps: list[dict], size: int) -> tuple[float, float]:
    """The same records and steps as JSON rows, a transaction a batch: (records/s, steps/s)."""
    conn = sqlite3.connect(folder / "plain.sqlite3", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE dossiers (code TEXT PRIMARY KEY, procedure_code TEXT, status INTEGER, data TEXT)")
    conn.execute("CREATE TABLE steps (id INTEGER PRIMARY KEY, code TEXT, at TEXT, data TEXT)")
    rates = []
    for rows, sql, values in (
        (records, "INSERT OR REPLACE INTO dossiers VALUES (?, ?, ?, ?)",
         lambda r: (r["MaHoSo"], r["MaTTHC"], int(r["TrangThaiHoSo"]), json.dumps(r, ensure_ascii=False))),
        (steps, "INSERT INTO steps (code, at, data) VALUES (?, ?, ?)",
         lambda s: (s["MaHoSo"], s["ThoiDiemXuLy"], json.dumps(s, ensure_ascii=False))),
    ):
        start = clock()
        for chunk in batches(rows, size):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(sql, [values(r) for r in chunk])
            conn.execute("COMMIT")
        rates.append(len(rows) / (clock() - start))
    conn.close()
    return rates[0], rates[1]


def pushed(url: str, records: list[dict], steps: list[dict], size: int) -> tuple[float, float]:
    adapter = fake.Adapter(url, "bench", PASSWORD)
    adapter.log_in()
    rates = []
    for service, rows in (("DongBoHoSoMC", records), ("CapNhatTienDoHoSoMC", steps)):
        start = clock()
        for chunk in batches(rows, size):
            answer = adapter.call(service, data=chunk, isUpdating="False")
            assert answer["error_code"] == "00", answer
        rates.append(len(rows) / (clock() - start))
    return rates[0], rates[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=250)
    add_report_arguments(parser)
    args = parser.parse_args()
    if args.smoke:
        args.dossiers, args.batch = 20, 10  # each applicant hashed with scrypt: 35 ms apiece
    rng = random.Random(7)
    dossiers = fake.month_of_dossiers(args.dossiers, rng, dt.date.today())
    records = [d["record"] for d in dossiers]
    steps = [s for d in dossiers for s in d["steps"]]
    rng.shuffle(steps)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        db = folder / "backend.sqlite3"
        password_file = folder / "password"
        password_file.write_text(PASSWORD, encoding="utf-8")
        subprocess.run([KIOSK, "integration", "add", "bench", "--db", str(db), "--password-file", str(password_file)],
                       check=True, capture_output=True)
        plain_records, plain_steps = plain_inserts(folder, records, steps, args.batch)
        with server([KIOSK, "backend", "--db", str(db), "--port", "0"]) as url:
            synced_records, synced_steps = pushed(url, records, steps, args.batch)
    print(f"Dossier sync ingest, {len(records)} dossiers and {len(steps)} steps in batches of {args.batch}")
    print(f"{'':24}{'backend (HTTP)':>16}{'plain INSERTs':>16}{'ratio':>8}")
    print(f"{'dossiers per second':24}{synced_records:16.0f}{plain_records:16.0f}{synced_records / plain_records:8.2f}")
    print(f"{'steps per second':24}{synced_steps:16.0f}{plain_steps:16.0f}{synced_steps / plain_steps:8.2f}")
    plain = f"plain INSERTs, a transaction per {args.batch}"
    report(args, [figure("dossiers (DongBoHoSoMC) per second", synced_records, plain_records, "/s", plain),
                  figure("steps (CapNhatTienDoHoSoMC) per second", synced_steps, plain_steps, "/s", plain)])


if __name__ == "__main__":
    sys.exit(main())
