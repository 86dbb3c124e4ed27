"""Shared parts of the benchmarks: servers in their own processes, timing and percentiles, and
the kiosk app run headless in a process of its own."""

from __future__ import annotations

import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

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


# -- The kiosk app, headless: Kivy runs one App per process, so each measured app is a child. --


def run_kivy_child(script: str, *args: str, timeout: float = 300, flag: str = "--child") -> dict:
    """Run `script --child ARGS` (or another `flag`) headless in a fresh Kivy home; answer the
    JSON object it prints on its last line of output. ARGS go as one JSON list: a value that
    starts with "-" (a random token may) would otherwise be taken by argparse for an option."""
    with tempfile.TemporaryDirectory(prefix="kivy-home-") as home:
        env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "KIVY_NO_ARGS": "1",
               "KIVY_LOG_MODE": "PYTHON", "KIVY_HOME": home}
        command = [sys.executable, script, flag] + ([json.dumps(args)] if args else [])
        done = subprocess.run(command, env=env,
                              capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{Path(script).name} {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_kivy_child() -> None:
    """In a child of `run_kivy_child`: Kivy's settings as the kiosk sets them, before Kivy is imported."""
    from kiosk.kivy_setup import prepare_kivy

    prepare_kivy(windowed=True, home=Path(os.environ["KIVY_HOME"]))


def when_drawn(callback, clock=time.perf_counter) -> None:
    """Call `callback(submitted, rendered)` once, at the next frame: the times when it was
    handed to GL and when GL had rendered it (glFinish: a software GL renders only when it must)."""
    from kivy.core.window import Window
    from kivy.graphics.opengl import glFinish

    def flipped(*_args) -> None:
        Window.unbind(on_flip=flipped)
        submitted = clock()
        glFinish()
        callback(submitted, clock())

    Window.bind(on_flip=flipped)


# -- Figures: what every benchmark reports, for its own table and for run_all.py's. --


@dataclass
class Figure:
    """One measured figure beside its baseline from the same run.

    `goal` is the figure's target as a short text ("ratio ≤ 1.5", "≤ 200 MB"); `met` says
    whether this run met it (None when the benchmark sets no goal for it)."""

    name: str
    value: float
    baseline: float
    unit: str
    baseline_name: str
    goal: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("inf")


Goal = tuple[str, Callable[[Figure], bool]]


def ratio_at_most(limit: float) -> Goal:
    return f"ratio ≤ {limit:g}", lambda figure: figure.ratio <= limit


def ratio_at_least(limit: float) -> Goal:
    return f"ratio ≥ {limit:g}", lambda figure: figure.ratio >= limit


def figure(name: str, value: float, baseline: float, unit: str, baseline_name: str,
           goal: Goal | None = None) -> Figure:
    """A Figure, its goal checked now: `goal` is (text, test), as ratio_at_most gives."""
    made = Figure(name, value, baseline, unit, baseline_name)
    if goal is not None:
        made.goal, made.met = goal[0], bool(goal[1](made))
    return made


def add_report_arguments(parser) -> None:
    """--smoke (tiny sizes, seconds: the test suite runs every benchmark so) and --figures FILE
    (the figures as JSON, for run_all.py)."""
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: does it run at all")
    parser.add_argument("--figures", type=Path, help="write the figures as JSON to this file")


def report(args, figures: list[Figure]) -> None:
    """Print the figures as a table; write them as JSON when --figures was given."""
    print(table(figures))
    if getattr(args, "figures", None):
        args.figures.write_text(json.dumps([{**asdict(f), "ratio": f.ratio} for f in figures],
                                           ensure_ascii=False))


def table(figures: list[Figure]) -> str:
    def number(value: float) -> str:
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"

    rows = [("figure", "value", "baseline", "ratio", "goal", "")]
    for f in figures:
        mark = "" if f.met is None else ("met" if f.met else "NOT MET")
        rows.append((f.name, f"{number(f.value)} {f.unit}", f"{number(f.baseline)} {f.unit} ({f.baseline_name})",
                     f"{f.ratio:.2f}", f.goal, mark))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)
