"""The app's ScreenManager, which makes each screen the first time it is wanted.

A screen's module, its .kv file and its widgets cost tens of milliseconds each; made all at
once they kept the attract screen off the display for most of a second at every start. Now
the first frame has the attract screen alone, the others are made one a frame after it
(`make_one`), and a screen wanted before its turn (a citizen who touches at once) is made
there and then."""

from __future__ import annotations

import importlib

from kivy.uix.screenmanager import Screen, ScreenManager


class Screens(ScreenManager):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._unmade: dict[str, str] = {}
        """The screens not made yet: their name and their class, as "module.Class" in kiosk.screens."""

    def expect(self, name: str, kind: str) -> None:
        """A screen to be made when wanted: `kind` is "module.Class" in kiosk.screens."""
        self._unmade[name] = kind

    def get_screen(self, name: str) -> Screen:
        if name in self._unmade:
            self._make(name)
        return super().get_screen(name)

    def has_screen(self, name: str) -> bool:
        return name in self._unmade or super().has_screen(name)

    @property
    def unmade(self) -> list[str]:
        return list(self._unmade)

    def make_one(self) -> bool:
        """Make the next screen not made yet; False when all are made."""
        if not self._unmade:
            return False
        self._make(next(iter(self._unmade)))
        return True

    def _make(self, name: str) -> None:
        module, kind = self._unmade.pop(name).rsplit(".", 1)
        made = getattr(importlib.import_module(f"{__package__}.{module}"), kind)(name=name)
        self.add_widget(made)
