"""Look up procedures: level -> field -> procedure, from the kiosk's local catalogue, so that it
works without the connection. A search button at the top opens the search screen."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import StringProperty

from ..domain.procedure import Field, Level
from ..domain.text import shortened
from ..journeys.catalogue import CATALOGUE, Loaded
from .base import KioskScreen, load_kv


async def load_catalogue(app) -> Loaded:
    """The local catalogue and its search index, rebuilt (in a thread) only when the catalogue's version changed."""
    return await CATALOGUE.load(app.services.store.path)


def open_procedure(app, code: str, back: str) -> None:
    """Show one procedure; its "back" button returns to the screen `back`."""
    screen = app.root.ids.screens.get_screen("procedure")
    screen.code, screen.back = code, back
    app.go("procedure")


NAME_LETTERS = 180
"""A procedure's name in the list: three or four lines on a wide screen, five upright with larger text."""


class CatalogueScreen(KioskScreen):
    journey = "procedures"
    level = StringProperty("")
    """The level code chosen, "" before a choice."""
    field = StringProperty("")
    """The field code chosen, "" before a choice."""
    resume = False
    """True when coming back from a procedure opened here: the citizen stays where they were."""

    def activate(self) -> None:
        if not self.resume:
            self.level, self.field = "", ""
        self.resume = False
        self._catalogue: Loaded | None = None
        self.app.bind(language=self._build)
        self._build()
        self.app.spawn(self._load())

    def deactivate(self) -> None:
        self.app.unbind(language=self._build)

    async def _load(self) -> None:
        self._catalogue = await load_catalogue(self.app)
        self._build()

    def on_level(self, *_args) -> None:
        self._build()

    def on_field(self, *_args) -> None:
        self._build()

    def go_back(self) -> None:
        """One step up: from procedures to fields, from fields to levels, from levels home."""
        if self.field:
            self.field = ""
        elif self.level:
            self.level = ""
        else:
            self.app.go("home")

    def name_of(self, thing: Level | Field) -> str:
        return self.app.pick(thing.name, thing.name_en)

    def _build(self, *_args) -> None:
        """The buttons of the step the citizen is at, each with how many procedures it holds."""
        catalogue = getattr(self, "_catalogue", None)
        if not self.ids:
            return
        if catalogue is None:
            # The first reading of the catalogue takes a second and more: said, not a blank screen.
            if not self.level:
                self.ids.grid.clear_widgets()
                self.ids.prompt.text = self.app.t("Getting the list of procedures ready…")
            return
        count = self.app.t("{} procedures")
        grid = self.ids.grid
        grid.clear_widgets()
        grid.cols = 1 if self.field or self.width < self.height else 2  # names of procedures are long
        here = [p for p in catalogue.procedures.values() if not self.level or self.level in p.levels]
        if not self.level:
            self.ids.prompt.text = self.app.t("Which level handles your matter?")
            for level in catalogue.levels:
                n = sum(1 for p in catalogue.procedures.values() if level.code in p.levels)
                self._add("level", level.code, f"{self.name_of(level)}\n{count.format(n)}")
        elif not self.field:
            level = next((x for x in catalogue.levels if x.code == self.level), None)
            self.ids.prompt.text = (self.name_of(level) if level else "") + " › " + self.app.t("Choose a field")
            # Only fields with procedures at this level, the fullest first.
            counts: dict[str, int] = {}
            for p in here:
                counts[p.field] = counts.get(p.field, 0) + 1
            for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
                field = catalogue.fields.get(code)
                self._add("field", code, f"{self.name_of(field) if field else code}\n{count.format(n)}")
        else:
            level = next((x for x in catalogue.levels if x.code == self.level), None)
            field = catalogue.fields.get(self.field)
            self.ids.prompt.text = f"{self.name_of(level) if level else ''} › {self.name_of(field) if field else ''}"

            for p in sorted((p for p in here if p.field == self.field), key=lambda p: p.name):
                # A few lines at most: some names run to a thousand letters, a button as tall
                # as the list would hide the others. The procedure's screen shows them whole.
                self._add("procedure", p.code, shortened(p.name, NAME_LETTERS))
        self.ids.scroll.scroll_y = 1

    def _add(self, step: str, code: str, text: str) -> None:
        button = Factory.CatalogueButton(text=text)
        button.step, button.code = step, code  # kv properties: set after construction
        button.bind(on_release=self._chosen)
        self.ids.grid.add_widget(button)

    def _chosen(self, button) -> None:
        if button.step == "level":
            self.level = button.code
        elif button.step == "field":
            self.field = button.code
        else:
            open_procedure(self.app, button.code, back="catalogue")


load_kv(__file__)
