"""Receipts speak the language of the session they are printed for: the words through the
catalogue, the data (procedure, documents, agencies) as published."""

import dataclasses
import datetime as dt
import unicodedata

import pytest

from kiosk.domain.calendar import TIMEZONE
from kiosk.domain.dossier import Collection, Dossier, DossierReport, Holder, Status, Timeliness
from kiosk.domain.procedure import Case, ChannelTerms, Document, Fee, Procedure
from kiosk.domain.queue import Ticket, TicketService
from kiosk.hardware import receipts

WIDTH = 576
MOMENT = dt.datetime(2025, 9, 22, 9, 5, tzinfo=TIMEZONE)


def vietnamese(text):
    return {c for c in text if ord(c) > 127 and "LATIN" in unicodedata.name(c, "")}


@pytest.fixture
def drawn(monkeypatch):
    """Every line a receipt draws, read before it becomes pixels."""
    lines: list[str] = []
    for name in ("text", "banner", "big"):
        draw = getattr(receipts.Sheet, name)

        def spy(sheet, line, *args, _draw=draw, **kwargs):
            lines.append(line)
            return _draw(sheet, line, *args, **kwargs)

        monkeypatch.setattr(receipts.Sheet, name, spy)
    return lines


def data_strings(*things):
    """Every text a dataclass holds, however deep: the data printed as published."""
    found = set()

    def walk(value):
        if isinstance(value, str):
            found.add(value)
        elif dataclasses.is_dataclass(value):
            for item in dataclasses.fields(value):
                walk(getattr(value, item.name))
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    for thing in things:
        walk(thing)
    return sorted((s for s in found if s), key=len, reverse=True)


def ticket():
    return Ticket(id="t1", service=TicketService("B", "Đất đai, xây dựng, môi trường", "Land, construction, environment"),
                  number=27, display="B027", day="2025-09-22", priority="elderly", status="waiting",
                  people_ahead=4, estimated_wait_minutes=48, issued_at=MOMENT)


def procedure():
    return Procedure(
        code="1.004227", name="Đăng ký biến động quyền sử dụng đất", levels=["commune"], field="DATDAI",
        agencies=["Văn phòng đăng ký đất đai"],
        channels=[ChannelTerms("in_person", "10 ngày làm việc", 10, [Fee(50000, "Lệ phí cấp giấy chứng nhận")]),
                  ChannelTerms("online", "10 ngày làm việc", 10)],
        cases=[Case("Chuyển nhượng", [Document("Đơn đăng ký biến động", originals=1, copies=2, form="Mẫu số 11/ĐK",
                                               note="Có công chứng")], [])],
        results=["Giấy chứng nhận"], legal_basis=[], online_level="partial", online_url="https://example.org/apply",
    )


def report():
    dossier = Dossier(
        code="000.00.53.H08-250915-0042", procedure_code="1.004227", procedure_name="Đăng ký biến động",
        applicant_name="", status=Status.MORE_DOCUMENTS, received_at=MOMENT, due_at=MOMENT + dt.timedelta(days=14),
        holder=Holder("commune", "Văn phòng đăng ký đất đai", "Bộ phận thẩm định", "Chuyên viên"),
        requested_documents=["Bản vẽ sơ đồ thửa đất"], fees_outstanding=[Fee(8000, "Trích lục")],
        collection=Collection("Bộ phận Một cửa xã Ân Thạnh", MOMENT + dt.timedelta(days=14)),
    )
    return DossierReport(dossier, Timeliness.OVERDUE, -2)


def print_all(language):
    return [
        receipts.queue_ticket(ticket(), office_name="", url="https://example.org/t/t1", width=WIDTH,
                              priority_name=receipts.translate("Elderly person", language), language=language),
        receipts.procedure_checklist(procedure(), width=WIDTH, printed_at=MOMENT, language=language),
        receipts.dossier_slip(report(), width=WIDTH, printed_at=MOMENT, language=language),
    ]


def test_an_english_receipt_has_no_vietnamese_word_but_the_data(drawn):
    pictures = print_all("en")
    assert all(p.width == WIDTH for p in pictures)
    data = data_strings(ticket(), procedure(), report())
    untranslated = []
    for line in drawn:
        rest = line
        for text in data:
            rest = rest.replace(text, "")
        if vietnamese(rest):
            untranslated.append(line)
    assert not untranslated, untranslated
    for expected in ("QUEUE TICKET", "Land, construction, environment", "PRIORITY", "Elderly person",
                     "4 people ahead of you", "Fee: 50,000 VND (Lệ phí cấp giấy chứng nhận)", "Fee: Free",
                     "Time: 10 working days", "1 original(s), 2 copy(ies)", "More documents requested", "Overdue, 2 working days late",
                     "- 8,000 VND (Trích lục)", "Printed at 09:05 on 22/09/2025"):
        assert expected in drawn, expected


def test_a_vietnamese_receipt_says_it_in_vietnamese(drawn):
    print_all("vi")
    for expected in ("PHIẾU SỐ THỨ TỰ", "Đất đai, xây dựng, môi trường", "ƯU TIÊN", "Người cao tuổi",
                     "Trước bạn còn 4 người", "Phí: 50.000 đồng (Lệ phí cấp giấy chứng nhận)", "Phí: Miễn phí",
                     "Thời hạn: 10 ngày làm việc", "Yêu cầu bổ sung giấy tờ", "Đã quá hạn 2 ngày làm việc",
                     "In lúc 09:05 ngày 22/09/2025"):
        assert expected in drawn, expected
    english = {"QUEUE TICKET", "PRIORITY", "DOCUMENTS TO BRING", "DOSSIER STATUS", "You are next"}
    assert not english & set(drawn)


def test_the_test_print_follows_the_language(drawn):
    receipts.samples(WIDTH, "en")
    assert "TEST PRINT - SAMPLE DATA" in drawn and "QUEUE TICKET" in drawn
    drawn.clear()
    receipts.samples(WIDTH, "vi")
    assert "IN THỬ - DỮ LIỆU MẪU" in drawn and "PHIẾU SỐ THỨ TỰ" in drawn
