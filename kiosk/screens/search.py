"""Search procedures by name: results follow every key, typed on the screen's own keyboard or on
a physical one, in Telex or with the keys for ă â đ ê ô ơ ư and the tones. Search folds diacritics, so "khai sinh" finds "khai sinh" with or without accents."""

from __future__ import annotations

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.uix.textinput import TextInput
from kivy.utils import escape_markup

from ..domain.telex import TelexTyping

from .base import KioskScreen, load_kv
from .catalogue import Loaded, load_catalogue, open_procedure

RESULTS = 30
"""More than a citizen will scroll through; the best come first."""

class QueryInput(TextInput):
    """The search box: every letter, from the screen's keys or a physical keyboard, goes
    through Telex, so "ddaang kys" becomes "đăng ký" as on a citizen's phone."""

    def __init__(self, **kwargs):
        self.typing = TelexTyping()
        super().__init__(**kwargs)

    def insert_text(self, substring: str, from_undo: bool = False) -> None:
        if from_undo or len(substring) != 1 or self.cursor_index() != len(self.text):
            self.typing.forget()
            super().insert_text(substring, from_undo)
            return
        self.text = self.typing.key(self.text, substring)
        self.cursor = (len(self.text), 0)

    def put_tone(self, tone: str) -> None:
        self.text = self.typing.tone(self.text, tone)
        self.cursor = (len(self.text), 0)

    def do_backspace(self, from_undo: bool = False, mode: str = "bkspc") -> None:
        self.typing.forget()
        super().do_backspace(from_undo, mode)

    def on_text(self, _input, text: str) -> None:
        if not text:
            self.typing.forget()


class SearchScreen(KioskScreen):
    def activate(self) -> None:
        self._catalogue: Loaded | None = None
        self.app.bind(language=self._relabel, large_text=self._relabel)
        self._use_words()
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
        self._use_words()
        self._show()

    def _use_words(self) -> None:
        self.ids.keyboard.use_words(self.app.t)

    def key_up(self, keycode: str | None, text: str | None) -> None:
        """A key of the on-screen keyboard, when the finger lifts."""
        if keycode and keycode.startswith("tone_"):
            self.ids.query.put_tone(keycode.removeprefix("tone_"))
        elif keycode in ("backspace", "clear"):
            self.type(keycode)
        elif text:
            self.type(text)

    def type(self, key: str) -> None:
        """One key: a letter or a space, "backspace" or "clear"."""
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
            # Markup is on for the smaller code line: text from the catalogue is escaped, so
            # that a name or code holding [color] or [ref] is shown as written.
            code = self.app.t("Code: {}").format(escape_markup(hit.code))
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
