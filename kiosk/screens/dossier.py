"""Where is my dossier? Scan the receipt (or the citizen ID card), or type the code on a
keypad, and see the dossier's status card: step, holder, appointment, timeliness, timeline,
fees, documents asked for, where to collect the result.

On a kiosk with a card reader, a citizen ID card is read from its chip: placed on the reader,
with its QR scanned (or the last 6 digits of its number typed) to open it. The chip proves the
card is here, where its QR proves only that someone holds a picture of it.

Scans are read here only while this screen is shown. A card's identity is used for one
request and kept nowhere: not on the screen after the session, not on disk, not in logs."""

from __future__ import annotations

import asyncio
import datetime as dt

from kivy.animation import Animation
from kivy.factory import Factory
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from ..domain.dossier import DossierReport, Status, Timeliness
from ..domain.scan import parse_scan
from ..domain.text import shortened
from ..hardware.idcard.chip import ChipKey
from ..hardware.idcard.errors import CardReadError
from ..hardware.scanners import Scan
from ..i18n import N_
from ..journeys.dossier import (MASKED, MASKED_CHIP, TRUST_WORDS, UNKNOWN_SCAN, look_up_by_chip, look_up_citizen, look_up_code,
                                print_status_slip, typed_code)
from ..journeys.read_aloud import dossier_script
from .base import KioskScreen, load_kv

# The keys of the keypad, a page of digits and a page of letters: what dossier codes are made
# of. Agency tags are a letter and two digits, mostly H for provinces (kept on the digits), G for
# ministries and the national portal; agency groups may hold any letter (000.00.BD.H08).
# "<" deletes one, "clear" clears (not "C": a letter), "ABC" and "123" turn the page.
KEYS = {
    "digits": ["1", "2", "3", ".", "4", "5", "6", "-", "7", "8", "9", "H", "clear", "0", "<", "ABC"],
    "letters": [*"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "123", "<"],
}
KEYPAD_COLUMNS = {"digits": 4, "letters": 7}
CAN_KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "<"]
"""The keypad of the chip's panel: the last 6 digits of the ID number."""
CAN_LENGTH = 6
CARD_POLL_SECONDS = 0.5
"""How often the reader is asked whether the card has come, while the screen waits for it."""
PAGE_KEYS = {"ABC": "letters", "123": "digits"}
MAX_CODE_LENGTH = 40
EXAMPLE_CODE = "000.00.53.H48-220921-0099"
"""Shown in the empty field after "Example:", in grey: the shape of a code, not a value."""

# On the card, the colour of the standing: theme names.
STANDING_COLOURS = {
    Timeliness.EARLY: "ok", Timeliness.ON_TIME: "ok", Timeliness.NOT_YET_DUE: "ok",
    Timeliness.LATE: "danger", Timeliness.OVERDUE: "danger",
}
# How printing the status slip went.
PRINTING = N_("Printing…")
PRINTED = N_("Printed. Please take your slip.")
NOT_PRINTED = N_("{}. Please ask at the information desk, or take a photo of this screen.")

SOON_DAYS = 1
"""Not yet due, but this few working days left or fewer: shown orange."""
LIST_NAME_CHARACTERS = 72
"""A procedure's name in the citizen's list of dossiers, at most: a name of six lines made one
dossier fill the list on a 1280x720 screen with larger text. The card shows it whole."""


def keyed(text: str, key: str, longest: int) -> str:
    """`text` after a keypad's `key`: "<" deletes one, "clear" clears, any other is added while
    there is room."""
    if key == "<":
        return text[:-1]
    if key == "clear":
        return ""
    return text + key if len(text) < longest else text


def when(moment: dt.datetime | None) -> str:
    """A date and time as Vietnamese centres write them: 28/09/2022 16:30."""
    return f"{moment:%d/%m/%Y %H:%M}" if moment else "—"


class DossierPanel(BoxLayout):
    """A panel of the dossier screen. `screen` rebinds, so that kv rules such as
    `root.screen.typed` follow the screen once it is set after construction."""

    screen = ObjectProperty(None, allownone=True, rebind=True)


