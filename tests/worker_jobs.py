"""Functions that tests run in a worker process: the worker imports them by this module's name."""

import os
import time
from pathlib import Path


def add(a, b):
    return a + b


def refuse(text):
    raise ValueError(f"refused: {text}")


def die(code):
    os._exit(code)


def write_late(folder: str, seconds: float) -> None:
    """Says it started (with its pid), then writes a file after `seconds`, as a long write would."""
    (Path(folder) / "started").write_text(str(os.getpid()))
    time.sleep(seconds)
    (Path(folder) / "late").write_text("written after the wait")
