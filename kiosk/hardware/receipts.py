"""What the kiosk prints, drawn as pictures: queue ticket, procedure checklist, dossier slip.

Thermal printers' code pages cannot print most Vietnamese letters, so every receipt is a
1-bit picture at the printer's width, with the text drawn in the font shipped in kiosk/assets/.

A receipt speaks the language of the session it is printed for (`language`, "vi" or "en"),
its words through the catalogue of kiosk.i18n like the screens'; the data on it (procedure,
documents, agencies) are printed as published.
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata

import qrcode
from PIL import Image, ImageDraw, ImageFont

from .. import ASSETS
from ..domain.calendar import TIMEZONE, now
from ..domain.dossier import DossierReport, Status, Timeliness
from ..domain.procedure import Fee, Procedure
from ..domain.queue import Ticket
from ..i18n import N_, money, pick, processing_time, translate

FONTS = ASSETS / "fonts"

# Text is drawn antialiased in grey, then cut at this level: a thermal head prints a dot
# or nothing, and dithering the grey would spray loose dots around every letter. Cutting
# well past the middle grey keeps strokes two dots wide, as thin ones print faint.
INK_THRESHOLD = 170

MARGIN = 10
"""Dots of white on the left and right: the head's outermost dots print faintly."""

SMALL, BODY, LARGE, TITLE = 20, 24, 28, 32
"""Font sizes in dots (8 dots are 1 mm at 203 dpi): body text is about 3 mm high."""

CHANNEL_NAMES = {"in_person": N_("In person"), "online": N_("Online"), "postal": N_("By post")}
"""The ways of submitting, in the words the procedure screen uses too."""


@functools.lru_cache(maxsize=None)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / ("NotoSans-Bold.ttf" if bold else "NotoSans-Regular.ttf")), size)


