"""The journeys sit beneath the screens: importing them brings no Kivy (checked in a fresh
interpreter, since the app tests import Kivy into this one)."""

import subprocess
import sys

JOURNEYS = ("catalogue", "dossier", "queue", "rating", "read_aloud", "settings")


def test_journeys_import_no_kivy():
    imports = "; ".join(f"import kiosk.journeys.{name}" for name in JOURNEYS)
    done = subprocess.run([sys.executable, "-c", f"import sys; {imports}; print(sorted(m for m in sys.modules if m.split('.')[0] == 'kivy'))"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout
