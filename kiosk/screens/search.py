"""Search procedures the way citizens ask: results follow every key, typed on the screen's own
keyboard or on a physical one, in Telex or with the keys for ă â đ ê ô ơ ư and the tones.

The engine (kiosk.client.search) reads the question; this screen only shows what it answers:
the procedures found, what it understood, "Did you mean…" over the closest procedures when
none answers well, a request for more words when the question holds only filler, and the
information desk when nothing is found. In English the English vocabulary reads the query.

Results are drawn by a RecycleView: a key re-fills the few buttons on screen instead of
building thirty, and keys that arrive within one frame are searched once (a Clock trigger,
as Electrum's Kivy GUI coalesced its updates). The query is the session's (the app's
`search_query`): back from a procedure, the citizen finds their query and results again."""

from __future__ import annotations

import functools

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.metrics import dp
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.button import Button
from kivy.uix.textinput import TextInput
from kivy.utils import escape_markup, get_hex_from_color

from ..client.search import Hit, SearchResult
from ..domain.telex import TelexTyping
from ..domain.text import cut_off, shortened
from ..journeys.read_aloud import search_script

from .base import KioskScreen, load_kv
from .catalogue import Loaded, load_catalogue, open_procedure

RESULTS = 30
"""More than a citizen will scroll through; the best come first."""
EXAMPLES = {"vi": "khai sinh", "en": "birth registration"}
"""What the prompts suggest typing, in the language the query is read in."""
NAME_SIZE, CODE_SIZE, HEADING_SIZE, PADDING = 24, 18, 28, 8
"""A result's name and code line, the "Did you mean…" heading (sp); the space around a result's words (dp)."""
MEASURED = "thu tuc dang ky khai sinh cap giay chung nhan quyen su dung dat"
"""Letters as in procedure names, to measure how wide a letter is on average."""
DRAG = 24
"""How far (dp, about 4 mm) a finger moves on the results before it counts as scrolling them."""


@functools.lru_cache(maxsize=32)
def letter_metrics(font_size: float) -> tuple[float, float]:
    """(average letter width, line height) of the app's font at `font_size` pixels."""
    width, height = CoreLabel(font_size=font_size).get_extents(MEASURED)
    return width / len(MEASURED), height


@functools.lru_cache(maxsize=4096)
def name_height(name: str, font_size: float, width: float) -> float:
    """The height of `name` wrapped to `width` as a result's button lays it out: its words
    placed line by line, nothing drawn. Kept, as the next key mostly finds the same names."""
    return CoreLabel(text=name, font_size=font_size, text_size=(width, None), halign="left").render()[1]


def fitted(name: str, font_size: float, width: float, height: float, letters: int) -> str:
    """`name`, shortened after a whole word as little as it takes to fit in `height`:
    `letters` (from the average letter width) is the first guess, then a word more or less at
    a time."""
    if name_height(name, font_size, width) <= height:
        return name
    words = shortened(name, letters).rstrip("…").split(" ")
    whole = name.split(" ")
    count = len(words)
    while count > 1 and name_height(cut_off(" ".join(whole[:count])), font_size, width) > height:
        count -= 1
    while count < len(whole) and name_height(cut_off(" ".join(whole[:count + 1])), font_size, width) <= height:
        count += 1
    return cut_off(" ".join(whole[:count]))


class QueryInput(TextInput):
    """The search box: every letter, from the screen's keys or a physical keyboard, goes
    through Telex, so "ddawng kys" becomes "đăng ký" as on a citizen's phone. Not in English:
    Telex would make "passport visa" "pasport vía"."""

    telex = BooleanProperty(True)
    __events__ = ("on_touched",)

    def __init__(self, **kwargs):
        self.typing = TelexTyping()
        super().__init__(**kwargs)

    def on_touch_down(self, touch) -> bool:
        if self.collide_point(*touch.pos):
            self.dispatch("on_touched")
        return super().on_touch_down(touch)

    def on_touched(self) -> None:
        """A finger on the box."""

    def insert_text(self, substring: str, from_undo: bool = False) -> None:
        if from_undo or not self.telex or self.cursor_index() != len(self.text):
            self.typing.forget()
            super().insert_text(substring, from_undo)
            return
        # Letter by letter: a physical keyboard typed at speed arrives a few letters at a time
        # ("sy" in "giaasy"), and each of them may be a Telex mark.
        text = self.text
        for letter in substring:
            text = self.typing.key(text, letter)
        self.text = text
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


