"""Every screen (staff's too) on every screen a centre owns (1280x720, 1366x768, 1920x1080 and
1080x1920 upright), with and without larger text: touch targets of at least 15 mm, nothing cut
off the screen, a screenshot of each in both languages.
Driven by test_app_sizes.py, one size and text size at a time; starts and ends on the home screen."""

from kivy.core.window import Window
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.vkeyboard import VKeyboard

from screens.kit import LANGUAGES, SHOTS, arrive, back, find, frames, no_idle_timeout, result, shot, tap, type_query, until

import asyncio
import math

DIAGONAL_MM = 21.5 * 25.4
"""The screens centres buy: 21.5 inches across, whatever their resolution."""
MIN_TARGET_MM = 15
MIN_PICTURE_MM = 8
"""A pictogram, a face, a sign smaller than this cannot be made out from a step back."""
SIZES = [(1280, 720), (1366, 768), (1920, 1080), (1080, 1920)]


def dots(mm):
    """`mm` millimetres in dots of the window's screen, a 21.5" one: 15 mm is 40 dots at 1280x720
    and 60 at 1920x1080."""
    return mm * math.hypot(*Window.size) / DIAGONAL_MM


MIN_TOUCH = 61
"""15 mm in dots on a 21.5" 1920x1080 screen, where a target is largest: tests that measure one
screen at that size use it."""


def too_small(root):
    """Touch targets under 15 mm in either direction, on a 21.5" screen of the window's
    resolution, as (what, width, height)."""
    least = dots(MIN_TARGET_MM)
    found = []
    for widget in root.walk():
        if isinstance(widget, ButtonBehavior) and _shown(widget) and not widget.disabled:
            if min(widget.size) < least:
                found.append((getattr(widget, "text", type(widget).__name__), *widget.size))
        if isinstance(widget, VKeyboard) and _shown(widget) and not widget.disabled:  # a folded one has no keys
            for line in range(1, widget.available_layouts[widget.layout]["rows"] + 1):
                found += [(f"key in line {line}", *size) for _pos, size in widget.layout_geometry[f"LINE_{line}"]
                          if min(size) < least]
    return found


def pictures_too_small(root):
    """Pictograms (labels in the pictograms' font) drawn under 8 mm: (what, dots)."""
    least = dots(MIN_PICTURE_MM)
    return [(widget.parent.text if hasattr(widget.parent, "text") else type(widget.parent).__name__, round(widget.font_size))
            for widget in root.walk()
            if isinstance(widget, Label) and widget.font_name == "Pictograms" and widget.text and _shown(widget)
            and widget.font_size < least]


def off_screen(root):
    """Shown buttons outside the window that no scrolling brings in."""
    found = []
    for widget in root.walk():
        if isinstance(widget, ButtonBehavior) and _shown(widget) and not _scrolls(widget):
            left, bottom = widget.to_window(widget.x, widget.y)
            if left < 0 or bottom < 0 or left + widget.width > Window.width + 1 or bottom + widget.height > Window.height + 1:
                found.append(getattr(widget, "text", type(widget).__name__))
    return found


def _shown(widget):
    """Drawn: neither it nor a parent is see-through."""
    while widget is not None and widget.parent is not widget:
        if widget.opacity == 0:
            return False
        widget = widget.parent
    return True


def _box(widget):
    left, bottom = widget.to_window(widget.x, widget.y)
    return left, bottom, left + widget.width, bottom + widget.height


def _within(inner, outer):
    while inner is not None and inner is not inner.parent:
        if inner is outer:
            return True
        inner = inner.parent
    return False


def overlapping(root):
    """Pairs of shown words and targets whose window rectangles cross (one inside another, such
    as a face's label in the face, is fine), outside scrolling lists: (what, what)."""
    parts = [w for w in root.walk() if _shown(w) and not _scrolls(w) and min(w.size) > 0
             and (isinstance(w, ButtonBehavior) or (isinstance(w, Label) and w.text.strip()))]
    found = []
    for index, one in enumerate(parts):
        a = _box(one)
        for other in parts[index + 1:]:
            if _within(one, other) or _within(other, one):
                continue
            b = _box(other)
            if min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1:
                found.append((_name(one), _name(other)))
    return found


def tiles_spilling(root):
    """The home screen's tiles whose pictogram or words reach out of the tile, or whose
    pictogram is drawn smaller than 24 dots: (words, what)."""
    found = []
    for tile in root.walk():
        if type(tile).__name__ != "HomeTile":
            continue
        picture, words = tile.children[::-1]
        for part in (picture, words):
            part.texture_update()
            width, height = part.texture_size
            if (height > tile.height + 1 or part.y < tile.y - 1 or part.top > tile.top + 1
                    or part.center_x - width / 2 < tile.x - 1 or part.center_x + width / 2 > tile.right + 1):
                found.append((tile.text, f"{'pictogram' if part is picture else 'words'} outside the tile"))
        if picture.font_size < 24:
            found.append((tile.text, f"pictogram of {picture.font_size:.0f} dots"))
    return found


