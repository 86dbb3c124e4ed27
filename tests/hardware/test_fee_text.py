"""Fees as the citizen reads them, on the screen and the printed checklist: in their own currency."""

from kiosk.domain.procedure import Case, ChannelTerms, Document, Fee, Procedure
from kiosk.hardware import receipts
from kiosk.hardware.receipts import money


def test_money_says_the_currency():
    assert money(Fee(50_000)) == "50.000 đồng"
    assert money(Fee(50, currency="USD")) == "50 USD"
    assert money(Fee(1_500, "/bản", "USD")) == "1.500 USD (/bản)"
    assert money(Fee(0, "Miễn lệ phí", "USD")) == "Miễn phí (Miễn lệ phí)"


def test_the_printed_checklist_shows_a_dollar_fee_in_dollars(monkeypatch):
    written: list[str] = []
    draw = receipts.Sheet.text

    def text(sheet, line, *args, **kwargs):
        written.append(line)  # what is drawn, read before it becomes pixels
        return draw(sheet, line, *args, **kwargs)

    monkeypatch.setattr(receipts.Sheet, "text", text)
    visa = Procedure("1.001010", "Cấp thẻ thường trú cho người nước ngoài tại Việt Nam", ["province"], "XNC",
                     ["Phòng Xuất nhập cảnh"],
                     [ChannelTerms("in_person", "06 Tháng", None, [Fee(100, "100 USD/thẻ.", "USD")], 6, "Tháng")],
                     [Case("", [Document("Đơn xin thường trú", 1)], [])], ["Thẻ thường trú"], [])
    picture = receipts.procedure_checklist(visa, width=576)
    assert picture.width == 576
    assert "Phí: 100 USD (100 USD/thẻ.)" in written
    assert not any("đồng" in line for line in written)
