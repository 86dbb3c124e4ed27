"""The bottom bar a first-time citizen learns once: Back and Home in the same places on every
screen, Back one step back in the journey, Home asking only when something would be lost, and
"Call staff for help" telling the centre and the citizen where the information desk is.
Driven by test_app.py; starts and ends on the home screen."""

from kivy.core.window import Window

from screens.journey_layouts import DIAGONAL_MM, check, clipped, off_screen, overlapping, too_small
from screens.kit import LANGUAGES, SHOTS, arrive, back, find, frames, go_home, result, tap, type_query, until

BAR = ("back", "home", "help")


def bar_boxes(app):
    """Where Back, Home and help are drawn, in the window, and which of them are shown."""
    boxes = {}
    for name in BAR:
        button = app.root.ids[name]
        x, y = button.to_window(button.x, button.y)
        boxes[name] = (round(x), round(y), round(button.width), round(button.height), button.shown)
    return boxes


async def same_bar_everywhere_journey(app, dossier_code):
    """Every citizen screen, reached by touch: the bar's buttons in the same places; Back shown
    everywhere but home, help everywhere; each Back one step back."""
    screens = app.root.ids.screens
    seen = {}

    async def note(what):
        await frames(3)
        seen[what] = bar_boxes(app)

    await note("home")
    tap(find(app.root, "HomeTile", screen="catalogue"))
    await arrive(app, "catalogue")
    catalogue = screens.current_screen
    await until(lambda: len(catalogue.ids.grid.children) >= 2)
    await note("catalogue")
    tap(find(catalogue, "CatalogueButton", step="level", code="commune"))
    await frames(3)
    await note("catalogue-fields")
    tap(catalogue.ids.search)
    await arrive(app, "search")
    search = screens.current_screen
    await type_query(search, "khai sinh")
    await note("search")
    tap(result(search))
    await arrive(app, "procedure")
    await note("procedure")
    back(app)
    await arrive(app, "search")
    back(app)
    await arrive(app, "catalogue")
    assert catalogue.level == "commune", "Back from the search: the catalogue where the citizen was"
    back(app)
    await frames(3)
    assert screens.current == "catalogue" and catalogue.level == "", "one step: from the fields to the levels"
    back(app)
    await arrive(app, "home")

    tap(find(app.root, "HomeTile", screen="dossier"))
    await arrive(app, "dossier")
    dossier = screens.current_screen
    await note("dossier-ask")
    dossier.look_up(dossier_code)
    await until(lambda: dossier.state == "card")
    await note("dossier-card")
    await back_twice(app, lambda: screens.current == "dossier" and dossier.state == "ask",
                     "from a dossier, back to the question")

    tap(find(app.root, "HomeTile", screen="queue"))
    await arrive(app, "queue")
    queue = screens.current_screen
    await until(lambda: queue.state == "services")
    await note("queue-services")
    queue.choose(queue.services[0])
    await frames(3)
    await note("queue-priority")
    await back_twice(app, lambda: screens.current == "queue" and queue.state == "services",
                     "from the priority question, to the services")

    tap(find(app.root, "HomeTile", screen="rating"))
    await arrive(app, "rating")
    await note("rating")
    back(app)
    await arrive(app, "home")

    first = seen["catalogue"]
    for what, boxes in seen.items():
        for name in BAR:
            assert boxes[name][:4] == first[name][:4], f"{name} moved on {what}: {boxes[name]} against {first[name]}"
        assert boxes["help"][4], f"no help on {what}"
        assert boxes["back"][4] == (what != "home"), f"Back on {what}: {boxes['back'][4]}"
        assert boxes["home"][4] == (what != "home"), f"Home on {what}: {boxes['home'][4]}"


async def back_twice(app, first_step, why):
    """Back: one step, where `first_step()` holds; Back again: home."""
    back(app)
    await frames(3)
    assert first_step(), why
    back(app)
    await arrive(app, "home")


def help_view():
    views = [view for view in Window.children if type(view).__name__ == "HelpView"]
    return views[0] if views else None


async def call_for_help(app):
    tap(find(app.root.ids.nav, "NavButton", text=app.t("Call staff for help")))
    await until(lambda: help_view() is not None)
    view = help_view()
    await until(lambda: view.outcome != "calling")
    await frames(2)
    return view


async def close(app, view):
    tap(find(view, "KioskButton", text=app.t("Close")))
    await until(lambda: help_view() is None)


