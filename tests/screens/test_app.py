"""The kiosk app in a real, headless Kivy window against a real backend, one test per journey:
attract, home, language, larger text, lockdown, procedures, dossiers, the serial scanner, the
layouts on every screen size, the centre's settings, staff mode, queue numbers (printed, not
printed, backend lost, "start again" while one is issued), rating (online and through the
outbox), offline search, the "sorry" of an unexpected error, catalogue text shown as written,
screens read aloud.

Kivy runs one App per process: the module starts it once on an event loop of its own; each
test drives it from the home screen with a fresh session, and can fail alone.
Screenshots of every screen go to the folder in $KIOSK_SCREENSHOTS (default: a temp dir)."""

import asyncio
import dataclasses
import json
import logging
import re

import pytest

# The kit first: it sets Kivy up before Kivy is imported.
from screens.app_kit import (  # noqa: F401  (running and kiosk: fixtures, the module's own app)
    ratings, ticket_status, last_ticket, running, kiosk, queue_from_home, choose_service, rate_from_home,
)
from kivy.clock import Clock  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kiosk.client.api import BackendClient  # noqa: E402
from kiosk.client.search import SearchIndex  # noqa: E402
from kiosk.journeys.queue import NO_CONNECTION  # noqa: E402
from kiosk.screens.rating import RatingScreen, THANKS_SECONDS  # noqa: E402
from journeys.proxy import HoldingProxy  # noqa: E402
from kiosk.backend.sample import SAMPLE_DIR  # noqa: E402
from support import query  # noqa: E402
from screens.journey_dossier import dossier_forgives, dossier_journey, dossier_layouts  # noqa: E402
from screens.journey_chip import chip_journey, chip_layouts  # noqa: E402
from screens.journey_layouts import SIZES  # noqa: E402
from screens.journey_procedures import procedures_journey  # noqa: E402
from screens.journey_rating import rating_at_the_right_moment_journey, rating_layouts_journey, reasons_fit_the_face_journey  # noqa: E402
from screens.journey_queue import wait_words_journey  # noqa: E402
from screens.journey_search import back_and_home_journey, did_you_mean_journey, english_journey, every_result_fits_journey, keyboard_folds_journey, life_event_journey, only_filler_journey, open_search  # noqa: E402
from screens.journey_speech import cannot_play_journey, listen_journey, speech_off_journey, ticket_read_out_journey  # noqa: E402
from screens.journey_staff import staff_journey  # noqa: E402
from screens.journey_still_there import answering_presses_nothing_journey, asked_after_the_configured_time_journey  # noqa: E402
from screens.journey_navigation import help_journey, same_bar_everywhere_journey, sizes_follow_the_screen_journey  # noqa: E402
from screens.kit import arrive, find, frames, go_home, next_citizen, rendered, result, shot, tap, type_query, until  # noqa: E402


def test_attract_home_language_and_lockdown(kiosk):
    app = kiosk.app

    async def go():
        app.end_session()
        await arrive(app, "attract")
        await frames()
        await shot(app, "attract")
        # Lockdown: Escape and F1 do nothing, the window refuses to close.
        assert Window.dispatch("on_keyboard", 27, 0, None, []) is True
        assert Window.dispatch("on_keyboard", 282, 0, None, []) is True
        assert Window.dispatch("on_request_close") is True
        tap(app.root.ids.screens.current_screen)
        await arrive(app, "home")
        await shot(app, "home-vi")
        assert find(app.root, "HomeTile", screen="rating").text == "Đánh giá"
        app.language = "en"
        await frames()
        assert find(app.root, "HomeTile", screen="rating").text == "Rate the service"
        await shot(app, "home-en")
        app.language, app.large_text = "vi", True
        await frames()
        await shot(app, "home-large")
        app.large_text = False

    kiosk.run(go())


def test_back_home_and_help_in_the_same_places_on_every_screen(kiosk):
    code = query(kiosk.server.db, "SELECT code FROM dossiers ORDER BY code LIMIT 1")[0][0]
    kiosk.run(same_bar_everywhere_journey(kiosk.app, code))


