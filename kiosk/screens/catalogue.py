"""Look up procedures: level -> field -> procedure, from the kiosk's local catalogue, so that it
works without the connection. A search button at the top opens the search screen."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import StringProperty

from ..domain.procedure import Field, Level
from ..domain.text import shortened
from ..journeys.catalogue import CATALOGUE, Loaded, choices
from ..journeys.read_aloud import catalogue_script
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
        level = next((x for x in catalogue.levels if x.code == self.level), None)
        if not self.level:
            self.ids.prompt.text = self.app.t("Which level handles your matter?")
        elif not self.field:
            self.ids.prompt.text = (self.name_of(level) if level else "") + " › " + self.app.t("Choose a field")
        else:
            field = catalogue.fields.get(self.field)
            self.ids.prompt.text = f"{self.name_of(level) if level else ''} › {self.name_of(field) if field else ''}"
        for choice in choices(catalogue, self.level, self.field):
            if choice.step == "procedure":
                # A few lines at most: some names run to a thousand letters, a button as tall
                # as the list would hide the others. The procedure's screen shows them whole.
                self._add(choice.step, choice.code, shortened(choice.name, NAME_LETTERS))
            else:
                self._add(choice.step, choice.code,
                          f"{self.app.pick(choice.name, choice.name_en)}\n{count.format(choice.count)}")
        self.ids.scroll.scroll_y = 1

    def spoken(self):
        return catalogue_script(self.app.language, getattr(self, "_catalogue", None), self.level, self.field)

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
