"""The queue journey in every state (loading, the services, the priority question, issuing, the
number taken, the printer out of paper, the backend gone) on every screen a centre owns, with and without larger
text (and with the text size changed on the priority question), in both languages, driven by
taps: every button can be seen and reached without being covered, no picture spills past its
button, and upright (1080x1920) the choices sit where a person in a wheelchair reaches them.
Also how the wait is said. Driven by test_app.py; starts and ends on the home screen."""

import asyncio

from kivy.core.window import Window
from kivy.graphics import Rectangle
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView

from screens.journey_dossier import held_answers
from screens.journey_layouts import check, check_each_language, off_screen, too_small
from screens.kit import arrive, drag, find, frames, rendered, tap, until

TARGET = 64
"""The smallest touch target the queue screens draw, in dots (a little above 15 mm)."""
REACH = (0.35, 0.85)
"""Upright, where a seated person reaches: the band of the screen's height, from the top, in
which the queue's choices sit."""


def _buttons(root):
    return [w for w in root.walk(restrict=True) if isinstance(w, ButtonBehavior) and w.opacity > 0 and not w.disabled]


def _window_box(widget):
    left, bottom = widget.to_window(widget.x, widget.y)
    return left, bottom, left + widget.width, bottom + widget.height


def _scroller(widget):
    while widget.parent is not None and widget.parent is not widget:
        widget = widget.parent
        if isinstance(widget, ScrollView):
            return widget
    return None


def _clip(box, other):
    return max(box[0], other[0]), max(box[1], other[1]), min(box[2], other[2]), min(box[3], other[3])


def _visible(widget):
    """The part of `widget` drawn on the window (a scrolled list shows a part of itself), or None."""
    box, scroller = _window_box(widget), _scroller(widget)
    while scroller is not None:
        box = _clip(box, _window_box(scroller))
        scroller = _scroller(scroller)
    return box if box[2] - box[0] > 1 and box[3] - box[1] > 1 else None


def hidden(app):
    """The current screen's buttons that a person cannot bring fully into the screen's own area
    (between the banner and the bottom bar), by scrolling if they are in a list, as texts."""
    screens = app.root.ids.screens
    area = _window_box(screens)
    found = []
    for button in _buttons(screens.current_screen):
        scroller = _scroller(button)
        box = _window_box(scroller if scroller is not None else button)
        if box[0] < area[0] - 1 or box[1] < area[1] - 1 or box[2] > area[2] + 1 or box[3] > area[3] + 1:
            found.append(button.text)
        elif scroller is not None:
            content = scroller.children[0]
            stuck = content.height > scroller.height + 1 and not scroller.do_scroll_y
            if button.height > scroller.height + 1 or stuck:
                found.append(button.text)
    return found


def overlapping(app):
    """Pairs of buttons drawn over each other anywhere in the window, as texts."""
    boxes = [(b.text, _visible(b)) for b in _buttons(app.root)]
    boxes = [(text, box) for text, box in boxes if box is not None]
    found = []
    for index, (text, box) in enumerate(boxes):
        for other_text, other in boxes[index + 1:]:
            left, bottom, right, top = _clip(box, other)
            if right - left > 1 and top - bottom > 1:
                found.append((text, other_text))
    return found


def spilling_pictures(app):
    """Pictures (a button's canvas image) drawn past the edges of their button, as texts."""
    found = []
    for button in _buttons(app.root.ids.screens.current_screen):
        for canvas in (button.canvas.before, button.canvas.after):
            for part in canvas.children:
                if isinstance(part, Rectangle) and part.source and part.size[0] > 0:
                    (x, y), (width, height) = part.pos, part.size
                    if (x < button.x - 1 or y < button.y - 1
                            or x + width > button.right + 1 or y + height > button.top + 1):
                        found.append(button.text)
    return found


def out_of_reach(app):
    """Upright, the current screen's buttons drawn outside the REACH band, as texts."""
    if Window.height <= Window.width:
        return []
    high, low = Window.height * (1 - REACH[0]), Window.height * (1 - REACH[1])
    found = []
    for button in _buttons(app.root.ids.screens.current_screen):
        box = _visible(button)
        if box is not None and (box[3] > high + 1 or box[1] < low - 1):
            found.append(button.text)
    return found


async def check_queue(app, name):
    """Every check, in each language (words wrap differently), then the screenshots."""
    await check_each_language(app, name, {
        "buttons hidden": lambda: hidden(app),
        "buttons over each other": lambda: overlapping(app),
        "pictures past their buttons": lambda: spilling_pictures(app),
        f"touch targets under {TARGET} dots": lambda: [(b.text, *b.size) for b in _buttons(app.root) if min(b.size) < TARGET],
        "touch targets under 15 mm": lambda: too_small(app.root),
        "off the screen": lambda: off_screen(app.root),
        "out of reach upright": lambda: out_of_reach(app),
    })
    await check(app, name)


async def reach_and_tap(button):
    """What a person does: scroll the list until the button shows whole, then touch it."""
    scroller = _scroller(button)
    for _ in range(20):
        box, whole = _visible(button), _window_box(button)
        if box is not None and abs(box[1] - whole[1]) < 1 and abs(box[3] - whole[3]) < 1:
            break
        if scroller is None:
            raise AssertionError(f"{button.text!r} is cut off and nothing scrolls it into view")
        above = whole[1] > _window_box(scroller)[1]  # the button is above the list's window: pull the list down
        await drag(scroller, -scroller.height / 3 if above else scroller.height / 3)
        await frames(10)  # the list settles
    else:
        raise AssertionError(f"{button.text!r} cannot be scrolled into view")
    tap(button)


