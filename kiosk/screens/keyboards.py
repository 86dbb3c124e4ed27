"""On-screen keyboards: Kivy's VKeyboard with layouts of ours (kiosk/assets/keyboards), held still
in a screen's layout. The citizens' Vietnamese one for the search, and the staff's one
(digits, letters, capitals, what addresses and codes need) for staff mode and set-up."""

from __future__ import annotations

import json

from kivy.clock import Clock
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.vkeyboard import VKeyboard

from .. import ASSETS
from .base import load_kv

KEYBOARDS = ASSETS / "keyboards"
WORD_KEYS = ("backspace", "spacebar", "clear")
"""Keys labelled with a word (Delete, Space, Clear all): translated with the language."""


class FixedKeyboard(VKeyboard):
    """Kivy's on-screen keyboard with the layout `layout_file` names, held still in the
    screen's layout: it cannot be dragged, turned or scaled, it follows its size, and a
    long press types once."""

    layout_file = StringProperty("")
    """A layout's name in kiosk/assets/keyboards, without ".json"."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.do_translation = self.do_rotation = self.do_scale = False
        redraw = Clock.create_trigger(lambda _dt: self.refresh(True))
        self.fbind("size", redraw)
        self.fbind("font_size", redraw)  # larger text

    def setup_mode_free(self) -> None:
        pass  # Kivy's free mode lets a touch move and turn the keyboard

    def _start_repeat_key(self, *_args) -> None:
        pass  # an elderly finger rests on a key: one letter, not a row of them

    def use_words(self, t) -> None:
        """The layout, its word keys in the language `t` translates to; read and laid out
        once per language, not at every visit of the screen."""
        name = f"{self.layout_file}-{t('Space')}"
        if name not in self.available_layouts:
            keys = json.loads((KEYBOARDS / f"{self.layout_file}.json").read_text(encoding="utf-8"))
            for row_name, row in keys.items():
                if row_name.startswith(("normal_", "shift_")):
                    keys[row_name] = [[t(key[0]) if key[2] in WORD_KEYS else key[0], *key[1:]] for key in row]
            self.available_layouts[name] = keys
        self.layout = name  # Kivy lays the keys out again only when the name changes


class VietKeyboard(FixedKeyboard):
    """The citizens' keyboard: the Vietnamese alphabet, ă â đ ê ô ơ ư and the tone keys."""

    def __init__(self, **kwargs):
        super().__init__(layout_file="vietnamese", **kwargs)


class StaffKeyboard(FixedKeyboard):
    """Types into the text field that last had the focus: staff set a kiosk up on its
    touchscreen alone, without a keyboard plugged in."""

    target = ObjectProperty(None, allownone=True)

    def __init__(self, **kwargs):
        super().__init__(layout_file="staff", **kwargs)

    def follow(self, field) -> None:
        """Type into `field` from when it gets the focus."""
        field.bind(focus=lambda widget, focused: focused and setattr(self, "target", widget))

    def on_key_up(self, keycode, text, _modifiers) -> None:
        field = self.target
        if field is None or field.disabled:
            return
        if keycode == "backspace":
            field.do_backspace()
        elif text:
            field.insert_text(text)


load_kv(__file__)
