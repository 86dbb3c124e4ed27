"""A citizen's walk through `kiosk demo` with real X events: run under an X server (Xvfb in
the tests), it starts the demo exactly as `kiosk demo --windowed --port 0` does, its window as
large as the X screen, and, once the app is up, moves the X pointer, clicks and drags through
the X server's XTest extension (as xdotool does) and types with xdotool, the way a touchscreen
and a keyboard-wedge scanner reach a kiosk: through the X server, SDL and Kivy. It chooses the
language and the text size as a citizen does, with the bottom bar's buttons.

It reads where the buttons are from the app's own widgets (no guessed coordinates) and what
happened from the app's state (never calling the app to act), and saves what the window shows
after each step.

    python tests/walk/walker.py SHOTS_DIR [--english] [--larger-text] [--short] [--parts search,...]
        (DISPLAY must name the X server)

The parts, in the order walked: search (Telex on a physical keyboard, the keys folding away, a
wedge scan after it, a rating from the home screen), checklist (a life event's procedure, its
list of documents printed, the rating offered then), queue (a service, the priority question, a
number printed, then Home asks), dossier (a wrong code typed on the keypad without its dots and
dashes, "not found" with the code, Try again keeps it, mended, looked up, the slip printed, Back),
help (staff called; the centre's /admin lists the call), home (Home with a code typed asks; "no"
keeps it; the other text size, then "yes": home, and the text size stays). --short: no rating
from the home screen, the scanned dossier's slip printed instead, three keypad keys only.

Exit status 0 when every step did what a citizen expects; otherwise 1, with the step that
failed on stderr. Each step is also a line of SHOTS_DIR/walk.txt, with the seconds since the
walk began; a failed step leaves a screenshot named FAILED."""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import re
import subprocess
import sys
import time
import traceback
from pathlib import Path

RETURN, SHIFT = 0xFF0D, 0xFFE1
"""The X keysyms of Enter and the left Shift (XK_Return, XK_Shift_L)."""
STEP_TIMEOUT = 30.0
"""Seconds a step may take on a slow machine (software OpenGL) before it counts as failed."""
PARTS = ("search", "checklist", "queue", "dossier", "help", "home")
TELEX = {"vi": ("giaasy khai sinh", "giấy khai sinh"), "en": ("birth certificate", "birth certificate")}
"""What the walk types in the search box, and what the box then holds: Telex in Vietnamese only."""


