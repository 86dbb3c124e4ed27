"""One procedure in plain words: what to bring, the steps, time and fees, where, and the law.
The citizen can print the list of documents, or take a queue number for its field."""

from __future__ import annotations

import asyncio

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty

from ..domain.procedure import Procedure
from ..hardware.printer import PrinterError
from ..hardware.receipts import CHANNEL_NAMES, procedure_checklist
from ..i18n import processing_time
from ..journeys.read_aloud import procedure_script
from .base import KioskScreen, load_kv
from .catalogue import Loaded, load_catalogue


LONG_NAME = 200
"""Letters from which a procedure's name is a title in the words' own size (ProcLongTitle)."""


class ProcedureScreen(KioskScreen):
    code = StringProperty("")
    """The procedure shown; set before going to this screen."""
    back = StringProperty("catalogue")
    """The screen the "back" button returns to."""
    message = StringProperty("")
    """How the printing went, in the current language; "" before printing."""
    printing = BooleanProperty(False)
    print_failed = BooleanProperty(False)
    printed = BooleanProperty(False)
    """The list of documents came out: the screen offers to rate the service."""

    def activate(self) -> None:
        self.procedure: Procedure | None = None
        self._catalogue: Loaded | None = None
        self.app.bind(language=self._build)
        self._build()  # "opening…" at once: the first reading of the catalogue takes a second and more
        self.app.spawn(self._load())

    def deactivate(self) -> None:
        self.app.unbind(language=self._build)
        self.code, self.message, self.printing, self.print_failed = "", "", False, False
        self.printed = False
        self.procedure = None
        self.ids.body.clear_widgets()

    async def _load(self) -> None:
        self._catalogue = await load_catalogue(self.app)
        self.procedure = self._catalogue.procedures.get(self.code)
        self._build()

    def go_back(self) -> None:
        if self.back == "catalogue":
            self.manager.get_screen("catalogue").resume = True
        self.app.go(self.back)

    # -- what the screen says -------------------------------------------------------------

    def _build(self, *_args) -> None:
        body = self.ids.body
        body.clear_widgets()
        p, catalogue = self.procedure, self._catalogue
        if catalogue is None:
            self._add("ProcHeading", self.app.t("Opening the procedure…"))
            return
        if p is None:
            self._text(self.app.t("This procedure is no longer in the catalogue."))
            return
        field = catalogue.fields.get(p.field)
        levels = {level.code: level for level in catalogue.levels}
        where = [self._name(levels[c]) for c in p.levels if c in levels]
        self._add("ProcTitle" if len(p.name) <= LONG_NAME else "ProcLongTitle", p.name)
        code = self.app.t("Code: {}").format(p.code)
        self._add("ProcMuted", f"{code} · {self._name(field) if field else p.field} · {', '.join(where)}")

        self._add("ProcHeading", self.app.t("Documents to bring"))
        for case in p.cases:
            if case.name:
                self._add("ProcCase", self.app.t("If: {}").format(case.name))
            for document in case.documents:
                self._text(f"•  {document.name}: {self._how_many(document)}")
                if document.form:
                    self._add("ProcDetail", self.app.t("Form: {}").format(document.form))
                if document.note:
                    self._add("ProcDetail", self.app.t("Note: {}").format(document.note))
        if any(case.steps for case in p.cases):
            self._add("ProcHeading", self.app.t("Steps"))
            for case in p.cases:
                if case.name and case.steps and len(p.cases) > 1:
                    self._add("ProcCase", self.app.t("If: {}").format(case.name))
                for number, step in enumerate(case.steps, 1):
                    self._text(f"{number}.  {step}")

        self._add("ProcHeading", self.app.t("Time and fees"))
        for terms in p.channels:
            fees = "; ".join(self.app.money(fee) for fee in terms.fees) if terms.fees else self.app.t("Free of charge")
            fees = self.app.t("Fees: {}").format(fees)
            channel = CHANNEL_NAMES.get(terms.channel)
            self._text(f"{self.app.t(channel) if channel else terms.channel}: "
                       f"{processing_time(terms, self.app.language)}")
            self._add("ProcDetail", fees)

        if p.agencies:
            self._add("ProcHeading", self.app.t("Where it is handled"))
            self._text(", ".join(p.agencies))
        if p.results:
            self._add("ProcHeading", self.app.t("What you receive"))
            for result in p.results:
                self._text(f"•  {result}")
        self._add("ProcHeading", self.app.t("Online public service"))
        online = {"full": self.app.t("You can do all of it online, on the national public service portal."),
                  "partial": self.app.t("You can apply online; part of it must be done in person."),
                  "none": self.app.t("This procedure cannot be done online.")}
        self._text(online.get(p.online_level, online["none"]))
        if p.legal_basis:
            self._add("ProcHeading", self.app.t("Legal basis"))
            for law in p.legal_basis:
                issued = f" ({law.issuer}, {law.issued})" if law.issuer and law.issued else ""
                self._add("ProcMuted", f"{law.number}: {law.title}{issued}")
        self.ids.scroll.scroll_y = 1

    def spoken(self):
        return procedure_script(self.app.language, self.procedure, self._catalogue is not None)

    def _how_many(self, document) -> str:
        parts = []
        if document.originals:
            parts.append(self.app.t("{} original(s)").format(document.originals))
        if document.copies:
            parts.append(self.app.t("{} copy(ies)").format(document.copies))
        return ", ".join(parts) or self.app.t("Show it")

    def _name(self, thing) -> str:
        return self.app.pick(thing.name, thing.name_en)

    def _text(self, text: str) -> None:
        self._add("ProcText", text)

    def _add(self, kind: str, text: str) -> None:
        self.ids.body.add_widget(getattr(Factory, kind)(text=text))

    # -- what the citizen can do ------------------------------------------------------------

    def print_checklist(self) -> None:
        if self.procedure is None or self.printing:
            return
        self.printing, self.print_failed = True, False
        self.say("Printing…")
        self.app.spawn(self._print(self.procedure))

    async def _print(self, procedure: Procedure) -> None:
        app, printer = self.app, self.app.services.printer
        try:
            if printer is None:
                raise PrinterError("unreachable", "this kiosk has no printer")
            image = procedure_checklist(procedure, width=printer.width, office_name=app.office_name,
                                        language=app.language)
            # The printer blocks while it works: never on the loop that draws the screen.
            await asyncio.to_thread(printer.print_image, image)
        except PrinterError as error:
            self.print_failed = True
            self.say("{}. Please ask at the information desk, or take a photo of this screen.", error.why)
        else:
            self.say("Printed. Please take your list.")
            self.printed = True
        finally:
            self.printing = False

    def take_number(self) -> None:
        """A queue number at the counter of this procedure's field."""
        if self.procedure is None:
            return
        queue = self.app.root.ids.screens.get_screen("queue")
        queue.field = self.procedure.field
        self.app.go("queue")


load_kv(__file__)
