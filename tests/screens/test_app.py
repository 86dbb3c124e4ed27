"""The kiosk app in a real, headless Kivy window against a real backend: attract, home,
language, larger text, the journeys (journey_*.py), queue numbers (printed, not printed,
backend lost), rating (online and through the outbox), offline search, lockdown.
Screenshots of every screen go to the folder in $KIOSK_SCREENSHOTS (default: a temp dir)."""

import asyncio
import json
import os
import shutil
from pathlib import Path

from kiosk.kivy_setup import prepare_kivy  # noqa: E402  (tests/conftest.py set Kivy's environment)

prepare_kivy(windowed=True, home=Path(os.environ["KIVY_HOME"]))

from kivy.core.window import Window  # noqa: E402

from kiosk.app import KioskApp, KioskServices  # noqa: E402
from kiosk.config import EXAMPLE_CONFIG, save_config  # noqa: E402
from kiosk.client.api import BackendClient  # noqa: E402
from kiosk.client.outbox import Outbox  # noqa: E402
from kiosk.client.pin import StaffPin  # noqa: E402
from kiosk.client.store import LocalStore  # noqa: E402
from kiosk.hardware.printer import SimulatedPrinter  # noqa: E402
from kiosk.hardware.scanners import ScannerSettings  # noqa: E402
from kiosk.screens.queue import NO_CONNECTION  # noqa: E402
from kiosk.screens.rating import THANKS_SECONDS  # noqa: E402
from hardware.test_scanners import Cable  # noqa: E402
from support import query, start_site  # noqa: E402
from screens.journey_dossier import dossier_journey  # noqa: E402
from screens.journey_layouts import layouts_journey  # noqa: E402
from screens.journey_staff import STAFF_PIN, staff_journey  # noqa: E402
from screens.kit import arrive, find, frames, shot, tap, until  # noqa: E402
from screens.journey_procedures import procedures_journey  # noqa: E402

def ratings(db):
    return query(db, "SELECT level, reasons, ticket_id FROM ratings ORDER BY id")


def ticket_status(db, public_id):
    return query(db, "SELECT status FROM tickets WHERE public_id = ?", public_id)[0][0]


def last_ticket(db, service):
    return query(db, "SELECT status FROM tickets WHERE service = ? ORDER BY id DESC LIMIT 1", service)[0][0]


async def queue_from_attract(app):
    """Touch the attract screen, then the queue tile: the services the queue screen lists."""
    screens = app.root.ids.screens
    tap(screens.current_screen)
    await arrive(app, "home")
    tap(find(app.root, "HomeTile", screen="queue"))
    await arrive(app, "queue")
    queue = screens.current_screen
    await until(lambda: queue.state == "services")
    return queue


async def choose_service(queue, letter):
    tap(next(b for b in queue.ids.body.children[0].ids.services.children if b.text.startswith(f"{letter} ·")))
    await until(lambda: queue.state == "priority")


def kiosk_config(data, server, terminal):
    """This kiosk's configuration file, as staff mode edits it: the example, pointed here."""
    token_file = data / "terminal-token"
    token_file.write_text(server.token + "\n", encoding="utf-8")
    config_file = data / "kiosk.ini"
    shutil.copyfile(EXAMPLE_CONFIG, config_file)
    save_config(config_file, {"kiosk": {"backend_url": f"http://{server.host}:{server.port}", "data_dir": str(data),
                                        "token_file": str(token_file), "terminal_id": str(terminal)}})
    return config_file


def test_kiosk_app_journeys(tmp_path):
    server = start_site(tmp_path / "site")
    data = tmp_path / "kiosk"
    serial = Cable(tmp_path / "scanner")  # a USB-CDC scanner, as a pseudo-terminal
    serial.plug()
    try:
        asyncio.run(_journeys(server, data, serial))
    finally:
        serial.unplug()
        assert server.stop() == 0


