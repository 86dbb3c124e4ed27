"""Keyboard-wedge scanners in a Kivy window: key events in, scans out.

The only module of kiosk.hardware that imports Kivy. A wedge scanner is a keyboard,
so its keys reach whatever text field has focus; `WedgeCapture` sees each key before
the field does, holds it until WedgeDecoder knows whose it is, swallows a scanner's
burst and its Enter, and lets a person's keys through to the field a moment later.

Kivy calls the handlers bound last first, and stops at one that returns True: start
the capture after the window exists, and keep Kivy's own virtual keyboard off (it
re-binds the window's keyboard on each focus).

The window only hears typed text while its text input is on, and Kivy turns it off
when a text field that requested the window's keyboard lets it go: after a search, a
scan would never arrive. So the capture requests the keyboard once and keeps it
(`keyboard`), and the app's text fields borrow that one (FocusBehavior's `keyboard`
property) instead of requesting and releasing their own. Input methods (ibus, fcitx) must be off
too: Telex would turn a scanned "dd" into "đ".
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

from kivy.clock import Clock

from .scanners import ScanCallback, WedgeDecoder

log = logging.getLogger("kiosk.hardware")

ENTER_KEYS = (13, 271)  # Enter, keypad Enter
# Kivy's codes of keys that edit rather than type: backspace, tab, escape, delete, arrows,
# insert, home, end, page up and down. What a person typed before one must go first.
EDITING_KEYS = (8, 9, 27, 127, 273, 274, 275, 276, 277, 278, 279, 280, 281)


class WedgeCapture:
    """Delivers a wedge scanner's codes to `on_scan`, on the UI thread, keeping them out of text fields."""

    def __init__(self, on_scan: ScanCallback, window: Any = None, clock: Callable[[], float] = time.monotonic,
                 max_gap: float = 0.05, min_length: int = 4,
                 frame: Callable[[], int] = lambda: Clock.frames,
                 is_code: Callable[[str], bool] = lambda _text: True,
                 takes_anything: Callable[[], bool] = lambda: True) -> None:
        if window is None:
            from kivy.core.window import Window

            window = Window
        self.window = window
        self.clock = clock
        self.frame = frame
        """The UI's frame number: keys that came in while a frame drew wait for the next one, so
        a slow frame (a big screen drawn without a GPU) puts a gap into a scanner's burst."""
        self.decoder = WedgeDecoder(on_scan, self._let_through, max_gap=max_gap, min_length=min_length,
                                    is_code=is_code, takes_anything=takes_anything)
        self._passing = False
        self._release = Clock.create_trigger(self.release_due, max_gap * 1.5)
        self.keyboard: Any = None
        """The window's keyboard, held while the capture runs, for text fields to borrow."""

    def start(self) -> None:
        self.window.bind(on_key_down=self._on_key_down, on_textinput=self._on_textinput)
        self.keyboard = self.window.request_keyboard(self._keyboard_taken, None)

    def _keyboard_taken(self) -> None:
        """A text field that did not borrow the held keyboard requested one of its own: its
        letting go will turn the window's text input off, and scans with it. Every field of
        the app borrows (a test walks them); this says which rule was broken if one does not."""
        log.warning("a text field requested the window's keyboard instead of borrowing the scanner's")

    def stop(self) -> None:
        self.window.unbind(on_key_down=self._on_key_down, on_textinput=self._on_textinput)
        if self.keyboard is not None:
            self.keyboard.callback = None  # let go on purpose: no warning
            self.keyboard.release()
            self.keyboard = None
        self._release.cancel()
        self.decoder.flush()

    def release_due(self, *_: Any) -> None:
        """Let a person's held keys through once no scanner key followed them."""
        self.decoder.release_due(self.clock(), self.frame())
        if self.decoder.holding:
            self._release()

    def _on_textinput(self, window: Any, text: str) -> bool:
        if self._passing:
            return False
        self.decoder.key(text, self.clock(), self.frame())
        self._release()
        return True

    def _on_key_down(self, window: Any, key: int, scancode: int, codepoint: str | None, modifiers: list[str]) -> bool:
        if self._passing:
            return False
        if key in ENTER_KEYS:
            return self.decoder.enter(self.clock(), self.frame())
        if key in EDITING_KEYS or {"ctrl", "alt", "meta"} & set(modifiers):
            self.decoder.flush()
        # A printable key's text follows in on_textinput, where it is held; shift and
        # the other modifiers are part of a scanner's burst too.
        return False

    def _let_through(self, text: str) -> None:
        self._passing = True
        try:
            self.window.dispatch("on_textinput", text)
        finally:
            self._passing = False
