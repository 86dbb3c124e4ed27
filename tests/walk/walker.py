"""A citizen's walk through `kiosk demo` with real X events: run under an X server (Xvfb in
the tests), it starts the demo exactly as `kiosk demo --windowed --port 0` does and, once
the app is up, moves the X pointer, clicks and types with xdotool, the way a touchscreen
and a keyboard-wedge scanner reach a kiosk: through the X server, SDL and Kivy.

It reads where the buttons are from the app's own widgets (no guessed coordinates) and
what happened from the app's state, and saves what the X server shows after each step.

    python tests/walk/walker.py SHOTS_DIR     (DISPLAY must name the X server)

Exit status 0 when every step did what a citizen expects; otherwise 1, with the step that
failed on stderr. Each step is also a line of SHOTS_DIR/walk.txt."""

from __future__ import annotations

import asyncio
import os
import sys
import time
import traceback
from pathlib import Path

STEP_TIMEOUT = 30.0
"""Seconds a step may take on a slow machine (software OpenGL) before it counts as failed."""


class Walk:
    """The app as the walk drives and watches it."""

    def __init__(self, app, shots: Path, codes: list[str]):
        from kivy.core.window import Window

        self.app, self.shots, self.codes, self.window = app, shots, codes, Window
        self.screens = app.root.ids.screens
        self.log = (shots / "walk.txt").open("w", encoding="utf-8")

    def step(self, text: str) -> None:
        print(text, file=self.log, flush=True)

    async def xdotool(self, *args: str) -> None:
        process = await asyncio.create_subprocess_exec("xdotool", *args)
        if await process.wait():
            raise AssertionError(f"xdotool {' '.join(args)} failed")

    def on_x(self, widget, x_share: float = 0.5, y_share: float = 0.5) -> tuple[int, int]:
        """Where a point of `widget` is on the X screen: Kivy counts up from the bottom, X down
        from the top; the window sits at the screen's top left (no window manager)."""
        x, y = widget.to_window(widget.x + widget.width * x_share, widget.y + widget.height * y_share)
        return round(x), round(self.window.height - y)

    async def click(self, widget) -> None:
        x, y = self.on_x(widget)
        await self.xdotool("mousemove", str(x), str(y), "click", "1")

    async def drag(self, widget, dots: int) -> None:
        """A finger down on the middle of `widget`, moved `dots` up, and lifted."""
        x, y = self.on_x(widget)
        await self.xdotool("mousemove", str(x), str(y), "mousedown", "1")
        for step in range(1, 11):
            await asyncio.sleep(0.03)
            await self.xdotool("mousemove", str(x), str(y - dots * step // 10))
        await self.xdotool("mouseup", "1")

    async def type(self, text: str, delay_ms: int) -> None:
        await self.xdotool("type", "--delay", str(delay_ms), text)

    async def until(self, condition, what: str) -> None:
        deadline = time.monotonic() + STEP_TIMEOUT
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for: {what} (screen {self.screens.current})")
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # the transition and the frame after it

    async def arrive(self, name: str) -> None:
        await self.until(lambda: self.screens.current == name and not self.screens.transition.is_active,
                         f"the {name} screen")

    async def shot(self, name: str) -> None:
        """What the X server shows now, as a PNG."""
        await asyncio.sleep(0.2)
        saved = self.window.screenshot(str(self.shots / "window.png"))  # Kivy numbers its name
        os.replace(saved, self.shots / f"{name}.png")
        self.step(f"  saw {name}")

    def find(self, kind: str, root=None, **attributes):
        for widget in (root or self.app.root).walk():
            if type(widget).__name__ == kind and all(getattr(widget, k, None) == v for k, v in attributes.items()):
                return widget
        raise AssertionError(f"no {kind} with {attributes} on the {self.screens.current} screen")

    def button(self, text: str):
        """The button showing `text` on the screen shown (or in the bottom bar)."""
        for widget in self.app.root.walk():
            if getattr(widget, "text", None) == text and hasattr(widget, "on_release") and widget.opacity > 0:
                return widget
        raise AssertionError(f"no button {text!r} on the {self.screens.current} screen")


async def walk(app, shots: Path, codes: list[str]) -> None:
    w = Walk(app, shots, codes)
    try:
        await w.arrive("attract")
        await w.shot("01-attract")
        w.step("a touch on the welcome screen")
        await w.click(w.screens.current_screen)
        await w.arrive("home")
        await w.shot("02-home")

        w.step("procedures: the search box, typed in Telex on a physical keyboard at a person's pace")
        await w.click(w.find("HomeTile", screen="catalogue"))
        await w.arrive("catalogue")
        await w.click(w.screens.current_screen.ids.search)
        await w.arrive("search")
        search = w.screens.current_screen
        await w.type("giaasy khai sinh", 60)
        await w.until(lambda: search.ids.query.text == "giấy khai sinh", "'giấy khai sinh' in the search box")
        await w.until(lambda: len(search.ids.results.data) > 3, "results")
        await w.shot("03-search")
        w.step("scrolling the results folds the keys away")
        await w.drag(search.ids.results, 120)
        await w.until(lambda: not search.keyboard_open, "the keys folded")
        await w.shot("04-search-keys-folded")
        await w.click(search.ids.fold_keys)
        await w.until(lambda: search.keyboard_open, "the keys back")

        w.step("back to the home screen, then a receipt scanned by the keyboard-wedge scanner")
        await w.click(w.button("Quay lại"))
        await w.arrive("catalogue")
        await w.click(w.button("Quay lại"))
        await w.arrive("home")
        await w.type(w.codes[0], 4)  # a scanner types a whole code in a few dozen milliseconds
        await w.xdotool("key", "Return")
        await w.arrive("dossier")
        dossier = w.screens.current_screen
        await w.until(lambda: w.codes[0] in repr([getattr(x, "text", "") for x in dossier.walk()]),
                      f"the dossier {w.codes[0]} on screen")
        await w.shot("05-dossier-after-search")

        w.step("the service rated from the home screen: a face, a reason, sent")
        await w.click(w.button("Xong"))
        await w.arrive("attract")
        await w.click(w.screens.current_screen)
        await w.arrive("home")
        await w.click(w.find("HomeTile", screen="rating"))
        await w.arrive("rating")
        rating = w.screens.current_screen
        await w.click(w.find("Face", level="satisfied"))
        await w.until(lambda: rating.level == "satisfied", "the face chosen")
        await w.shot("06-rating-chosen")
        await w.click(rating.ids.send)
        await w.until(lambda: rating.state == "thanks", "the thanks")
        await w.shot("07-rating-thanks")

        w.step("larger text, then start again: asked first; the text size stays")
        await w.click(w.button("Chữ to"))
        await w.until(lambda: app.large_text, "larger text")
        await w.click(w.button("Làm lại từ đầu"))
        await w.until(lambda: any(type(v).__name__ == "Confirm" for v in w.window.children), "the question")
        await w.shot("08-start-again-question")
        [question] = [v for v in w.window.children if type(v).__name__ == "Confirm"]
        await w.click(w.find("KioskButton", root=question, text="Có, làm lại từ đầu"))
        await w.arrive("home")
        assert app.large_text, "the larger text the citizen chose stays"
        await w.shot("09-home-again-larger-text")
        w.step("walk done")
    except BaseException:
        w.step("FAILED:\n" + traceback.format_exc())
        raise
    finally:
        w.log.close()
        app.stop()


def main(shots: Path) -> int:
    """`kiosk demo --windowed --port 0`, with the walk started once the app is."""
    import kiosk.cli as cli
    import kiosk.kivy_setup as kivy_setup

    shots.mkdir(parents=True, exist_ok=True)
    said: list[str] = []
    original_print, original_prepare = cli._print, kivy_setup.prepare_kivy

    def keep_print(line: str) -> None:
        said.append(line)
        original_print(line)

    def prepare_then_join(windowed, home):
        original_prepare(windowed, home)
        from kiosk.app import KioskApp  # only now: Kivy is set up

        started = KioskApp.on_start

        def on_start(app):
            started(app)
            codes = next(line for line in said if line.startswith("Sample dossier codes: "))
            app.spawn(walk(app, shots, codes.split(": ", 1)[1].rstrip(", .").split(", ")), session=False)

        KioskApp.on_start = on_start

    cli._print, kivy_setup.prepare_kivy = keep_print, prepare_then_join
    status = cli.main(["demo", "--windowed", "--port", "0"])
    walked = (shots / "walk.txt").read_text(encoding="utf-8") if (shots / "walk.txt").exists() else ""
    if "walk done" not in walked:
        print(walked or "the walk never started", file=sys.stderr)
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
