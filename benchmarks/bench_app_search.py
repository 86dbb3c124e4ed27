"""Keystroke to results drawn on the search screen of the running app, over 10,000 procedures:
each key of realistic queries, timed from the key reaching the screen to the end of the next
frame (search, the results handed to the RecycleView, the buttons on screen re-filled, laid
out and drawn). Each search frame is checked to show the results of the key just typed, in
their final places: a search put off to a later frame would not count. Besides the wall time,
the main thread's CPU time from key to frame: on a machine where the software GL's threads and
other processes share the cores, the wall time also holds waits for a core.

Baseline, in the same window and the same run, key for key in turns: the same key typed into
a plain text field. That frame redraws the same window, results included, but searches and
rebuilds nothing: the ratio is what the search screen costs per key above what Kivy needs to
show any typed letter. (The same app over 100 procedures would be a worse baseline: most
queries find fewer than the 30 results shown, so it would also build fewer buttons.)

    python benchmarks/bench_app_search.py
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import tempfile
import time
from pathlib import Path

from common import (add_report_arguments, clock, figure, median, percentile, report, run_kivy_child,
                    start_kivy_child, when_drawn)

PROCEDURES = 10_000
# Words of the synthetic catalogue's names, as typed on the screen's keyboard (no tone marks)
# or on a physical one (any letters); each finds the 30 results the screen shows.
QUERIES = ["xac nhan", "cap giay phep", "giấy chứng nhận", "đăng ký hộ kinh doanh", "cua hang xang dau",
           "thu hoi giay phep", "chung chi hanh nghe", "thủy sản", "nha o rieng le", "quang cao ngoai troi"]


def child(data: str, queries: int) -> None:
    start_kivy_child()
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.uix.textinput import TextInput

    from kiosk.app import KioskApp, KioskServices
    from kiosk.client.outbox import Outbox
    from kiosk.client.store import LocalStore

    folder = Path(data)
    store, outbox = LocalStore(folder / "catalogue.sqlite3"), Outbox(folder / "outbox.sqlite3")
    # Keys typed here are not touches: no idle timeout may end the session half-way.
    app = KioskApp(KioskServices(store, outbox, None, office_name="Bộ phận Một cửa", idle_timeout=10**6))
    timings: dict[str, list] = {"search": [], "plain": [], "full_gc": []}
    screen = None

    def collected(phase: str, info: dict) -> None:
        # Full collections walk every object the app holds, 10,000 procedures included.
        if phase == "start":
            collected.started = clock()
        elif info["generation"] == 2 and app.root is not None:
            timings["full_gc"].append(clock() - collected.started)

    stale: list[str] = []

    def shows_its_key() -> None:
        """On the frame drawn: the results of the query as typed, the best one on screen."""
        results = screen.ids.results
        first = results.view_adapter.get_visible_view(0) if results.data else None
        if screen._shown_query != (screen.ids.query.text, screen.language) or (
                results.data and (first is None or first.text != results.data[0]["text"])):
            stale.append(screen.ids.query.text)

    async def keystroke(kind: str, action, check=None) -> None:
        """A key handled where Kivy handles input, at the start of a frame, as a real one is."""
        done = asyncio.get_running_loop().create_future()

        def drawn(submitted: float, rendered: float, start: float, cpu: float) -> None:
            used = time.thread_time() - cpu
            if check is not None:
                check()
            done.set_result([submitted - start, rendered - start, used])

        def press(_dt: float) -> None:
            start, cpu = clock(), time.thread_time()
            action()
            when_drawn(lambda submitted, rendered: drawn(submitted, rendered, start, cpu))

        Clock.schedule_once(press)
        timings[kind].append(await done)

    async def drive() -> None:
        nonlocal screen
        while app.root is None:
            await asyncio.sleep(0.05)
        app.go("search")
        screen = app.root.ids.screens.current_screen
        waiting = app.t("Getting the list of procedures ready…")
        while screen.ids.status.text in ("", waiting):  # the index is built in a thread
            await asyncio.sleep(0.05)
        plain = TextInput(multiline=False, size_hint=(None, None), size=(300, 50), pos=(10, 10))
        Window.add_widget(plain)
        gc.callbacks.append(collected)
        for query in QUERIES[:queries]:
            for key in query:
                await keystroke("search", lambda: screen.type(key), shows_its_key)
                await keystroke("plain", lambda: plain.insert_text(key))
            assert len(screen.ids.results.data) == 30, query
            screen.type("clear")
            plain.text = ""
            await asyncio.sleep(0.1)
        gc.callbacks.remove(collected)
        assert not stale, f"frames that did not show their key's results: {stale}"
        app.stop()

    async def main() -> None:
        await asyncio.gather(app.async_run(async_lib="asyncio"), drive())

    asyncio.run(main())
    print(json.dumps(timings))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", type=json.loads, help=argparse.SUPPRESS)  # run_kivy_child's list
    parser.add_argument("--procedures", type=int, default=PROCEDURES)
    add_report_arguments(parser)
    args = parser.parse_args()
    if args.child:
        return child(args.child[0], int(args.child[1]))
    queries = len(QUERIES)
    if args.smoke:
        args.procedures, queries = 300, 2

    from kiosk.backend.sample import synthetic_catalogue
    from kiosk.client.store import LocalStore

    with tempfile.TemporaryDirectory() as data:
        store = LocalStore(Path(data) / "catalogue.sqlite3", snapshot=None)
        catalogue = synthetic_catalogue(args.procedures).to_dict()
        store.apply_parsed({**catalogue, "version": "synthetic"}, etag=None)
        store.close()
        timings = run_kivy_child(__file__, data, str(queries))

    keys = len(timings["search"])
    print(f"{args.procedures} procedures, {queries} queries typed key by key ({keys} keys), each timed from "
          "the key to the end of its frame")
    print("baseline: the same key, in turns, into a plain text field on the same window: the same window "
          "redrawn, but no search and nothing rebuilt")
    for phase, label in ((1, "rendered (what a citizen waits for; software GL here)"),
                         (0, "handed to GL (the app's own work, as wall time)"),
                         (2, "drawn: the app's main thread's CPU time (its own work, without the waits for "
                             "the CPU that the software GL's threads and other processes cause)")):
        search = [t[phase] * 1000 for t in timings["search"]]
        plain = [t[phase] * 1000 for t in timings["plain"]]
        p50, p90 = median(search), percentile(search, 0.9)
        b50, b90 = median(plain), percentile(plain, 0.9)
        print(f"  key to frame {label}:\n"
              f"    search screen p50 {p50:6.1f} ms  p90 {p90:6.1f} ms  max {max(search):6.1f} ms\n"
              f"    plain field   p50 {b50:6.1f} ms  p90 {b90:6.1f} ms  max {max(plain):6.1f} ms\n"
              f"    ratio         p50 {p50 / b50:6.1f}x     p90 {p90 / b90:6.1f}x")
    full = timings["full_gc"]
    print(f"  full garbage collections while typing: {len(full)}"
          + (f", median {median(full) * 1000:.0f} ms each" if full else ""))
    rendered = ([t[1] * 1000 for t in timings["search"]], [t[1] * 1000 for t in timings["plain"]])
    cpu = ([t[2] * 1000 for t in timings["search"]], [t[2] * 1000 for t in timings["plain"]])
    report(args, [
        figure("key to frame rendered, p90", percentile(rendered[0], 0.9), percentile(rendered[1], 0.9), "ms",
               "a key into a plain text field"),
        figure("key to frame, main thread's CPU, p90", percentile(cpu[0], 0.9), percentile(cpu[1], 0.9), "ms",
               "a key into a plain text field"),
        figure("full garbage collections while typing", len(full), keys, "", "keys typed",
               ("none", lambda f: f.value == 0)),
    ])


if __name__ == "__main__":
    main()
