"""Shown when nobody uses the kiosk: what it can do, each with the pictogram its home tile has,
and "touch to start"."""

from __future__ import annotations

from kivy.factory import Factory

from . import JOURNEYS, pictograms
from .base import KioskScreen, load_kv


class AttractScreen(KioskScreen):
    def on_kv_post(self, _base) -> None:
        for _screen, words, name in JOURNEYS:
            shown = Factory.AttractJourney()  # kv properties: set once it is made
            shown.words, shown.glyph = words, pictograms.glyph(name)
            self.ids.journeys.add_widget(shown)

    def on_touch_down(self, touch):
        # Any touch starts a session; the touch itself is not passed on to what is below.
        self.app.go("home")
        return True


load_kv(__file__)
