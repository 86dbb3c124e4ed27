"""Cold start of the kiosk app: from launching its process to the first frame drawn with the
attract screen current, next to a minimal Kivy app (one Label) started the same way, in
turns, in the same run. Both run headless, a new process each time, with a warm disk cache.

The kiosk starts as `kiosk run` starts it on a centre's machine: the command line, its
configuration, an enrolled terminal's token and a backend that does not answer (nothing
listens on its port), so every module the real start loads before its first frame is counted.

Figure: the kiosk's time to the first frame over the one-Label app's; goal ≤ 1.5.

    python benchmarks/bench_app_start.py [--repeat N] [--smoke] [--figures FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import json
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

from common import add_report_arguments, figure, median, ratio_at_most, report, run_kivy_child, start_kivy_child, when_drawn


def now() -> float:
    # The same system-wide clock in parent and child, so the child's times count from the launch.
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def child(kind: str, data: str) -> None:
    main = now()
    times = {"main": main}
    seen: dict[str, object] = {}

    def drawn(_submitted: float, rendered: float) -> None:
        from kivy.app import App

        times["drawn"] = rendered
        app = App.get_running_app()
        # Checked after the app has stopped: raised in Kivy's loop, the app's crash handler
        # would log it and carry on, and the run would only end at its timeout.
        if kind == "kiosk":
            seen.update(screen=app.root.ids.screens.current, aiohttp="aiohttp" in sys.modules)
        app.stop()

    def built() -> None:
        times["built"] = now()
        when_drawn(drawn, now)

    if kind == "kiosk":
        run_kiosk(Path(data), built)
        assert seen["screen"] == "attract", f"the first frame showed the {seen['screen']} screen"
        # The client's library comes with its first request, after this frame (kiosk.client.api).
        assert not seen["aiohttp"], "aiohttp was imported before the kiosk's first frame"
    else:
        start_kivy_child()
        from kivy.app import App
        from kivy.uix.label import Label

        class LabelApp(App):
            def build(self):
                return Label(text="Chạm vào màn hình để bắt đầu")

            def on_start(self):
                built()

        asyncio.run(LabelApp().async_run(async_lib="asyncio"))
    print(json.dumps(times))


def run_kiosk(folder: Path, built) -> None:
    """`kiosk run --windowed` with the configuration, token and data in `folder`; `built()`
    is called when the app has started (its on_start done), just before its first frame."""
    import kiosk.kivy_setup
    from kiosk.cli import main

    prepare_kivy = kiosk.kivy_setup.prepare_kivy

    def prepare_then_time(windowed: bool, home: Path) -> None:
        # Then the app class, which the command imports next, marks its start.
        prepare_kivy(windowed, home)
        import kiosk.app

        class TimedApp(kiosk.app.KioskApp):
            def on_start(self) -> None:
                super().on_start()
                built()

        kiosk.app.KioskApp = TimedApp

    kiosk.kivy_setup.prepare_kivy = prepare_then_time
    status = main(["run", "--windowed", "--config", str(folder / "kiosk.ini"), "--data", str(folder / "kiosk"),
                   "--token-file", str(folder / "token"), "--backend", f"http://127.0.0.1:{closed_port()}"])
    assert status == 0, f"kiosk run ended with {status}"


def closed_port() -> int:
    """A port on this machine that nothing listens on: the backend that does not answer."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--child", type=json.loads, help=argparse.SUPPRESS)  # run_kivy_child's list
    add_report_arguments(parser)
    args = parser.parse_args()
    if args.child:
        return child(*args.child)
    if args.smoke:
        args.repeat = 1

    import kiosk
    from kiosk.client.outbox import Outbox
    from kiosk.client.store import LocalStore
    from kiosk.config import EXAMPLE_CONFIG

    # The kiosk's bytecode, as pip compiles it when it installs the wheel on a centre's machine
    # (scripts/setup.sh): a checkout run with PYTHONDONTWRITEBYTECODE would compile every
    # module of the kiosk again at each start, which no installed kiosk does.
    compileall.compile_dir(Path(kiosk.__file__).parent, quiet=1)

    with tempfile.TemporaryDirectory() as data:
        # A kiosk that has run before: its local catalogue (the bundled sample) is already there.
        folder = Path(data)
        (folder / "kiosk").mkdir()
        LocalStore(folder / "kiosk" / "catalogue.sqlite3").close()
        Outbox(folder / "kiosk" / "outbox.sqlite3").close()
        shutil.copyfile(EXAMPLE_CONFIG, folder / "kiosk.ini")
        (folder / "token").write_text("benchmark-terminal-token\n", encoding="utf-8")
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
    print("                         script running  app started   first frame drawn")
    for name, times in (("kiosk, attract screen", kiosk), ("one Label (baseline)", label)):
        print(f"  {name:21s} {times['main']:10.0f} ms {times['built']:10.0f} ms {times['drawn']:13.0f} ms")
    report(args, [figure("cold start to the attract screen drawn", kiosk["drawn"], label["drawn"], "ms",
                         "a one-Label Kivy app", ratio_at_most(1.5))])


if __name__ == "__main__":
    main()