def test_call_staff_for_help(kiosk):
    def calls():
        return query(kiosk.server.db, "SELECT screen, answered_at FROM help_requests ORDER BY id")

    site = json.loads((SAMPLE_DIR / "site.json").read_text(encoding="utf-8"))
    kiosk.run(help_journey(kiosk.app, calls, kiosk.centre_sets, kiosk.proxy, site["site"]["help_desk"]))


def test_sizes_follow_the_screen(kiosk):
    kiosk.run(sizes_follow_the_screen_journey(kiosk.app))


def test_procedures(kiosk):
    kiosk.run(procedures_journey(kiosk.app))


def test_search_never_answers_blank(kiosk):
    """A question that only half matches: "Có phải bạn tìm…" over the closest procedures and the
    information desk, in both languages, on the smallest and the upright screens."""
    kiosk.run(did_you_mean_journey(kiosk.app))


def test_search_asks_for_more_when_only_filler(kiosk):
    kiosk.run(only_filler_journey(kiosk.app))


def test_search_in_english(kiosk):
    kiosk.run(english_journey(kiosk.app))


def test_every_search_result_fits_its_button(kiosk):
    sizes = [(size, large) for size in SIZES for large in (False, True)]
    kiosk.run(every_result_fits_journey(kiosk.app, sizes))


def test_search_kept_for_the_way_back_and_wiped_going_home(kiosk):
    kiosk.run(back_and_home_journey(kiosk.app))


def test_search_keys_fold_away_for_the_results(kiosk):
    kiosk.run(keyboard_folds_journey(kiosk.app))


def test_a_life_event_tile_searches_for_it(kiosk):
    kiosk.run(life_event_journey(kiosk.app))


def test_dossiers(kiosk):
    kiosk.run(dossier_journey(kiosk.app, kiosk.server, kiosk.data))


def test_the_dossier_journey_forgives(kiosk):
    kiosk.run(dossier_forgives(kiosk.app, kiosk.server, kiosk.printer))


def test_the_id_card_read_from_its_chip(kiosk):
    kiosk.run(chip_journey(kiosk.app, kiosk.server, kiosk.data))


