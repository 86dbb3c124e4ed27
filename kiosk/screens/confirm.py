"""A question before an action that cannot be undone, with its two answers side by side."""

from __future__ import annotations

from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.modalview import ModalView

from .base import load_kv


class Confirm(ModalView):
    """Asks before something that cannot be undone (closing the app, forgetting what a
    citizen typed): a tap meant for the button beside must not do it. `question` and
    `detail` and `yes` are English messages, shown in the screen's language."""

    question = StringProperty("")
    detail = StringProperty("")
    yes = StringProperty("")
    """The words of the button that does it."""
    colour = StringProperty("danger")
    action = ObjectProperty(None)

    def confirmed(self) -> None:
        self.dismiss(animation=False)
        self.action()


load_kv(__file__)
