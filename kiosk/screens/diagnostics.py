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
from .base import KioskScreen, load_kv


class DiagnosticsScreen(KioskScreen):
    checks = ListProperty()
    """(what, how it is, "ok" / "warning" / "danger") for each part of the machine."""
    last_scan = StringProperty("")
    """The last scan, described without personal data: a test of the scanners."""
    message = StringProperty("")
    log_text = StringProperty("")

    def activate(self) -> None:
        self.message = self.last_scan = ""
        self.refresh()

    def on_checks(self, *_args) -> None:
        rows = self.ids.checks
        rows.clear_widgets()
        for what, how, colour in self.checks:
            rows.add_widget(Factory.CheckRow(what=what, how=how, colour=colour))

    def deactivate(self) -> None:
        self.last_scan = ""

    def on_scan(self, scan: Scan) -> None:
        self.last_scan = f"{scan.source}: {parse_scan(scan.text).describe()}"

    def refresh(self) -> None:
        self.log_text = "\n".join(self.app.recent_log.lines) or "-"
        self.app.spawn(self._refresh())

    async def _refresh(self) -> None:
        app, services = self.app, self.app.services
        t = app.t
        checks = []
        if services.printer is None:
            checks.append((t("Printer"), t("none configured"), "warning"))
        else:
            state = await asyncio.to_thread(services.printer.status)
            checks.append((t("Printer"), f"{state} · {services.printer!r}", "ok" if state == "ok" else "danger"))
        if services.card_reader:
            reader = await asyncio.to_thread(card_reader.probe)
            checks.append((t("Card reader"), reader.message_vi if app.language == "vi" else reader.message_en,
                           "ok" if reader.health == "ok" else "danger"))
        else:
            checks.append((t("Card reader"), t("none configured"), "ok"))
        checks.append(await self._backend())
        store = services.store
        checks.append((t("Catalogue"), t("version {}, {} procedures").format(store.version or "-", len(store)), "ok"))
        waiting = len(services.outbox)
        checks.append((t("Waiting to be sent"), str(waiting), "ok" if waiting < 100 else "warning"))
        free = (await asyncio.to_thread(shutil.disk_usage, store.path.parent)).free // 2**20
        checks.append((t("Free disk"), f"{free} MB", "ok" if free >= 500 else "danger"))
        self.checks = checks

    async def _backend(self) -> tuple[str, str, str]:
        client, t = self.app.services.client, self.app.t
        if client is None:
            return t("Backend"), t("none configured"), "danger"
        started = time.monotonic()
        try:
            await client.services()
        except BackendError as error:
            return t("Backend"), f"{client.base_url}: {type(error).__name__}", "danger"
        return t("Backend"), t("{}: answers in {} ms").format(client.base_url, round((time.monotonic() - started) * 1000)), "ok"

    def print_tests(self) -> None:
        self.app.spawn(self._print_tests())

    async def _print_tests(self) -> None:
        printer, t = self.app.services.printer, self.app.t
        if printer is None:
            self.message = t("No printer is configured.")
            return
        try:
            for picture in receipts.samples(printer.width).values():
                await asyncio.to_thread(printer.print_image, picture)
        except PrinterError as error:
            self.message = t("The test print failed: {}").format(error)
        else:
            self.message = t("Printed: a queue ticket, a checklist and a dossier slip.")

    def sync_now(self) -> None:
        self.message = self.app.t("Bringing the catalogue up to date…")
        self.app.spawn(self._sync())

    async def _sync(self) -> None:
        services, t = self.app.services, self.app.t
        try:
            if services.client is None:
                raise BackendError("no backend")
            catalogue, replay = await sync_all(services.client, services.store, services.outbox)
        except (BackendError, CatalogueError) as error:
            self.message = t("Sync failed, the catalogue in use is kept: {}").format(type(error).__name__)
            return
        self.message = t("Catalogue up to date: version {}, {} procedures.").format(catalogue.version, catalogue.procedures)
        await self._refresh()


load_kv(__file__)
