"""The app benchmarks run each measured app in a child process and hand it their arguments.
A kiosk's random token may start with "-": handed as bare words, argparse took it for an
option and the memory benchmark failed about once in 64 runs. They go as one JSON list now."""

from __future__ import annotations

from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"

CHILD = '''
import argparse, json
parser = argparse.ArgumentParser()
parser.add_argument("--child", type=json.loads)
print(json.dumps({"args": parser.parse_args().child}))
'''


def test_arguments_that_look_like_options_reach_the_child_whole(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    from common import run_kivy_child

    script = tmp_path / "child.py"
    script.write_text(CHILD)
    handed = ["http://127.0.0.1:1", "-Xq3_token", "--x", "", "caf\u00e9 \"quoted\""]
    assert run_kivy_child(str(script), *handed, timeout=60) == {"args": handed}
