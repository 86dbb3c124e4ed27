"""`kiosk run` on a kiosk without a terminal token starts with the set-up screen, not an error."""

import shutil
import subprocess
import time

from kiosk.config import EXAMPLE_CONFIG, save_config
from support import KIOSK


def test_a_kiosk_without_a_token_starts_with_the_set_up_screen(tmp_path):
    config = tmp_path / "kiosk.ini"
    shutil.copyfile(EXAMPLE_CONFIG, config)
    save_config(config, {"kiosk": {"data_dir": str(tmp_path / "data"), "backend_url": "http://127.0.0.1:9"}})
    log = tmp_path / "stderr.txt"
    with open(log, "w", encoding="utf-8") as errors:
        kiosk = subprocess.Popen([KIOSK, "run", "--windowed", "--config", str(config)],
                                 stdout=subprocess.DEVNULL, stderr=errors)
        try:
            deadline = time.monotonic() + 90
            while "set-up screen" not in log.read_text(encoding="utf-8") and time.monotonic() < deadline:
                assert kiosk.poll() is None, log.read_text(encoding="utf-8")
                time.sleep(0.2)
        finally:
            kiosk.terminate()
            status = kiosk.wait(timeout=30)
    said = log.read_text(encoding="utf-8")
    assert "this kiosk has no terminal token yet: it shows the set-up screen" in said, said
    assert "Traceback" not in said and status == 0, "SIGTERM, as from the service manager, stops it cleanly"
