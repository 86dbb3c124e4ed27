"""What every screen of the kiosk is: a Kivy Screen with activate/deactivate hooks."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty
from kivy.uix.screenmanager import Screen

from ..i18n import Message


class KioskScreen(Screen):
    """`activate()` runs when the screen is shown, `deactivate()` when it is left; a screen
    forgets in `deactivate()` whatever the citizen gave it."""

    citizen = True
    """A citizen's screen: the bottom bar offers to call staff for help on it."""
    has_back = BooleanProperty(True)
    """The bottom bar's Back is shown (go_back says where it goes)."""
    has_home = BooleanProperty(True)
    """The bottom bar's Home is shown."""

    @property
    def app(self):
        return App.get_running_app()

    def activate(self) -> None:
        pass

    def deactivate(self) -> None:
        pass

    def go_back(self) -> None:
        """The bottom bar's Back: one step back in this screen's journey, and from its first
        step, home. Screens with steps of their own (a list, then one of it) override it."""
        self.app.go("home")

    def spoken(self):
        """What the bar's Listen reads aloud: the screen's main content as a
        kiosk.journeys.read_aloud.Script, built from the journey's state, never from what the
        citizen gave; None: nothing to read."""
        return None

    def holds_input(self) -> bool:
        """Something the citizen typed or was given here would be lost by going home (a code
        half typed, a dossier shown, a number shown but not printed): Home asks first."""
        return False

    def say(self, message: str, *args) -> None:
        """Show `message` (English, as the code writes it) in the screen's `message` property,
        translated and formatted with `args`, and again in the other language when the
        citizen changes it; an argument that is a (Vietnamese, English) pair of data words is
        picked in the language shown."""
        if not getattr(self, "_watching_language", False):
            self.app.fbind("language", self._say_again)
            self._watching_language = True
        self._said = (message, args)
        self._show_said()

    def _say_again(self, *_args) -> None:
        if getattr(self, "_said", None) and self.message == self._shown:
            self._show_said()  # not when the screen has set its message another way since

    def _show_said(self) -> None:
        self.message = self._shown = in_language(self.app, *self._said[:1], *self._said[1])


def in_language(app, message: str, *args) -> str:
    """`message` (English) in the app's language, formatted with `args`, of which a
    (Vietnamese, English) pair of data words is picked in that language and a `Message`
    (English words of the kiosk's own, such as a printer's trouble) is translated."""
    return app.t(message).format(*(app.pick(*arg) if isinstance(arg, tuple) else
                                   app.t(arg) if isinstance(arg, Message) else arg for arg in args))


def load_kv(module_file: str) -> None:
    """Load the .kv file that sits beside a screen's module, once."""
    path = str(Path(module_file).with_suffix(".kv"))
    if path not in Builder.files:
        Builder.load_file(path)
