"""The walk (walker.py): `kiosk demo` under a real X server (Xvfb), driven with real X events
(xdotool), a wedge scan after a search included. scripts/setup.sh --test installs both.
The screenshots it saved are kept in $KIOSK_SCREENSHOTS/walk when that is set."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent.parent
WALKER = Path(__file__).resolve().parent / "walker.py"


@pytest.fixture
def display():
    """A fresh X server at 1280x720, the smallest screen a centre owns; its display name."""
    for tool in ("Xvfb", "xdotool"):
        assert shutil.which(tool), f"{tool} is missing: scripts/setup.sh --test installs it"
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
                              pass_fds=[write], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as said:
        number = said.readline().strip()  # written once the server accepts clients
    assert number.isdigit(), "Xvfb did not start"
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_citizen_walks_the_demo_with_real_x_events(display, tmp_path):
    shots = Path(os.environ["KIOSK_SCREENSHOTS"]) / "walk" if os.environ.get("KIOSK_SCREENSHOTS") else tmp_path / "shots"
    env = {**os.environ, "DISPLAY": display, "SDL_VIDEODRIVER": "x11", "KIVY_NO_ARGS": "1",
           "KIVY_HOME": str(tmp_path / "kivy-home"), "PYTHONPATH": str(ROOT)}
    env.pop("KIOSK_CONFIG", None)
    done = subprocess.run([sys.executable, str(WALKER), str(shots)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    walked = (shots / "walk.txt").read_text(encoding="utf-8") if (shots / "walk.txt").exists() else ""
    assert done.returncode == 0, f"{walked}\n{done.stderr[-4000:]}"
    assert "walk done" in walked and "Traceback" not in done.stderr, done.stderr[-4000:]
    pictures = sorted(shots.glob("*.png"))
    assert [p.stem for p in pictures][:2] == ["01-attract", "02-home"], pictures
    for picture in pictures:
        with Image.open(picture) as image:
            assert image.size == (1280, 720), picture.name
            colours = len(numpy.unique(numpy.asarray(image.convert("RGB").resize((320, 180))).reshape(-1, 3), axis=0))
        assert colours > 8, f"{picture.name} is blank: what the X server showed was not drawn"
