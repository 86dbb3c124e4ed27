"""Search procedures by name: results follow every key, typed on the screen's own keyboard or on
a physical one. Search folds diacritics, so "khai sinh" finds "khai sinh" with or without accents."""

from __future__ import annotations

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.utils import escape_markup

from .base import KioskScreen, load_kv
from .catalogue import Loaded, load_catalogue, open_procedure

RESULTS = 30
"""More than a citizen will scroll through; the best come first."""

# The on-screen keyboard, in the order of the Vietnamese alphabet that citizens learnt at
# school, with its own keys for ă â đ ê ô ơ ư; f j w z last (foreign names).
KEY_ROWS = [
    "a ă â b c d đ e ê g".split(),
    "h i k l m n o ô ơ p".split(),
    "q r s t u ư v x y f".split(),
    "j w z".split(),
]


class SearchScreen(KioskScreen):
    def activate(self) -> None:
        self._catalogue: Loaded | None = None
        self.app.bind(language=self._relabel, large_text=self._relabel)
        self._build_keys()
        self.app.spawn(self._load())
        # Focus for a physical keyboard; after this frame, when the screen is on the window.
        Clock.schedule_once(self._focus)

    def _focus(self, _dt: float) -> None:
        if self.manager and self.manager.current == self.name:  # the citizen may have left already
            self.ids.query.focus = True

    def deactivate(self) -> None:
        self.app.unbind(language=self._relabel, large_text=self._relabel)
        self.ids.query.focus = False
        self.ids.query.text = ""  # what the citizen typed is forgotten
        self.ids.results.clear_widgets()

    async def _load(self) -> None:
        self._catalogue = await load_catalogue(self.app)
        self._show()

    def _relabel(self, *_args) -> None:
        self._build_keys()
        self._show()

    def _build_keys(self) -> None:
        self.ids.keyboard.clear_widgets()
        rows = [[(letter, letter, 1) for letter in row] for row in KEY_ROWS]
        # The last row's other keys: space, delete one letter, clear all (wider, in grey).
        rows[-1] += [(" ", self.app.t("Space"), 3), ("backspace", self.app.t("Delete"), 2), ("clear", self.app.t("Clear all"), 2)]
        for row in rows:
            line = Factory.KeyRow()
            for key_name, text, width in row:
                key = Factory.KeyButton(text=text, size_hint_x=width)
                key.key = key_name  # a kv property: set after construction
                if len(key_name) != 1 or key_name == " ":
                    key.background_color = self.app.theme["muted"]
                    key.font_size = self.app.sp_text(24)
                key.bind(on_release=lambda button: self.type(button.key))
                line.add_widget(key)
            self.ids.keyboard.add_widget(line)

    def type(self, key: str) -> None:
        """A key of the on-screen keyboard."""
        query = self.ids.query
        if key == "backspace":
            query.do_backspace()
        elif key == "clear":
            query.text = ""
        else:
            query.insert_text(key)

    def on_query(self, *_args) -> None:
        self._show()

    def _show(self, *_args) -> None:
        """The results for what is typed now: the index answers in a few milliseconds."""
        grid = self.ids.results
        grid.clear_widgets()
        text = self.ids.query.text
        catalogue = self._catalogue
        if catalogue is None:
            self.ids.status.text = self.app.t("Getting the list of procedures ready…")
            return
        if not text.strip():
            self.ids.status.text = self.app.t("Type a few words of the procedure's name, for example: khai sinh")
            return
        hits = catalogue.index.search(text, limit=RESULTS)
        self.ids.status.text = (self.app.t("{} procedures found").format(len(hits)) if hits else
                                self.app.t("Nothing found. Try other words, or ask at the information desk."))
        for hit in hits:
            code = self.app.t("Code: {}").format(hit.code)
            button = Factory.ResultButton(text=f"{escape_markup(hit.name)}\n[size={int(self.app.sp_text(18))}]{code}[/size]")
            button.code = hit.code
            button.bind(on_release=lambda b: open_procedure(self.app, b.code, back="search"))
            button.bind(texture_size=self._even_rows)
            grid.add_widget(button)
        self.ids.scroll.scroll_y = 1

    def _even_rows(self, *_args) -> None:
        """Every button of a row as tall as the tallest: names differ much in length."""
        grid = self.ids.results
        buttons = grid.children[::-1]
        for start in range(0, len(buttons), grid.cols):
            row = buttons[start:start + grid.cols]
            tallest = max(button.texture_size[1] for button in row)
            for button in row:
                button.row_height = tallest

    def open_first(self) -> None:
        """Enter on a physical keyboard opens the best result."""
        if self.ids.results.children:
            open_procedure(self.app, self.ids.results.children[-1].code, back="search")


load_kv(__file__)