def _name(widget):
    return getattr(widget, "text", type(widget).__name__)


def clipped(root):
    """Shown labels (buttons too) whose words need more room than their box gives:
    (text, needed, given)."""
    found = []
    for widget in root.walk():
        if isinstance(widget, Label) and widget.text.strip() and _shown(widget):
            widget.texture_update()
            width, height = widget.texture_size
            if width > widget.width + 1 or height > widget.height + 1:
                found.append((widget.text, (width, height), tuple(widget.size)))
    return found


def _scrolls(widget):
    while widget.parent is not None and widget.parent is not widget:
        widget = widget.parent
        if isinstance(widget, ScrollView):  # kv's own kinds of it too (QueueServicesPanel@ScrollView)
            return True
    return False


async def check_each_language(app, name, checks):
    """`checks` ({what is wrong: finder of it}), each asserted to find nothing in each language
    (words wrap differently), the language spoken left as it was."""
    spoken = app.language
    try:
        for language in LANGUAGES:
            app.language = language
            await frames(3)
            for wrong, finder in checks.items():
                found = finder()
                assert not found, f"{name} ({language}): {wrong}: {found}"
    finally:
        app.language = spoken
        await frames(2)


async def check(app, name, popups=False):
    """Every check, in each language (words wrap differently): nothing too small to touch or to
    make out, off the screen, over another thing, or cut; then the screenshots."""
    await check_each_language(app, name, {
        "touch targets under 15 mm": lambda: too_small(app.root),
        "pictures under 8 mm": lambda: pictures_too_small(app.root),
        "off the screen": lambda: off_screen(app.root),
        "overlapping": lambda: overlapping(app.root),
        "words cut": lambda: clipped(app.root),
    })
    await shot(app, name, popups)


async def check_popup(app, view, name):
    """`check` for a pop-up (`view`, on the window above the screen): its own parts, in each
    language, and its picture drawn on its own (the headless window's is wrong after a resize)."""
    spoken = app.language
    try:
        for language in LANGUAGES:
            app.language = language
            await frames(3)
            panel = view.children[0]
            left, bottom, right, top = _box(panel)
            assert left >= -1 and bottom >= -1 and right <= Window.width + 1 and top <= Window.height + 1, \
                f"{name} ({language}): the pop-up reaches off the screen: {(left, bottom, right, top)}"
            for wrong, finder in {"touch targets under 15 mm": too_small, "pictures under 8 mm": pictures_too_small,
                                  "off the screen": off_screen, "overlapping": overlapping,
                                  "words cut": clipped}.items():
                found = finder(view)
                assert not found, f"{name} ({language}): {wrong}: {found}"
            SHOTS.mkdir(parents=True, exist_ok=True)
            view.export_to_png(str(SHOTS / f"{name}-{language}.png"))
    finally:
        app.language = spoken
        await frames(2)


def popup(kind):
    views = [view for view in Window.children if type(view).__name__ == kind]
    assert len(views) == 1, f"{len(views)} {kind} on the window"
    return views[0]


class HeldCatalogue:
    """The reading of the catalogue held back while inside: the screens show how they wait
    for it (the first reading after a start takes a second and more)."""

    def __init__(self):
        from kiosk.journeys.catalogue import CATALOGUE
        self.catalogue, self.go_on = CATALOGUE, asyncio.Event()

    async def __aenter__(self):
        load, go_on = self.catalogue.load, self.go_on

        async def held(path):
            await go_on.wait()
            return await load(path)

        self.catalogue.load = held
        return self

    async def __aexit__(self, *_exc):
        del self.catalogue.load
        self.go_on.set()
        await frames(3)


async def touch_in_list(catalogue, button):
    """Scrolled to, as a citizen scrolls to it, and touched."""
    catalogue.ids.scroll.scroll_to(button, animate=False)
    await frames(3)
    tap(button)


