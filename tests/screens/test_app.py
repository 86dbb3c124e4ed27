"""The kiosk app in a real, headless Kivy window against a real backend: attract, home,
language, larger text, rating (online and through the outbox), idle reset, lockdown.
Screenshots of every screen go to the folder in $KIOSK_SCREENSHOTS (default: a temp dir)."""

import asyncio
import os
import tempfile
from pathlib import Path

from kiosk.kivy_setup import prepare_kivy  # noqa: E402  (tests/conftest.py set Kivy's environment)

prepare_kivy(windowed=True, home=Path(os.environ["KIVY_HOME"]))

from kivy.core.window import Window  # noqa: E402
from kivy.tests.common import UnitTestTouch  # noqa: E402

from kiosk.app import KioskApp, KioskServices  # noqa: E402
from kiosk.backend.store import BackendStore  # noqa: E402
from kiosk.client.api import BackendClient  # noqa: E402
from kiosk.client.outbox import Outbox  # noqa: E402
from kiosk.client.store import LocalStore  # noqa: E402
from kiosk.hardware.printer import SimulatedPrinter  # noqa: E402
from support import start_site  # noqa: E402
from screens.journey_dossier import dossier_journey  # noqa: E402
from screens.journey_procedures import procedures_journey  # noqa: E402

SHOTS = Path(os.environ.get("KIOSK_SCREENSHOTS") or tempfile.mkdtemp(prefix="kiosk-shots-"))


def tap(widget):
    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    touch.touch_up()


