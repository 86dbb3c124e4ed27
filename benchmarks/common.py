"""Shared parts of the benchmarks: servers in their own processes, timing and percentiles."""

from __future__ import annotations

import re
import signal
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

KIOSK = str(Path(sys.executable).with_name("kiosk"))
TRIVIAL_SERVER = str(Path(__file__).with_name("trivial_server.py"))


@contextmanager
def server(command: list[str]):
    """Run a server that prints `listening on http://HOST:PORT`; yield its base URL."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        for line in process.stdout:  # type: ignore[union-attr]
            found = re.search(r"listening on (http://\S+)", line)
            if found:
                break
        else:
            raise RuntimeError(f"{command[0]} did not start")
        yield found.group(1)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def kiosk_backend(db: Path):
    return server([KIOSK, "backend", "--db", str(db), "--port", "0"])


def trivial_backend():
    return server([sys.executable, TRIVIAL_SERVER])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def clock() -> float:
    return time.perf_counter()
