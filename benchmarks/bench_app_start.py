"""Cold start of the kiosk app: from launching its process to the first frame drawn with the
attract screen current, next to a minimal Kivy app (one Label) started the same way, in
turns, in the same run. Both run headless, a new process each time, with a warm disk cache.

Figure: the kiosk's time to the first frame over the one-Label app's; goal ≤ 1.5.

    python benchmarks/bench_app_start.py [--repeat N] [--smoke] [--figures FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from common import add_report_arguments, figure, median, ratio_at_most, report, run_kivy_child, start_kivy_child, when_drawn


def now() -> float:
    # The same system-wide clock in parent and child, so the child's times count from the launch.
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def child(kind: str, data: str) -> None:
    main = now()
    start_kivy_child()
    if kind == "kiosk":
        from kiosk.app import KioskApp, KioskServices
        from kiosk.client.outbox import Outbox
        from kiosk.client.store import LocalStore
        from kiosk.hardware.printer import SimulatedPrinter

        folder = Path(data)
        store, outbox = LocalStore(folder / "catalogue.sqlite3"), Outbox(folder / "outbox.sqlite3")
        # Offline: the first sync would only run beside the first frame, as a task.
        app = KioskApp(KioskServices(store, outbox, None, printer=SimulatedPrinter(folder / "prints"),
                                     office_name=store.head().get("site", {}).get("name", "")))
    else:
        from kivy.app import App
        from kivy.uix.label import Label

        class LabelApp(App):
            def build(self):
                return Label(text="Chạm vào màn hình để bắt đầu")

        app = LabelApp()
    times = {"main": main}

    def drawn(_submitted: float, rendered: float) -> None:
        times["drawn"] = rendered
        if kind == "kiosk":
            assert app.root.ids.screens.current == "attract"
        app.stop()

    def built(*_args) -> None:
        times["built"] = now()
        when_drawn(drawn, now)

    app.bind(on_start=built)
    asyncio.run(app.async_run(async_lib="asyncio"))
    print(json.dumps(times))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    add_report_arguments(parser)
    args = parser.parse_args()
    if args.child:
        return child(*args.child)
    if args.smoke:
        args.repeat = 1

    from kiosk.client.outbox import Outbox
    from kiosk.client.store import LocalStore

    with tempfile.TemporaryDirectory() as data:
        # A kiosk that has run before: its local catalogue (the bundled sample) is already there.
        LocalStore(Path(data) / "catalogue.sqlite3").close()
        Outbox(Path(data) / "outbox.sqlite3").close()
        runs: dict[str, list[dict[str, float]]] = {"kiosk": [], "label": []}
        for turn in range(args.repeat + 1):
            for kind in runs:  # in turns, so that a noisy moment hits both
                launched = now()
                times = run_kivy_child(__file__, kind, data)
                if turn:  # the first of each warms the disk cache
                    runs[kind].append({k: v - launched for k, v in times.items()})

    def medians(kind: str) -> dict[str, float]:
        return {phase: median([run[phase] for run in runs[kind]]) * 1000 for phase in ("main", "built", "drawn")}

    kiosk, label = medians("kiosk"), medians("label")
    print(f"cold start, from launching the process to the first frame drawn (headless, software GL); "
          f"median of {args.repeat} runs each, in turns")
    print("                         script running    app built   first frame drawn")
    for name, times in (("kiosk, attract screen", kiosk), ("one Label (baseline)", label)):
        print(f"  {name:21s} {times['main']:10.0f} ms {times['built']:10.0f} ms {times['drawn']:13.0f} ms")
    report(args, [figure("cold start to the attract screen drawn", kiosk["drawn"], label["drawn"], "ms",
                         "a one-Label Kivy app", ratio_at_most(1.5))])


if __name__ == "__main__":
    main()