class ResultButton(Button):
    """One procedure found: the RecycleView gives it `text` and `code` from its data."""

    code = StringProperty("")

    def on_release(self) -> None:
        open_procedure(App.get_running_app(), self.code, back="search")


class SearchScreen(KioskScreen):
    fallback = BooleanProperty(False)
    """The results are the closest procedures, under "Did you mean…"."""
    back_to = StringProperty("catalogue")
    """Where Back goes: the screen the search was opened from (the catalogue, or the home
    screen's life events); back from a procedure, still that one."""
    advice = BooleanProperty(True)
    """The status line says what to do, no result being shown (kv makes it prominent)."""
    keyboard_open = BooleanProperty(True)
    """The on-screen keys are shown. Scrolling the results, or the button beside the search
    box, folds them away, so that a short screen with larger text shows more than a row of
    results; that button or a touch on the box brings them back."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Before the next frame: every key of this frame searched once, the results on that frame.
        self._refresh = Clock.create_trigger(self._show, -1)
        self._refit_soon = Clock.create_trigger(self._refit, -1)
        self._catalogue: Loaded | None = None
        self._result: SearchResult | None = None
        self._shown_query: tuple[str, str] | None = None
        self._fit: tuple | None = None
        self._watching = False
        self.loading = False
        """True from the screen's start until the catalogue's version is checked."""

    def activate(self) -> None:
        if not self._watching:  # the session's query, wiped with the session even while away
            self.app.fbind("search_query", self._session_query)
            self.ids.results.fbind("size", self._refit_soon)
            self._watching = True
        # The catalogue shown last stays until the loader has checked its version: back from
        # a procedure, the results are there again on the first frame, scrolled as they were.
        self.loading = True
        self.app.bind(language=self._relabel, text_scale=self._relabel)
        self._use_words()
        if self.app.came_from in ("home", "catalogue"):
            self.back_to = self.app.came_from
        self.ids.query.text = self.app.search_query
        if not self.app.search_query:  # a new question starts with the keys; back from a procedure, as it was
            self.keyboard_open = True
        self._refresh()
        self.app.spawn(self._load())
        # Focus for a physical keyboard; after this frame, when the screen is on the window.
        Clock.schedule_once(self._focus)

    def go_back(self) -> None:
        if self.back_to == "catalogue":
            self.manager.get_screen("catalogue").resume = True  # where the citizen was in it
        self.app.go(self.back_to)

    def _focus(self, _dt: float) -> None:
        if self.manager and self.manager.current == self.name:  # the citizen may have left already
            self.ids.query.focus = True

    def deactivate(self) -> None:
        # The query and its results stay: they are the session's, and back from a procedure
        # the citizen finds them again. Home and the idle timeout wipe them.
        self.app.unbind(language=self._relabel, text_scale=self._relabel)
        self.ids.query.focus = False

    def _session_query(self, _app, query: str) -> None:
        if self.ids.query.text != query:
            self.ids.query.text = query

    async def _load(self) -> None:
        self._catalogue = await load_catalogue(self.app)
        self.loading = False
        self._show()

    def _relabel(self, *_args) -> None:
        self._use_words()
        self._refresh()

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
        self.app.search_query = self.ids.query.text
        self._refresh()

    @property
    def language(self) -> str:
        """The language the query is read in: the screen's."""
        return "en" if self.app.language == "en" else "vi"

    def _show(self, *_args) -> None:
        """The engine's answer for what is typed now, and what the screen says about it."""
        t = self.app.t
        text = self.ids.query.text
        catalogue = self._catalogue
        self._result = None
        heading = ""
        if catalogue is None:
            status = t("Getting the list of procedures ready…")
        elif not text.strip():
            status = t("Type a few words of what you need, for example: {}").format(EXAMPLES[self.language])
        else:
            result = self._result = catalogue.index.lookup(text, limit=RESULTS, language=self.language)
            # The understood words are the citizen's: escaped, as the status line reads markup.
            understood = (t("Understood: {}").format(escape_markup(", ".join(result.understood)))
                          if result.understood else "")
            if result.only_filler:
                status = t("Please type more: the paper or what you need to do, for example: {}").format(
                    EXAMPLES[self.language])
            elif not result.hits:
                status = t("Nothing found. Try other words, or ask at the information desk.")
            elif result.fallback:
                heading = t("Did you mean…")
                status = " · ".join(filter(None, [understood, t("Not it? Please ask at the information desk.")]))
            else:
                status = " · ".join(filter(None, [t("{} procedures found").format(len(result.hits)), understood]))
        if self.language == "en":  # the query is read in English, the procedures are not written in it
            status += " · " + t("Procedures are in Vietnamese.")
        if heading:  # right above the closest procedures
            colour = get_hex_from_color(self.app.theme["text"])
            status += f"\n[b][size={int(self.app.sp_text(HEADING_SIZE))}][color={colour}]{heading}[/color][/size][/b]"
        self.ids.status.text = status
        # No result, or only the closest ones: what to do next is what the citizen must read.
        self.advice = self._result is None or not self._result.hits or bool(heading)
        self.fallback = bool(heading)
        # A new query, or the same read in the other language (other results), starts at its
        # best result; the same one stays where it was.
        new = (text, self.language) != self._shown_query
        self._shown_query = (text, self.language)
        self._fill()
        if new:
            self.ids.results.scroll_y = 1

    def spoken(self):
        return search_script(self.app.language, self._result, self._catalogue is not None,
                             bool(self.ids.query.text.strip()), EXAMPLES[self.language])

    def results_dragged(self, touch) -> None:
        """A finger moving on the results: one that has gone a few millimetres up or down is
        scrolling them, and a citizen who scrolls wants to read: the keys fold away. (Not the
        list's position: it moves by itself when the keys come back and the list shortens.)"""
        if abs(touch.y - touch.oy) > dp(DRAG):
            self.keyboard_open = False

    def _refit(self, *_args) -> None:
        """The results area changed size: the names are cut again only if they fit otherwise."""
        if self._result is not None and self._fitting() != self._fit:
            self._fill()

    def _fitting(self) -> tuple[float, int, float, float]:
        """(the width of a result's words; lines a name may take; the height of a line of a
        name; the room around a result's words) for the results area as it is now: up to
        three lines, fewer where the area is short."""
        results, grid, app = self.ids.results, self.ids.grid, self.app
        columns = grid.cols
        across = results.width - grid.padding[0] - grid.padding[2] - grid.spacing[0] * (columns - 1)
        width = across / columns - 2 * app.dp_text(PADDING)
        line = letter_metrics(app.sp_text(NAME_SIZE))[1]
        room = 2 * app.dp_text(PADDING)
        lines = next((n for n in (3, 2) if results.height >= 1.5 * ((n + 1) * line + room)), 1)
        return width, lines, line, room

    def _fill(self) -> None:
        """The results into the RecycleView, each as tall as its words laid out at the width
        the button gives them (laid out, not drawn: drawing is what the RecycleView saves), its
        name cut after a whole word where it would take more lines than the area allows."""
        hits: list[Hit] = self._result.hits if self._result is not None else []
        self._fit = width, lines, line, room = self._fitting()
        size = self.app.sp_text(NAME_SIZE)
        letters = max(int(width / letter_metrics(size)[0]), 10) * lines
        code, code_size = self.app.t("Code: {}"), int(self.app.sp_text(CODE_SIZE))
        rows = []
        for hit in hits:
            name = fitted(hit.name, size, max(width, 1), lines * line, letters)
            # Markup is on for the smaller code line: text from the catalogue is escaped, so
            # that a name or code holding [color] or [ref] is shown as written. The code line
            # as tall as a name's: Kivy's markup gives its smaller words the line of the
            # label's own size.
            rows.append({"text": f"{escape_markup(name)}\n[size={code_size}]{code.format(escape_markup(hit.code))}[/size]",
                         "code": hit.code, "height": name_height(name, size, max(width, 1)) + line + room})
        # Side by side, results of a row share its height, so that their tops line up.
        columns = self.ids.grid.cols
        for start in range(0, len(rows), columns):
            beside = rows[start:start + columns]
            for row in beside:
                row["height"] = max(r["height"] for r in beside)
        self.ids.results.data = rows

    @property
    def shown(self) -> list[str]:
        """The codes of the procedures shown, best first."""
        return [row["code"] for row in self.ids.results.data]

    def open_first(self) -> None:
        """Enter on a physical keyboard opens the best result."""
        if self.ids.results.data:
            open_procedure(self.app, self.ids.results.data[0]["code"], back="search")


load_kv(__file__)
