"""The walk (walker.py): `kiosk demo` under a real X server (Xvfb), driven with real X events
(XTest and xdotool), at each screen size a centre owns. scripts/setup.sh --test installs both.
The screenshots each walk saved are kept in $KIOSK_SCREENSHOTS/walk/<size>-<language>[-larger]
when that is set.

Every journey is walked at 1280x720 in Vietnamese; the other sizes walk a shortened walk or some
of the journeys, in English or with larger text, so that every size, both languages and both text
sizes are walked, within the suite's time. Two walks run at a time (the machine has two cores);
each has its own X server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent.parent
WALKER = Path(__file__).resolve().parent / "walker.py"
AT_ONCE = 2
"""Walks run side by side."""


@dataclass(frozen=True)
class Run:
    size: tuple[int, int]
    english: bool = False
    larger_text: bool = False
    short: bool = False
    parts: str = ""
    """walker.py's --parts; "" for all of them."""

    @property
    def name(self) -> str:
        return f"{self.size[0]}x{self.size[1]}-{'en' if self.english else 'vi'}" + ("-larger" if self.larger_text else "")

    def arguments(self) -> list[str]:
        return (["--english"] * self.english + ["--larger-text"] * self.larger_text + ["--short"] * self.short
                + (["--parts", self.parts] if self.parts else []))


RUNS = [
    # Every journey, each step of it, on the smallest screen (the walk ends with larger text).
    Run((1280, 720)),
    # The larger screens are slow to draw without a GPU: fewer steps there.
    Run((1366, 768), english=True, larger_text=True, short=True),
    Run((1920, 1080), larger_text=True, short=True, parts="checklist,queue,help"),
    Run((1080, 1920), english=True, short=True, parts="search,dossier,home"),
]


@dataclass
class Walked:
    returncode: int = -1
    stderr: str = ""
    shots: Path = Path()
    log: str = ""


def x_server(size: tuple[int, int]) -> tuple[subprocess.Popen, str]:
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", f"{size[0]}x{size[1]}x24",
                               "-nolisten", "tcp"], pass_fds=[write], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as said:
        number = said.readline().strip()  # written once the server accepts clients
    assert number.isdigit(), "Xvfb did not start"
    return server, f":{number}"


def walk(run: Run, folder: Path, walked: Walked) -> None:
    shots = (Path(os.environ["KIOSK_SCREENSHOTS"]) / "walk" if os.environ.get("KIOSK_SCREENSHOTS") else folder) / run.name
    walked.shots = shots
    server, display = x_server(run.size)
    try:
        home = folder / f"{run.name}-home"
        home.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "DISPLAY": display, "SDL_VIDEODRIVER": "x11", "KIVY_NO_ARGS": "1",
               "KIVY_HOME": str(home / "kivy"), "PYTHONPATH": str(ROOT)}
        env.pop("KIOSK_CONFIG", None)
        done = subprocess.run([sys.executable, str(WALKER), str(shots), *run.arguments()], env=env, cwd=home,
                              capture_output=True, text=True, timeout=600)
        walked.returncode, walked.stderr = done.returncode, done.stderr
        (shots / "app-log.txt").write_text(done.stderr, encoding="utf-8")  # the demo's own words, beside the pictures
        walked.log = (shots / "walk.txt").read_text(encoding="utf-8") if (shots / "walk.txt").exists() else ""
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def walks(tmp_path_factory) -> dict[str, Walked]:
    """All the walks, AT_ONCE at a time, the longest first."""
    for tool in ("Xvfb", "xdotool"):
        assert shutil.which(tool), f"{tool} is missing: scripts/setup.sh --test installs it"
    folder = tmp_path_factory.mktemp("walks")
    results = {run.name: Walked() for run in RUNS}
    waiting = list(RUNS)
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not waiting:
                    return
                run = waiting.pop(0)
            walk(run, folder, results[run.name])

    workers = [threading.Thread(target=worker) for _ in range(AT_ONCE)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return results


def test_the_walks_cover_every_size_language_and_text_size():
    assert {run.size for run in RUNS} == {(1280, 720), (1366, 768), (1920, 1080), (1080, 1920)}
    assert {run.english for run in RUNS} == {True, False} and {run.larger_text for run in RUNS} == {True, False}
    full = [run for run in RUNS if run.size == (1280, 720) and not run.short and not run.parts]
    assert full, "every journey, whole, at 1280x720"


@pytest.mark.parametrize("run", RUNS, ids=[run.name for run in RUNS])
def test_a_citizen_walks_the_demo_with_real_x_events(walks, run):
    walked = walks[run.name]
    assert walked.returncode == 0, f"{walked.log}\n{walked.stderr[-4000:]}"
    assert "walk done" in walked.log and "Traceback" not in walked.stderr, walked.stderr[-4000:]
    pictures = sorted(walked.shots.glob("*.png"))
    assert [p.stem for p in pictures][:2] == ["01-attract", "02-home"], pictures
    for picture in pictures:
        with Image.open(picture) as image:
            assert image.size == run.size, f"{picture.name}: the window is not the X screen's size"
            colours = len(numpy.unique(numpy.asarray(image.convert("RGB").resize((320, 180))).reshape(-1, 3), axis=0))
        assert colours > 8, f"{picture.name} is blank: what the X server showed was not drawn"
