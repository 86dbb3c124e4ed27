"""Kivy's settings, which it reads when first imported: call `prepare_kivy` before anything
imports Kivy (the app module does)."""

from __future__ import annotations

import logging
import os
from pathlib import Path


def prepare_kivy(windowed: bool, home: Path) -> None:
    """No command line of Kivy's own; its logs go through Python's logging and never to a
    file (they could hold what a citizen typed); Escape does not close the app; a mouse
    does not emulate multitouch; full screen without a cursor unless `windowed`."""
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    os.environ.setdefault("KIVY_HOME", str(home))
    logging.getLogger("kivy").setLevel(logging.WARNING)  # its start-up chatter is not news
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "log_enable", "0")
    logging.getLogger("kivy").setLevel(logging.WARNING)  # again: importing Kivy set its own level
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("graphics", "fullscreen", "0" if windowed else "auto")
    Config.set("graphics", "show_cursor", "1" if windowed else "0")
    if windowed:
        Config.set("graphics", "width", "1280")
        Config.set("graphics", "height", "720")


def drop_text_surfaces() -> None:
    """Kivy 2.3's SDL2 text provider keeps every label's last drawing surface (width x height x
    4 bytes) after the label's texture was made from it: a second copy of all the text on the
    kiosk's screens, 47 MB at the peak of a citizen's journey (measured with heaptrack). Each
    label drops its surface once the texture's pixels are taken; the next drawing makes a new
    one, as it always did. Any other text provider is left as it is."""
    from kivy.core.text import Label as CoreLabel

    if CoreLabel.__name__ != "LabelSDL2" or getattr(CoreLabel, "_drops_surface", False):
        return
    keeping = CoreLabel._render_end

    def render_end(self):
        data = keeping(self)
        del self._surface
        return data

    CoreLabel._render_end = render_end
    CoreLabel._drops_surface = True