def wrap(text: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """`text` broken into lines no wider than `width` dots, at spaces where possible."""
    lines: list[str] = []
    for paragraph in unicodedata.normalize("NFC", text).splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if face.getlength(candidate) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            # A word wider than the paper (a code, a web address) is cut where it must be.
            while face.getlength(word) > width:
                cut = len(word) - 1
                while cut > 1 and face.getlength(word[:cut]) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


class Sheet:
    """A receipt laid out from top to bottom in strips; `picture()` gives the 1-bit image."""

    def __init__(self, width: int):
        self.width = width
        self.strips: list[Image.Image] = []

    @property
    def inner(self) -> int:
        return self.width - 2 * MARGIN

    def space(self, dots: int) -> None:
        self.strips.append(Image.new("L", (self.width, dots), 255))

    def text(self, text: str, size: int = BODY, *, bold: bool = False, center: bool = False,
             indent: int = 0) -> None:
        face = font(size, bold)
        ascent, descent = face.getmetrics()
        for line in wrap(text, face, self.inner - indent):
            strip = Image.new("L", (self.width, ascent + descent), 255)
            left = MARGIN + indent
            if center:
                left = (self.width - round(face.getlength(line))) // 2
            ImageDraw.Draw(strip).text((left, 0), line, font=face, fill=0)
            self.strips.append(strip)

    def fitting(self, text: str, most: int, bold: bool = True, least: int = BODY) -> int:
        """The largest size up to `most` at which `text` fits on one line (but at least `least`)."""
        size = most
        while size > least and font(size, bold).getlength(text) > self.inner:
            size -= 2
        return size

    def heading(self, text: str, size: int = TITLE) -> None:
        """A centred bold line kept whole: smaller on narrow paper rather than broken."""
        self.text(text, self.fitting(text, size), bold=True, center=True)

    def big(self, text: str, most: int = 200) -> None:
        """One line as large as fits the paper, cropped to its ink: the ticket number."""
        face = font(self.fitting(text, most), True)
        left, top, right, bottom = face.getbbox(text)
        strip = Image.new("L", (self.width, bottom - top), 255)
        ImageDraw.Draw(strip).text(((self.width - (right - left)) // 2 - left, -top), text, font=face, fill=0)
        self.strips.append(strip)

    def banner(self, text: str, size: int = LARGE) -> None:
        """White letters on a black band: a mark nobody overlooks."""
        face = font(size, True)
        ascent, descent = face.getmetrics()
        for line in wrap(text, face, self.inner - 2 * MARGIN):
            strip = Image.new("L", (self.width, ascent + descent + 8), 0)
            left = (self.width - round(face.getlength(line))) // 2
            ImageDraw.Draw(strip).text((left, 4), line, font=face, fill=255)
            self.strips.append(strip)

    def rule(self) -> None:
        strip = Image.new("L", (self.width, 14), 255)
        ImageDraw.Draw(strip).line((MARGIN, 6, self.width - MARGIN, 6), fill=0, width=2)
        self.strips.append(strip)

    def checkbox(self, text: str, size: int = BODY) -> None:
        """An empty box to tick, then `text` with its following lines indented under it."""
        face = font(size, True)
        box = size * 3 // 4
        first = len(self.strips)
        self.text(text, size, bold=True, indent=box + 10)
        ascent = face.getmetrics()[0]
        ImageDraw.Draw(self.strips[first]).rectangle(
            (MARGIN, ascent - box, MARGIN + box, ascent), outline=0, width=2)

    def qr(self, data: str, dots: int = 216) -> None:
        """A QR code about `dots` wide (27 mm at 203 dpi, easy for a phone), in whole dots per
        module so that no module is blurred or uneven."""
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
        code.add_data(data)
        code.make(fit=True)
        modules = code.modules_count + 2 * code.border
        code.box_size = max(3, min(round(dots / modules), self.width // modules))
        picture = code.make_image().get_image().convert("L")
        strip = Image.new("L", (self.width, picture.height), 255)
        strip.paste(picture, ((self.width - picture.width) // 2, 0))
        self.strips.append(strip)

    def picture(self) -> Image.Image:
        sheet = Image.new("L", (self.width, sum(s.height for s in self.strips)), 255)
        top = 0
        for strip in self.strips:
            sheet.paste(strip, (0, top))
            top += strip.height
        return sheet.point(lambda v: 255 if v > INK_THRESHOLD else 0, mode="1")


def local(moment: dt.datetime) -> dt.datetime:
    """Vietnam's time of an aware moment; a naive one is taken as already local."""
    return moment.astimezone(TIMEZONE) if moment.tzinfo else moment


def when(moment: dt.datetime, language: str = "vi") -> str:
    """"16:30 ngày 28/09/2022", "16:30 on 28/09/2022": day before month in both languages, as
    in Vietnam."""
    return translate("{time} on {date}", language).format(time=f"{local(moment):%H:%M}", date=day(moment))


def day(moment: dt.datetime) -> str:
    return f"{local(moment):%d/%m/%Y}"


def queue_ticket(ticket: Ticket, *, office_name: str, url: str, width: int, priority_name: str | None = None,
                 language: str = "vi") -> Image.Image:
    """A queue ticket: the number large, who is ahead, the wait, and a QR to follow the queue at `url`.
    `priority_name` is the priority group's name, already in `language`."""
    _ = functools.partial(translate, language=language)
    sheet = Sheet(width)
    sheet.space(8)
    if office_name:
        sheet.text(office_name.upper(), LARGE, bold=True, center=True)
        sheet.rule()
    sheet.heading(_("QUEUE TICKET"))
    sheet.space(8)
    sheet.text(pick(ticket.service.name, ticket.service.name_en, language), LARGE, center=True)
    sheet.space(16)
    sheet.big(ticket.display)
    sheet.space(16)
    if ticket.priority:
        sheet.banner(_("PRIORITY"))
        if priority_name:
            sheet.text(priority_name, LARGE, bold=True, center=True)
        sheet.space(4)
    sheet.rule()
    if ticket.people_ahead > 0:
        ahead = _("1 person ahead of you") if ticket.people_ahead == 1 else \
            _("{} people ahead of you").format(ticket.people_ahead)
        sheet.text(ahead, LARGE, bold=True, center=True)
        # An estimate under two minutes (0 when counters serve quickly) is "about a minute".
        wait = ticket.estimated_wait_minutes
        sheet.text(_("About a minute to wait") if wait <= 1 else _("About {} minutes to wait").format(wait), LARGE,
                   center=True)
    else:
        sheet.text(_("You are next"), LARGE, bold=True, center=True)
    sheet.space(6)
    sheet.text(_("Number taken at {}").format(when(ticket.issued_at, language)), BODY, center=True)
    sheet.space(12)
    sheet.qr(url)
    sheet.text(_("Scan the code to follow your turn"), BODY, center=True)
    sheet.space(8)
    sheet.text(_("Please keep this ticket and wait for your number to be called."), BODY, center=True)
    return sheet.picture()


def procedure_checklist(procedure: Procedure, *, width: int, office_name: str = "",
                        printed_at: dt.datetime | None = None, language: str = "vi") -> Image.Image:
    """What to bring for a procedure, per case, with times, fees and a QR to apply online."""
    _ = functools.partial(translate, language=language)
    sheet = Sheet(width)
    sheet.space(8)
    if office_name:
        sheet.text(office_name.upper(), BODY, bold=True, center=True)
        sheet.rule()
    sheet.heading(_("DOCUMENTS TO BRING"))
    sheet.space(8)
    sheet.text(procedure.name, LARGE, bold=True)
    sheet.text(_("Procedure code: {}").format(procedure.code), SMALL)
    for case in procedure.cases:
        sheet.rule()
        if case.name:
            sheet.text(_("If: {}").format(case.name), BODY, bold=True)
            sheet.space(4)
        for document in case.documents:
            sheet.checkbox(document.name)
            copies = [_("{} original(s)").format(document.originals) if document.originals else "",
                      _("{} copy(ies)").format(document.copies) if document.copies else ""]
            if any(copies):
                sheet.text(", ".join(c for c in copies if c), BODY, indent=34)
            if document.form:
                sheet.text(_("Form: {}").format(document.form), SMALL, indent=34)
            if document.note:
                sheet.text(_("Note: {}").format(document.note), SMALL, indent=34)
            sheet.space(6)
    sheet.rule()
    sheet.text(_("Time and fees"), LARGE, bold=True)
    for terms in procedure.channels:
        sheet.space(4)
        channel = CHANNEL_NAMES.get(terms.channel)
        sheet.text(_(channel) if channel else terms.channel, BODY, bold=True)
        sheet.text(_("Time: {}").format(processing_time(terms, language)), BODY, indent=16)
        for fee in terms.fees or [Fee(0)]:
            sheet.text(_("Fee: {}").format(money(fee, language)), BODY, indent=16)
    if procedure.agencies:
        sheet.space(4)
        sheet.text(_("Handled by: {}").format(", ".join(procedure.agencies)), BODY)
    if procedure.online_url and procedure.online_level != "none":
        sheet.rule()
        online = _("You can apply online (all of it)") if procedure.online_level == "full" else _(
            "You can apply online (in part)")
        sheet.text(online, BODY, bold=True, center=True)
        sheet.space(6)
        sheet.qr(procedure.online_url)
        sheet.text(_("Scan the code to apply online"), BODY, center=True)
    sheet.space(8)
    sheet.text(_("Printed at {}").format(when(printed_at or now(), language)), SMALL, center=True)
    return sheet.picture()


def dossier_slip(report: DossierReport, *, width: int, printed_at: dt.datetime | None = None,
                 language: str = "vi") -> Image.Image:
    """Where a dossier is: status, timeliness, who holds it, the appointment and where to collect.

    The applicant's name is left off: the slip is about the dossier, and the simulator keeps
    what it prints on disk."""
    _ = functools.partial(translate, language=language)
    dossier = report.dossier
    status = Status(dossier.status)
    sheet = Sheet(width)
    sheet.space(8)
    sheet.heading(_("DOSSIER STATUS"))
    sheet.space(8)
    sheet.heading(dossier.code, LARGE)
    sheet.text(dossier.procedure_name, BODY, center=True)
    sheet.rule()
    sheet.banner(_(status.label))
    if report.timeliness is not None:
        sheet.space(4)
        sheet.text(_standing(report.timeliness, report.working_days_left, language), LARGE, bold=True, center=True)
    sheet.rule()
    sheet.text(_("Received: {}").format(when(dossier.received_at, language)), BODY)
    if dossier.due_at:
        sheet.text(_("Result due: {}").format(day(dossier.due_at)), BODY, bold=True)
    if dossier.holder:
        holder = dossier.holder
        sheet.space(6)
        sheet.text(_("Your dossier is with:"), BODY, bold=True)
        sheet.text(", ".join(x for x in (holder.department, holder.agency) if x), BODY, indent=16)
        officer = " ".join(x for x in (holder.officer_title, holder.officer_name) if x)
        if officer:
            sheet.text(officer, BODY, indent=16)
    if dossier.requested_documents:
        sheet.space(6)
        sheet.text(_("Documents to add:"), BODY, bold=True)
        for name in dossier.requested_documents:
            sheet.checkbox(name)
    if dossier.fees_outstanding:
        sheet.space(6)
        sheet.text(_("To pay:"), BODY, bold=True)
        for fee in dossier.fees_outstanding:
            sheet.text(f"- {money(fee, language)}", BODY, indent=16)
    if dossier.collection:
        sheet.space(6)
        sheet.text(_("Collect the result at:"), BODY, bold=True)
        sheet.text(dossier.collection.place, BODY, indent=16)
        if dossier.collection.available_from:
            sheet.text(_("From {}").format(day(dossier.collection.available_from)), BODY, indent=16)
        if dossier.collection.note:
            sheet.text(dossier.collection.note, SMALL, indent=16)
    if dossier.note:
        sheet.space(6)
        sheet.text(dossier.note, BODY)
    sheet.space(12)
    sheet.qr(dossier.code, dots=160)
    sheet.text(_("Scan this code at the kiosk to look again"), SMALL, center=True)
    sheet.text(_("Printed at {}").format(when(printed_at or now(), language)), SMALL, center=True)
    return sheet.picture()


def _standing(timeliness: Timeliness, days_left: int | None, language: str) -> str:
    label = translate(timeliness.label, language)
    if timeliness is Timeliness.NOT_YET_DUE and days_left is not None:
        if days_left <= 0:
            return translate("Due today", language)
        return translate("{}, {} working days left", language).format(label, days_left)
    if timeliness is Timeliness.OVERDUE and days_left is not None and days_left < 0:
        return translate("{}, {} working days late", language).format(label, -days_left)
    return label


SAMPLE_URL = "https://example.org/t/in-thu"


def samples(width: int, language: str = "vi") -> dict[str, Image.Image]:
    """One receipt of each kind with made-up data (in Vietnamese, as real data is), marked as
    a test print."""
    from ..domain.dossier import Collection, Dossier, Holder
    from ..domain.procedure import Case, ChannelTerms, Document
    from ..domain.queue import TicketService

    moment = now()
    mark = translate("TEST PRINT - SAMPLE DATA", language)
    ticket = Ticket(
        id="in-thu", service=TicketService("A", "Hộ tịch, chứng thực, tư pháp", "Civil status, certification, justice"),
        number=12, display="A012", day=moment.date().isoformat(), priority="elderly", status="waiting",
        people_ahead=3, estimated_wait_minutes=18, issued_at=moment,
    )
    procedure = Procedure(
        code="1.001193.000.00.00.H08", name="Thủ tục đăng ký khai sinh", levels=["commune"], field="HOTICH",
        agencies=["Ủy ban nhân dân cấp xã"],
        channels=[
            ChannelTerms("in_person", "Ngay trong ngày làm việc", 1, [Fee(0, "Miễn lệ phí đăng ký khai sinh đúng hạn")]),
            ChannelTerms("online", "Ngay trong ngày làm việc", 1, [Fee(0)]),
        ],
        cases=[Case("", [
            Document("Tờ khai đăng ký khai sinh", originals=1, form="Theo mẫu ban hành kèm Thông tư số 04/2024/TT-BTP"),
            Document("Giấy chứng sinh", originals=1,
                     note="Không có giấy chứng sinh thì nộp văn bản của người làm chứng xác nhận việc sinh"),
            Document("Giấy tờ tùy thân của người đi đăng ký", copies=1),
        ], [])],
        results=["Giấy khai sinh (bản chính)"], legal_basis=[], online_level="full",
        online_url="https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html?ma_thu_tuc=1.001193",
    )
    dossier = Dossier(
        code=f"000.00.53.H08-{moment:%y%m%d}-0012", procedure_code=procedure.code, procedure_name=procedure.name,
        applicant_name="", status=Status.PROCESSING, received_at=moment - dt.timedelta(days=1),
        due_at=moment + dt.timedelta(days=2),
        holder=Holder("commune", "Ủy ban nhân dân xã Ân Thạnh", "Công chức Tư pháp - Hộ tịch"),
        fees_outstanding=[Fee(8000, "Cấp bản sao trích lục khai sinh")],
        collection=Collection("Bộ phận Tiếp nhận và Trả kết quả - UBND xã Ân Thạnh", moment + dt.timedelta(days=2)),
        note=mark,
    )
    return {
        "queue_ticket": queue_ticket(ticket, office_name=mark, url=SAMPLE_URL, width=width,
                                     priority_name=translate("Elderly person", language), language=language),
        "procedure_checklist": procedure_checklist(procedure, width=width, office_name=mark, printed_at=moment,
                                                   language=language),
        "dossier_slip": dossier_slip(DossierReport(dossier, Timeliness.NOT_YET_DUE, 2), width=width,
                                     printed_at=moment, language=language),
    }