class Hint(Widget):
    """A moving picture that shows, without reading, what to do: drawn in dossier.kv from
    `phase` (0..1) in a square of `side`, centred."""

    phase = NumericProperty(0)
    side = NumericProperty(0)
    """The picture is drawn in a square of this side, centred: on an upright screen the widget
    is tall and narrow, and a picture drawn to its height ran over the keypad beside it."""
    bottom = NumericProperty(0)
    """The square's lower edge."""

    def on_size(self, *_) -> None:
        self.side = min(self.width, self.height)
        self.bottom = self.y + (self.height - self.side) / 2

    on_pos = on_size

    def sweep(self, moving: bool) -> None:
        """Move while shown, and only then: a running animation keeps its widget (and the
        panel around it) alive, and keeps a core busy drawing without a GPU."""
        Animation.cancel_all(self, "phase")
        if moving:
            sweep = Animation(phase=1, duration=1.1, t="in_out_sine") + Animation(phase=0, duration=1.1, t="in_out_sine")
            sweep.repeat = True
            sweep.start(self)


class ScanHint(Hint):
    """A receipt with a scanning line sweeping its QR code and an arrow nudging down to the scanner."""


class CardHint(Hint):
    """An ID card, its chip showing, coming down onto a card reader."""


class DossierSign(Widget):
    """A large round sign above a message: three dots lit in turn while the dossier is looked
    up (something is happening; one line of text alone read as a blank screen), an exclamation
    mark when the journey cannot go on. Drawn in dossier.kv from `phase` (0..1)."""

    phase = NumericProperty(0)
    waiting = BooleanProperty(False)
    side = NumericProperty(0)
    """The sign is a circle of this diameter, centred."""

    def sweep(self, moving: bool) -> None:
        Animation.cancel_all(self, "phase")
        self.phase = 0
        if moving and self.waiting:
            # The dots lit left to right, then back: 0 -> 1 -> 0 (phase 1 lights none past the third).
            turn = Animation(phase=0.999, duration=1.2) + Animation(phase=0, duration=1.2)
            turn.repeat = True
            turn.start(self)