async def open_queue(app):
    app.go("home")
    await arrive(app, "home")
    tap(find(app.root, "HomeTile", screen="queue"))
    await arrive(app, "queue")
    queue = app.root.ids.screens.current_screen
    await until(lambda: queue.state in ("services", "failed"))
    await frames(5)
    return queue


def service_button(queue, letter):
    return next(b for b in queue.ids.body.children[0].ids.services.children if b.text.startswith(f"{letter} ·"))


async def choose_first_service(queue):
    await reach_and_tap(service_button(queue, queue.services[0].letter))
    await until(lambda: queue.state == "priority")
    await frames(5)


async def say_no_priority(queue, ending):
    """Touch "No, none of these": the answer most people give."""
    no = next(b for b in _buttons(queue) if b.text == queue.app.t("No, none of these"))
    await reach_and_tap(no)
    await until(lambda: queue.state == ending)
    await frames(5)


async def queue_layouts_journey(app, printer, proxy, size, large):
    first_size = Window.size
    orientation = f"{size[0]}x{size[1]}" + ("-large" if large else "")
    Window.size, app.large_text = size, large
    await frames(5)
    try:
        # Loading: the backend has answered with the services, the answer not come yet.
        async with held_answers(app, proxy, "GET", r"/queue/services") as held:
            app.go("home")
            await arrive(app, "home")
            tap(find(app.root, "HomeTile", screen="queue"))
            await arrive(app, "queue")
            queue = app.root.ids.screens.current_screen
            await until(lambda: held.answered.is_set())
            await frames(5)
            assert queue.state == "loading"
            await check(app, f"{orientation}-queue-loading")  # no choices to reach: the common checks
        await until(lambda: queue.state == "services")
        await frames(5)
        await check_queue(app, f"{orientation}-queue-services")
        await choose_first_service(queue)
        await check_queue(app, f"{orientation}-queue-priority")
        # One who cannot read the choices makes the text larger there (or smaller), and back.
        for turn in ("toggled", "back"):
            tap(find(app.root.ids.nav, "NavButton", text=app.t("Normal text") if app.large_text else app.t("Larger text")))
            await frames(5)
            await check_queue(app, f"{orientation}-queue-priority-{turn}")
        assert app.large_text == large
        # Issuing: the number taken, its answer held back.
        async with held_answers(app, proxy, "POST", r"/queue/tickets") as held:
            await say_no_priority(queue, "issuing")
            await until(lambda: held.answered.is_set())
            await check(app, f"{orientation}-queue-issuing")  # no choices to reach: the common checks
        await until(lambda: queue.state == "done")
        await frames(5)
        assert queue.ticket is not None
        await check_queue(app, f"{orientation}-queue-done")

        printer.state = "paper_out"
        queue = await open_queue(app)
        await choose_first_service(queue)
        await say_no_priority(queue, "failed")
        await check_queue(app, f"{orientation}-queue-not-printed")
        printer.state = "ok"

        proxy.down = True  # the backend out of reach: the banner says so too
        queue = await open_queue(app)
        assert queue.state == "failed"
        await until(lambda: app.link != "online")
        await frames(5)
        await check_queue(app, f"{orientation}-queue-no-connection")
        proxy.down = False
        await until(lambda: app.link == "online")
        app.go("home")
        await arrive(app, "home")
    finally:
        printer.state, proxy.down, app.large_text = "ok", False, False
    Window.size = first_size
    await frames(5)


async def wait_words_journey(app, server, letter="D", counter=7):
    """How the wait is said, as a person reads it: with nobody ahead, "you are next", never
    "0 people, about 0 minutes"; one ahead, one person, and a wait in minutes that is not 0.
    `counter` calls only `letter`'s queue: the counter staff empty it first. Answers the words
    read, line breaks as spaces."""
    while True:
        called = await asyncio.to_thread(server.post, f"/api/v1/queue/counters/{counter}/call-next", token="admin")
        assert called.status == 200, called.body
        if called.json()["ticket"] is None:
            break
    seen = {}
    for ahead in (0, 1):
        queue = await open_queue(app)
        seen[f"service-{ahead}"] = {}
        for language, bar_button in (("vi", "English"), ("en", "Tiếng Việt")):
            seen[f"service-{ahead}"][language] = " ".join(rendered(service_button(queue, letter)).split())
            tap(find(app.root.ids.nav, "NavButton", text=bar_button))  # the bottom bar's language button
            await frames(3)
        await reach_and_tap(service_button(queue, letter))  # drawn again in the language chosen
        await until(lambda: queue.state == "priority")
        await frames(3)
        await say_no_priority(queue, "done")
        assert queue.ticket.people_ahead == ahead
        words = next(w for w in queue.ids.body.walk(restrict=True) if isinstance(w, Label)
                     and not isinstance(w, ButtonBehavior) and w.text and w.text != queue.ticket.display)
        seen[f"ticket-{ahead}"] = {}
        for language, bar_button in (("vi", "English"), ("en", "Tiếng Việt")):
            seen[f"ticket-{ahead}"][language] = " ".join(rendered(words).split())
            tap(find(app.root.ids.nav, "NavButton", text=bar_button))
            await frames(3)
        await check_queue(app, f"queue-done-{ahead}-ahead")
    app.go("home")
    await arrive(app, "home")
    return seen
