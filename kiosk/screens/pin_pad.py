"""The staff PIN pad: the door to staff mode, opened by a hidden gesture (KioskApp._staff_door).
A pop-up, not a screen: it opens over whatever a citizen left on the screen."""

from __future__ import annotations

import asyncio

from kivy.app import App
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.modalview import ModalView

from .base import load_kv

MAX_DIGITS = 8


class PinPad(ModalView):
    entered = StringProperty("")
    message = StringProperty("")
    """What the last try said, in the words of StaffPin (English; staff read it)."""
    checking = BooleanProperty(False)

    def key(self, key: str) -> None:
        if key == "<":
            self.entered = self.entered[:-1]
        elif key.isdigit() and len(self.entered) < MAX_DIGITS:
            self.entered += key

    def enter(self) -> None:
        if self.checking or not self.entered:
            return
        self.checking = True
        App.get_running_app().spawn(self._check(self.entered))

    async def _check(self, pin: str) -> None:
        app = App.get_running_app()
        try:
            result = await asyncio.to_thread(app.services.pin.check, pin)  # scrypt: tens of ms
        finally:
            self.checking = False
        self.entered = ""
        if result.ok:
            self.dismiss(animation=False)
            app.go("staff")
        else:
            self.message = result.message


load_kv(__file__)
