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

from kiosk.domain.scan import parse_scan  # noqa: E402
from kiosk.hardware.scanners import Scan  # noqa: E402
from kiosk.hardware.wedge_kivy import WedgeCapture  # noqa: E402

CODE = "000.00.53.H48-220921-0099"
CARD = "052190001234|215512345|Nguyễn Thị Hồng Nhung|12031990|Nữ|Thôn Vạn Hội 2, Hoài Ân, Bình Định|15082021"
SCANNER, PERSON = 0.004, 0.15  # seconds between keys


def is_code(text):
    """As the app's: a code it would act on (a receipt, a card)."""
    return parse_scan(text).kind in ("dossier", "identity")


class Keyboard:
    """Presses keys on the window the way SDL2 reports them, on a clock and in UI frames the
    test moves: the window's real frames (the first one takes a second) are not the ones its
    keys came in. A key `every` seconds after the one before comes that many frames later
    (`frame_length` each), and at least one."""

    def __init__(self):
        self.now = 1000.0
        self.frames = 0
        self.frame_length = 0.016

    def clock(self):
        return self.now

    def frame(self):
        return self.frames

    def wait(self, seconds):
        self.now += seconds
        self.frames += max(1, int(seconds / self.frame_length))

    def press(self, char, every):
        self.wait(every)
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
        self.wait(every)
        Window.dispatch("on_key_down", 13, 40, None, [])
        Window.dispatch("on_key_up", 13, 40)

    def backspace(self, every):
        self.wait(every)
        Window.dispatch("on_key_down", 8, 42, "\x08", [])


@pytest.fixture
def keyboard():
    return Keyboard()


@pytest.fixture
def capture_and_scans(keyboard):
    found = []
    # A screen with a text field, as the search: bursts that hold no code are typing.
    capture = WedgeCapture(found.append, clock=keyboard.clock, frame=keyboard.frame, is_code=is_code,
                           takes_anything=lambda: False)
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
    keyboard.wait(1)
    capture.release_due()
    assert field.text == "Ng"

    keyboard.type(CODE, SCANNER)
    keyboard.enter(SCANNER)
    assert scans == [Scan(CODE, "wedge")]
    assert field.text == "Ng"
    assert field.focus, "the scanner's Enter did not reach the field"
    assert field.validated == []

    keyboard.type("uy", PERSON)
    keyboard.wait(1)
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
        keyboard.wait(1)
        capture.release_due()
    finally:
        Window.unbind(on_textinput=listener)
    assert scans == [Scan(CODE, "wedge")]
    assert typed == ["a", "b"]


def test_held_keys_are_released_by_the_kivy_clock(keyboard, capture_and_scans, field):
    capture, scans = capture_and_scans
    keyboard.type("x", PERSON)
    assert field.text == ""  # held: a burst might start with it
    keyboard.wait(1)
    # The capture scheduled its own release; run the clock until it has fired.
    for _ in range(200):
        Clock.tick()
        if field.text:
            break
    assert field.text == "x"


def test_a_scan_split_by_a_slow_frame_is_still_a_scan(keyboard, capture_and_scans, field):
    """A large screen drawn without a GPU takes 120 ms for a frame, or 400 ms when a search's
    results are drawn: the scanner's keys that came in meanwhile are handed over together after
    it, that long after the ones before. Still a scan; and a person's keys, 150 ms apart on a
    quick UI, still a person's."""
    capture, scans = capture_and_scans
    for slow in (0.12, 0.4):
        keyboard.frame_length = slow
        keyboard.type(CODE[:9], SCANNER)
        keyboard.press(CODE[9], slow)  # handed over after the slow frame, in the next one
        keyboard.type(CODE[10:], SCANNER)
        keyboard.enter(SCANNER)
    assert scans == [Scan(CODE, "wedge")] * 2
    assert field.text == ""
    keyboard.frame_length = 0.016
    keyboard.type("abcd", PERSON)
    keyboard.enter(PERSON)
    assert scans == [Scan(CODE, "wedge")] * 2
    assert field.validated == ["abcd"]


def test_a_key_typed_just_before_a_scan_stays_the_person_s(keyboard, capture_and_scans, field):
    """The last letter of a search typed, then a receipt scanned at once: behind a slow frame the
    letter and the scanner's first keys come in consecutive frames, 53 ms apart, and join one
    burst. The letter goes into the field; the code is the scan."""
    capture, scans = capture_and_scans
    keyboard.type("khai sin", PERSON)
    keyboard.frame_length = 0.07
    keyboard.press("h", PERSON)
    keyboard.press(CODE[0], 0.053)
    keyboard.type(CODE[1:], SCANNER)
    keyboard.enter(SCANNER)
    assert scans == [Scan(CODE, "wedge")]
    assert field.text == "khai sinh"
    assert field.validated == []


def test_a_person_s_keys_through_a_stall_are_typing_with_their_enter(keyboard, capture_and_scans, field):
    """A stall of seconds: a person's keys and Enter, 450 ms apart, are handed over in
    consecutive frames like a burst. They hold no code: typed into the field, and Enter is theirs."""
    capture, scans = capture_and_scans
    keyboard.frame_length = 2.0
    keyboard.type("Nguy", PERSON * 3)
    keyboard.enter(PERSON * 3)
    assert scans == []
    assert field.validated == ["Nguy"]


def test_a_screen_that_reads_every_scan_gets_one_it_cannot_read(keyboard):
    """The dossier screen tells the citizen that a scan is no receipt: it gets that scan."""
    found = []
    capture = WedgeCapture(found.append, clock=keyboard.clock, frame=keyboard.frame, is_code=is_code,
                           takes_anything=lambda: True)
    capture.start()
    try:
        keyboard.type("8935049501503", SCANNER)  # a product's barcode
        keyboard.enter(SCANNER)
    finally:
        capture.stop()
    assert found == [Scan("8935049501503", "wedge")]


def test_stopped_capture_lets_everything_through(keyboard, field):
    found = []
    capture = WedgeCapture(found.append, clock=keyboard.clock, frame=keyboard.frame)
    capture.start()  # holds the window's keyboard, for fields to borrow: the field lets go of its own
    capture.stop()
    field.focus = True
    Clock.tick()
    keyboard.type(CODE, SCANNER)
    assert field.text == CODE
    assert found == []
