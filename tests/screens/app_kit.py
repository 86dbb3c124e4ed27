"""The kiosk app in a real, headless Kivy window against a real backend, for the screen tests
(test_app.py, the journeys; test_app_sizes.py, the layouts on every screen size): `running`
starts it once per module on an event loop of its own, with the sample site's backend, a serial
scanner on a pseudo-terminal and a simulated printer; `kiosk` gives each test the app at the
home screen with a fresh session, and fails the test on any unexpected error the app logged.

Kivy runs one App at a time: a module's app is stopped before the next module starts its own.
Two modules rather than one so that the test suite's two workers share the screens' work."""

import asyncio
import dataclasses
import json
import logging
import os
import shutil
from pathlib import Path

import pytest

from kiosk.kivy_setup import prepare_kivy  # noqa: E402  (tests/conftest.py set Kivy's environment)

prepare_kivy(windowed=True, home=Path(os.environ["KIVY_HOME"]))

from kivy.core.window import Window  # noqa: E402
from kiosk.app import KioskApp, KioskServices  # noqa: E402
from kiosk.client.api import BackendClient  # noqa: E402
from kiosk.client.outbox import Outbox  # noqa: E402
from kiosk.client.pin import StaffPin  # noqa: E402
from kiosk.client.store import LocalStore  # noqa: E402
from kiosk.config import EXAMPLE_CONFIG, save_config  # noqa: E402
from kiosk.hardware.printer import SimulatedPrinter  # noqa: E402
from kiosk.hardware.scanners import ScannerSettings  # noqa: E402
from hardware.test_scanners import Cable  # noqa: E402
from journeys.proxy import HoldingProxy  # noqa: E402
from support import query, start_site  # noqa: E402
from screens.journey_staff import STAFF_PIN  # noqa: E402
from screens.kit import arrive, find, frames, tap, until  # noqa: E402

WINDOW = (1280, 720)
"""The window each test starts at (`kiosk demo --windowed`): an earlier Kivy test in the same
process may have opened it at another size."""
OFFICE = "Trung tâm Phục vụ hành chính công tỉnh Gia Lai"


def ratings(db):
    return query(db, "SELECT level, reasons, ticket_id FROM ratings ORDER BY id")


def ticket_status(db, public_id):
    return query(db, "SELECT status FROM tickets WHERE public_id = ?", public_id)[0][0]


def last_ticket(db, service=None):
    where, args = ("WHERE service = ?", [service]) if service else ("", [])
    return query(db, f"SELECT public_id, status FROM tickets {where} ORDER BY id DESC LIMIT 1", *args)[0]


def kiosk_config(data, server, terminal):
    """This kiosk's configuration file, as staff mode edits it: the example, pointed here."""
    token_file = data / "terminal-token"
    token_file.write_text(server.token + "\n", encoding="utf-8")
    config_file = data / "kiosk.ini"
    shutil.copyfile(EXAMPLE_CONFIG, config_file)
    save_config(config_file, {"kiosk": {"backend_url": f"http://{server.host}:{server.port}", "data_dir": str(data),
                                        "token_file": str(token_file), "terminal_id": str(terminal)}})
    return config_file


