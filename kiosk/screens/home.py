"""The journeys, as large tiles."""

from __future__ import annotations

from kivy.factory import Factory

from .base import KioskScreen, load_kv

# (journey, English label; Vietnamese comes from the catalogue), in the order of the tiles.
JOURNEYS = [
    ("procedures", "Look up procedures"),
    ("dossier", "Look up my dossier"),
    ("queue", "Take a queue number"),
    ("rating", "Rate the service"),
]


class HomeScreen(KioskScreen):
    """Shows a tile for each journey this kiosk has a screen for."""

    def activate(self) -> None:
        self.app.bind(language=self._build_tiles)
        self._build_tiles()

    def deactivate(self) -> None:
        self.app.unbind(language=self._build_tiles)

    def _build_tiles(self, *_args) -> None:
        screens = {screen.journey: screen.name for screen in self.manager.screens if screen.journey}
        grid = self.ids.tiles
        grid.clear_widgets()
        for journey, label in JOURNEYS:
            if journey in screens:
                tile = Factory.HomeTile(text=self.app.t(label))
                tile.screen = screens[journey]  # a kv property: set after construction
                grid.add_widget(tile)


load_kv(__file__)
