"""The bar at the foot of every screen but the attract one: Back and Home, help, Listen, the
language and the text size, always the same buttons in the same places, so that a citizen
learns them once."""

from __future__ import annotations

from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from . import pictograms
from .base import load_kv


class NavButton(ButtonBehavior, BoxLayout):
    """A pictogram over its words, as on a phone's bottom bar."""

    text = StringProperty("")
    pictogram = StringProperty("")
    """The pictogram's name (kiosk.screens.pictograms)."""
    glyph = StringProperty("")
    """The pictogram's character, in the pictograms' font."""
    font = pictograms.FONT
    tint = StringProperty("muted")
    """The theme colour it is drawn in."""
    shown = BooleanProperty(True)
    """False: an empty place, so that the other buttons stay where they always are."""
    needs = NumericProperty(0)
    """The height its pictogram and words need."""
    beside = BooleanProperty(False)
    """The pictogram beside the words (the bar's one row on a wide screen), not over them."""

    def on_pictogram(self, _button, name: str) -> None:
        self.glyph = pictograms.glyph(name)


class NavBar(GridLayout):
    """Its buttons in one row on a wide screen, in rows of three on an upright one (two full
    rows of six); every button as tall as the one whose words need most."""

    folded = BooleanProperty(False)
    """No height at all (on the attract screen)."""
    screens = ObjectProperty(None)
    """The screen manager whose screens the bar serves (the app's FrameBar)."""

    def __init__(self, **kwargs):
        # Before Kivy's own: a bar made from its own rule has its buttons (on_kv_post) in there.
        self._fit_later = Clock.create_trigger(self._fit)  # once a frame, however many buttons changed
        super().__init__(**kwargs)

    def on_kv_post(self, _base_widget) -> None:
        self._buttons = self.children[::-1]
        """Every button the bar may hold, in their order."""
        for button in self.children:
            button.bind(needs=self._fit_later)
        self.bind(cols=self._fit_later, folded=self._fit_later, children=self._fit_later)
        self.on_cols(self, self.cols)  # the buttons came after the first cols
        self._fit_later()

    def keep(self, button: NavButton, present: bool) -> None:
        """Put a button in the bar, in its place, or take it out: a button this kiosk does not
        offer (Listen, with speech off) leaves no empty place, the others share the row."""
        button = button.__self__  # the widget itself, not a kv id's weak proxy of it
        if present != (button.parent is self):
            self.clear_widgets()
            for one in self._buttons:
                if one is not button or present:
                    self.add_widget(one)

    def on_cols(self, _bar, cols: int) -> None:
        for button in self.children:
            button.beside = cols > 3

    def _fit(self, *_args) -> None:
        if self.folded:
            self.height = 0
            return
        rows = -(-len(self.children) // self.cols)
        tallest = max((button.needs for button in self.children), default=0)
        self.height = rows * tallest + (rows - 1) * self.spacing[1] + self.padding[1] + self.padding[3]


load_kv(__file__)
