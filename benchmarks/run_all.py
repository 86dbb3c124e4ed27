"""Every benchmark, one after another, then one table of their figures: each beside its
baseline measured in the same run, the ratio, and the goal it has, if any.

    python benchmarks/run_all.py [--smoke] [--only bench_tickets ...] [--json FILE]

--smoke runs each at tiny sizes, two at a time, in seconds: it shows that every benchmark still
runs (the test suite does so), not how fast anything is. Without it they run one after another,
so that no benchmark's figure is measured beside another benchmark's work. The exit status is 1
when a benchmark failed to run; a goal not met is reported in the table, not as a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import Figure, table

HERE = Path(__file__).resolve().parent
BENCHMARKS = sorted(path.stem for path in HERE.glob("bench_*.py"))


def machine() -> str:
    """What the figures were measured on, in one line."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    memory = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    return (f"{cpu}, {os.cpu_count()} cores, {memory / 1024:.0f} GiB; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}; Kivy headless on software GL")


def run(name: str, smoke: bool, timeout: float) -> tuple[list[Figure], str, str]:
    """Run one benchmark; its figures, what went wrong ("" when nothing did), and what it printed."""
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        figures_file = Path(folder) / "figures.json"
        command = [sys.executable, str(HERE / f"{name}.py"), "--figures", str(figures_file)]
        try:
            done = subprocess.run(command + (["--smoke"] if smoke else []), cwd=HERE, timeout=timeout,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        except subprocess.TimeoutExpired:
            return [], f"did not finish in {timeout:.0f} s", ""
        if done.returncode != 0:
            return [], f"exit status {done.returncode}: {done.stdout.strip().splitlines()[-1:] or ''}", done.stdout
        if not figures_file.exists():
            return [], "gave no figures", done.stdout
        kept = json.loads(figures_file.read_text())
        return [Figure(**{k: v for k, v in figure.items() if k != "ratio"}) for figure in kept], "", done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: does every benchmark run at all")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, metavar="NAME", help="these benchmarks only")
    parser.add_argument("--json", type=Path, help="also write every figure, by benchmark, to this file")
    parser.add_argument("--timeout", type=float, help="seconds one benchmark may take (default 120 smoke, 1800)")
    args = parser.parse_args()
    timeout = args.timeout or (120 if args.smoke else 1800)
    results: dict[str, list[Figure]] = {}
    failed: dict[str, str] = {}
    started = time.monotonic()
    def timed(name: str) -> tuple[str, list[Figure], str, str, float]:
        began = time.monotonic()
        return name, *run(name, args.smoke, timeout), time.monotonic() - began

    with ThreadPoolExecutor(max_workers=2 if args.smoke else 1) as pool:
        for name, figures, trouble, printed, seconds in pool.map(timed, args.only or BENCHMARKS):
            print(f"== {name}\n{printed}   ({seconds:.1f} s)", flush=True)
            results[name] = figures
            if trouble:
                failed[name] = trouble

    print(f"\n# Every figure beside its baseline from the same run{' (smoke sizes)' if args.smoke else ''}")
    print(f"Machine: {machine()}")
    print(f"All benchmarks: {time.monotonic() - started:.0f} s\n")
    everything = [Figure(f"{name.removeprefix('bench_')}: {f.name}", f.value, f.baseline, f.unit, f.baseline_name,
                         f.goal, f.met) for name, figures in results.items() for f in figures]
    print(table(everything))
    with_goal = [f for f in everything if f.met is not None]
    print(f"\nGoals met: {sum(f.met for f in with_goal)} of {len(with_goal)}")
    for name, trouble in failed.items():
        print(f"FAILED {name}: {trouble}")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "smoke": args.smoke, "failed": failed,
                                         "figures": {name: [{**vars(f), "ratio": f.ratio} for f in figures]
                                                     for name, figures in results.items()}},
                                        ensure_ascii=False, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