class DossierScreen(KioskScreen):
    example_code = EXAMPLE_CODE
    state = StringProperty("ask")
    """"ask", "chip" (the ID card on the reader: its QR or 6 digits to open it), "loading",
    "list" (a citizen's dossiers), "card", "failed"."""
    typed = StringProperty("")
    """The code typed on the keypad so far."""
    page = StringProperty("digits")
    """The keypad's page: "digits" or "letters"."""
    report = ObjectProperty(None, allownone=True)
    dossiers = ListProperty()
    """The CitizenDossiers of the card just scanned (names masked by the backend)."""
    message = StringProperty("")
    """Why the journey could not go on, in English (translated on screen)."""
    sought = StringProperty("")
    """The code looked for, shown with "not found" and the other failures; as typed when it
    could not be read as a code (`sought_typed`). Never an ID card's number."""
    sought_typed = BooleanProperty(False)
    printing = BooleanProperty(False)
    print_message = StringProperty("")
    """How printing the status slip went, in English (translated on screen); "" before printing."""
    print_why = StringProperty("")
    """Why it did not print (out of paper, unplugged), in English; "" when it did."""
    can = StringProperty("")
    """The last digits of the ID number typed on the chip's panel so far."""
    reading_card = BooleanProperty(False)
    """"loading" is the chip being read (the citizen must leave the card on the reader)."""
    card_waited = BooleanProperty(False)
    """The card's QR was scanned (or its digits typed) but no card is on the reader yet: the
    chip's panel waits for it."""
    qr_kept = BooleanProperty(False)
    """What waits for the card is its QR, which can be used without the chip."""
    holder_name = StringProperty("")
    """The citizen's full name from their card's chip, over their list; "" otherwise."""
    trust_words = StringProperty("")
    """How far the chip's data was verified, in English (TRUST_WORDS), over the list."""
    masked = BooleanProperty(False)
    """The list was answered without codes (a proof less than the backend's policy needs)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._levels: dict[str, tuple[str, str]] = {}
        self._shown = False
        self._chip_key: ChipKey | None = None
        """The QR's key to the card on the reader, while the panel waits for the card."""
        self._chip_failed = False
        """The last failure was the chip's: "Try again" goes back to the chip's panel."""
        self._asked: object = None
        """The question being answered (a code, a card): an answer to an earlier one, come late
        after the citizen went back and asked again, is dropped (`_answers`)."""

    # -- showing and leaving ---------------------------------------------------------

    def activate(self) -> None:
        self._shown = True
        if self.state == "ask":
            self.on_state()  # the panel, even when the state did not change
        self.state = "ask"
        self.app.bind(language=self._refill)

    def deactivate(self) -> None:
        self._shown = False
        self.app.unbind(language=self._refill)
        self._forget()
        self.on_state()  # no panel while not shown

    # -- input: keypad and scanner ---------------------------------------------------

    def press(self, key: str) -> None:
        if key in PAGE_KEYS:
            self.page = PAGE_KEYS[key]
        else:
            self.typed = keyed(self.typed, key, MAX_CODE_LENGTH)

    def look_up_typed(self) -> None:
        # Typed without dots and dashes, a code is completed only when one reading fits.
        code, why = typed_code(self.typed)
        if code:
            self.look_up(code)
        else:
            self.sought, self.sought_typed = self.typed, True
            self._fail(why)

    def on_scan(self, scan: Scan) -> None:
        """A scan, on the UI thread: the app hands this screen every scan while it is shown,
        and the receipts and ID cards scanned on other screens."""
        if self.state == "loading":
            return  # one question at a time
        result = parse_scan(scan.text)
        if result.kind == "dossier":
            self.look_up(result.dossier_code)
        elif result.kind == "identity" and result.identity is not None and self.app.services.chip is not None:
            self.read_chip(ChipKey.of_qr(result.identity))
        elif result.kind == "identity" and result.identity is not None:
            # Only the number leaves this function, for one request; the card is not kept.
            self._look_up_qr(result.identity.id_number)
        elif (code := typed_code(scan.text)[0]) is not None:
            self.look_up(code)  # a code typed on a keyboard without its dots and dashes, then Enter
        else:
            self.sought = ""  # an unknown scan is not quoted: it may be anything
            self._fail(UNKNOWN_SCAN)

    def look_up(self, code: str) -> None:
        self.sought, self.sought_typed = code, False
        self.reading_card, self._chip_failed = False, False
        self.state = "loading"
        self.app.spawn(self._dossier(code, self._ask()))

    def _look_up_qr(self, id_number: str) -> None:
        self.sought, self.reading_card, self._chip_failed = "", False, False
        self.state = "loading"
        self.app.spawn(self._citizen(id_number, self._ask()))

    def _ask(self) -> object:
        self._asked = object()
        return self._asked

    def _answers(self, asked: object) -> bool:
        """Whether an answer is still wanted: the screen waits for it, and it is to the last question."""
        return self.state == "loading" and self._asked is asked

    # -- the ID card's chip ----------------------------------------------------------

    def use_chip(self) -> None:
        """The chip's panel: place the card, then scan its QR or type 6 digits."""
        self._chip_key, self.card_waited, self.qr_kept = None, False, False
        self.state = "chip"

    def press_can(self, key: str) -> None:
        self.can = keyed(self.can, key, CAN_LENGTH)

    def read_typed_can(self) -> None:
        if len(self.can) == CAN_LENGTH:
            self.read_chip(ChipKey.of_digits(self.can))

    def read_chip(self, key: ChipKey) -> None:
        """Read the card on the reader with `key`, then list the citizen's dossiers."""
        self._chip_key, self.card_waited, self.qr_kept = None, False, False
        self.sought, self.reading_card = "", True
        self.state = "loading"
        self.app.spawn(self._chip(key, self._ask()))

    def without_chip(self) -> None:
        """The card's QR alone, for a card whose chip cannot be read (the backend may then answer less)."""
        key, self._chip_key = self._chip_key, None
        if key is not None and key.id_number:
            self._look_up_qr(key.id_number)

    async def _chip(self, key: ChipKey, asked: object) -> None:
        found = await look_up_by_chip(self.app.services.client, self.app.services.chip, key)
        if not self._answers(asked):
            return  # the citizen left, or asked again, meanwhile
        if found.card_error == "no_card":
            # Scanned before the card was placed: wait for it, the QR's key kept for this one read.
            self._chip_key, self.card_waited, self.qr_kept = key, True, key.id_number is not None
            self.state = "chip"
            self.app.spawn(self._wait_for_card(key))
            return
        self._chip_failed = bool(found.card_error)
        self._show_citizen(found)

    async def _wait_for_card(self, key: ChipKey) -> None:
        chip = self.app.services.chip
        while self.state == "chip" and self._chip_key is key:
            try:
                present = await asyncio.to_thread(chip.present)
            except CardReadError as error:  # the reader unplugged, pcscd stopped: no card will come
                if self.state == "chip" and self._chip_key is key:
                    self._forget_card()
                    self._chip_failed = True
                    self._fail(error.message)
                return
            if present:
                if self.state == "chip" and self._chip_key is key:
                    self.read_chip(key)
                return
            await asyncio.sleep(CARD_POLL_SECONDS)

    # -- the backend -----------------------------------------------------------------

    async def _dossier(self, code: str, asked: object) -> None:
        found = await look_up_code(self.app.services.client, code, self.app.services.store.path)
        if not self._answers(asked):
            return  # the citizen left, or asked again, meanwhile
        if found.report is None:
            self._fail(found.message)
            return
        self._levels = found.levels or self._levels
        self.print_message, self.print_why = "", ""
        self.report = found.report
        self.app.session_dossier_code = found.report.dossier.code
        self.state = "card"

    async def _citizen(self, id_number: str, asked: object) -> None:
        found = await look_up_citizen(self.app.services.client, id_number)
        if not self._answers(asked):
            return  # the citizen left, or asked again, meanwhile
        self._show_citizen(found)

    def _show_citizen(self, found) -> None:
        """A citizen's dossiers (CitizenFound): one opened at once, several listed, or why none."""
        self.holder_name, self.trust_words, self.masked = found.name, TRUST_WORDS.get(found.trust, ""), found.masked
        if found.message:
            self._fail(found.message)
        elif len(found.dossiers) == 1 and not found.masked:
            self.look_up(found.dossiers[0].code)
        else:
            self.dossiers = found.dossiers
            self.state = "list"

    def _fail(self, message: str) -> None:
        self.message = message
        self.state = "failed"

    def on_page(self, *_args) -> None:
        self._refill()  # the keypad's other page

    def go_back(self) -> None:
        """From a dossier of the citizen's list, to the list; from a failure, to the code typed,
        to mend it; from the question, home; otherwise to the question."""
        if self.state == "card" and self.dossiers:
            self.report, self.print_message, self.print_why = None, "", ""
            self.state = "list"
        elif self.state == "failed":
            self.edit()
        elif self.state == "chip":
            self._forget()
        elif self.state == "ask":
            self.app.go("home")
        else:
            self._forget()

    def holds_input(self) -> bool:
        return bool(self.typed) or self.state != "ask"

    def spoken(self):
        return dossier_script(self.app.language, self.state, self.report, self.message,
                              [item.status for item in self.dossiers], self.reading_card, self.card_waited)

    def again(self) -> None:
        """Back to the question, for another dossier."""
        self._forget()

    def edit(self) -> None:
        """Back to the question after a failure, with what was typed kept for mending: one
        wrong digit should not mean typing twenty again."""
        chip, self._chip_failed = self._chip_failed, False
        self.report, self.dossiers, self.message, self.sought = None, [], "", ""
        self._forget_card()
        self.page = "digits"
        self.state = "chip" if chip else "ask"

    def _forget(self) -> None:
        self.typed, self.report, self.dossiers, self.message, self.sought = "", None, [], "", ""
        self.print_message, self.print_why = "", ""
        self.can, self._chip_failed = "", False
        self._forget_card()
        self.page = "digits"
        self.state = "ask"

    def _forget_card(self) -> None:
        """What the card gave, kept for one look-up: its key, its holder's name."""
        self._chip_key, self.card_waited, self.qr_kept, self.reading_card = None, False, False, False
        self.holder_name, self.trust_words, self.masked = "", "", False

    # -- the status slip -------------------------------------------------------------

    def print_slip(self) -> None:
        if self.report is None or self.printing:
            return
        self.printing, self.print_message, self.print_why = True, PRINTING, ""
        self.app.spawn(self._print(self.report))

    async def _print(self, report: DossierReport) -> None:
        try:
            why = await print_status_slip(self.app.services.printer, report, self.app.language)
        finally:
            self.printing = False
        if self.report is not report:
            return  # another dossier, or the citizen left, meanwhile
        self.print_message, self.print_why = (NOT_PRINTED, why) if why else (PRINTED, "")

    # -- panels ----------------------------------------------------------------------

    def on_state(self, *_args) -> None:
        """Show the panel of the state, as the queue screen does."""
        kind = {"ask": "DossierAskPanel", "chip": "DossierChipPanel", "list": "DossierListPanel",
                "card": "DossierCardPanel", "failed": "DossierMessagePanel", "loading": "DossierMessagePanel"}[self.state]
        body = self.ids.body
        self._sweep(False)
        body.clear_widgets()
        self._panel = None
        if not self._shown:
            return
        panel = getattr(Factory, kind)()
        panel.screen = self  # a kv property: set after construction
        body.add_widget(panel)
        self._panel = panel
        self._refill()
        self._sweep(True)

    def _sweep(self, moving: bool) -> None:
        for widget in self.ids.body.walk(restrict=True):
            if isinstance(widget, (Hint, DossierSign)):
                widget.sweep(moving)

    def _refill(self, *_args) -> None:
        """Build the rows that depend on the data and the language."""
        panel = getattr(self, "_panel", None)
        if panel is None or panel.parent is None:
            return
        if self.state == "ask":
            self._fill_keypad(panel.ids.keypad)
        elif self.state == "chip":
            self._fill_can_keypad(panel.ids.keypad)
        elif self.state == "list":
            self._fill_list(panel.ids.rows)
        elif self.state == "card" and self.report is not None:
            self._fill_card(panel.ids.rows, self.report)

    def _fill_keypad(self, keypad) -> None:
        keypad.cols = KEYPAD_COLUMNS[self.page]
        self._fill_keys(keypad, KEYS[self.page], self.press, compact=self.page == "letters")

    def _fill_can_keypad(self, keypad) -> None:
        self._fill_keys(keypad, CAN_KEYS, self.press_can)

    def _fill_keys(self, keypad, keys, press, compact=False) -> None:
        keypad.clear_widgets()
        words = {"<": self.app.t("Delete"), "clear": self.app.t("Clear")}
        for key in keys:
            button = Factory.DossierKey(text=words.get(key, key))
            button.key = key  # kv properties: set after construction
            button.compact = compact
            button.bind(on_release=lambda _button, pressed=key: press(pressed))
            keypad.add_widget(button)

    def _fill_list(self, rows) -> None:
        rows.clear_widgets()
        if self.holder_name:
            rows.add_widget(Factory.CardHeading(text=self.app.t("Dossiers of {}").format(self.holder_name)))
        # "Read the chip" only to whom has not: a chip already read that got a masked list would go in circles.
        chip_helps = self.app.services.chip is not None and not self.trust_words
        masked = (MASKED_CHIP if chip_helps else MASKED) if self.masked else ""
        for words in (self.trust_words, masked):
            if words:
                rows.add_widget(Factory.CardLine(text=self.app.t(words), color=self.app.theme["secondary"]))
        for item in self.dossiers:
            status = Status(item.status)
            first = " · ".join(part for part in (item.applicant_name, self.app.t(status.label), item.code) if part)
            text = f"{first}\n{shortened(item.procedure_name, LIST_NAME_CHARACTERS)}"
            if item.code:
                button = Factory.DossierChoice(text=text)
                button.bind(on_release=lambda _button, code=item.code: self.look_up(code))
            else:  # answered masked: shown, not opened
                button = Factory.DossierShown(text=text)
            rows.add_widget(button)

    def _fill_card(self, rows, report: DossierReport) -> None:
        t, theme = self.app.t, self.app.theme
        dossier = report.dossier
        rows.clear_widgets()

        def heading(text: str) -> None:
            rows.add_widget(Factory.CardHeading(text=text))

        def line(text: str, colour: str = "text", bold: bool = False) -> None:
            rows.add_widget(Factory.CardLine(text=text, color=theme[colour], bold=bold))

        status = Status(dossier.status)
        rows.add_widget(Factory.CardStatus(text=t(status.label)))
        # What the citizen must do comes first, under the status that asks it: below a long
        # procedure name it was out of sight on a 1280x720 screen with larger text.
        if dossier.requested_documents:
            heading(t("Documents you are asked to bring"))
            for document in dossier.requested_documents:
                line(f"• {document}", "danger")
        if dossier.fees_outstanding:
            heading(t("Fees to pay"))
            for fee in dossier.fees_outstanding:
                line(f"• {self.app.money(fee)}", "danger")
        line(dossier.procedure_name, bold=True)
        line(f"{t('Dossier')}: {dossier.code} · {t('Applicant')}: {dossier.applicant_name}")

        standing = report.timeliness
        if standing is not None:
            colour = STANDING_COLOURS.get(standing, "text")
            words = t(standing.label)
            days = report.working_days_left
            if standing == Timeliness.NOT_YET_DUE and days is not None:
                if days <= SOON_DAYS:
                    colour = "warning"
                words += " · " + t("working days left: {}").format(days)
            elif standing == Timeliness.OVERDUE and days is not None:
                words += " · " + t("working days late: {}").format(-days)
            line(words, colour, bold=True)
        line(f"{t('Appointment to return the result')}: {when(dossier.due_at)}")

        if dossier.holder is not None:
            heading(t("Who has your dossier now"))
            line(self._holder(dossier.holder))

        if dossier.collection is not None:
            heading(t("Where and when to collect the result"))
            line(dossier.collection.place)
            if dossier.collection.available_from:
                line(f"{t('From')}: {when(dossier.collection.available_from)}")
            if dossier.collection.note:
                line(dossier.collection.note)
        if dossier.note:
            line(dossier.note, "secondary")

        heading(t("The steps of your dossier"))
        for number, step in enumerate(dossier.timeline, 1):
            done = step.finished_at is not None
            current = step.started_at is not None and not done
            # Words, not symbols: clearer to most, and every glyph is in the font.
            mark = t("done") if done else (t("now here") if current else t("not yet"))
            line(f"{number}. {step.name} ({mark})", "ok" if done else ("brand" if current else "secondary"), bold=current)
            line(self._holder(step.holder), "secondary")
            times = [f"{t('Started')}: {when(step.started_at)}"]
            if done:
                times.append(f"{t('Finished')}: {when(step.finished_at)}")
            if step.due_at:
                times.append(f"{t('Due')}: {when(step.due_at)}")
            line("   " + " · ".join(times), "secondary")

    def _holder(self, holder) -> str:
        """Two lines: the level and agency; the department and the officer."""
        names = self._levels.get(holder.level)
        level = self.app.pick(*names) if names else holder.level
        officer = ": ".join(part for part in (holder.officer_title, holder.officer_name) if part)
        return "\n".join(" · ".join(p for p in parts if p) for parts in
                         ((level, holder.agency), (holder.department, officer)))


load_kv(__file__)
