"""Every screen (staff's too) on every screen a centre owns (1280x720, 1366x768, 1920x1080 and
1080x1920 upright), with and without larger text: touch targets of at least 15 mm, nothing cut
off the screen, a screenshot of each in both languages.
Driven by test_app.py, one size and text size at a time; starts and ends on the home screen."""

from kivy.core.window import Window
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.vkeyboard import VKeyboard

from screens.kit import LANGUAGES, arrive, find, frames, result, shot, tap, until

MIN_TOUCH = 61
"""15 mm in dots on a 21.5" 1920x1080 screen (0.248 mm a dot), where Kivy's density is 1."""
SIZES = [(1280, 720), (1366, 768), (1920, 1080), (1080, 1920)]


def too_small(root):
    """Touch targets under MIN_TOUCH dots in either direction, as (what, width, height)."""
    found = []
    for widget in root.walk():
        if isinstance(widget, ButtonBehavior) and widget.opacity > 0 and not widget.disabled:
            if min(widget.size) < MIN_TOUCH:
                found.append((getattr(widget, "text", type(widget).__name__), *widget.size))
        if isinstance(widget, VKeyboard) and widget.opacity > 0 and not widget.disabled:  # a folded one has no keys
            for line in range(1, widget.available_layouts[widget.layout]["rows"] + 1):
                found += [(f"key in line {line}", *size) for _pos, size in widget.layout_geometry[f"LINE_{line}"]
                          if min(size) < MIN_TOUCH]
    return found


def off_screen(root):
    """Buttons outside the window that no scrolling brings in."""
    found = []
    for widget in root.walk():
        if isinstance(widget, ButtonBehavior) and widget.opacity > 0 and not _scrolls(widget):
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
        if isinstance(widget, Label) and widget.text.strip() and _shown(widget) and not _scrolls(widget):
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


async def check(app, name):
    assert not too_small(app.root), f"{name}: touch targets under 15 mm: {too_small(app.root)}"
    assert not off_screen(app.root), f"{name}: off the screen: {off_screen(app.root)}"
    await shot(app, name)


async def layouts_journey(app, dossier_code, size, large):
    screens = app.root.ids.screens
    first_size = Window.size
    orientation = f"{size[0]}x{size[1]}" + ("-large" if large else "")
    Window.size, app.large_text = size, large
    await frames(5)
    try:
        await check(app, f"{orientation}-home")
        assert not tiles_spilling(screens.current_screen), f"{orientation}-home: {tiles_spilling(screens.current_screen)}"

        tap(find(app.root, "HomeTile", screen="catalogue"))
        await arrive(app, "catalogue")
        catalogue = screens.current_screen
        await until(lambda: len(catalogue.ids.grid.children) >= 2)
        tap(find(catalogue, "CatalogueButton", step="level", code="province"))
        await frames(5)
        await check(app, f"{orientation}-catalogue")

        tap(catalogue.ids.search)
        await arrive(app, "search")
        search = screens.current_screen
        for key in "khai sinh":
            search.type(key)
        await until(lambda: result(search) is not None)
        await frames(5)
        await check(app, f"{orientation}-search")

        tap(result(search))
        await arrive(app, "procedure")
        procedure = screens.current_screen
        await until(lambda: procedure.procedure is not None)
        await frames(5)
        await check(app, f"{orientation}-procedure")

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
