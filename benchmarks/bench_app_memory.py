"""Resident memory of the running app over 200 scripted citizen journeys against a real
backend (the sample site): home -> catalogue -> a procedure -> back; the search typed and a
result opened; a dossier looked up by its code on the keypad; a rating; the end of the session.
Each journey is followed by 0.6 s on the attract screen, as between two citizens (the app
tidies up then); RSS (VmRSS, after a full garbage collection) is read every 25 journeys. A time budget stops the
journeys early if the app is too slow for 200 of them.

Figures, each beside a baseline measured in the same run:
- the RSS after the last journey, beside a one-Label Kivy app started the same way after its
  first frame (what Kivy, SDL and the GL driver hold before the kiosk has anything); goal ≤ 200 MB;
- the growth from the 50th journey to the last (from the middle one when fewer were made),
  beside the RSS at the 50th; goal: flat, no more than 1 % of it (what the allocator's pages
  make of noise);
- the Python objects the app gains a journey over the same journeys, beside those it holds:
  the median of the gains between checkpoints (every 25 journeys; every journey in a run of
  32 or fewer), so that something made once, late (a module loaded on first use, a cache filled
  by a timer), is not taken for a leak, while a leak, which gains at every journey, is;
  goal: at most 50 (a leak that RSS hides in its noise shows here first). The kinds of object
  gained are printed beside it.

    python benchmarks/bench_app_memory.py [--journeys N] [--budget SECONDS] [--smoke] [--figures FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import re
import statistics
import tempfile
from collections import Counter
from pathlib import Path

from common import add_report_arguments, clock, figure, kiosk_backend, report, run_kivy_child, start_kivy_child

JOURNEYS = 200
CHECKPOINTS = [1, 25, 50, 75, 100, 125, 150, 175, 200]
"""Where RSS is read; also at the middle and the last journey, whatever their number."""
BUDGET = 900.0
"""Seconds of journeys at most, so that a slow or slowing app still gives its figures in time."""


def rss_mb() -> float:
    gc.collect()
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def child(url: str, token: str, code: str, data: str, journeys: int, budget: float) -> None:
    start_kivy_child()
    from kivy.clock import Clock
    from kivy.tests.common import UnitTestTouch

    from kiosk.app import KioskApp, KioskServices
    from kiosk.client.api import BackendClient
    from kiosk.client.outbox import Outbox
    from kiosk.client.store import LocalStore
    from kiosk.hardware.printer import SimulatedPrinter

    async def frame() -> None:
        """One frame since now, laid out and drawn: this wakes up after the frame in which
        Kivy's clock called back."""
        done = asyncio.get_running_loop().create_future()
        Clock.schedule_once(lambda _dt: done.set_result(None))
        await done

    async def until(condition, timeout: float = 20) -> None:
        deadline = clock() + timeout
        while not condition():
            if clock() > deadline:
                raise AssertionError(f"timed out at {app.root.ids.screens.current}")
            await frame()

    def tap(widget) -> None:
        touch = UnitTestTouch(*widget.to_window(*widget.center))
        touch.touch_down()
        touch.touch_up()

    def find(root, kind: str, **attributes):
        return next(w for w in root.walk() if type(w).__name__ == kind
                    and all(getattr(w, k, None) == v for k, v in attributes.items()))

    def at(name: str):
        screens = app.root.ids.screens
        assert screens.current == name, f"at {screens.current}, not {name}"
        return screens.current_screen

    async def journey() -> None:
        # One frame where a citizen would look or a tap needs the screen laid out, and no more:
        # each costs tens of milliseconds of software rendering here.
        tap(at("attract"))
        await frame()
        tap(find(at("home"), "HomeTile", screen="catalogue"))
        catalogue = at("catalogue")
        catalogue.level, catalogue.field = "commune", "HOTICH"
        listed = lambda: [b for b in catalogue.ids.grid.children if b.step == "procedure"]  # noqa: E731
        await until(listed)  # the catalogue is read again on each visit
        await frame()
        tap(listed()[-1])
        procedure = at("procedure")
        await until(lambda: len(procedure.ids.body.children) > 5)
        tap(app.root.ids.back)  # the bar's Back
        await frame()
        tap(at("catalogue").ids.search)
        search = at("search")
        for key in "khai sinh":  # the screen's own key method: its keyboard is being reworked
            search.type(key)
        # The results of these words, not the last journey's (a search waits for typing to pause).
        await until(lambda: search._shown_query == ("khai sinh", app.language) and search.ids.results.data)
        await frame()
        search.open_first()
        await until(lambda: app.root.ids.screens.current == "procedure" and procedure.procedure is not None
                    and len(procedure.ids.body.children) > 5)

        app.go("dossier")
        dossier = at("dossier")
        await frame()
        for key in code:
            tap(find(dossier, "DossierKey", key=key))
        tap(find(dossier, "KioskButton", text=app.t("Look up")))
        await until(lambda: dossier.state == "card")

        app.go("rating")
        rating = at("rating")
        await frame()
        tap(find(rating, "Face", level="satisfied"))
        tap(find(rating, "KioskButton", text=app.t("Send")))
        await until(lambda: rating.state == "thanks")
        app.end_session()  # before the thanks screen's own, a few seconds later
        await frame()  # a screen manager takes no touch until its switch has ended

    data_dir = Path(data)
    store, outbox = LocalStore(data_dir / "catalogue.sqlite3"), Outbox(data_dir / "outbox.sqlite3")
    result: dict[int, tuple[float, float, int]] = {}
    kinds: dict[int, Counter] = {}
    checkpoints = {*CHECKPOINTS, journeys // 2, journeys}
    if journeys <= 32:  # a short run: every journey from the middle on
        checkpoints |= set(range(journeys // 2, journeys + 1))

    async def main() -> None:
        nonlocal app
        async with BackendClient(url, token, retries=1) as client:
            app = KioskApp(KioskServices(store, outbox, client, printer=SimulatedPrinter(data_dir / "prints"),
                                         office_name="Bộ phận Một cửa", idle_timeout=90))

            async def drive() -> None:
                await until(lambda: app.root is not None and app.link == "online")  # the first sync went through
                await frame()
                started = clock()
                for number in range(1, journeys + 1):
                    await journey()
                    last = number == journeys or clock() - started > budget
                    # As between two citizens, after every journey: the attract screen, the app's
                    # tidy-up done (0.5 s after the session ends). Journeys run back to back, with no
                    # tidy-up between them, left some 10,000 objects alive at one checkpoint and not
                    # at the next, which no kiosk sees.
                    await asyncio.sleep(0.6)
                    await frame()
                    if number in checkpoints or last:
                        result[number] = (rss_mb(), clock() - started, len(gc.get_objects()))
                        if number in (journeys // 2, journeys) or last:
                            kinds[number] = Counter(type(o).__qualname__ for o in gc.get_objects())
                    if last:
                        break
                app.stop()

            await asyncio.gather(app.async_run(async_lib="asyncio"), drive())

    app = None
    asyncio.run(main())
    first, *_, final = sorted(kinds) if len(kinds) > 1 else [0, 0]
    gained = (kinds[final] - kinds[first]).most_common(8) if final else []
    print(json.dumps({"result": result, "gained": gained}))


def label_child() -> None:
    """The baseline: a one-Label app's RSS once its first frame is drawn."""
    start_kivy_child()
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.uix.label import Label

    class LabelApp(App):
        def build(self):
            return Label(text="Chạm vào màn hình để bắt đầu")

        def on_start(self):
            Clock.schedule_once(lambda _dt: self.measured(), 0.5)

        def measured(self):
            self.rss = rss_mb()
            self.stop()

    app = LabelApp()
    app.run()
    print(json.dumps({"rss": app.rss}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--journeys", type=int, default=JOURNEYS)
    parser.add_argument("--budget", type=float, default=BUDGET, help="seconds of journeys at most")
    parser.add_argument("--child", type=json.loads, help=argparse.SUPPRESS)  # run_kivy_child's list
    parser.add_argument("--label-child", action="store_true", help=argparse.SUPPRESS)
    add_report_arguments(parser)
    args = parser.parse_args()
    if args.child:
        url, token, code, data, journeys, budget = args.child
        return child(url, token, code, data, int(journeys), float(budget))
    if args.label_child:
        return label_child()
    if args.smoke:
        args.journeys = 2

    from kiosk.backend.sample import load_sample_site
    from kiosk.backend.store import BackendStore
    from kiosk.backend.terminals import Terminals
    from kiosk.config import load_config, working_calendar
    from kiosk.domain.calendar import now, today

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "backend.sqlite3"
        store = BackendStore(db)
        load_sample_site(store, working_calendar(load_config()), today(), all_day=True)
        _, token = Terminals(store).add("benchmark kiosk", now())
        code = next(c for c in store.dossier_codes() if c.endswith("-0022"))  # with a holder and a timeline
        store.close()
        with kiosk_backend(db) as url:
            measured = run_kivy_child(__file__, url, token, code, str(Path(folder) / "kiosk"),
                                    str(args.journeys), str(args.budget), timeout=args.budget + 300)

    label = run_kivy_child(__file__, flag="--label-child")["rss"]
    result = measured["result"]
    rss = {int(n): mb for n, (mb, _, _) in result.items()}
    objects = {int(n): count for n, (_, _, count) in result.items()}
    print(f"resident memory of the app (VmRSS after a full garbage collection) over {max(rss)} scripted "
          "journeys against a real backend")
    previous, before = 0, 0.0
    for number, (mb, seconds, count) in sorted((int(n), v) for n, v in result.items()):
        print(f"  after {number:3d} journeys: {mb:7.1f} MB, {count:8,d} Python objects "
              f"({(seconds - before) / (number - previous):.2f} s a journey since the last line)")
        previous, before = number, seconds
    last = max(rss)
    if last < args.journeys:
        print(f"  stopped after {last} journeys: the {args.budget:.0f} s budget was spent")
    middle = 50 if last > 50 and 50 in rss else max(n for n in rss if n <= max(1, last // 2))
    # What a leak of Python objects would show first, without the noise of the allocator's pages.
    if last > middle:
        print(f"  growth per journey between journey {middle} and journey {last}: "
              f"{(rss[last] - rss[middle]) * 1024 / (last - middle):.0f} kB")
    print(f"  a one-Label Kivy app after its first frame: {label:.1f} MB")
    # The median gain between checkpoints: a leak gains at each, something made once at one.
    steps = sorted(n for n in objects if n >= middle)
    per_journey = statistics.median((objects[b] - objects[a]) / (b - a) for a, b in zip(steps, steps[1:])) \
        if len(steps) > 1 else 0.0
    if measured["gained"]:
        print("  the kinds of Python object gained from the middle to the end, most first: "
              + ", ".join(f"{kind} {count:+,d}" for kind, count in measured["gained"]))
    report(args, [
        figure(f"resident memory after {last} journeys", rss[last], label, "MB", "a one-Label Kivy app",
               ("≤ 200 MB", lambda f: f.value <= 200)),
        figure(f"growth from journey {middle} to {last}", rss[last] - rss[middle], rss[middle], "MB",
               f"the RSS at journey {middle}", ("flat: ratio ≤ 0.01", lambda f: f.ratio <= 0.01)),
        # Kivy's scroll views leave a dead binding behind at each scroll (removed only when
        # bar_inactive_color changes): about 8 objects a journey, some hundred bytes. A screen's
        # widgets kept by mistake would be thousands.
        figure(f"Python objects gained a journey, journeys {middle} to {last} (median)",
               per_journey, objects[middle], "", f"the objects at journey {middle}",
               ("≤ 50 a journey", lambda f: f.value <= 50)),
    ])


if __name__ == "__main__":
    main()
