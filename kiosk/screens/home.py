"""What a citizen came for, as large tiles with pictograms: the common life events first
(each a search worded for them), then the full catalogue and the other journeys."""

from __future__ import annotations

import logging

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.factory import Factory
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from ..domain.text import last_word_kept
from ..i18n import pick
from ..journeys.life_events import load_life_events
from ..journeys.read_aloud import home_script
from . import JOURNEYS, pictograms
from .base import KioskScreen, load_kv

log = logging.getLogger("kiosk.app")


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
    wanted = NumericProperty(0)
    """The words' size for this screen and text size (kv)."""
    fits = NumericProperty(0)
    """The largest words' size at which the words of every tile fit in theirs; 0: any."""

    def words_fit(self, font_size: float) -> bool:
        """The words, at `font_size`, stay inside the tile: no word wider than their room,
        no more lines than its height holds (with the pictogram over them, room left for it)."""
        app = App.get_running_app()
        words, picture = self.ids.words, self.ids.picture
        left, top, right, bottom = self.padding
        if self.wide:
            width = self.width - left - right - self.spacing - picture.width
            room = self.height - top - bottom
        else:
            width = self.width - left - right
            room = self.height - top - bottom - self.spacing - 1.2 * app.sp_text(24)
        label = CoreLabel(text=words.text, font_size=font_size, font_name=words.font_name, bold=words.bold,
                          text_size=(max(width, 1), None), halign=words.halign)
        # Laid out, not drawn: a texture for each size tried would be made only to be thrown away.
        needed_width, needed_height = label.render()
        return needed_width <= width + 1 and needed_height <= room + 1

    def on_release(self) -> None:
        app = App.get_running_app()
        if self.query:
            app.search_query = self.query
        app.go(self.screen)


class HomeScreen(KioskScreen):
    """A tile for each life event of kiosk/assets/life_events.json, then one for each journey
    this kiosk has a screen for."""

    has_back = BooleanProperty(False)  # where every journey starts
    has_home = BooleanProperty(False)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._fit_soon = Clock.create_trigger(self._fit_words)
        try:
            self.life_events = load_life_events()
        except ValueError as error:
            log.error("the home screen shows no life events: %s", error)
            self.life_events = []

    def activate(self) -> None:
        self.app.bind(language=self._build_tiles, text_scale=self._fit_soon)
        self._build_tiles()

    def deactivate(self) -> None:
        self.app.unbind(language=self._build_tiles, text_scale=self._fit_soon)

    def spoken(self):
        events = [(event.name, event.name_en) for event in self.life_events] if self.manager.has_screen("search") else []
        return home_script(self.app.language, events,
                           [label for screen, label, _ in JOURNEYS if self.manager.has_screen(screen)])

    def _fit_words(self, *_args) -> None:
        """The tiles' words as large as this screen and text size want, unless some tile's
        words would then spill out of it (larger text on a short screen, a centre's long life
        event): then all a little smaller, the same on every tile, so that none is cut."""
        tiles = [*self.ids.events.children, *self.ids.journeys.children]
        if not tiles or min(min(tile.size) for tile in tiles) <= 1:
            return
        # One way for all: the two grids' rows differ by a few dots, and tiles of one row
        # pictured beside their words and of the next over them look like two kinds of thing.
        wide = any(tile.width > WIDE * tile.height for tile in tiles)
        for tile in tiles:
            tile.wide = wide
        wanted = max(tile.wanted for tile in tiles)
        size, least = wanted, self.app.sp_text(26) / 2
        while size > least and not all(tile.words_fit(size) for tile in tiles):
            size *= 0.95
        for tile in tiles:
            tile.fits = 0 if size >= wanted else size

    def _build_tiles(self, *_args) -> None:
        events, journeys = self.ids.events, self.ids.journeys
        events.clear_widgets()
        journeys.clear_widgets()
        if self.manager.has_screen("search"):
            for event in self.life_events:
                name = last_word_kept(pick(event.name, event.name_en, self.app.language))
                events.add_widget(Factory.HomeTile(text=name, pictogram=pictograms.glyph(event.pictogram),
                                                   screen="search", query=event.query))
        for screen, label, pictogram in JOURNEYS:
            if self.manager.has_screen(screen):
                journeys.add_widget(Factory.HomeTile(text=self.app.t(label), pictogram=pictograms.glyph(pictogram),
                                                     screen=screen))
        for tile in (*events.children, *journeys.children):
            tile.bind(size=self._fit_soon)
        self._fit_soon()


load_kv(__file__)
