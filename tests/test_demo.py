"""`kiosk demo`: the backend with the sample site and the app against it, headless here; what
it prints works, and Ctrl-C stops both and removes its temporary data."""

import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from support import KIOSK, demo_started


def test_the_demo_starts_says_how_to_use_it_and_stops_on_ctrl_c(tmp_path):
    out = tmp_path / "stdout.txt"
    with open(out, "w", encoding="utf-8") as printed:
        demo = subprocess.Popen([KIOSK, "demo", "--windowed", "--port", "0"], stdout=printed, stderr=subprocess.STDOUT)
        try:
            said = demo_started(demo, out)
            url = re.search(r"listening on (http://127\.0\.0\.1:\d+); data in (\S+)", said)
            folder = Path(url.group(2))
            assert "(the two-level sample site)" in said  # the default; --sample-site district-2019 the other
            assert re.search(r"Sample dossier codes: (000\.00\.01|0\d\.32)\.H21-\d{6}-\d{4}", said), said
            with urllib.request.urlopen(f"{url.group(1)}/api/v1/queue/services", timeout=10) as answer:
                assert answer.status == 200
            with urllib.request.urlopen(f"{url.group(1)}/admin/login", timeout=10) as answer:
                assert answer.status == 200
            admins = subprocess.run([KIOSK, "admin", "list", "--db", str(folder / "backend.sqlite3")],
                                    capture_output=True, text=True, timeout=60)
            assert "demo" in admins.stdout
            assert re.search(r"Admin pages: http://\S+/admin \(user demo, password \S{12,}\)", said)
            assert re.search(r"the PIN \d{4}", said) and (folder / "kiosk" / "staff-pin.json").exists()
            time.sleep(3)  # the app up, not only the backend
            assert demo.poll() is None
        finally:
            demo.send_signal(signal.SIGINT)
            status = demo.wait(timeout=60)
    assert status == 0 and "Demo stopped." in out.read_text(encoding="utf-8")
    assert not folder.exists(), "the demo's temporary data is removed"