def shot(app, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    Window.screenshot(str(SHOTS / f"{name}.png"))  # the window: pop-ups included


def find(root, kind, **attributes):
    for widget in root.walk():
        if type(widget).__name__ == kind and all(getattr(widget, k, None) == v for k, v in attributes.items()):
            return widget
    raise LookupError(f"no {kind} with {attributes}")


async def frames(count=3):
    for _ in range(count):
        await asyncio.sleep(1 / 30)


async def arrive(app, name):
    """Wait until `name` is the screen shown and its transition has ended."""
    screens = app.root.ids.screens
    try:
        await until(lambda: screens.current == name and not screens.transition.is_active)
    except AssertionError:
        raise AssertionError(f"wanted {name}, at {screens.current}, transition active {screens.transition.is_active}")
    await frames()


async def until(condition, timeout=20):
    for _ in range(int(timeout * 30)):
        if condition():
            return
        await asyncio.sleep(1 / 30)
    raise AssertionError("timed out waiting")


def query(db, sql, *args):
    store = BackendStore(db)
    try:
        return store.db.execute(sql, args).fetchall()
    finally:
        store.close()


def ratings(db):
    return query(db, "SELECT level, reasons, ticket_id FROM ratings ORDER BY id")


def ticket_status(db, public_id):
    return query(db, "SELECT status FROM tickets WHERE public_id = ?", public_id)[0][0]


def last_ticket(db, service):
    return query(db, "SELECT status FROM tickets WHERE service = ? ORDER BY id DESC LIMIT 1", service)[0][0]


def test_kiosk_app_journeys(tmp_path):
    server = start_site(tmp_path / "site")
    data = tmp_path / "kiosk"
    try:
        asyncio.run(_journeys(server, data))
    finally:
        assert server.stop() == 0


async def _journeys(server, data):
    store, outbox = LocalStore(data / "catalogue.sqlite3"), Outbox(data / "outbox.sqlite3")
    async with BackendClient(f"http://{server.host}:{server.port}", server.token, retries=1) as client:
        printer = SimulatedPrinter(data / "prints")
        app = KioskApp(KioskServices(store, outbox, client, printer=printer,
                                     office_name="Bộ phận Một cửa huyện Hoài Ân", idle_timeout=30))

        async def drive():
            await until(lambda: app.root is not None and app.root.ids.screens.current == "attract")
            screens = app.root.ids.screens
            await until(lambda: app.link == "online")  # the first sync went through
            await frames()
            shot(app, "attract")
            # Lockdown: Escape and F1 do nothing, the window refuses to close.
            assert Window.dispatch("on_keyboard", 27, 0, None, []) is True
            assert Window.dispatch("on_keyboard", 282, 0, None, []) is True
            assert Window.dispatch("on_request_close") is True

            tap(screens.current_screen)
            await arrive(app, "home")
            shot(app, "home-vi")
            tile = find(app.root, "HomeTile", screen="rating")
            assert tile.text == "Đánh giá"
            app.language = "en"
            await frames()
            assert find(app.root, "HomeTile", screen="rating").text == "Rate the service"
            shot(app, "home-en")
            app.language, app.large_text = "vi", True
            await frames()
            shot(app, "home-large")
            app.large_text = False
            await procedures_journey(app, screens, shot, tap, find, arrive, until, frames)
            await dossier_journey(app, screens, shot, tap, find, arrive, until, frames, server)

            # A queue number: service, priority question, a printed ticket, the number on screen.
            printed_before = len(printer.printed)
            tap(find(app.root, "HomeTile", screen="queue"))
            await arrive(app, "queue")
            queue = screens.current_screen
            await until(lambda: queue.state == "services")
            await frames()
            shot(app, "queue-services")
            tap(next(b for b in queue.ids.body.children[0].ids.services.children if b.text.startswith("A ·")))
            await until(lambda: queue.state == "priority")
            await frames()
            shot(app, "queue-priority")
            tap(find(queue, "PriorityButton", group="elderly"))
            await until(lambda: queue.state == "done")
            await frames()
            shot(app, "queue-done")
            ticket = queue.ticket
            assert ticket.priority == "elderly" and ticket.display.startswith("A")
            assert app.session_ticket_id == ticket.id and len(printer.printed) == printed_before + 1
            assert ticket_status(server.db, ticket.id) == "waiting"

            # Rating from the end of that journey: linked to this session's ticket.
            tap(find(queue, "KioskButton", text="Đánh giá"))
            await arrive(app, "rating")
            rating = screens.current_screen
            tap(find(rating, "Face", level="unsatisfied"))
            await frames()
            tap(find(rating, "ReasonButton", text="Chờ đợi lâu"))
            await frames()
            shot(app, "rating-chosen")
            tap(find(rating, "KioskButton", text="Gửi đánh giá"))
            await until(lambda: rating.state == "thanks")
            await frames()
            shot(app, "rating-thanks")
            assert ratings(server.db)[-1] == ("unsatisfied", '["Chờ đợi lâu"]', ticket.id)
            await arrive(app, "attract")

            # The printer runs out of paper: the number is voided, the citizen told what to do.
            printer.state = "paper_out"
            tap(screens.current_screen)
            await arrive(app, "home")
            tap(find(app.root, "HomeTile", screen="queue"))
            await arrive(app, "queue")
            await until(lambda: queue.state == "services")
            tap(next(b for b in queue.ids.body.children[0].ids.services.children if b.text.startswith("B ·")))
            await until(lambda: queue.state == "priority")
            tap(find(queue, "KioskButton", text="Không, tôi không thuộc các đối tượng trên"))
            await until(lambda: queue.state == "failed")
            await frames()
            shot(app, "queue-not-printed")
            assert queue.ticket is None and app.session_ticket_id == ""
            assert last_ticket(server.db, "B") == "void", "no ghost number"
            tap(find(queue, "KioskButton", text="Xong"))
            await arrive(app, "attract")
            assert app.session_ticket_id == "" and rating.level == "" and rating.reasons == []

            # The backend goes away: the banner says so, and a rating waits in the outbox.
            server.process.terminate()
            server.process.wait()
            client.connectivity.failed()
            client.connectivity.failed()
            tap(screens.current_screen)
            await arrive(app, "home")
            assert app.link == "offline" and app.root.ids.banner.height > 0
            shot(app, "home-offline")
            tap(find(app.root, "HomeTile", screen="rating"))
            await arrive(app, "rating")
            tap(find(screens.current_screen, "Face", level="very_satisfied"))
            await frames()
            tap(find(screens.current_screen, "KioskButton", text="Gửi đánh giá"))
            await until(lambda: screens.current_screen.state == "thanks")
            assert [item["kind"] for item in outbox.pending()] == ["rating"]

            # Idle: "are you still there?", then the session is wiped.
            app.go("home")
            app.language = "en"
            app._last_activity -= 20  # as if nobody had touched the screen for 20 s of 30
            await until(lambda: app.countdown > 0, timeout=5)
            await frames()
            shot(app, "countdown")
            assert "Starting again in" in app._still_there.ids.seconds.text
            app._last_activity -= 15
            await arrive(app, "attract")
            assert app.language == "vi" and app.countdown == 0
            app.stop()

        await asyncio.gather(app.async_run(async_lib="asyncio"), drive())
    store.close()
    outbox.close()
