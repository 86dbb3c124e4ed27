"""What every screen of the kiosk is: a Kivy Screen with activate/deactivate hooks."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.uix.screenmanager import Screen


class KioskScreen(Screen):
    """`activate()` runs when the screen is shown, `deactivate()` when it is left; a screen
    forgets in `deactivate()` whatever the citizen gave it."""

    journey = ""
    """The home tile this screen starts, if any: "procedures", "dossier", "queue", "rating"."""

    @property
    def app(self):
        return App.get_running_app()

    def activate(self) -> None:
        pass

    def deactivate(self) -> None:
        pass


def load_kv(module_file: str) -> None:
    """Load the .kv file that sits beside a screen's module, once."""
    path = str(Path(module_file).with_suffix(".kv"))
    if path not in Builder.files:
        Builder.load_file(path)
