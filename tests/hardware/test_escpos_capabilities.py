"""python-escpos keeps its parsed capability database as a pickle in the kiosk's cache folder
(kiosk/hardware/escpos_devices.py). It writes that file in place: two processes starting at once
(the app and `kiosk print-test`; two test workers) once read half of it and failed with EOFError,
and a file cut short by a power cut failed every start after it. Both are tested here with real
processes on a real cache folder."""

import os
import platform
import subprocess
import sys
import time

LOAD = "import kiosk.hardware.escpos_devices as d; print(d.get_profile('TM-T20II').profile_data['name'])"


def start(cache):
    return subprocess.Popen([sys.executable, "-c", LOAD], env={**os.environ, "XDG_CACHE_HOME": str(cache)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_processes_starting_together_share_the_pickle(tmp_path, monkeypatch):
    monkeypatch.delenv("ESCPOS_CAPABILITIES_PICKLE_DIR", raising=False)
    try:
        started = [start(tmp_path) for _ in range(6)]
        done = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in started]
    finally:
        for p in started:
            p.stdout.close(), p.stderr.close()
    assert all(code == 0 and "TM-T20II" in out for code, out, _ in done), [err[-500:] for *_, err in done]
    assert (tmp_path / "tthc-kiosk" / f"{platform.python_version()}.capabilities.pickle").stat().st_size > 10_000


def test_a_pickle_cut_short_is_made_again(tmp_path, monkeypatch):
    monkeypatch.delenv("ESCPOS_CAPABILITIES_PICKLE_DIR", raising=False)
    folder = tmp_path / "tthc-kiosk"
    folder.mkdir(mode=0o700)
    pickle = folder / f"{platform.python_version()}.capabilities.pickle"
    pickle.write_bytes(b"\x80\x04\x95")  # the first bytes of a pickle, then nothing
    later = time.time() + 3600  # newer than the database, so python-escpos trusts it
    os.utime(pickle, (later, later))
    process = start(tmp_path)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0 and "TM-T20II" in out, err[-1000:]
    assert pickle.stat().st_size > 10_000