@pytest.mark.parametrize("large", [False, True], ids=["normal-text", "larger-text"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_chip_state_fits(kiosk, size, large):
    kiosk.run(chip_layouts(kiosk.app, kiosk.server, size, large))


@pytest.mark.parametrize("large", [False, True], ids=["normal-text", "larger-text"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_dossier_state_fits(kiosk, size, large):
    kiosk.run(dossier_layouts(kiosk.app, kiosk.server, kiosk.proxy, size, large))


def test_a_receipt_read_by_the_serial_scanner(kiosk):
    """The serial scanner of the [scanner] section: a receipt read on the home screen."""
    app = kiosk.app
    code = query(kiosk.server.db, "SELECT code FROM dossiers ORDER BY code LIMIT 1")[0][0]

    async def go():
        kiosk.serial.send(f"{code}\r\n".encode())
        await arrive(app, "dossier")
        dossier = app.root.ids.screens.current_screen
        await until(lambda: dossier.state == "card")
        assert dossier.report.dossier.code == code

    kiosk.run(go())


@pytest.mark.parametrize("large", [False, True], ids=["normal-text", "larger-text"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_rating_faces_fit_every_screen(kiosk, size, large):
    kiosk.run(rating_layouts_journey(kiosk.app, size, large))


def test_rating_reasons_fit_the_face(kiosk):
    kiosk.run(reasons_fit_the_face_journey(kiosk.app, lambda: ratings(kiosk.server.db)))


def test_rating_after_a_printed_list_not_after_a_number(kiosk):
    kiosk.run(rating_at_the_right_moment_journey(kiosk.app, kiosk.printer, lambda: ratings(kiosk.server.db)))


def test_the_wait_is_said_as_a_person_says_it(kiosk):
    """Nobody ahead: "you are next", never "0 people, about 0 minutes"; one ahead: one person."""
    seen = kiosk.run(wait_words_journey(kiosk.app, kiosk.server))
    zero = re.compile(r"(?<!\d)0 (người|phút|people|minutes)")
    assert not [text for shown in seen.values() for text in shown.values() if zero.search(text)], seen
    assert seen["service-0"] == {"vi": "D · Cư trú, căn cước, giảm nghèo Không có ai đang chờ",
                                 "en": "D · Residence, identity cards, poverty reduction Nobody waiting"}
    assert seen["ticket-0"] == {"vi": "Bạn là người tiếp theo. Mời bạn nhận phiếu đã in.",
                                "en": "You are next. Please take your printed ticket."}
    # The minutes are the backend's estimate (measured as the counter serves): a minute or more.
    minutes = r"(khoảng một phút|khoảng [1-9]\d* phút)"
    assert re.fullmatch(rf"D · .* 1 người đang chờ, {minutes}", seen["service-1"]["vi"]), seen
    assert re.fullmatch(r"D · .* 1 waiting, about (a minute|[1-9]\d* minutes)", seen["service-1"]["en"]), seen
    assert re.fullmatch(rf"Trước bạn còn 1 người, {minutes}\. Mời bạn nhận phiếu đã in\.",
                        seen["ticket-1"]["vi"]), seen
    assert re.fullmatch(r"1 person ahead of you, about (a minute|[1-9]\d* minutes)\. Please take your printed ticket\.",
                        seen["ticket-1"]["en"]), seen


def test_the_centre_changes_this_kiosks_settings(kiosk):
    app = kiosk.app

    async def go():
        version = await kiosk.centre_sets(office_name="Trung tâm Phục vụ hành chính công xã Nhơn Châu",
                                          idle_timeout_seconds=45, services=["A", "B"])
        assert app.centre_version == version and app.office_name == "Trung tâm Phục vụ hành chính công xã Nhơn Châu"
        assert app.services.idle_timeout == 45 and app.offered_services == ["A", "B"]
        queue = await queue_from_home(app)
        assert sorted(b.text[0] for b in queue.ids.body.children[0].ids.services.children) == ["A", "B"]

    kiosk.run(go())


def test_staff_mode(kiosk):
    async def go():
        await kiosk.centre_sets(idle_timeout_seconds=45, office_name="Trung tâm [b]Nhơn Châu[/b]")
        await staff_journey(kiosk.app, kiosk.server, kiosk.data / "kiosk.ini")

    kiosk.run(go())


def test_a_printed_number(kiosk):
    app, printer, db = kiosk.app, kiosk.printer, kiosk.server.db

    async def go():
        printed_before = len(printer.printed)
        queue = await queue_from_home(app)
        await frames()
        await shot(app, "queue-services")
        await choose_service(queue, "A")
        await frames()
        await shot(app, "queue-priority")
        tap(find(queue, "PriorityButton", group="elderly"))
        await until(lambda: queue.state == "done")
        await frames()
        await shot(app, "queue-done")
        ticket = queue.ticket
        assert ticket.priority == "elderly" and ticket.display.startswith("A")
        assert app.session_ticket_id == ticket.id and len(printer.printed) == printed_before + 1
        assert ticket_status(db, ticket.id) == "waiting"

        # Not rated here, before being served: the ticket's page on the phone asks once it is
        # (tests/backend/test_ticket_page_browser.py).
        tap(find(queue, "KioskButton", text="Xong"))
        await arrive(app, "attract")
        assert app.session_ticket_id == ""

    kiosk.run(go())


def test_a_number_that_does_not_print_is_voided(kiosk):
    app, printer = kiosk.app, kiosk.printer

    async def go():
        printer.state = "paper_out"
        queue = await queue_from_home(app)
        await choose_service(queue, "B")
        tap(find(queue, "PriorityButton", text="Không, tôi không thuộc các đối tượng trên"))
        await until(lambda: queue.state == "failed")
        await frames()
        await shot(app, "queue-not-printed")
        assert queue.ticket is None and app.session_ticket_id == ""
        assert last_ticket(kiosk.server.db, "B")[1] == "void", "no ghost number"
        tap(find(queue, "KioskButton", text="Xong"))
        await arrive(app, "attract")

    kiosk.run(go())


def test_the_backend_lost_while_a_number_is_taken(kiosk):
    """The connection goes while a citizen takes a number: no number, and plain words."""
    app, db = kiosk.app, kiosk.server.db

    async def go():
        queue = await queue_from_home(app)
        issued = query(db, "SELECT count(*) FROM tickets")[0][0]
        kiosk.proxy.down = True
        await choose_service(queue, "A")
        tap(find(queue, "PriorityButton", group="pregnant"))
        await until(lambda: queue.state == "failed")
        await frames()
        await shot(app, "queue-backend-lost")
        assert queue.message == NO_CONNECTION and queue.ticket is None and app.session_ticket_id == ""
        assert query(db, "SELECT count(*) FROM tickets")[0][0] == issued
        tap(find(queue, "KioskButton", text="Xong"))
        await arrive(app, "attract")

    kiosk.run(go())


def test_going_home_while_a_number_is_issued(kiosk):
    """Home while the backend issues a number: the issue is cancelled with the
    session, the number voided and not printed, and the next citizen's rating not linked to it."""
    app, printer, db = kiosk.app, kiosk.printer, kiosk.server.db

    async def go():
        async with HoldingProxy(kiosk.url) as proxy, BackendClient(proxy.url, kiosk.server.token, retries=1) as slow:
            held = proxy.hold("POST", r"/queue/tickets$")
            app.services.client = slow
            queue = await queue_from_home(app)
            await choose_service(queue, "A")
            printed = len(printer.printed)
            tap(find(queue, "PriorityButton", group="elderly"))
            await until(held.answered.is_set)
            issued, status = last_ticket(db, "A")
            assert status == "waiting"  # the backend issued it; the kiosk has not heard yet
            await go_home(app, answer=None)  # nothing on the screen to lose yet: not asked
            await arrive(app, "home")
            held.release.set()
            await until(lambda: ticket_status(db, issued) == "void")
            await frames(10)
            assert len(printer.printed) == printed, "printed for nobody"
            assert app.session_ticket_id == "" and queue.ticket is None
        app.services.client = kiosk.client
        # The citizen, starting again, rates the service: nothing links it to that ticket.
        await rate_from_home(app, "satisfied")
        assert ratings(db)[-1] == ("satisfied", "[]", None)

    kiosk.run(go())


def test_offline_banner_outbox_and_search(kiosk):
    """Offline: the banner says so, a rating waits in the outbox, search still works."""
    app, outbox = kiosk.app, kiosk.outbox

    async def go():
        kiosk.proxy.down = True
        await until(lambda: app.link == "offline")  # as the heartbeats find it
        await frames()
        assert app.root.ids.banner.height > 0
        await shot(app, "home-offline")
        waiting = [item["kind"] for item in outbox.pending()]
        rating = await rate_from_home(app, "very_satisfied")
        assert [item["kind"] for item in outbox.pending()] == [*waiting, "rating"]
        tap(find(rating, "KioskButton", text="Xong"))
        await next_citizen(app)
        tap(find(app.root, "HomeTile", screen="catalogue"))
        await arrive(app, "catalogue")
        tap(app.root.ids.screens.current_screen.ids.search)
        await arrive(app, "search")
        search = app.root.ids.screens.current_screen
        await type_query(search, "chung thuc")
        await frames()
        await shot(app, "search-offline")
        assert app.root.ids.banner.height > 0
        assert "chứng thực" in result(search).text.lower()
        # The rating's own "back to the start in a few seconds" was for the citizen who left.
        await asyncio.sleep(THANKS_SECONDS + 0.5)
        assert app.root.ids.screens.current == "search" and search.ids.results.data
        kiosk.proxy.down = False
        await until(lambda: app.link == "online")  # the next heartbeat finds the backend again

    kiosk.run(go())


def test_an_unexpected_error_says_sorry_and_goes_home(kiosk, monkeypatch):
    """A screen's callback raises, then a task does: each logged as one line and its frames
    (not the exception's words, which may hold a citizen's data), the citizen told "sorry"
    with a way home, and the app goes on."""
    app, crashes = kiosk.app, kiosk.crashes

    def broken(_screen, _reason):
        raise RuntimeError("052090000001 Nguyễn Văn An")

    async def failing():
        raise ValueError("052090000001")

    async def go():
        tap(find(app.root, "HomeTile", screen="rating"))
        await arrive(app, "rating")
        rating = app.root.ids.screens.current_screen
        tap(find(rating, "Face", level="unsatisfied"))
        await frames()
        monkeypatch.setattr(RatingScreen, "toggle_reason", broken)
        # Through Kivy's own loop, as a touch from the screen arrives.
        Clock.schedule_once(lambda _dt: tap(find(rating, "ReasonButton", text="Chờ đợi lâu")))
        await until(lambda: app._sorry is not None)
        await frames(5)
        await shot(app, "sorry", popups=True)
        assert find(app._sorry, "Label", text="Xin lỗi, máy gặp sự cố") is not None
        app.language = "en"
        await frames()
        assert find(app._sorry, "Label", text="Sorry, something went wrong") is not None
        app.language = "vi"
        [record] = crashes.records
        logged = logging.Formatter().format(record)
        assert logged.startswith("unexpected RuntimeError in a Kivy callback on screen rating\n")
        assert "in broken" in logged and "052090000001" not in logged and "Nguyễn" not in logged

        tap(find(app._sorry, "KioskButton", text="Về màn hình chính"))
        await arrive(app, "home")
        assert app._sorry is None
        monkeypatch.undo()

        # A task that fails: the same, and the app goes on.
        app.spawn(failing())
        await until(lambda: app._sorry is not None)
        assert crashes.records[-1].getMessage().startswith("unexpected ValueError in a task on screen home")
        assert "052090000001" not in logging.Formatter().format(crashes.records[-1])
        tap(find(app._sorry, "KioskButton", text="Về màn hình chính"))
        await frames(5)
        assert app._sorry is None and app.root.ids.screens.current == "home"
        await rate_from_home(app, "very_satisfied")
        crashes.records.clear()  # caused on purpose

    kiosk.run(go())


def test_catalogue_text_is_shown_as_written(kiosk):
    """A catalogue whose names and codes hold Kivy markup: shown literally, no [ref] to touch."""
    app = kiosk.app
    name, code = "[b]x[/b] [color=ff0000]khai sinh giả[/color]", "[ref=home]1.000001[/ref]"

    async def go():
        search = await open_search(app)
        real = next(iter(search._catalogue.procedures.values()))
        hostile = dataclasses.replace(real, name=name, code=code)
        search._catalogue = dataclasses.replace(search._catalogue, index=SearchIndex([hostile]))
        await type_query(search, "khai sinh")
        await frames()
        await shot(app, "search-markup")
        button = result(search)
        shown = rendered(button)
        assert name in shown and code in shown, shown
        assert button.refs == {}

    kiosk.run(go())


def test_listen_reads_the_screen_aloud(kiosk):
    code = query(kiosk.server.db, "SELECT code FROM dossiers ORDER BY code LIMIT 1")[0][0]
    kiosk.run(listen_journey(kiosk.app, kiosk.data, code))


def test_a_fresh_number_is_read_out(kiosk):
    kiosk.run(ticket_read_out_journey(kiosk.app))


def test_a_kiosk_that_cannot_play_sound_says_so_once_and_goes_on(kiosk, monkeypatch, caplog):
    kiosk.run(cannot_play_journey(kiosk.app, monkeypatch, caplog))


def test_speech_off_takes_listen_out_of_the_bar(kiosk):
    kiosk.run(speech_off_journey(kiosk.app, kiosk.data / "kiosk.ini"))


def test_still_there_is_asked_after_the_configured_idle_time(kiosk):
    kiosk.run(asked_after_the_configured_time_journey(kiosk.app))


def test_the_touch_that_answers_still_there_presses_nothing(kiosk):
    kiosk.run(answering_presses_nothing_journey(kiosk.app))