async def help_journey(app, calls, centre_sets, proxy, site_desk):
    """The citizen who is stuck on the dossier screen calls for help: the centre sees which
    kiosk and which screen; a second touch does not call twice; where the information desk is
    comes from the centre; without the network the citizen is told, and still told where."""
    screens = app.root.ids.screens
    tap(find(app.root, "HomeTile", screen="dossier"))
    await arrive(app, "dossier")
    before = len(calls())
    view = await call_for_help(app)
    assert view.outcome == "sent", view.outcome
    assert view.ids.said.text == "Đã báo cán bộ. Cán bộ sẽ đến hỗ trợ bạn tại đây."
    assert view.ids.desk.text == site_desk, "where the desk is, as the site's catalogue says"
    assert calls()[before:] == [("dossier", None)], calls()[before:]
    assert screens.current == "dossier", "the pop-up covers the screen; the citizen stays where they were"
    await close(app, view)

    view = await call_for_help(app)
    assert view.outcome == "repeated" and len(calls()) == before + 1, "one call, however many touches"
    await close(app, view)

    await centre_sets(help_desk="Quầy số 1, bên trái cửa vào")
    view = await call_for_help(app)
    assert view.ids.desk.text == "Quầy số 1, bên trái cửa vào", "the centre's word for this kiosk first"
    await close(app, view)

    proxy.down = True
    try:
        view = await call_for_help(app)
        assert view.outcome == "not_sent"
        assert view.ids.said.text == "Chưa báo được cán bộ từ kiosk này. Bạn vui lòng đến quầy hướng dẫn."
        assert view.ids.desk.text == "Quầy số 1, bên trái cửa vào", "where to go, all the same"
        await close(app, view)
    finally:
        proxy.down = False
    await go_home(app, answer=None)
    await arrive(app, "home")


async def help_fits_journey(app, size, large):
    """The help pop-up and the Home question at `size`, with larger text or not, in both languages:
    nothing cut, over another thing, off the screen or too small to touch."""
    first = Window.size
    Window.size, app.large_text = size, large
    name = f"{size[0]}x{size[1]}{'-large' if large else ''}"
    try:
        await frames(5)
        await check(app, f"{name}-home-bar")
        view = await call_for_help(app)
        spoken = app.language
        for language in LANGUAGES:
            app.language = language
            await frames(3)
            for wrong, finder in {"cut": clipped, "overlapping": overlapping, "off the screen": off_screen,
                                  "too small": too_small}.items():
                assert not finder(view), f"{name} help ({language}): {wrong}: {finder(view)}"
            # The pop-up drawn on its own: the headless window's picture is wrong after a resize.
            SHOTS.mkdir(parents=True, exist_ok=True)
            view.export_to_png(str(SHOTS / f"{name}-help-{language}.png"))
        app.language = spoken
        await close(app, view)
    finally:
        app.large_text = False
        Window.size = first
        await frames(5)


async def sizes_follow_the_screen_journey(app):
    """A 1080p kiosk is not a 720p one drawn small: the words and the targets of the home screen
    and the bar take as many millimetres on a 21.5" 1920x1080 screen as on a 21.5" 1280x720 one."""
    first = Window.size
    measured = {}
    try:
        for size in ((1280, 720), (1920, 1080), (1080, 1920)):
            Window.size = size
            await frames(5)
            title = find(app.root.ids.screens.current_screen, "Label", text=app.t("What would you like to do?"))
            home = app.root.ids.home
            measured[size] = {"title words": title.font_size, "bar words": home.ids.words.font_size,
                              "bar height": home.height, "button words": app.sp_text(26)}
    finally:
        Window.size = first
        await frames(5)
    small, large, upright = measured[(1280, 720)], measured[(1920, 1080)], measured[(1080, 1920)]
    for what, dots in small.items():
        # Within a dot: a height made of drawn lines of words is counted in whole dots. (Upright,
        # the bar's pictograms go over their words, not beside: its height is its own.)
        assert abs(large[what] - dots * 1.5) <= 1, (what, dots, large[what])
        assert abs(upright[what] - dots * 1.5) <= 1 or what == "bar height", (what, dots, upright[what])
        # In millimetres, on screens of the same diagonal: the same, within a third of one.
        assert abs(large[what] / dots_per_mm((1920, 1080)) - dots / dots_per_mm((1280, 720))) < 0.34, what


def dots_per_mm(size):
    return (size[0] ** 2 + size[1] ** 2) ** 0.5 / DIAGONAL_MM