class Walk:
    """The app as the walk drives and watches it."""

    def __init__(self, app, shots: Path, said: dict[str, str], language: str, larger_text: bool):
        from kivy.core.window import Window

        self.app, self.shots, self.window = app, shots, Window
        self.codes = said["Sample dossier codes"].rstrip(", .").split(", ")
        self.said, self.language, self.larger_text = said, language, larger_text
        self.screens = app.root.ids.screens
        self.log = (shots / "walk.txt").open("w", encoding="utf-8")
        self.shots_taken = 0
        self.started = time.monotonic()
        self.display = None
        self.pointer_at = (1, 1)

    def step(self, text: str) -> None:
        print(f"{time.monotonic() - self.started:5.1f}s {text}", file=self.log, flush=True)

    def t(self, message: str) -> str:
        """A message of the app's (English) as the screen shows it now."""
        return self.app.t(message)

    # -- real X events ------------------------------------------------------------------

    async def xdotool(self, *args: str) -> None:
        process = await asyncio.create_subprocess_exec("xdotool", *args)
        if await process.wait():
            raise AssertionError(f"xdotool {' '.join(args)} failed")

    def on_x(self, widget, x_share: float = 0.5, y_share: float = 0.5) -> tuple[int, int]:
        """Where a point of `widget` is on the X screen: Kivy counts up from the bottom, X down
        from the top; the window sits at the screen's top left (no window manager)."""
        x, y = widget.to_window(widget.x + widget.width * x_share, widget.y + widget.height * y_share)
        return round(x), round(self.window.height - y)

    def out_of_view(self, widget):
        """The scrolled view that hides `widget`'s middle, and how far (dots, up) a finger must
        move on it to bring it to that view's middle; None when it is in view."""
        from kivy.uix.scrollview import ScrollView

        _x, y = widget.to_window(*widget.center)
        parent = widget.parent
        while parent is not None and parent is not parent.parent:
            if isinstance(parent, ScrollView):
                _px, bottom = parent.to_window(parent.x, parent.y)
                if not bottom + 4 <= y <= bottom + parent.height - 4:
                    return parent, round(bottom + parent.height / 2 - y)
            parent = parent.parent
        return None

    def pointer(self, x: int, y: int, button: bool | None = None, key: int | None = None,
                shift: bool = False) -> None:
        """The X pointer moved to (x, y), then its first button pressed (True) or released
        (False), or a key (`key`, with Shift if `shift`) pressed and released, through the X server's XTest extension as xdotool does it, from this process: a
        new xdotool process for each click costs a fifth of a second in a busy app."""
        if self.display is None:
            self.x11, self.xtest = ctypes.CDLL("libX11.so.6"), ctypes.CDLL("libXtst.so.6")
            self.x11.XOpenDisplay.restype = ctypes.c_void_p
            self.x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
            self.x11.XFlush.argtypes = [ctypes.c_void_p]
            self.xtest.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_ulong]
            self.xtest.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
            self.xtest.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
            self.x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
            self.display = self.x11.XOpenDisplay(None)
            if not self.display:
                raise AssertionError("cannot open the X display")
        self.xtest.XTestFakeMotionEvent(self.display, -1, x, y, 0)
        self.pointer_at = (x, y)
        if button is not None:
            self.xtest.XTestFakeButtonEvent(self.display, 1, int(button), 0)
        if key is not None:  # a key's keysym (Latin-1's are its letter's code), pressed and released
            code, held = self.x11.XKeysymToKeycode(self.display, key), self.x11.XKeysymToKeycode(self.display, SHIFT)
            if shift:
                self.xtest.XTestFakeKeyEvent(self.display, held, 1, 0)
            self.xtest.XTestFakeKeyEvent(self.display, code, 1, 0)
            self.xtest.XTestFakeKeyEvent(self.display, code, 0, 0)
            if shift:
                self.xtest.XTestFakeKeyEvent(self.display, held, 0, 0)
        self.x11.XFlush(self.display)

    async def click(self, widget) -> None:
        """A finger on the middle of `widget`; scrolled into view first, as a person would."""
        for _try in range(4):
            hidden = self.out_of_view(widget)
            if hidden is None:
                break
            view, dots = hidden
            self.step(f"  scrolled {dots} dots to reach {type(widget).__name__} {getattr(widget, 'text', '')!r}")
            await self.drag(view, dots)
            await asyncio.sleep(0.8)  # the scroll's effect settles
        else:
            raise AssertionError(f"{type(widget).__name__} {getattr(widget, 'text', '')!r} cannot be scrolled into view")
        x, y = self.on_x(widget)
        if not (0 <= x < self.window.width and 0 <= y < self.window.height):
            raise AssertionError(f"{type(widget).__name__} {getattr(widget, 'text', '')!r} is off the window at {x},{y}")
        self.pointer(x, y, True)
        await asyncio.sleep(0.02)
        self.pointer(x, y, False)

    async def drag(self, widget, dots: int) -> None:
        """A finger down on the middle of `widget`, moved `dots` up (down when negative), and lifted."""
        x, y = self.on_x(widget)
        # A third of the way at once, in the same frame as the finger's landing: a ScrollView
        # that has seen no move within its scroll_timeout (55 ms) hands the touch to the button
        # under it instead of scrolling, and a frame of a busy app without a GPU takes longer.
        self.pointer(x, y, True)
        self.pointer(x, y - dots // 3)
        for step in range(4, 11):
            await asyncio.sleep(0.015)
            self.pointer(x, y - dots * step // 10)
        await asyncio.sleep(0.05)
        self.pointer(x, y - dots, False)

    async def type(self, text: str, delay_ms: int) -> None:
        await self.xdotool("type", "--delay", str(delay_ms), text)

    async def scan(self, code: str, typed_before: str = "") -> None:
        """A keyboard-wedge scanner reading `code`: the whole code and its Enter, a few
        milliseconds a key, in one burst (an Enter sent apart, 0.1-0.2 s later by a second
        xdotool, would read as a person pressing it after typing): every key sent from here,
        through XTest, at once, as a scanner's USB reports come. `typed_before`: a person's
        keys pressed just before, so close that the app gets them in the burst's frame."""
        for char in typed_before + code:
            self.pointer(*self.pointer_at, key=ord(char.lower()), shift=char.isupper())
        self.pointer(*self.pointer_at, key=RETURN)
        await asyncio.sleep(0)

    # -- watching the app ----------------------------------------------------------------

    async def until(self, condition, what: str, settle: float = 0.15, within: float = STEP_TIMEOUT) -> None:
        deadline = time.monotonic() + within
        while not condition():
            if time.monotonic() > deadline:
                state = getattr(self.screens.current_screen, "state", None)
                raise AssertionError(f"timed out waiting for: {what} (screen {self.screens.current}"
                                     + (f", state {state})" if isinstance(state, str) else ")"))
            await asyncio.sleep(0.02)
        await asyncio.sleep(settle)  # the layout and the frame after it

    async def arrive(self, name: str, within: float = STEP_TIMEOUT) -> None:
        await self.until(lambda: self.screens.current == name and not self.screens.transition.is_active,
                         f"the {name} screen", within=within)

    async def shot(self, name: str) -> None:
        """What the window shows now, as a PNG numbered in the order taken."""
        await asyncio.sleep(0.15)  # the layout's last triggers and a frame
        self.shots_taken += 1
        from kivy.graphics.opengl import GL_PACK_ALIGNMENT, GL_RGB, GL_UNSIGNED_BYTE, glPixelStorei, glReadPixels
        from PIL import Image

        # Rows packed tight, and read here: Kivy's own Window.screenshot reads them with GL's
        # default of rows padded to four bytes, and a 1366-dot-wide window came out sheared.
        width, height = self.window.size
        glPixelStorei(GL_PACK_ALIGNMENT, 1)
        pixels = glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE)
        picture = Image.frombytes("RGB", (width, height), pixels).transpose(Image.Transpose.FLIP_TOP_BOTTOM)
        picture.save(self.shots / f"{self.shots_taken:02d}-{name}.png", compress_level=1)
        self.step(f"  saw {self.shots_taken:02d}-{name}")

    def find(self, kind: str, root=None, **attributes):
        for widget in (root or self.app.root).walk():
            if type(widget).__name__ == kind and all(getattr(widget, k, None) == v for k, v in attributes.items()):
                return widget
        raise AssertionError(f"no {kind} with {attributes} on the {self.screens.current} screen")

    def button(self, message: str, root=None, translated: bool = True):
        """The button showing `message` (English, shown translated unless not `translated`) on
        the screen shown, in the bottom bar, or in `root` (a pop-up)."""
        text = self.t(message) if translated else message
        for widget in (root or self.app.root).walk():
            if getattr(widget, "text", None) == text and hasattr(widget, "on_release") and widget.opacity > 0:
                return widget
        raise AssertionError(f"no button {text!r} on the {self.screens.current} screen")

    def nav(self, name: str):
        """A button of the bottom bar, by its id: back, home, help."""
        return self.app.root.ids.nav.ids[name] if name in self.app.root.ids.nav.ids else self.app.root.ids[name]

    def popup(self, kind: str):
        views = [v for v in self.window.children if type(v).__name__ == kind]
        return views[0] if views else None

    def words(self, root) -> str:
        return "\n".join(str(getattr(w, "text", "")) for w in root.walk())

    # -- a visit ---------------------------------------------------------------------------

    async def start_visit(self, shot: str | None = None) -> None:
        """From the attract screen: a touch, then the language and the text size this walk is
        about, chosen with the bottom bar (a new visit starts with the kiosk's own)."""
        await self.arrive("attract")
        if shot:
            await self.shot(shot)
        for _try in range(5):  # the first touch may come before the window is on the X screen
            await self.click(self.screens.current_screen)
            try:
                await self.arrive("home", within=4)
                break
            except AssertionError:
                self.step("  touched the welcome screen again")
        else:
            raise AssertionError("the welcome screen does not answer a touch")
        if self.app.language != self.language:
            await self.click(self.button("English" if self.language == "en" else "Tiếng Việt", translated=False))
            await self.until(lambda: self.app.language == self.language, f"the screen in {self.language}")
        if self.app.large_text != self.larger_text:
            await self.click(self.button("Larger text" if self.larger_text else "Normal text"))
            await self.until(lambda: self.app.large_text == self.larger_text, "the text size chosen")

    async def rate(self, name: str) -> None:
        """On the rating screen: a face, a reason, sent, thanks, finished."""
        await self.arrive("rating")
        rating = self.screens.current_screen
        await self.click(self.find("Face", level="satisfied"))
        await self.until(lambda: rating.level == "satisfied", "the face chosen")
        reason = next(w for w in rating.ids.reasons.children if w.opacity > 0)
        await self.click(reason)
        await self.until(lambda: reason.reason in rating.reasons, "the reason chosen")
        await self.shot(f"{name}-rating-chosen")
        await self.click(rating.ids.send)
        await self.until(lambda: rating.state == "thanks", "the thanks")
        await self.shot(f"{name}-rating-thanks")
        await self.click(rating.ids.send)  # "Finish" now
        await self.arrive("attract")

    async def answer_home_question(self, yes: bool, name: str) -> None:
        await self.click(self.nav("home"))
        await self.until(lambda: self.popup("Confirm") is not None, "the question")
        await self.shot(name)
        question = self.popup("Confirm")
        await self.click(question.ids.yes if yes else question.ids.no)
        await self.until(lambda: self.popup("Confirm") is None, "the question answered")

    async def keypad(self, typed: str) -> None:
        """`typed` clicked key by key on the dossier screen's keypad, at a brisk person's pace
        (the screen's state is checked once the keys are in, not after each)."""
        dossier = self.screens.current_screen
        wanted = dossier.typed + typed
        for key in typed:
            pad = dossier._panel.ids.keypad
            if not any(k.key == key for k in pad.children):
                await self.click(self.find("DossierKey", root=pad, key="ABC" if dossier.page == "digits" else "123"))
                await self.until(lambda: any(k.key == key for k in dossier._panel.ids.keypad.children), f"the key {key}")
                pad = dossier._panel.ids.keypad
            await self.click(self.find("DossierKey", root=pad, key=key))
            await asyncio.sleep(0.15)
        try:
            await self.until(lambda: dossier.typed == wanted, f"{wanted!r} typed on the keypad", within=10)
        except AssertionError as error:
            raise AssertionError(f"{error}; it shows {dossier.typed!r}") from None


async def admin_lists_call(said: dict[str, str]) -> bool:
    """The centre's staff page (/admin) lists a call for help from the demo kiosk: logged in
    as staff do, with the demo's printed account."""
    import aiohttp

    match = re.match(r"(\S+)/admin \(user (\S+), password (\S+)\)", said["Admin pages"])
    url, user, password = match.groups()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.get(f"{url}/admin/login") as answer:
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', await answer.text()).group(1)
        async with session.post(f"{url}/admin/login", data={"csrf_token": csrf, "username": user, "password": password}):
            pass
        async with session.get(f"{url}/admin/terminals") as answer:
            page = await answer.text()
    return 'id="help-' in page


async def walk(app, shots: Path, said: dict[str, str], language: str, larger_text: bool, parts: list[str],
               short: bool) -> None:
    w = Walk(app, shots, said, language, larger_text)
    try:
        w.step(f"a {w.window.width}x{w.window.height} window, {language}, larger text {'on' if larger_text else 'off'}: "
               + ", ".join(parts) + (" (short)" if short else ""))
        await w.start_visit("attract")
        await w.shot("home")

        if "search" in parts:
            w.step("procedures: the search box, typed on a physical keyboard at a person's pace"
                   + (" in Telex" if language == "vi" else ""))
            await w.click(w.find("HomeTile", screen="catalogue"))
            await w.arrive("catalogue")
            await w.click(w.screens.current_screen.ids.search)
            await w.arrive("search")
            search = w.screens.current_screen
            keys, expected = TELEX[language]
            await w.type(keys, 60)
            await w.until(lambda: search.ids.query.text == expected, f"{expected!r} in the search box")
            await w.until(lambda: len(search.ids.results.data) > 3, "results")
            await w.shot("search")
            w.step("scrolling the results folds the keys away")
            swipes = 0
            while True:  # swiped again, as a person would, when the list did not follow the finger
                await w.drag(search.ids.results, 120)
                swipes += 1
                try:
                    await w.until(lambda: not search.keyboard_open or w.screens.current != "search",
                                  "the keys folded after three swipes", within=5)
                except AssertionError:
                    if swipes >= 3:
                        raise
                if w.screens.current == "procedure":
                    # A frame slower than the list's scroll_timeout (55 ms, on a busy machine) took
                    # the swipe for a tap on a result: as a person would, back to the list, and again.
                    w.step("  the swipe opened a procedure (a slow frame took it for a tap): Back")
                    await w.click(w.nav("back"))
                    await w.arrive("search")
                    search = w.screens.current_screen
                elif not search.keyboard_open:
                    break
                else:
                    w.step("  the keys did not fold: swiped again")
                assert swipes < 5, "the list never followed the finger"
            await w.shot("search-keys-folded")
            await w.click(search.ids.fold_keys)
            await w.until(lambda: search.keyboard_open, "the keys back")

            w.step("a last letter typed into the search box and, at once, a receipt scanned by the "
                   "keyboard-wedge scanner: the letter stays in the box, the dossier opens")
            typed = search.ids.query.text
            await w.scan(w.codes[0], typed_before="c")  # c: no Telex mark, the box shows it as typed
            await w.arrive("dossier")
            dossier = w.screens.current_screen
            assert search.ids.query.text == typed + "c", f"the search box holds {search.ids.query.text!r}"
            await w.until(lambda: dossier.state == "card" and w.codes[0] in w.words(dossier),
                          f"the dossier {w.codes[0]} on screen")
            await w.shot("dossier-after-search")
            if short:
                w.step("its status slip printed, Back, Home: asked (a search was typed), yes")
                await w.click(dossier._panel.ids.print)
                await w.until(lambda: dossier.print_message == "Printed. Please take your slip.", "the slip printed")
                await w.shot("dossier-printed")
                await w.click(w.nav("back"))
                await w.until(lambda: dossier.state == "ask" and dossier.typed == "", "the question again")
                await w.answer_home_question(True, "dossier-home-question")  # the search typed is forgotten
                await w.arrive("home")
            else:
                await w.click(w.button("Finish"))
                await w.start_visit()
                w.step("the service rated from the home screen: a face, a reason, sent")
                await w.click(w.find("HomeTile", screen="rating"))
                await w.rate("home")
                await w.start_visit()

        if "checklist" in parts:
            w.step("a life event's tile, a procedure it found, its list of documents printed, then a rating")
            tile = next(t for t in w.screens.current_screen.ids.events.children[::-1] if t.query)
            await w.click(tile)
            await w.arrive("search")
            search = w.screens.current_screen
            await w.until(lambda: search.ids.query.text == tile.query and not search.loading
                          and len(search.ids.results.data) > 0, f"results for {tile.query!r}")
            await w.shot("life-event-results")
            await w.until(lambda: any(type(b).__name__ == "ResultButton" and b.code for b in search.ids.results.walk()),
                          "a result drawn")
            top = max((b for b in search.ids.results.walk() if type(b).__name__ == "ResultButton" and b.code
                       and w.out_of_view(b) is None), key=lambda b: b.to_window(*b.center)[1])
            await w.click(top)
            await w.arrive("procedure")
            procedure = w.screens.current_screen
            await w.until(lambda: procedure.procedure is not None and procedure.procedure.code == top.code,
                          f"the procedure {top.code}")
            await w.shot("procedure")
            await w.click(procedure.ids.print)
            await w.until(lambda: procedure.printed, "the list printed")
            await w.shot("procedure-printed")
            await w.click(procedure.ids.rate)
            await w.rate("procedure")
            await w.start_visit()

        if "queue" in parts:
            w.step("a queue number: a service, the priority question, a number printed; Home asks, then home")
            await w.click(w.find("HomeTile", screen="queue"))
            await w.arrive("queue")
            queue = w.screens.current_screen
            await w.until(lambda: queue.state == "services" and any(
                type(b).__name__ == "ServiceButton" for b in queue.walk()), "the services")
            await w.shot("queue-services")
            await w.click(next(b for b in queue.walk(restrict=True) if type(b).__name__ == "ServiceButton"))
            await w.until(lambda: queue.state == "priority", "the priority question")
            await w.shot("queue-priority")
            await w.click(w.button("No, none of these"))
            await w.until(lambda: queue.state == "done" and queue.ticket is not None, "a number")
            await w.until(lambda: queue.ticket.display in w.words(queue), "the number on screen")
            await w.shot("queue-number")
            await w.answer_home_question(True, "queue-home-question")
            await w.arrive("home")
            assert w.app.session_ticket_id == "", "the number is forgotten at home"

        if "dossier" in parts and not short:
            code = w.codes[1 % len(w.codes)]
            typed = re.sub(r"[.\-]", "", code)
            wrong = typed[:-4] + ("9999" if not typed.endswith("9999") else "9998")
            w.step(f"a dossier by the keypad, {wrong} clicked key by key (no dots, no dashes): not found, "
                   "the code shown; Try again keeps it")
            await w.click(w.find("HomeTile", screen="dossier"))
            await w.arrive("dossier")
            dossier = w.screens.current_screen
            await w.keypad(wrong)
            await w.shot("dossier-typed")
            await w.click(w.button("Look up"))
            await w.until(lambda: dossier.state == "failed", "not found")
            await w.until(lambda: dossier.sought and re.sub(r"[.\-]", "", dossier.sought) == wrong
                          and dossier.sought in w.words(dossier), "the code looked up on screen")
            await w.shot("dossier-not-found")
            await w.click(w.button("Try again"))
            await w.until(lambda: dossier.state == "ask" and dossier.typed == wrong, "the code kept to mend")
            await w.shot("dossier-try-again")

            w.step(f"mended to {typed} (four keys deleted, four typed), looked up, its slip printed, Back")
            for _key in range(4):
                await w.click(w.find("DossierKey", root=dossier._panel.ids.keypad, key="<"))
                await asyncio.sleep(0.15)
            await w.until(lambda: dossier.typed == typed[:-4], "four keys deleted")
            await w.keypad(typed[-4:])
            await w.click(w.button("Look up"))
            await w.until(lambda: dossier.state == "card" and code in w.words(dossier), f"the dossier {code}")
            await w.shot("dossier-card")
            await w.click(dossier._panel.ids.print)
            await w.until(lambda: dossier.print_message == "Printed. Please take your slip.", "the slip printed")
            await w.shot("dossier-printed")
            await w.click(w.nav("back"))
            await w.until(lambda: dossier.state == "ask" and dossier.typed == "", "the question again")

        if "dossier" in parts and short:
            w.step("the dossier screen's keypad (the slip was printed after the scan)")
            await w.click(w.find("HomeTile", screen="dossier"))
            await w.arrive("dossier")
            await w.keypad("123")
            await w.shot("dossier-typed")

        if "help" in parts and w.screens.current == "home":
            # On a large screen drawn without a GPU a frame takes long: a scanner's keys queue up
            # behind it, and must still read as one scan (WedgeDecoder: keys in consecutive frames are not apart).
            w.step("the dossier tile, then a receipt scanned on the dossier screen itself")
            await w.click(w.find("HomeTile", screen="dossier"))
            await w.arrive("dossier")
            dossier = w.screens.current_screen
            await w.scan(w.codes[0])
            await w.until(lambda: dossier.state == "card" and w.codes[0] in w.words(dossier),
                          f"the dossier {w.codes[0]} scanned on the dossier screen")
            await w.shot("dossier-scanned-there")

        if "help" in parts:
            w.step(f"staff called from the {w.screens.current} screen: told, then closed")
            here = w.screens.current
            await w.click(w.nav("help"))
            await w.until(lambda: w.popup("HelpView") is not None, "the help pop-up")
            helping = w.popup("HelpView")
            await w.until(lambda: helping.outcome in ("sent", "repeated", "not_sent"), "the call's outcome")
            assert helping.outcome in ("sent", "repeated"), f"the staff were not told: {helping.outcome}"
            assert w.t(helping.message) in w.words(helping), "what the citizen reads about the call"
            await w.shot("help")
            assert await admin_lists_call(w.said), "the call is not on the centre's /admin page"
            await w.click(w.button("Close", root=helping))
            await w.until(lambda: w.popup("HelpView") is None, "the pop-up closed")
            assert w.screens.current == here, "still where the citizen was"

        if "home" in parts:
            w.step("Home with a code typed: asked; 'no' keeps it; then larger text, home: the text size stays")
            if w.screens.current != "dossier":
                await w.click(w.nav("home"))  # nothing typed yet: straight home
                await w.arrive("home")
                await w.click(w.find("HomeTile", screen="dossier"))
                await w.arrive("dossier")
            dossier = w.screens.current_screen
            if not dossier.typed:
                await w.keypad("123")
            kept = dossier.typed
            await w.answer_home_question(False, "home-question")
            assert w.screens.current == "dossier" and dossier.typed == kept, "'no' keeps what was typed"
            await w.click(w.button("Normal text" if w.app.large_text else "Larger text"))
            await w.until(lambda: w.app.large_text != w.larger_text, "the other text size")
            chosen = w.app.large_text
            await w.shot("dossier-other-text-size")
            await w.answer_home_question(True, "home-question-other-text-size")
            await w.arrive("home")
            assert w.app.large_text == chosen and w.app.language == language, "the text size and language stay"
            await w.shot("home-again")
        w.step("walk done")
    except BaseException:
        w.step("FAILED:\n" + traceback.format_exc())
        await w.shot("FAILED")  # what the citizen would have seen
        raise
    finally:
        w.log.close()
        app.stop()


def screen_size() -> tuple[int, int]:
    """The X screen's size, which the window takes whole."""
    width, height = subprocess.run(["xdotool", "getdisplaygeometry"], check=True, capture_output=True,
                                   text=True).stdout.split()
    return int(width), int(height)


def main(argv: list[str]) -> int:
    """`kiosk demo --windowed --port 0`, with the walk started once the app is."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shots", type=Path)
    parser.add_argument("--english", action="store_true", help="choose English on the home screen")
    parser.add_argument("--larger-text", action="store_true", help="choose larger text on the home screen")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"what to walk, of {','.join(PARTS)}")
    parser.add_argument("--short", action="store_true",
                        help="each part shortened: no rating from the home screen, the dossier scanned printed, "
                             "three keys of the keypad instead of a code")
    args = parser.parse_args(argv)
    parts = args.parts.split(",")
    assert set(parts) <= set(PARTS), parts
    import kiosk.cli as cli
    import kiosk.kivy_setup as kivy_setup

    shots: Path = args.shots
    shots.mkdir(parents=True, exist_ok=True)
    said: dict[str, str] = {}
    original_print, original_prepare = cli._print, kivy_setup.prepare_kivy
    width, height = screen_size()

    def keep_print(line: str) -> None:
        name, _, value = line.partition(": ")
        said[name] = value
        original_print(line)

    def prepare_then_join(windowed, home):
        original_prepare(windowed, home)
        from kivy.config import Config

        # `--windowed` makes a 1280x720 window: here, the X screen's size, at its top left,
        # as a kiosk's full screen would be.
        Config.set("graphics", "width", str(width))
        Config.set("graphics", "height", str(height))
        Config.set("graphics", "position", "custom")
        Config.set("graphics", "left", "0")
        Config.set("graphics", "top", "0")
        from kiosk.app import KioskApp  # only now: Kivy is set up

        started = KioskApp.on_start

        def on_start(app):
            started(app)
            app.spawn(walk(app, shots, said, "en" if args.english else "vi", args.larger_text, parts,
                           args.short), session=False)

        KioskApp.on_start = on_start

    cli._print, kivy_setup.prepare_kivy = keep_print, prepare_then_join
    status = cli.main(["demo", "--windowed", "--port", "0"])
    walked = (shots / "walk.txt").read_text(encoding="utf-8") if (shots / "walk.txt").exists() else ""
    if "walk done" not in walked:
        print(walked or "the walk never started", file=sys.stderr)
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