async def catalogue_states(app, orientation):
    """The procedures of the field with the longest name; the procedure with the longest name
    (and many documents); the catalogue and a procedure while they load."""
    screens = app.root.ids.screens
    catalogue = screens.current_screen
    loaded = catalogue._catalogue
    fields = {p.field for p in loaded.procedures.values() if catalogue.level in p.levels}
    longest_field = max((loaded.fields[code] for code in fields if code in loaded.fields),
                        key=lambda field: max(len(field.name), len(field.name_en or "")))
    await touch_in_list(catalogue, find(catalogue, "CatalogueButton", step="field", code=longest_field.code))
    await frames(5)
    await check(app, f"{orientation}-catalogue-long-field")

    longest = max((p for p in loaded.procedures.values() if catalogue.level in p.levels), key=lambda p: len(p.name))
    back(app)
    await frames(5)
    await touch_in_list(catalogue, find(catalogue, "CatalogueButton", step="field", code=longest.field))
    await frames(5)
    await touch_in_list(catalogue, find(catalogue, "CatalogueButton", step="procedure", code=longest.code))
    await arrive(app, "procedure")
    procedure = screens.current_screen
    await until(lambda: procedure.procedure is not None)
    await frames(5)
    assert procedure.procedure.code == longest.code
    await check(app, f"{orientation}-procedure-long")

    async with HeldCatalogue():
        back(app)
        await arrive(app, "catalogue")
        await frames(3)
        await touch_in_list(catalogue, find(catalogue, "CatalogueButton", step="procedure", code=longest.code))
        await arrive(app, "procedure")
        await frames(3)
        assert procedure.procedure is None
        await check(app, f"{orientation}-procedure-opening")
        app.go("home")
        await arrive(app, "home")
        tap(find(app.root, "HomeTile", screen="catalogue"))
        await arrive(app, "catalogue")
        await frames(3)
        assert catalogue._catalogue is None
        await check(app, f"{orientation}-catalogue-loading")
    await until(lambda: len(catalogue.ids.grid.children) >= 2)
    await tap_until(lambda: find(catalogue, "CatalogueButton", step="level", code="province"),
                    lambda: catalogue.level == "province")
    await frames(5)


async def tap_when_placed(button):
    """Tap `button` once its layouts have placed it: where it is in the window has not moved for
    two frames. Three frames were enough on a quiet machine; on a loaded one the nested layouts
    of a large screen took longer, and a button not yet placed is touched at the window's
    corner, where Back is (or nowhere)."""
    place = None
    for _ in range(60):
        await frames(2)
        now = (button.to_window(*button.pos), tuple(button.size))
        if now == place and now[0] != (0, 0):
            break
        place = now
    tap(button)


async def tap_until(find_button, condition, tries=3, wait=7):
    """Tap the button `find_button()` finds once it is placed, until `condition()` holds: on a
    loaded machine a large screen's layouts may still move a button after it looked placed for
    two frames, and the tap lands beside it. A citizen taps again; so does this, at most `tries`
    times, and fails if it never takes."""
    for attempt in range(tries):
        await tap_when_placed(find_button())
        try:
            await until(condition, timeout=wait)
            return
        except AssertionError:
            if attempt == tries - 1:
                raise


async def printing_states(app, orientation):
    """The list of documents printed, "rate the service" offered beside; the printer out of paper."""
    procedure = app.root.ids.screens.current_screen
    printer = app.services.printer
    tap(procedure.ids.print)
    await until(lambda: procedure.printed and not procedure.printing)
    await frames(5)
    assert procedure.ids.rate.opacity == 1  # "Đánh giá" offered
    await check(app, f"{orientation}-procedure-printed")
    printer.state = "paper_out"
    try:
        tap(procedure.ids.print)
        await until(lambda: procedure.print_failed and not procedure.printing)
        await frames(5)
        await check(app, f"{orientation}-procedure-paper-out")
    finally:
        printer.state = "ok"


async def search_states(app, orientation):
    """Nothing found, "did you mean", the keys folded away."""
    from screens.journey_search import HALF_MATCH, ask

    search = app.root.ids.screens.current_screen
    await ask(search, "xyzzy quux")
    await frames(3)
    assert not search.shown
    await check(app, f"{orientation}-search-nothing")

    await ask(search, HALF_MATCH)
    await until(lambda: search.fallback and result(search) is not None)
    await frames(3)
    await check(app, f"{orientation}-search-did-you-mean")

    tap(search.ids.fold_keys)
    await frames(5)
    assert not search.keyboard_open
    await check(app, f"{orientation}-search-keys-folded")

    # The longest names (one runs to a thousand letters). Every result, not only those on
    # screen, is the search journey's (every_result_fits_journey).
    await ask(search, "đăng ký biến động đất")
    await until(lambda: result(search) is not None)
    await frames(3)
    await check(app, f"{orientation}-search-long-names")


