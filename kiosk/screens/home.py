"""What a citizen came for, as large tiles with pictograms: the common life events first
(each a search worded for them), then the full catalogue and the other journeys."""

from __future__ import annotations

import logging

from kivy.app import App
from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from ..i18n import pick
from ..journeys.life_events import load_life_events
from . import pictograms
from .base import KioskScreen, load_kv

log = logging.getLogger("kiosk.app")

# (journey, English label, pictogram; Vietnamese comes from the catalogue), in the order of the tiles.
JOURNEYS = [
    ("procedures", "All procedures", "format_list_bulleted"),
    ("dossier", "Look up my dossier", "file_search_outline"),
    ("queue", "Take a queue number", "ticket_confirmation_outline"),
    ("rating", "Rate the service", "emoticon_happy_outline"),
]


WIDE = 1.75
"""Width over height from which a tile puts its pictogram beside its words."""


class HomeTile(ButtonBehavior, BoxLayout):
    """A pictogram over its words. Opens `screen`; with a `query`, the search for it."""

    text = StringProperty("")
    pictogram = StringProperty("")
    """The glyph, in the pictograms' font."""
    screen = StringProperty("")
    query = StringProperty("")
    wide = BooleanProperty(False)
    """Much wider than tall (a short screen with larger text): the pictogram goes beside the
    words instead of over them, where it would have no room."""

    def on_size(self, *_args) -> None:
        self.wide = self.width > WIDE * self.height

    def on_release(self) -> None:
        app = App.get_running_app()
        if self.query:
            app.search_query = self.query
        app.go(self.screen)


class HomeScreen(KioskScreen):
    """A tile for each life event of kiosk/assets/life_events.json, then one for each journey
    this kiosk has a screen for."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        try:
            self.life_events = load_life_events()
        except ValueError as error:
            log.error("the home screen shows no life events: %s", error)
            self.life_events = []

    def activate(self) -> None:
        self.app.bind(language=self._build_tiles)
        self._build_tiles()

    def deactivate(self) -> None:
        self.app.unbind(language=self._build_tiles)

    def _build_tiles(self, *_args) -> None:
        screens = {screen.journey: screen.name for screen in self.manager.screens if screen.journey}
        events, journeys = self.ids.events, self.ids.journeys
        events.clear_widgets()
        journeys.clear_widgets()
        if "search" in self.manager.screen_names:
            for event in self.life_events:
                events.add_widget(Factory.HomeTile(
                    text=pick(event.name, event.name_en, self.app.language), pictogram=pictograms.glyph(event.pictogram),
                    screen="search", query=event.query))
        for journey, label, pictogram in JOURNEYS:
            if journey in screens:
                journeys.add_widget(Factory.HomeTile(text=self.app.t(label), pictogram=pictograms.glyph(pictogram),
                                                     screen=screens[journey]))


load_kv(__file__)
