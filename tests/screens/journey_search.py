"""The search screen answering the way citizens ask, driven inside test_app's one Kivy app:
"Did you mean…" over the closest procedures when a question only half matches, a request for
more words when it holds only filler, English questions read in English, and the query with
its results kept for the way back from a procedure until the session ends.
Each journey starts on the home screen with a fresh session."""

from kivy.core.window import Window

from kiosk.screens.search import ResultButton

from screens.journey_layouts import check, clipped, off_screen, too_small
from screens.kit import SHOTS, arrive, back, drag, find, frames, go_home, no_idle_timeout, result, tap, type_query, until

HALF_MATCH = "làm passport visa cho con gái"
"""A parent asks for a passport and a visa for their daughter: the centre's catalogue has
neither; of the question, the engine knows only "con" (child)."""
HALF_MATCH_EN = "visa passport extension for my child"
ONLY_FILLER = "cho em hoi thu tuc nhu the nao"
""""May I ask how the procedure goes": not a word of what the citizen needs."""
BIRTH_REGISTRATION = "1.001193"
"""Thủ tục đăng ký khai sinh, the sample's real code."""
FALLBACK_SIZES = [((1280, 720), True), ((1080, 1920), False), ((1080, 1920), True)]


async def open_search(app):
    tap(find(app.root, "HomeTile", screen="catalogue"))
    await arrive(app, "catalogue")
    tap(app.root.ids.screens.current_screen.ids.search)
    await arrive(app, "search")
    search = app.root.ids.screens.current_screen
    await until(lambda: not search.loading)
    return search


async def ask(search, question):
    """The question as a whole, as the search box receives it (typing key by key is the
    procedures journey's; Telex would turn "visa" into "vía" here)."""
    search.ids.query.text = question
    await frames(2)


def said(search):
    return search.ids.status.text


async def did_you_mean_journey(app):
    search = await open_search(app)
    await ask(search, HALF_MATCH)
    await until(lambda: result(search) is not None)
    assert search.fallback and said(search).endswith("Có phải bạn tìm…[/color][/size][/b]"), said(search)
    assert "Đã hiểu: con" in said(search) and "bàn hướng dẫn" in said(search), said(search)
    assert len(search.shown) > 1, "the closest procedures, not a blank screen"
    first_size = Window.size
    try:
        for size, large in FALLBACK_SIZES:
            Window.size, app.large_text = size, large
            await frames(5)
            assert result(search) is not None, f"{size}: no result on screen under the heading"
            await check(app, f"{size[0]}x{size[1]}{'-large' if large else ''}-search-did-you-mean")
        # An English question that only half matches: the same, in English.
        app.language = "en"
        await ask(search, HALF_MATCH_EN)
        await until(lambda: search.fallback and result(search) is not None)
        assert "Did you mean…" in said(search) and "Có phải" not in said(search)
        assert "Understood: child" in said(search) and "information desk" in said(search), said(search)
        for size, large in FALLBACK_SIZES:
            Window.size, app.large_text = size, large
            await frames(5)
            await check(app, f"{size[0]}x{size[1]}{'-large' if large else ''}-search-did-you-mean-en")
    finally:
        Window.size, app.large_text, app.language = first_size, False, "vi"
        await frames(3)

    # Nothing understood at all: said so, with the information desk; nothing else shown.
    await ask(search, "xyzzy quux")
    assert not search.shown and not search.fallback
    assert said(search) == "Không tìm thấy. Bạn thử gõ từ khác, hoặc hỏi bàn hướng dẫn."


async def only_filler_journey(app):
    search = await open_search(app)
    await ask(search, ONLY_FILLER)
    assert said(search).startswith("Hãy gõ thêm tên giấy tờ hoặc việc bạn cần làm"), said(search)
    assert not search.shown and not search.fallback
    await check(app, "search-only-filler")
    # One word of what the citizen needs, and the procedures come.
    await ask(search, ONLY_FILLER + " khai sinh")
    await until(lambda: result(search) is not None)
    assert BIRTH_REGISTRATION in search.shown[:3] and "Đã hiểu: khai sinh" in said(search), said(search)


