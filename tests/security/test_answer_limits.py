"""Attack class: answers without end. A hostile backend (or whatever answers in its place on a
bad network) sends `kiosk sync` a gzip bomb or a body that never ends: the kiosk keeps under
100 MB more than a sync that got a plain answer, and says so in one line within seconds."""

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent
# `kiosk sync` run in a process whose peak memory it reports itself.
SYNC = ("import resource, sys\nfrom kiosk.cli import main\nstatus = main(sys.argv[1:])\n"
        "print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(status)\n")


@pytest.fixture
def hostile():
    servers = []

    def start(mode):
        process = subprocess.Popen([sys.executable, str(HERE / "hostile_backend.py"), mode],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        servers.append(process)
        line = process.stdout.readline()
        return re.search(r"listening on (\S+)", line).group(1)

    yield start
    for process in servers:
        process.kill()
        process.wait()


def sync(url, tmp_path):
    tmp_path.mkdir(parents=True, exist_ok=True)
    token = tmp_path / "token"
    token.write_text("a-token", encoding="utf-8")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", SYNC, "sync", "--backend", url, "--token-file", str(token),
                           "--data", str(tmp_path / "data")], capture_output=True, text=True, timeout=120)
    peak = int(re.search(r"MAXRSS_KB (\d+)", done.stderr).group(1))
    return done, peak, time.monotonic() - started


@pytest.mark.parametrize("mode", ["bomb", "endless"])
def test_sync_refuses_an_answer_without_end(hostile, tmp_path, mode):
    baseline, baseline_peak, _ = sync("http://127.0.0.1:9", tmp_path / "baseline")  # nobody there
    assert baseline.returncode == 1
    done, peak, seconds = sync(hostile(mode), tmp_path / mode)
    assert done.returncode == 1, done.stderr[-500:]
    lines = [line for line in done.stderr.splitlines() if not line.startswith("MAXRSS_KB")]
    assert len(lines) == 1 and "larger than 64 MB" in lines[0] and "keeps catalogue version" in lines[0], lines
    assert "Traceback" not in done.stderr
    assert (peak - baseline_peak) < 100 * 1024, (peak, baseline_peak)
    assert seconds < 60  # a guard against a hang, not a timing measurement