async def popup_states(app, orientation):
    """Home asking before it forgets the search typed, "Are you still there?", "sorry", and
    staff's PIN pad."""
    assert app.search_query
    tap(find(app.root.ids.nav, "NavButton", text="Trang chủ"))
    await frames(3)
    question = popup("Confirm")
    await check_popup(app, question, f"{orientation}-confirm-home")
    tap(find(question, "KioskButton", text="Không, quay lại"))
    await frames(3)
    assert app.root.ids.screens.current == "search"

    configured = app.services.idle_timeout
    app.services.idle_timeout = 0  # asked at the next check of the idle time
    try:
        await until(lambda: app._still_there is not None, timeout=5)
        await frames(3)
        await check_popup(app, app._still_there, f"{orientation}-still-there")
    finally:
        app.services.idle_timeout = configured
    # The touch that answers it (and does nothing else), before the next check of the idle time
    # could take the prompt away: no wait between.
    tap(app.root.ids.screens.current_screen)
    await frames(3)
    assert app._still_there is None

    from kivy.factory import Factory
    sorry = Factory.Sorry()  # as KioskApp.crashed opens it, without an error to log
    sorry.open(animation=False)
    try:
        await frames(3)
        await check_popup(app, sorry, f"{orientation}-sorry")
    finally:
        sorry.dismiss(animation=False)

    app.open_pin_pad()
    try:
        await until(lambda: app.pin_pad is not None)
        await frames(6)  # it fades in
        await check_popup(app, app.pin_pad, f"{orientation}-pin-pad")
    finally:
        app.pin_pad.dismiss(animation=False)
    await frames(3)


async def layouts_journey(app, dossier_code, size, large):
    """Every screen in every state (empty, loading, error, long names, printing, the pop-ups),
    at `size`, with or without larger text: `check` on each."""
    screens = app.root.ids.screens
    first_size = Window.size
    orientation = f"{size[0]}x{size[1]}" + ("-large" if large else "")
    Window.size, app.large_text = size, large
    await frames(5)
    try:
        with no_idle_timeout(app):
            # The welcome screen (a session's end shows it; going there by name keeps the text size).
            app.go("attract")
            await frames(5)
            await check(app, f"{orientation}-attract")
            tap(screens.current_screen)
            await arrive(app, "home")
            await check(app, f"{orientation}-home")
            await check_each_language(app, f"{orientation}-home", {
                "tiles spilling": lambda: tiles_spilling(screens.current_screen)})

            tap(find(app.root, "HomeTile", screen="catalogue"))
            await arrive(app, "catalogue")
            catalogue = screens.current_screen
            await until(lambda: len(catalogue.ids.grid.children) >= 2)
            await tap_until(lambda: find(catalogue, "CatalogueButton", step="level", code="province"),
                            lambda: catalogue.level == "province")
            await frames(5)
            await check(app, f"{orientation}-catalogue")
            await catalogue_states(app, orientation)

            tap(catalogue.ids.search)
            await arrive(app, "search")
            search = screens.current_screen
            await type_query(search, "khai sinh")
            await frames(5)
            await check(app, f"{orientation}-search")

            tap(result(search))
            await arrive(app, "procedure")
            procedure = screens.current_screen
            await until(lambda: procedure.procedure is not None)
            await frames(5)
            await check(app, f"{orientation}-procedure")
            await printing_states(app, orientation)
            back(app)
            await arrive(app, "search")
            await search_states(app, orientation)
            await popup_states(app, orientation)

            app.go("dossier")
            dossier = screens.current_screen
            await frames(10)
            await check(app, f"{orientation}-dossier-ask")
            tap(find(dossier, "DossierKey", key="ABC"))  # the keypad's letter page
            await frames(10)
            assert dossier.page == "letters"
            await check(app, f"{orientation}-dossier-letters")
            tap(find(dossier, "DossierKey", key="123"))
            await frames(10)
            dossier.look_up(dossier_code)
            await until(lambda: dossier.state == "card")
            await frames(10)
            await check(app, f"{orientation}-dossier-card")

            app.go("queue")
            queue = screens.current_screen
            await until(lambda: queue.state == "services")
            await frames(5)
            await check(app, f"{orientation}-queue-services")
            queue.choose(queue.services[0])
            await frames(5)
            await check(app, f"{orientation}-queue-priority")

            app.go("rating")
            await frames(5)  # laid out before a face is touched
            tap(find(screens.current_screen, "Face", level="satisfied"))
            await frames(5)
            assert screens.current_screen.level == "satisfied"  # the reasons shown too
            await check(app, f"{orientation}-rating")

            # Staff's screens too: staff set a kiosk up on its touchscreen alone.
            for name in ("staff", "diagnostics", "setup"):
                app.go(name)
                await frames(10)
                await check(app, f"{orientation}-{name}")
            app.go("home")
            await frames(3)
    finally:
        app.large_text = False
    Window.size = first_size
    await frames(5)
