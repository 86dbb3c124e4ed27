"""The rating journey as a citizen lives it: four faces drawn at a usable size on every screen a
centre owns, with and without larger text, in both languages, nothing overlapping, clipped or off
the screen, before a choice, after one and after sending; reasons that fit the face chosen; and a
rating offered at the right moment (after a printed list of documents; not after taking a number,
before the citizen is served). Driven by test_app.py; starts and ends on the home screen."""

from kivy.core.window import Window
from kivy.uix.behaviors import ButtonBehavior

from screens.journey_layouts import check_each_language, clipped, off_screen, overlapping, pictures_too_small, too_small
from screens.kit import arrive, find, frames, next_citizen, result, shot, tap, type_query, until

MIN_FACE = 64
"""15 mm across on a 21.5" 1920x1080 screen (0.248 mm a dot): a face an old eye finds and a finger hits."""
POSITIVE = ["Giải quyết nhanh chóng", "Cán bộ nhiệt tình", "Hướng dẫn rõ ràng"]
NEGATIVE = ["Chờ đợi lâu", "Hướng dẫn chưa rõ ràng", "Yêu cầu thêm giấy tờ"]


def faces_too_small(screen):
    """The faces drawn under MIN_FACE dots across: (level, dots)."""
    found = []
    for face in screen.walk():
        if type(face).__name__ == "Face":
            drawing = face.ids.drawing
            across = min(getattr(drawing, "d", drawing.width), *drawing.size)
            if across < MIN_FACE:
                found.append((face.level, round(across)))
    return found


async def check_rating(app, name):
    """Every check in both languages, then a screenshot of each."""
    screen = app.root.ids.screens.current_screen
    await check_each_language(app, name, {
        f"faces under {MIN_FACE} dots": lambda: faces_too_small(screen),
        "touch targets under 15 mm": lambda: too_small(app.root),
        "pictures under 8 mm": lambda: pictures_too_small(app.root),
        "off the screen": lambda: off_screen(app.root),
        "overlapping": lambda: overlapping(app.root),
        "words cut": lambda: clipped(app.root),
    })
    await shot(app, name)


def reasons_shown(screen):
    return [button.text for button in reversed(screen.ids.reasons.children)]


async def rating_from_home(app):
    tap(find(app.root, "HomeTile", screen="rating"))
    await arrive(app, "rating")
    return app.root.ids.screens.current_screen


async def rating_layouts_journey(app, size, large):
    first_size = Window.size
    name = f"{size[0]}x{size[1]}" + ("-large" if large else "")
    Window.size, app.large_text = size, large
    await frames(5)
    try:
        rating = await rating_from_home(app)
        await frames(5)
        await check_rating(app, f"{name}-rating-faces")
        tap(find(rating, "Face", level="very_unsatisfied"))
        await frames(5)
        assert rating.level == "very_unsatisfied"
        tap(find(rating, "ReasonButton", text="Hướng dẫn chưa rõ ràng"))
        await frames(5)
        await check_rating(app, f"{name}-rating-chosen")
        tap(find(rating, "KioskButton", text="Gửi đánh giá"))
        await until(lambda: rating.state == "thanks")
        await frames(5)
        await check_rating(app, f"{name}-rating-thanks")
        tap(find(rating, "KioskButton", text="Xong"))
        await next_citizen(app)
    finally:
        app.large_text = False
    Window.size = first_size
    await frames(5)


async def reasons_fit_the_face_journey(app, ratings):
    """`ratings()`: the backend's ratings, (level, reasons, ticket_id), oldest first."""
    rating = await rating_from_home(app)
    for level in ("unsatisfied", "very_unsatisfied"):
        tap(find(rating, "Face", level=level))
        await frames()
        assert reasons_shown(rating) == NEGATIVE, (level, reasons_shown(rating))
    for level in ("very_satisfied", "satisfied"):
        tap(find(rating, "Face", level=level))
        await frames()
        assert reasons_shown(rating) == POSITIVE, (level, reasons_shown(rating))
    # A reason ticked, then a change of mind: the praise does not follow to a complaint.
    tap(find(rating, "ReasonButton", text="Cán bộ nhiệt tình"))
    await frames()
    tap(find(rating, "Face", level="unsatisfied"))
    await frames()
    assert reasons_shown(rating) == NEGATIVE and rating.reasons == []
    tap(find(rating, "ReasonButton", text="Chờ đợi lâu"))
    await frames()
    assert find(rating, "ReasonButton", text="Chờ đợi lâu").state == "down"
    app.language = "en"
    await frames()
    assert reasons_shown(rating) == ["Long wait", "Unclear guidance", "Asked for extra papers"]
    app.language = "vi"
    await frames()
    tap(find(rating, "KioskButton", text="Gửi đánh giá"))
    await until(lambda: rating.state == "thanks")
    assert ratings()[-1] == ("unsatisfied", '["Chờ đợi lâu"]', None)


async def rating_at_the_right_moment_journey(app, printer, ratings):
    """After a printed list of documents, the procedure screen offers a rating; after taking a
    number, the queue screen does not (the ticket's page on the phone does, once served)."""
    screens = app.root.ids.screens
    tap(find(app.root, "HomeTile", screen="queue"))
    await arrive(app, "queue")
    queue = screens.current_screen
    await until(lambda: queue.state == "services")
    queue.choose(queue.services[0])
    await until(lambda: queue.state == "priority")
    tap(next(w for w in queue.walk() if isinstance(w, ButtonBehavior)
             and getattr(w, "text", "") == "Không, tôi không thuộc các đối tượng trên"))
    await until(lambda: queue.state == "done")
    await frames()
    offered = [w for w in queue.walk()
               if getattr(w, "text", None) == "Đánh giá" and w.opacity > 0 and not w.disabled]
    assert not offered, "a rating offered before the citizen is served"
    tap(next(w for w in queue.walk() if isinstance(w, ButtonBehavior) and getattr(w, "text", "") == "Xong"))
    await arrive(app, "attract")
    tap(screens.current_screen)
    await arrive(app, "home")

    app.go("search")
    await arrive(app, "search")
    search = screens.current_screen
    await type_query(search, "khai sinh")
    tap(result(search))
    await arrive(app, "procedure")
    procedure = screens.current_screen
    await until(lambda: procedure.procedure is not None)
    await frames()
    rate = procedure.ids.rate
    assert rate.opacity == 0 and rate.disabled, "nothing to rate before the list is printed"
    printed = len(printer.printed)
    tap(procedure.ids.print)
    await until(lambda: len(printer.printed) == printed + 1 and not procedure.printing)
    await frames(5)
    assert rate.opacity == 1 and not rate.disabled and rate.text == "Đánh giá"
    assert not overlapping(app.root) and not off_screen(app.root), (overlapping(app.root), off_screen(app.root))
    await shot(app, "procedure-printed-rate")
    tap(rate)
    await arrive(app, "rating")
    rating = screens.current_screen
    tap(find(rating, "Face", level="very_satisfied"))
    await frames()
    tap(find(rating, "ReasonButton", text="Hướng dẫn rõ ràng"))
    await frames()
    tap(find(rating, "KioskButton", text="Gửi đánh giá"))
    await until(lambda: rating.state == "thanks")
    assert ratings()[-1] == ("very_satisfied", '["Hướng dẫn rõ ràng"]', None)
    tap(find(rating, "KioskButton", text="Xong"))
    await arrive(app, "attract")