class Crashes(logging.Handler):
    """The app's "unexpected" log lines: a test fails on any it did not cause on purpose."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        if record.getMessage().startswith("unexpected"):
            self.records.append(record)


@dataclasses.dataclass
class Kiosk:
    app: KioskApp
    server: object
    data: Path
    serial: Cable
    client: BackendClient
    proxy: HoldingProxy
    """The kiosk's way to the backend: set `down` to cut the network."""
    printer: SimulatedPrinter
    outbox: Outbox
    terminal: int
    loop: asyncio.AbstractEventLoop
    crashes: Crashes

    @property
    def url(self):
        return f"http://{self.server.host}:{self.server.port}"

    def run(self, coroutine):
        """Drive the app: its loop runs while the test's coroutine does."""
        return self.loop.run_until_complete(coroutine)

    async def centre_sets(self, **changes):
        """The centre's staff change this kiosk's settings: the next heartbeat brings them."""
        config = self.server.get(f"/api/v1/terminals/{self.terminal}/config", token="admin").json()["config"]
        config.update(changes)
        put = await asyncio.to_thread(self.server.request, "PUT", f"/api/v1/terminals/{self.terminal}/config",
                                      json.dumps(config).encode(), token="admin")
        assert put.status == 200, put.body
        await until(lambda: self.app.centre_version == put.json()["config_version"])
        return put.json()["config_version"]


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    folder = tmp_path_factory.mktemp("app")
    server = start_site(folder / "site")
    serial = Cable(folder / "scanner")  # a USB-CDC scanner, as a pseudo-terminal
    serial.plug()
    data = folder / "kiosk"
    loop = asyncio.new_event_loop()
    store, outbox = LocalStore(data / "catalogue.sqlite3"), Outbox(data / "outbox.sqlite3")
    proxy = HoldingProxy(f"http://{server.host}:{server.port}")
    loop.run_until_complete(proxy.__aenter__())
    client = BackendClient(proxy.url, server.token, retries=1, timeout=3)
    loop.run_until_complete(client.__aenter__())
    printer = SimulatedPrinter(data / "prints")
    terminal = query(server.db, "SELECT id FROM terminals")[0][0]
    config_file, pin = kiosk_config(data, server, terminal), StaffPin(data / "staff-pin.json")
    pin.set(STAFF_PIN)
    app = KioskApp(KioskServices(store, outbox, client, printer=printer, config_path=config_file, pin=pin,
                                 scanner=ScannerSettings(kind="serial", port=str(serial.link)), office_name=OFFICE,
                                 site_help_desk=store.head()["site"]["help_desk"],  # as `kiosk run` does
                                 idle_timeout=30, terminal_id=terminal, heartbeat_every=0.5))
    crashes = Crashes()
    logging.getLogger("kiosk.app").addHandler(crashes)
    app_task = loop.create_task(app.async_run(async_lib="asyncio"))
    kiosk = Kiosk(app, server, data, serial, client, proxy, printer, outbox, terminal, loop, crashes)
    try:
        kiosk.run(until(lambda: app.root is not None and app.root.ids.screens.current == "attract"))
        kiosk.run(until(lambda: app.link == "online"))  # the first sync went through
        yield kiosk
    finally:
        async def settle():
            Window.size = WINDOW
            app.end_session()
            await frames(10)  # laid out before it stops: kv rules evaluated after the app is gone fail

        kiosk.run(settle())
        app.stop()
        kiosk.run(asyncio.wait_for(app_task, 30))
        kiosk.run(client.close())
        kiosk.run(proxy.__aexit__(None, None, None))
        loop.close()
        logging.getLogger("kiosk.app").removeHandler(crashes)
        store.close()
        outbox.close()
        serial.unplug()
        assert server.stop() == 0


@pytest.fixture
def kiosk(running):
    """The running app at the home screen, with a fresh session; afterwards, no unexpected error."""
    app = running.app
    app.services.client, running.printer.state, running.proxy.down = running.client, "ok", False

    async def fresh():
        Window.size = WINDOW
        app.end_session()
        await arrive(app, "attract")
        await until(lambda: app.link == "online")
        tap(app.root.ids.screens.current_screen)
        await arrive(app, "home")

    running.run(fresh())
    running.crashes.records.clear()
    yield running
    assert not running.crashes.records, [r.getMessage() for r in running.crashes.records]


async def queue_from_home(app):
    tap(find(app.root, "HomeTile", screen="queue"))
    await arrive(app, "queue")
    queue = app.root.ids.screens.current_screen
    await until(lambda: queue.state == "services")
    return queue


async def choose_service(queue, letter):
    tap(next(b for b in queue.ids.body.children[0].ids.services.children if b.text.startswith(f"{letter} ·")))
    await until(lambda: queue.state == "priority")


async def rate_from_home(app, level):
    tap(find(app.root, "HomeTile", screen="rating"))
    await arrive(app, "rating")
    rating = app.root.ids.screens.current_screen
    tap(find(rating, "Face", level=level))
    await frames()
    tap(find(rating, "KioskButton", text="Gửi đánh giá"))
    await until(lambda: rating.state == "thanks")
    return rating