async def english_journey(app):
    tap(find(app.root.ids.nav, "NavButton", text="English"))
    await frames()
    search = await open_search(app)
    assert said(search).endswith(" · Procedures are in Vietnamese."), said(search)
    # Typed key by key: in English the search box does not turn letters into Vietnamese.
    await type_query(search, "birth registration")
    assert search.ids.query.text == "birth registration"
    assert BIRTH_REGISTRATION in search.shown[:3], search.shown[:3]
    assert "Understood: birth registration" in said(search) and not search.fallback, said(search)
    await check(app, "search-english")
    # The same words read as Vietnamese find nothing like it: the language is the screen's.
    app.language = "vi"
    await frames(2)
    assert "Vietnamese" not in said(search)
    assert BIRTH_REGISTRATION not in search.shown[:3]
    app.language = "en"
    await frames(2)
    assert BIRTH_REGISTRATION in search.shown[:3]


async def back_and_home_journey(app):
    screens = app.root.ids.screens
    search = await open_search(app)
    await type_query(search, "khai sinh")
    shown, status = search.shown, said(search)
    # Down the list, to a procedure further on, and back.
    search.ids.results.scroll_y = 0
    await frames(3)
    last = max(i for i in range(len(shown)) if result(search, i) is not None)
    assert last > 0
    tap(result(search, last))
    await arrive(app, "procedure")
    procedure = screens.current_screen
    await until(lambda: procedure.procedure is not None)
    assert procedure.code == shown[last]
    back(app)
    await arrive(app, "search")
    assert search.ids.query.text == "khai sinh" == app.search_query
    assert search.shown == shown and said(search) == status
    assert search.ids.results.scroll_y < 0.5 and result(search, last) is not None, "where the citizen left the list"
    # Home, with a search typed: asked first. Answered no: nothing changes; answered yes: the
    # query and the results go, the citizen stays, on the home screen, in the larger text they chose.
    app.large_text = True
    tap(find(app.root.ids.nav, "NavButton", text="Trang chủ"))
    await frames(3)
    [question] = [view for view in Window.children if type(view).__name__ == "Confirm"]
    assert not too_small(question) and not off_screen(question) and not clipped(question), clipped(question)
    SHOTS.mkdir(parents=True, exist_ok=True)
    question.export_to_png(str(SHOTS / "go-home-question-large-vi.png"))
    tap(find(question, "KioskButton", text="Không, quay lại"))
    await frames(2)
    assert screens.current == "search" and search.ids.query.text == "khai sinh" == app.search_query
    await go_home(app, "Không, quay lại")
    assert screens.current == "search" and search.ids.query.text == "khai sinh" == app.search_query
    await go_home(app)
    await arrive(app, "home")
    assert app.search_query == "" and search.ids.query.text == "" and not search.shown
    assert app.large_text and app.language == "vi"
    app.large_text = False
    search = await open_search(app)
    await frames(2)
    assert search.ids.query.text == "" and not search.shown and result(search) is None
    assert said(search) == "Gõ vài chữ về việc bạn cần làm, ví dụ: khai sinh (gõ không dấu cũng được)"


def results_on_screen(search):
    """The results the citizen sees whole, between the search bar and the keys."""
    results = search.ids.results
    bottom, top = results.to_window(results.x, results.y)[1], results.to_window(results.x, results.top)[1]
    return [view for view in search.ids.grid.children
            if view.to_window(view.x, view.y)[1] >= bottom - 1 and view.to_window(view.x, view.top)[1] <= top + 1]


