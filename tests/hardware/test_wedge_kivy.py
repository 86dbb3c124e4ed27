"""The wedge adapter in a real, headless Kivy window, with a focused TextInput."""

import atexit
import os
import shutil
import tempfile

# Before Kivy is imported: no display, no command line of its own, no files in ~/.kivy.
os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
if "KIVY_HOME" not in os.environ:
    os.environ["KIVY_HOME"] = tempfile.mkdtemp(prefix="kivy-home-")
    atexit.register(shutil.rmtree, os.environ["KIVY_HOME"], ignore_errors=True)

import pytest  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.uix.textinput import TextInput  # noqa: E402

from kiosk.hardware.scanners import Scan  # noqa: E402
from kiosk.hardware.wedge_kivy import WedgeCapture  # noqa: E402

CODE = "000.00.53.H48-220921-0099"
CARD = "052190001234|215512345|Nguyễn Thị Hồng Nhung|12031990|Nữ|Thôn Vạn Hội 2, Hoài Ân, Bình Định|15082021"
SCANNER, PERSON = 0.004, 0.15  # seconds between keys


def QUICK_FRAMES():
    """The test's clock is its own: the window's real frames (the first one takes a second) are
    not the ones its keys came in."""
    return 0.016


class Keyboard:
    """Presses keys on the window the way SDL2 reports them, on a clock the test moves."""

    def __init__(self):
        self.now = 1000.0

    def clock(self):
        return self.now

    def press(self, char, every):
        self.now += every
        key = ord(char.lower()) if char.isascii() else 0
        shifted = char.isupper() or char in "|_:"
        if shifted:
            Window.dispatch("on_key_down", 304, 225, None, ["shift"])
        Window.dispatch("on_key_down", key, 4, char, ["shift"] if shifted else [])
        Window.dispatch("on_textinput", char)
        Window.dispatch("on_key_up", key, 4)
        if shifted:
            Window.dispatch("on_key_up", 304, 225)

    def type(self, text, every):
        for char in text:
            self.press(char, every)

    def enter(self, every):
        self.now += every
        Window.dispatch("on_key_down", 13, 40, None, [])
        Window.dispatch("on_key_up", 13, 40)

    def backspace(self, every):
        self.now += every
        Window.dispatch("on_key_down", 8, 42, "\x08", [])


@pytest.fixture
def keyboard():
    return Keyboard()


@pytest.fixture
def capture_and_scans(keyboard):
    found = []
    capture = WedgeCapture(found.append, clock=keyboard.clock, frame_time=QUICK_FRAMES)
    capture.start()
    yield capture, found
    capture.stop()


@pytest.fixture
def field():
    field = TextInput(multiline=False)
    validated = []
    field.bind(on_text_validate=lambda *_: validated.append(field.text))
    field.validated = validated
    Window.add_widget(field)
    field.focus = True
    Clock.tick()  # the field takes the keyboard on the next frame
    yield field
    field.focus = False
    Window.remove_widget(field)


def test_a_scan_while_a_field_has_focus_leaves_the_field_alone(keyboard, capture_and_scans, field):
    capture, scans = capture_and_scans
    keyboard.type("Ng", PERSON)
    keyboard.now += 1
    capture.release_due()
    assert field.text == "Ng"

    keyboard.type(CODE, SCANNER)
    keyboard.enter(SCANNER)
    assert scans == [Scan(CODE, "wedge")]
    assert field.text == "Ng"
    assert field.focus, "the scanner's Enter did not reach the field"
    assert field.validated == []

    keyboard.type("uy", PERSON)
    keyboard.now += 1
    capture.release_due()
    assert field.text == "Nguy"


def test_a_person_typing_into_a_field_gets_every_key_and_enter(keyboard, capture_and_scans, field):
    capture, scans = capture_and_scans
    keyboard.type("Hoài Ân", PERSON)
    keyboard.enter(PERSON)
    assert field.validated == ["Hoài Ân"]
    assert scans == []


def test_backspace_comes_after_the_keys_typed_before_it(keyboard, capture_and_scans, field):
    capture, scans = capture_and_scans
    keyboard.type("abc", PERSON)
    keyboard.backspace(PERSON)
    assert field.text == "ab"
    assert scans == []


def test_a_card_scanned_into_a_focused_field(keyboard, capture_and_scans, field):
    capture, scans = capture_and_scans
    keyboard.type(CARD, SCANNER)
    keyboard.enter(SCANNER)
    assert scans == [Scan(CARD, "wedge")]
    assert field.text == ""


def test_a_scan_with_no_field_focused(keyboard, capture_and_scans):
    capture, scans = capture_and_scans
    typed = []

    def listener(window, text):
        typed.append(text)

    # A listener bound before the capture, like a screen's shortcut handler.
    capture.stop()
    Window.bind(on_textinput=listener)
    capture.start()
    try:
        keyboard.type(CODE, SCANNER)
        keyboard.enter(SCANNER)
        keyboard.type("ab", PERSON)
        keyboard.now += 1
        capture.release_due()
    finally:
        Window.unbind(on_textinput=listener)
    assert scans == [Scan(CODE, "wedge")]
    assert typed == ["a", "b"]


def test_held_keys_are_released_by_the_kivy_clock(keyboard, capture_and_scans, field):
    capture, scans = capture_and_scans
    keyboard.type("x", PERSON)
    assert field.text == ""  # held: a burst might start with it
    keyboard.now += 1
    # The capture scheduled its own release; run the clock until it has fired.
    for _ in range(200):
        Clock.tick()
        if field.text:
            break
    assert field.text == "x"


def test_a_scan_split_by_a_slow_frame_is_still_a_scan(keyboard):
    """A large screen drawn without a GPU takes 120 ms for a frame: the scanner's keys that came
    in meanwhile are handed over together after it, 120 ms after the ones before. Still a scan;
    and a person's keys, 150 ms apart on a quick UI, still a person's."""
    found, frame = [], {"seconds": 0.12}
    capture = WedgeCapture(found.append, clock=keyboard.clock, frame_time=lambda: frame["seconds"])
    capture.start()
    try:
        keyboard.type(CODE[:9], SCANNER)
        keyboard.now += 0.12
        keyboard.type(CODE[9:], SCANNER)
        keyboard.enter(SCANNER)
        assert found == [Scan(CODE, "wedge")]
        frame["seconds"] = 0.016
        keyboard.type("abcd", PERSON)
        keyboard.enter(PERSON)
        assert found == [Scan(CODE, "wedge")]
        frame["seconds"] = 2.0  # a stall: no licence for a person's keys to pass as a scan
        keyboard.type("Nguy", PERSON * 3)
        keyboard.enter(PERSON * 3)
        assert found == [Scan(CODE, "wedge")]
    finally:
        capture.stop()


def test_stopped_capture_lets_everything_through(keyboard, field):
    found = []
    capture = WedgeCapture(found.append, clock=keyboard.clock, frame_time=QUICK_FRAMES)
    capture.start()  # holds the window's keyboard, for fields to borrow: the field lets go of its own
    capture.stop()
    field.focus = True
    Clock.tick()
    keyboard.type(CODE, SCANNER)
    assert field.text == CODE
    assert found == []
