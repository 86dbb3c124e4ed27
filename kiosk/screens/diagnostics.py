"""Staff mode's check of the machine: printer, scanners, card reader, backend, catalogue,
outbox, disk, the last lines of the log; test prints, sync now, restart, exit (each of the
last two asked first). Every state is said in words, in the language shown, never as the
code's own value or object."""

from __future__ import annotations

import asyncio
import shutil
import time

from kivy.factory import Factory
from kivy.properties import BooleanProperty, ListProperty, StringProperty

from ..client.errors import BackendError, Offline, Rejected, ServerError, Timeout, Unauthorized
from ..client.store import CatalogueError
from ..client.sync import sync_all
from ..domain.scan import ScanResult, parse_scan
from ..hardware import card_reader, receipts
from ..hardware.printer import PrinterError, SimulatedPrinter
from ..hardware.scanners import Scan
from ..i18n import N_, Message
from .base import KioskScreen, in_language, load_kv
from .confirm import Confirm

PRINTER_STATE_WORDS = {
    "ok": N_("ready"), "paper_low": N_("paper running low"), "paper_out": N_("out of paper"),
    "offline": N_("not ready: no answer, cover open or an error"), "unknown": N_("state unknown"),
}
"""A printer's state (domain.terminal.PRINTER_STATES) in words."""
CONNECTIONS = {"usb": N_("USB {}"), "serial": N_("serial port {}"), "network": N_("network {}"),
               "file": N_("device file {}")}
"""How a printer is reached ([printer] driver), with its address."""
BACKEND_TROUBLE = [
    (Unauthorized, N_("does not accept this kiosk's token")), (Timeout, N_("answers too slowly")),
    (Offline, N_("cannot be reached")), (Rejected, N_("refused the request")),
    (ServerError, N_("has a problem of its own")), (BackendError, N_("cannot be used")),
]
"""What a backend error means, most particular first."""
SCAN_SOURCES = {"wedge": N_("Keyboard-wedge scanner"), "serial": N_("Serial scanner"), "camera": N_("Camera")}


def backend_trouble(error: BaseException) -> Message:
    return Message(next((words for kind, words in BACKEND_TROUBLE if isinstance(error, kind)), N_("cannot be used")))


class Said(tuple):
    """A message and its arguments inside another's arguments, translated with it."""


def said(app, message: str, *args) -> str:
    """`in_language`, with `Said` arguments said first."""
    return in_language(app, message, *(said(app, *arg) if isinstance(arg, Said) else arg for arg in args))


def printer_said(printer) -> Said:
    """How the printer is reached, in words: not the Python object."""
    if isinstance(printer, SimulatedPrinter):
        return Said((N_("simulated, receipts saved as pictures in {}"), str(printer.folder)))
    name = getattr(printer, "name", "")
    driver, _space, address = name.partition(" ")
    return Said((CONNECTIONS[driver], address) if driver in CONNECTIONS else ("{}", name))


def scan_said(app, source: str, scan: ScanResult) -> str:
    """The scanner and what it read, in the language shown, without personal data."""
    if scan.kind == "dossier":
        what = in_language(app, N_("dossier {}"), scan.dossier_code)
        if scan.procedure_code:
            what += ", " + in_language(app, N_("procedure {}"), scan.procedure_code)
        if scan.appointment_date:
            what += ", " + in_language(app, N_("due {}"), f"{scan.appointment_date:%d/%m/%Y}")
    elif scan.kind == "identity" and scan.identity is not None:
        what = in_language(app, N_("citizen ID card: {}, number ending {}"), scan.identity.masked_name,
                           scan.identity.id_number_last4)
    elif scan.kind == "ticket":
        what = in_language(app, N_("queue ticket {}"), scan.ticket_id)
    else:
        what = app.t("not a receipt, a card or a ticket")
    scanner = SCAN_SOURCES.get(source)
    return f"{app.t(scanner) if scanner else source}: {what}"


class DiagnosticsScreen(KioskScreen):
    citizen = False  # staff's own: their buttons lead in and out of staff mode
    has_back = BooleanProperty(False)
    has_home = BooleanProperty(False)

    checks = ListProperty()
    """(what, how it is, "ok" / "warning" / "danger") for each part of the machine, in the
    language shown."""
    last_scan = StringProperty("")
    """The last scan, described without personal data: a test of the scanners."""
    message = StringProperty("")
    log_text = StringProperty("")

    def activate(self) -> None:
        self.message = self.last_scan = ""
        self._scanned: tuple[str, ScanResult] | None = None
        self.asking: Confirm | None = None
        """The "are you sure?" view while it is open."""
        self._found: list[tuple[str, tuple, str]] = []
        """The checks as found: `what` an English message, `how` one with its arguments."""
        self.app.bind(language=self._show_checks)
        self.refresh()

    def _show_checks(self, *_args) -> None:
        self.checks = [(self.app.t(what), said(self.app, *how), colour) for what, how, colour in self._found]
        self.last_scan = scan_said(self.app, *self._scanned) if self._scanned else ""

    def on_checks(self, *_args) -> None:
        rows = self.ids.checks
        rows.clear_widgets()
        for what, how, colour in self.checks:
            rows.add_widget(Factory.CheckRow(what=what, how=how, colour=colour))

    def deactivate(self) -> None:
        self.app.unbind(language=self._show_checks)
        self.last_scan, self._scanned = "", None
        if self.asking is not None:  # the idle timeout ended staff mode: nobody may answer it
            self.asking.dismiss(animation=False)

    def on_scan(self, scan: Scan) -> None:
        self._scanned = (scan.source, parse_scan(scan.text))
        self.last_scan = scan_said(self.app, *self._scanned)

    def confirm_restart(self) -> None:
        self._ask(N_("Restart the app?"),
                  N_("The app closes and starts again by itself in a few seconds. Settings not saved are lost."),
                  N_("Yes, restart"), "warning", self.app.restart)

    def confirm_exit(self) -> None:
        self._ask(N_("Exit to the desktop?"),
                  N_("The app closes and does not start again by itself: citizens cannot use this kiosk until "
                     "it is started again or the machine restarts."),
                  N_("Yes, exit to the desktop"), "danger", self.app.exit_to_desktop)

    def _ask(self, question: str, detail: str, yes: str, colour: str, action) -> None:
        if self.asking is None:
            self.asking = Confirm(question=question, detail=detail, yes=yes, colour=colour, action=action)
            self.asking.bind(on_dismiss=lambda *_args: setattr(self, "asking", None))
            self.asking.open(animation=False)

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
            checks.append((N_("Printer"), ("{} · {}", Message(PRINTER_STATE_WORDS.get(state, N_("state unknown"))),
                                           printer_said(services.printer)), "ok" if state == "ok" else "danger"))
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
            return N_("Backend"), ("{}: {}", client.base_url, backend_trouble(error)), "danger"
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
            trouble = backend_trouble(error) if isinstance(error, BackendError) else Message(
                N_("the catalogue received cannot be used"))
            self.say("Sync failed, the catalogue in use is kept: {}", trouble)
            return
        self.say("Catalogue up to date: version {}, {} procedures.", catalogue.version, catalogue.procedures)
        await self._refresh()


load_kv(__file__)