async def keyboard_folds_journey(app):
    """On the smallest screen with larger text the keys leave the results less than a row:
    scrolling the results, or the button beside the search box, folds the keys away; that
    button or the search box brings them back."""
    first_size = Window.size
    try:
        Window.size, app.large_text = (1280, 720), True
        search = await open_search(app)
        await type_query(search, "giaasy")
        await frames(5)
        assert search.ids.query.text == "giấy" and len(search.shown) > 10
        assert search.keyboard_open and search.ids.keyboard.height > 0
        with_keys = search.ids.results.height
        # More results arriving keep the keys where they are: only the citizen's scrolling folds them.
        search.type(" ")
        await frames(5)
        assert search.keyboard_open
        await drag(search.ids.results, 150)
        await until(lambda: not search.keyboard_open)
        await frames(5)
        assert search.ids.results.scroll_y < 1 and search.ids.keyboard.height == 0
        # The keys' 300 dots go to the results: two rows more of two-line names, at the least.
        assert search.ids.results.height >= with_keys + 250, (with_keys, search.ids.results.height)
        assert len(results_on_screen(search)) >= 2
        await check(app, "1280x720-large-search-keys-folded")
        # Back from a procedure, the list is as the citizen left it, keys folded.
        # (The screenshots read the query in English too, and back: the list, still moving from
        # the finger's fling, settles with results on screen.)
        await until(lambda: len(results_on_screen(search)) >= 2)
        tap(results_on_screen(search)[0])
        await arrive(app, "procedure")
        back(app)
        await arrive(app, "search")
        assert not search.keyboard_open
        assert search.ids.fold_keys.text == "Hiện bàn phím"
        tap(search.ids.fold_keys)
        await frames(3)
        assert search.keyboard_open and search.ids.keyboard.height > 0, (search.keyboard_open, search.ids.keyboard.height, search.ids.keyboard.size_hint, search.ids.keyboard.opacity)
        assert search.ids.fold_keys.text == "Ẩn bàn phím", search.ids.fold_keys.text
        await check(app, "1280x720-large-search-keys-back")
        # The button folds them too; then the search box brings them back, and typing goes on.
        tap(search.ids.fold_keys)
        await frames(3)
        assert not search.keyboard_open
        tap(search.ids.query)
        await frames(3)
        assert search.keyboard_open
        search.type("t")
        await frames(2)
        assert search.ids.query.text == "giấy t"
    finally:
        Window.size, app.large_text = first_size, False
        await frames(3)


async def life_event_journey(app):
    """A citizen whose child was born touches that tile: the birth procedures, searched for them."""
    tile = find(app.root, "HomeTile", text="Sinh con, khai sinh")
    assert tile.pictogram, "the tile draws its pictogram"
    tap(tile)
    await arrive(app, "search")
    search = app.root.ids.screens.current_screen
    await until(lambda: not search.loading and result(search) is not None)
    assert search.ids.query.text == "khai sinh" == app.search_query
    assert search.shown[0] == BIRTH_REGISTRATION and not search.fallback, search.shown[:3]
    # Back goes where the citizen came from, the home screen.
    back(app)
    await arrive(app, "home")


FITTING_QUERIES = ["đăng ký biến động đất", "chứng thực", "khai sinh", "giấy phép xây dựng"]
"""Names of up to a thousand letters (land), short names with long codes (certifying copies),
the most asked, and names that differ only at their end (building permits)."""


async def every_result_fits_journey(app, sizes):
    """On every screen size, with and without larger text, keys shown and folded, in both
    languages: each result's button as the RecycleView would make it is as tall as its words
    laid out (none cut, no line's worth of empty room), and a long name is cut, with "…",
    only where the area has no room for it whole. Every result, not only those on screen."""
    first_size, spoken = Window.size, app.language
    search = await open_search(app)
    try:
        with no_idle_timeout(app):
            for size, large in sizes:
                Window.size, app.large_text = size, large
                for keys_open in (True, False):
                    search.keyboard_open = keys_open
                    for language in ("vi", "en"):
                        app.language = language
                        for query in FITTING_QUERIES:
                            await ask(search, query)
                            await until(lambda: result(search) is not None)
                            await frames(2)
                            where = f"{size} large={large} keys={keys_open} {language} {query!r}"
                            assert len(search.shown) > 1, (where, search.shown, said(search))
                            fits(search, where)
    finally:
        Window.size, app.large_text, app.language = first_size, False, spoken
        await frames(3)


def fits(search, where):
    """Each result's words, laid out by a button such as the RecycleView makes, within the
    height the screen gave its row, with less than a line to spare (side by side, a row is as
    tall as the taller of the two), and a name within the lines the area allows."""
    _width, lines, line, room = search._fit
    view = result(search)
    button = ResultButton(width=view.width)
    for row in search.ids.results.data:
        button.text = row["text"]
        button.texture_update()
        width, height = button.texture_size
        assert width <= view.width + 1 and height <= row["height"] - room + 1, (where, row)
        assert row["height"] - room - height < line - 1 or search.ids.grid.cols > 1, (where, row)
        assert round(height / line) - 1 <= lines, (where, row, lines)  # the code's line below the name's
