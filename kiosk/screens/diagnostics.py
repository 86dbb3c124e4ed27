"""Staff mode's check of the machine: printer, scanners, card reader, backend, catalogue,
outbox, disk, the last lines of the log; test prints, sync now, restart, exit."""

from __future__ import annotations

import asyncio
import shutil
import time

from kivy.factory import Factory
from kivy.properties import ListProperty, StringProperty

from ..client.errors import BackendError
from ..client.store import CatalogueError
from ..client.sync import sync_all
from ..domain.scan import parse_scan
from ..hardware import card_reader, receipts
from ..hardware.printer import PrinterError
from ..hardware.scanners import Scan
from ..i18n import N_
from .base import KioskScreen, in_language, load_kv


class DiagnosticsScreen(KioskScreen):
    checks = ListProperty()
    """(what, how it is, "ok" / "warning" / "danger") for each part of the machine, in the
    language shown."""
    last_scan = StringProperty("")
    """The last scan, described without personal data: a test of the scanners."""
    message = StringProperty("")
    log_text = StringProperty("")

    def activate(self) -> None:
        self.message = self.last_scan = ""
        self._found: list[tuple[str, tuple, str]] = []
        """The checks as found: `what` an English message, `how` one with its arguments."""
        self.app.bind(language=self._show_checks)
        self.refresh()

    def _show_checks(self, *_args) -> None:
        self.checks = [(self.app.t(what), in_language(self.app, *how), colour) for what, how, colour in self._found]

    def on_checks(self, *_args) -> None:
        rows = self.ids.checks
        rows.clear_widgets()
        for what, how, colour in self.checks:
            rows.add_widget(Factory.CheckRow(what=what, how=how, colour=colour))

    def deactivate(self) -> None:
        self.app.unbind(language=self._show_checks)
        self.last_scan = ""

    def on_scan(self, scan: Scan) -> None:
        self.last_scan = f"{scan.source}: {parse_scan(scan.text).describe()}"

    def refresh(self) -> None:
        self.log_text = "\n".join(self.app.recent_log.lines) or "-"
        self.app.spawn(self._refresh())

    async def _refresh(self) -> None:
        services = self.app.services
        checks = []
        if services.printer is None:
            checks.append((N_("Printer"), (N_("none configured"),), "warning"))
        else:
            state = await asyncio.to_thread(services.printer.status)
            checks.append((N_("Printer"), ("{} · {}", state, repr(services.printer)), "ok" if state == "ok" else "danger"))
        if services.card_reader:
            reader = await asyncio.to_thread(card_reader.probe)
            checks.append((N_("Card reader"), ("{}", reader.message),
                           "ok" if reader.health == "ok" else "danger"))
        else:
            checks.append((N_("Card reader"), (N_("none configured"),), "ok"))
        checks.append(await self._backend())
        store = services.store
        checks.append((N_("Catalogue"), (N_("version {}, {} procedures"), store.version or "-", len(store)), "ok"))
        waiting = len(services.outbox)
        checks.append((N_("Waiting to be sent"), ("{}", waiting), "ok" if waiting < 100 else "warning"))
        free = (await asyncio.to_thread(shutil.disk_usage, store.path.parent)).free // 2**20
        checks.append((N_("Free disk"), ("{} MB", free), "ok" if free >= 500 else "danger"))
        self._found = checks
        self._show_checks()

    async def _backend(self) -> tuple[str, tuple, str]:
        client = self.app.services.client
        if client is None:
            return N_("Backend"), (N_("none configured"),), "danger"
        started = time.monotonic()
        try:
            await client.services()
        except BackendError as error:
            return N_("Backend"), ("{}: {}", client.base_url, type(error).__name__), "danger"
        return N_("Backend"), (N_("{}: answers in {} ms"), client.base_url, round((time.monotonic() - started) * 1000)), "ok"

    def print_tests(self) -> None:
        self.app.spawn(self._print_tests())

    async def _print_tests(self) -> None:
        printer = self.app.services.printer
        if printer is None:
            self.say("No printer is configured.")
            return
        try:
            for picture in receipts.samples(printer.width, self.app.language).values():
                await asyncio.to_thread(printer.print_image, picture)
        except PrinterError as error:
            self.say("The test print failed: {}", error.why)
        else:
            self.say("Printed: a queue ticket, a checklist and a dossier slip.")

    def sync_now(self) -> None:
        self.say("Bringing the catalogue up to date…")
        self.app.spawn(self._sync())

    async def _sync(self) -> None:
        services = self.app.services
        try:
            if services.client is None:
                raise BackendError("no backend")
            catalogue, replay = await sync_all(services.client, services.store, services.outbox)
        except (BackendError, CatalogueError) as error:
            self.say("Sync failed, the catalogue in use is kept: {}", type(error).__name__)
            return
        self.say("Catalogue up to date: version {}, {} procedures.", catalogue.version, catalogue.procedures)
        await self._refresh()


load_kv(__file__)
