"""Shown when nobody uses the kiosk: what it can do, and "touch to start"."""

from __future__ import annotations

from .base import KioskScreen, load_kv


class AttractScreen(KioskScreen):
    def on_touch_down(self, touch):
        # Any touch starts a session; the touch itself is not passed on to what is below.
        self.app.go("home")
        return True


load_kv(__file__)
