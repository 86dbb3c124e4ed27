"""Every benchmark runs, at tiny sizes (--smoke), and gives figures that are numbers beside a
baseline: a benchmark can no longer break silently. No figure is judged here: speed is
measured in benchmarks/, not asserted in tests."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
NAMES = sorted(path.stem for path in BENCHMARKS.glob("bench_*.py"))


def run(*command: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *command], cwd=BENCHMARKS, capture_output=True, text=True,
                          timeout=timeout)


def test_every_benchmark_is_found():
    assert len(NAMES) >= 18 and "bench_dossier" in NAMES and "bench_app_start" in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_a_benchmark_runs_and_gives_figures(name, tmp_path):
    figures_file = tmp_path / "figures.json"
    done = run(f"{name}.py", "--smoke", "--figures", str(figures_file))
    assert done.returncode == 0, f"{name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    figures = json.loads(figures_file.read_text())
    assert figures, f"{name} gave no figures"
    for figure in figures:
        assert figure["name"] and figure["baseline_name"], figure
        # A measured zero is a figure (no stall at smoke sizes); a missing or endless one is not.
        assert math.isfinite(figure["value"]) and math.isfinite(figure["baseline"]) and figure["baseline"] >= 0, figure
        assert (figure["goal"] == "") == (figure["met"] is None), figure
    # The table the benchmark printed holds each of its figures.
    for figure in figures:
        assert figure["name"] in done.stdout


def test_run_all_gives_one_table_of_every_figure(tmp_path):
    kept = tmp_path / "all.json"
    done = run("run_all.py", "--smoke", "--only", "bench_print", "bench_citizen_key", "--json", str(kept))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    everything = json.loads(kept.read_text())
    assert everything["smoke"] and not everything["failed"] and "cores" in everything["machine"]
    assert set(everything["figures"]) == {"bench_print", "bench_citizen_key"}
    table = done.stdout[done.stdout.index("# Every figure"):]
    for name, figures in everything["figures"].items():
        assert figures
        for figure in figures:
            assert f"{name.removeprefix('bench_')}: {figure['name']}" in table
    assert "Goals met:" in table


def test_run_all_reports_a_benchmark_that_does_not_finish():
    """A benchmark that crashes or hangs fails the run, by name, rather than leaving a line out."""
    done = run("run_all.py", "--smoke", "--only", "bench_print", "--timeout", "0.01", timeout=60)
    assert done.returncode == 1
    assert "FAILED bench_print: did not finish" in done.stdout