async def _journeys(server, data, serial):
    store, outbox = LocalStore(data / "catalogue.sqlite3"), Outbox(data / "outbox.sqlite3")
    async with BackendClient(f"http://{server.host}:{server.port}", server.token, retries=1) as client:
        printer = SimulatedPrinter(data / "prints")
        terminal = query(server.db, "SELECT id FROM terminals")[0][0]
        config_file, pin = kiosk_config(data, server, terminal), StaffPin(data / "staff-pin.json")
        pin.set(STAFF_PIN)
        app = KioskApp(KioskServices(store, outbox, client, printer=printer, config_path=config_file, pin=pin,
                                     scanner=ScannerSettings(kind="serial", port=str(serial.link)),
                                     office_name="Trung tâm Phục vụ hành chính công tỉnh Gia Lai", idle_timeout=30,
                                     terminal_id=terminal, heartbeat_every=0.5))

        async def drive():
            await until(lambda: app.root is not None and app.root.ids.screens.current == "attract")
            screens = app.root.ids.screens
            await until(lambda: app.link == "online")  # the first sync went through
            await frames()
            await shot(app, "attract")
            # Lockdown: Escape and F1 do nothing, the window refuses to close.
            assert Window.dispatch("on_keyboard", 27, 0, None, []) is True
            assert Window.dispatch("on_keyboard", 282, 0, None, []) is True
            assert Window.dispatch("on_request_close") is True

            tap(screens.current_screen)
            await arrive(app, "home")
            await shot(app, "home-vi")
            tile = find(app.root, "HomeTile", screen="rating")
            assert tile.text == "Đánh giá"
            app.language = "en"
            await frames()
            assert find(app.root, "HomeTile", screen="rating").text == "Rate the service"
            await shot(app, "home-en")
            app.language, app.large_text = "vi", True
            await frames()
            await shot(app, "home-large")
            app.large_text = False
            await procedures_journey(app)
            await dossier_journey(app, server, data)

            # The serial scanner of the [scanner] section: a receipt read on the home screen.
            code = query(server.db, "SELECT code FROM dossiers ORDER BY code LIMIT 1")[0][0]
            serial.send(f"{code}\r\n".encode())
            await arrive(app, "dossier")
            await until(lambda: screens.current_screen.state == "card")
            assert screens.current_screen.report.dossier.code == code
            app.end_session()
            await arrive(app, "attract")
            tap(screens.current_screen)
            await arrive(app, "home")
            await layouts_journey(app, code)

            # The centre's staff change this kiosk's settings: the next heartbeat brings them.
            assert app.centre_version == 0 and app.services.idle_timeout == 30
            config = server.get(f"/api/v1/terminals/{terminal}/config", token="admin").json()["config"]
            config.update(office_name="Trung tâm Phục vụ hành chính công xã Nhơn Châu", idle_timeout_seconds=45, services=["A", "B"])
            put = server.request("PUT", f"/api/v1/terminals/{terminal}/config", json.dumps(config).encode(), token="admin")
            assert put.status == 200, put.body
            await until(lambda: app.office_name == "Trung tâm Phục vụ hành chính công xã Nhơn Châu")
            assert app.centre_version == put.json()["config_version"] and app.services.idle_timeout == 45
            assert app.offered_services == ["A", "B"]

            await staff_journey(app, server, data / "kiosk.ini")
            tap(screens.current_screen)
            await arrive(app, "home")

            # A queue number: service, priority question, a printed ticket, the number on screen.
            printed_before = len(printer.printed)
            tap(find(app.root, "HomeTile", screen="queue"))
            await arrive(app, "queue")
            queue = screens.current_screen
            await until(lambda: queue.state == "services")
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
            assert ticket_status(server.db, ticket.id) == "waiting"

            # Rating from the end of that journey: linked to this session's ticket.
            tap(find(queue, "KioskButton", text="Đánh giá"))
            await arrive(app, "rating")
            rating = screens.current_screen
            tap(find(rating, "Face", level="unsatisfied"))
            await frames()
            tap(find(rating, "ReasonButton", text="Chờ đợi lâu"))
            await frames()
            await shot(app, "rating-chosen")
            tap(find(rating, "KioskButton", text="Gửi đánh giá"))
            await until(lambda: rating.state == "thanks")
            await frames()
            await shot(app, "rating-thanks")
            assert ratings(server.db)[-1] == ("unsatisfied", '["Chờ đợi lâu"]', ticket.id)
            await arrive(app, "attract")

            # The printer runs out of paper: the number is voided, the citizen told what to do.
            printer.state = "paper_out"
            await queue_from_attract(app)
            offered = [b.text[0] for b in queue.ids.body.children[0].ids.services.children]
            assert sorted(offered) == ["A", "B"], "only the services the centre gave this kiosk"
            await choose_service(queue, "B")
            tap(find(queue, "KioskButton", text="Không, tôi không thuộc các đối tượng trên"))
            await until(lambda: queue.state == "failed")
            await frames()
            await shot(app, "queue-not-printed")
            assert queue.ticket is None and app.session_ticket_id == ""
            assert last_ticket(server.db, "B") == "void", "no ghost number"
            tap(find(queue, "KioskButton", text="Xong"))
            await arrive(app, "attract")
            assert app.session_ticket_id == "" and rating.level == "" and rating.reasons == []

            # The backend goes away while a citizen takes a number: no number, and plain words.
            await queue_from_attract(app)
            issued = query(server.db, "SELECT count(*) FROM tickets")[0][0]
            server.process.terminate()
            server.process.wait()
            await choose_service(queue, "A")
            tap(find(queue, "PriorityButton", group="pregnant"))
            await until(lambda: queue.state == "failed")
            await frames()
            await shot(app, "queue-backend-lost")
            assert queue.message == NO_CONNECTION and queue.ticket is None and app.session_ticket_id == ""
            assert query(server.db, "SELECT count(*) FROM tickets")[0][0] == issued
            tap(find(queue, "KioskButton", text="Xong"))
            await arrive(app, "attract")

            # Offline: the banner says so, a rating waits in the outbox, search still works.
            client.connectivity.failed()  # as the next sync would find it
            tap(screens.current_screen)
            await arrive(app, "home")
            assert app.link == "offline" and app.root.ids.banner.height > 0
            await shot(app, "home-offline")
            tap(find(app.root, "HomeTile", screen="rating"))
            await arrive(app, "rating")
            tap(find(screens.current_screen, "Face", level="very_satisfied"))
            await frames()
            tap(find(screens.current_screen, "KioskButton", text="Gửi đánh giá"))
            await until(lambda: screens.current_screen.state == "thanks")
            assert [item["kind"] for item in outbox.pending()] == ["rating"]
            tap(find(screens.current_screen, "KioskButton", text="Xong"))
            await arrive(app, "attract")
            tap(screens.current_screen)
            await arrive(app, "home")
            tap(find(app.root, "HomeTile", screen="catalogue"))
            await arrive(app, "catalogue")
            tap(screens.current_screen.ids.search)
            await arrive(app, "search")
            search = screens.current_screen
            for key in "chung thuc":
                search.type(key)
            await until(lambda: search.ids.results.children)
            await frames()
            await shot(app, "search-offline")
            assert app.root.ids.banner.height > 0
            assert "chứng thực" in search.ids.results.children[-1].text.lower()
            # The rating's own "back to the start in a few seconds" was for the citizen who left.
            await asyncio.sleep(THANKS_SECONDS + 0.5)
            assert screens.current == "search" and search.ids.results.children

            app.stop()

        await asyncio.gather(app.async_run(async_lib="asyncio"), drive())
    store.close()
    outbox.close()
