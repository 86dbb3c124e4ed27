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


# -- The kiosk app, headless: Kivy runs one App per process, so each measured app is a child. --


def run_kivy_child(script: str, *args: str, timeout: float = 300) -> dict:
    """Run `script --child ARGS` headless in a fresh Kivy home; answer the JSON object it
    prints on its last line of output."""
    with tempfile.TemporaryDirectory(prefix="kivy-home-") as home:
        env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "KIVY_NO_ARGS": "1",
               "KIVY_LOG_MODE": "PYTHON", "KIVY_HOME": home}
        done = subprocess.run([sys.executable, script, "--child", *args], env=env,
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
