"""What the app's journeys are driven with: touches, waits, lookups, and screenshots that
are checked not to be blank. Kivy runs one App at a time: app_kit.py starts one for each test module, the
journey modules drive it."""

import asyncio
import contextlib
import os
import tempfile
from pathlib import Path

import numpy
from kivy.core.window import Window
from kivy.graphics import Color, InstructionGroup, Rectangle
from kivy.tests.common import UnitTestTouch
from PIL import Image

from screens.english import untranslated

SHOTS = Path(os.environ.get("KIOSK_SCREENSHOTS") or tempfile.mkdtemp(prefix="kiosk-shots-"))
"""Where the screenshots go: $KIOSK_SCREENSHOTS, or a new temporary folder."""
LANGUAGES = ("vi", "en")
MIN_CONTENT = 0.03
"""Of the screen above the bottom bar, the share that must differ from the background."""


def tap(widget):
    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    touch.touch_up()


async def drag(widget, dy, steps=10):
    """A finger down on the middle of `widget`, moved `dy` dots up (negative: down) over a few
    frames, and lifted: a citizen scrolling a list."""
    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    for step in range(1, steps + 1):
        await asyncio.sleep(1 / 60)
        touch.touch_move(x, y + dy * step / steps)
    touch.touch_up()


async def go_home(app, answer="Có, về trang chủ"):
    """The bottom bar's Home, and `answer` to the question it asks when the citizen would lose
    something ("Không, quay lại" keeps everything; None: it must not ask)."""
    tap(find(app.root.ids.nav, "NavButton", text="Trang chủ"))
    await frames(2)
    questions = [view for view in Window.children if type(view).__name__ == "Confirm"]
    if answer is None:
        assert not questions, "Home asked, with nothing to lose"
        return
    [question] = questions
    tap(find(question, "KioskButton", text=answer))
    await frames(2)


def back(app):
    """The bottom bar's Back."""
    tap(find(app.root.ids.nav, "NavButton", text=app.t("Back")))


async def next_citizen(app):
    """The session has ended (the welcome screen is on its way): the next citizen touches the
    welcome screen and is on the home screen."""
    await arrive(app, "attract")
    tap(app.root.ids.screens.current_screen)
    await arrive(app, "home")


def find(root, kind, **attributes):
    for widget in root.walk():
        if type(widget).__name__ == kind and all(getattr(widget, k, None) == v for k, v in attributes.items()):
            return widget
    raise LookupError(f"no {kind} with {attributes}")


def rendered(label):
    """The words a label drew, markup applied: what a citizen reads on it."""
    label.texture_update()
    return "\n".join("".join(word.text for word in line.words) for line in label._label._cached_lines)


def result(search, index=0):
    """The button the search screen's RecycleView shows for its `index`th result (0: the best);
    None when that result is not on screen."""
    return search.ids.results.view_adapter.get_visible_view(index)


@contextlib.contextmanager
def no_idle_timeout(app):
    """The session kept however long goes without a touch: checks of a minute and more on a
    busy machine are not a citizen who walked away (the idle prompt has tests of its own)."""
    idle, app.services.idle_timeout = app.services.idle_timeout, 10**6
    try:
        yield
    finally:
        app.services.idle_timeout = idle


async def type_query(search, keys):
    """`keys` typed on the search screen one by one, as a citizen types them, until the first
    result shows."""
    for key in keys:
        search.type(key)
    await until(lambda: result(search) is not None)


def press_key(keyboard, label):
    """Touch the key of the on-screen keyboard that shows `label`."""
    layout = keyboard.available_layouts[keyboard.layout]
    for line in range(1, layout["rows"] + 1):
        for index, key in enumerate(layout[f"{keyboard.layout_mode}_{line}"]):
            if key[0] == label:
                (x, y), (width, height) = keyboard.layout_geometry[f"LINE_{line}"][index]
                # A VKeyboard is a Scatter: its keys are in its own coordinates, not its parent's.
                touch = UnitTestTouch(*keyboard.to_window(*keyboard.to_parent(x + width / 2, y + height / 2)))
                touch.touch_down()
                touch.touch_up()
                return
    raise LookupError(f"no key {label!r} on the keyboard")


async def frames(count=3):
    for _ in range(count):
        await asyncio.sleep(1 / 30)


async def until(condition, timeout=20):
    for _ in range(int(timeout * 30)):
        if condition():
            return
        await asyncio.sleep(1 / 30)
    raise AssertionError("timed out waiting")


async def arrive(app, name):
    """Wait until `name` is the screen shown and its transition has ended."""
    screens = app.root.ids.screens
    try:
        await until(lambda: screens.current == name and not screens.transition.is_active)
    except AssertionError:
        raise AssertionError(f"wanted {name}, at {screens.current}, transition active {screens.transition.is_active}")
    await frames()


async def shot(app, name, popups=False):
    """The app in each language, as `name-vi.png` and `name-en.png`; fails when the screen
    above the bottom bar is (almost) empty. With `popups`, the window as shown, pop-ups
    included (Window.screenshot); without, the app drawn off screen at its own size, which
    stays right after the window is resized (the headless window's buffer does not)."""
    spoken = app.language
    try:
        for language in LANGUAGES:
            app.language = language
            await frames(2)
            SHOTS.mkdir(parents=True, exist_ok=True)
            path = SHOTS / f"{name}-{language}.png"
            if popups:
                os.replace(Window.screenshot(str(SHOTS / "window.png")), path)
            else:
                export_on_background(app.root, path)
            share = content_share(path, app.root.ids.screens)
            assert share >= MIN_CONTENT, f"{path.name} is mostly empty: {share:.1%} of it differs from the background"
            if language == "en":
                words = untranslated(app)
                assert not words, f"{path.name} shows Vietnamese UI words: {words}"
    finally:
        app.language = spoken
        await frames(2)


def export_on_background(widget, path):
    """`widget` drawn off screen as the window shows it: on the window's clear colour, which is
    the frame's background (the app draws no rectangle of its own under its screens)."""
    under = InstructionGroup()
    under.add(Color(*Window.clearcolor))
    under.add(Rectangle(pos=widget.pos, size=widget.size))
    widget.canvas.before.insert(0, under)
    try:
        widget.export_to_png(str(path))
    finally:
        widget.canvas.before.remove(under)


def content_share(path, area):
    """The share of `area` (a widget) in the screenshot at `path` that is not background."""
    with Image.open(path) as image:
        left, bottom = area.to_window(area.x, area.y)
        box = (int(left), int(image.height - bottom - area.height), int(left + area.width), int(image.height - bottom))
        pixels = numpy.asarray(image.convert("RGB").crop(box).resize((192, 108)), dtype=int).reshape(-1, 3)
    colours, counts = numpy.unique(pixels, axis=0, return_counts=True)
    background = colours[counts.argmax()]
    return float((numpy.abs(pixels - background).max(axis=1) > 24).mean())
