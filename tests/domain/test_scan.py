import datetime as dt
import json
import logging
import pickle
import unicodedata

import pytest

from kiosk.domain.scan import MAX_SCAN_LENGTH, Identity, parse_scan

# Invented people; the numbers follow the card's shape (province, century and sex, year).
CARD = "052190001234|215512345|Nguyễn Thị Hồng Nhung|12031990|Nữ|Thôn Vạn Hội 2, Ân Tường Tây, Hoài Ân, Bình Định|15082021"
CODE = "000.00.53.H48-220921-0099"


@pytest.mark.parametrize(
    "text",
    [
        CODE,
        "000.00.53.h48-220921-0099\r\n",
        f"https://dichvucong.binhdinh.gov.vn/tra-cuu-ho-so?maHoSo={CODE}&lang=vi",
        f"https://motcua.hoaian.example.vn/ho-so/{CODE}/trang-thai",
        "https://motcua.example.vn/tra-cuu?ma=000.00.53.H48%2D220921%2D0099",
        f"Mã hồ sơ: {CODE}\nNgày hẹn trả: 28/09/2022",
    ],
)
def test_dossier_codes_bare_in_urls_and_in_text(text):
    result = parse_scan(text)
    assert result.kind == "dossier"
    assert result.dossier_code == CODE
    assert result.identity is None


@pytest.mark.parametrize(
    "text",
    [
        # Labelled, semicolons.
        f"MaHoSo: {CODE}; MaTTHC: 1.001193.000.00.00.H08; SoDinhDanh: 052090001234; "
        "TenGiayTo: Giấy tiếp nhận hồ sơ và hẹn trả kết quả; HeThong: Hệ thống thông tin giải quyết TTHC "
        "tỉnh Bình Định; ThoiGianCap: 21/09/2022 08:15; NgayHenTra: 28/09/2022",
        # Unlabelled, pipes, ISO dates: the later date is the appointment.
        f"{CODE}|1.001193.000.00.00.H08|052090001234|Giấy tiếp nhận hồ sơ và hẹn trả kết quả|"
        "Hệ thống một cửa điện tử tỉnh Bình Định|2022-09-21T08:15:00|2022-09-28",
        # Labelled, appointment first, lines.
        f"Ngày hẹn trả kết quả: 28-09-2022\r\nMã hồ sơ: {CODE}\r\nMã thủ tục: 1.001193.000.00.00.H08\r\n"
        "Số định danh: 052090001234\r\nThời gian cấp: 2022-09-21 08:15",
        # JSON, as some systems print it.
        json.dumps({"maHoSo": CODE, "maTTHC": "1.001193.000.00.00.H08", "soDinhDanh": "052090001234",
                    "tenGiayTo": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", "heThong": "MCĐT Bình Định",
                    "thoiGianCap": "2022-09-21 08:15:00", "ngayHenTra": "2022-09-28"}, ensure_ascii=False),
    ],
)
def test_receipt_qr_text_under_the_one_stop_qr_rules(text):
    result = parse_scan(text)
    assert (result.kind, result.dossier_code) == ("dossier", CODE)
    assert result.procedure_code == "1.001193.000.00.00.H08"
    assert result.appointment_date == dt.date(2022, 9, 28)
    # The applicant's ID number in the receipt is not kept, nor shown.
    assert "052090001234" not in result.to_json() + result.describe() + repr(result)


def test_a_lone_unlabelled_date_is_not_taken_for_the_appointment():
    result = parse_scan(f"{CODE} 21/09/2022 08:15")
    assert result.dossier_code == CODE and result.appointment_date is None


def _identity(text):
    result = parse_scan(text)
    assert result.kind == "identity", result.reason
    return result.identity


def test_citizen_id_card_qr():
    identity = _identity(CARD)
    assert identity.id_number == "052190001234"
    assert identity.old_id == "215512345"
    assert identity.full_name == "Nguyễn Thị Hồng Nhung"
    assert identity.birth_date == dt.date(1990, 3, 12)
    assert identity.sex == "Nữ"
    assert identity.address == "Thôn Vạn Hội 2, Ân Tường Tây, Hoài Ân, Bình Định"
    assert identity.issued_on == dt.date(2021, 8, 15)


@pytest.mark.parametrize(
    "text",
    [
        # Six fields: no former number at all.
        "052190001234|Nguyễn Thị Hồng Nhung|12031990|Nữ|Thôn Vạn Hội 2, Ân Tường Tây, Hoài Ân, Bình Định|15082021",
        # Empty former number, extra empty trailing fields, CR LF from the scanner.
        "052190001234||Nguyễn Thị Hồng Nhung|12031990|Nữ|Thôn Vạn Hội 2, Ân Tường Tây, Hoài Ân, Bình Định|15082021|||\r\n",
        # Decomposed (NFD) text, as some readers hand it over.
        unicodedata.normalize("NFD", CARD.replace("215512345", "")),
        # Stray white space around and inside fields.
        "  052190001234 | |Nguyễn  Thị Hồng Nhung |12031990| Nữ |Thôn Vạn Hội 2, Ân Tường Tây,  Hoài Ân, Bình Định|15082021 \n",
        # Fields out of the usual order: found by shape.
        "052190001234|Nữ|Nguyễn Thị Hồng Nhung|15082021|Thôn Vạn Hội 2, Ân Tường Tây, Hoài Ân, Bình Định|12031990",
    ],
)
def test_citizen_id_card_variants(text):
    identity = _identity(text)
    assert identity.id_number == "052190001234"
    assert identity.old_id == ""
    assert identity.full_name == "Nguyễn Thị Hồng Nhung"
    assert unicodedata.is_normalized("NFC", identity.full_name)
    assert identity.sex == "Nữ"
    assert identity.address == "Thôn Vạn Hội 2, Ân Tường Tây, Hoài Ân, Bình Định"
    assert (identity.birth_date, identity.issued_on) == (dt.date(1990, 3, 12), dt.date(2021, 8, 15))


def test_address_without_commas_and_names_with_apostrophes():
    identity = _identity("066301004321|241234567|H'Hen Niê|05072001|Nữ|Buôn Ko Tam Xã Ea Tu Thành phố Buôn Ma Thuột Đắk Lắk|20042022")
    assert (identity.full_name, identity.sex) == ("H'Hen Niê", "Nữ")
    assert identity.address == "Buôn Ko Tam Xã Ea Tu Thành phố Buôn Ma Thuột Đắk Lắk"


def test_a_former_twelve_digit_number():
    identity = _identity("052090001234|052012345678|Trần Văn Bình|01011990|Nam|Ân Hảo Tây, Hoài Ân, Bình Định|10102021")
    assert (identity.id_number, identity.old_id, identity.sex) == ("052090001234", "052012345678", "Nam")


def test_identity_never_shows_or_stores_personal_data(caplog):
    result = parse_scan(CARD)
    shown = [repr(result), str(result), repr(result.identity), str(result.identity), f"{result.identity}",
             result.to_json(), result.describe()]
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("kiosk.test").info("scanned %s %r", result.identity, result)
    shown.append(caplog.text)
    for secret in ("052190001234", "215512345", "Hồng Nhung", "12031990", "1990", "Vạn Hội", "15082021"):
        assert not any(secret in text for text in shown), secret
    with pytest.raises(TypeError):
        pickle.dumps(result.identity)


def test_cli_json_of_an_identity_has_the_masked_name_and_last_four_digits_only():
    assert json.loads(parse_scan(CARD).to_json()) == {
        "kind": "identity", "masked_name": "Nguyễn T** H** N", "id_number_last4": "1234",
    }


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("052190001234||Nguyễn Thị Hồng Nhung|Nữ|Thôn Vạn Hội 2, Hoài Ân|15082021x", "date of birth"),
        ("052190001234||Nguyễn Thị Hồng Nhung|12031990|Thôn Vạn Hội 2, Hoài Ân|15082021", "sex"),
        ("052190001234||12031990|Nữ|Thôn Vạn Hội 2, Hoài Ân|15082021", "name"),
        ("052190001234|215512345|Nguyễn Thị Hồng Nhung|12031990|Nữ||15082021", "address"),
    ],
)
def test_a_card_missing_a_field_is_unknown_with_a_reason_that_quotes_nothing(text, reason):
    result = parse_scan(text)
    assert result.kind == "unknown"
    assert reason in result.reason
    assert "052190001234" not in result.reason + result.to_json()


@pytest.mark.parametrize(
    "text",
    ["http://127.0.0.1:8080/t/Qx3_vK9-aZ0bLm7P", "https://xephang.hoaian.example.vn/t/Qx3_vK9-aZ0bLm7P/?from=qr",
     "Qx3_vK9-aZ0bLm7P", " Qx3_vK9-aZ0bLm7P\r\n"],
)
def test_queue_tickets(text):
    result = parse_scan(text)
    assert (result.kind, result.ticket_id) == ("ticket", "Qx3_vK9-aZ0bLm7P")
    assert json.loads(result.to_json()) == {"kind": "ticket", "ticket_id": "Qx3_vK9-aZ0bLm7P"}


@pytest.mark.parametrize(
    "text",
    [
        "", "   \r\n", "hello", "1234567890123456",  # a card number, not a ticket
        "Qx3_vK9-aZ0bLm7", "https://example.vn/t/short", "https://example.vn/x/Qx3_vK9-aZ0bLm7P",
        "000.00.53.H48-220931-0099",  # 31 September
        "052190001234", "052190001234|Nguyễn Văn An",  # not enough of a card
        "8935049501234",  # an EAN-13 on a product
        "x" * (MAX_SCAN_LENGTH + 1), CODE + " " * MAX_SCAN_LENGTH,  # huge
        CODE + "\x00", "\x00" * 100, "Mã\x1b[31m hồ sơ " + CODE,  # NUL, escape sequences
        bytes(range(256)).decode("latin-1"), "\udcff\udcfe" + CODE,  # binary, lone surrogates
        b"\xff\xfe\x00\x01".decode("utf-8", errors="surrogateescape"),
        "'; DROP TABLE dossiers;--", "../../etc/passwd", "<script>alert(1)</script>",
        b"000.00.53.H48-220921-0099",  # bytes, not text
        None,
    ],
)
def test_anything_else_is_unknown_with_a_reason_and_never_raises(text):
    result = parse_scan(text)
    assert result.kind == "unknown"
    assert result.reason
    assert json.loads(result.to_json()) == {"kind": "unknown", "reason": result.reason}
    assert result.describe().startswith("Không nhận ra")


@pytest.mark.parametrize(
    "text",
    ["052190001234|" + "a" * 4000 + "1|12031990|Nam|2|3", "052190001234|" + "a '" * 1300 + "1|Nam|1|2|3",
     CODE[:-1] + "|" * 4000, "hẹn " * 1000 + "1/1/2022"],
)
def test_inputs_built_to_make_patterns_backtrack_are_answered(text):
    assert parse_scan(text).kind == "unknown"


def test_huge_input_is_refused_before_it_is_searched():
    result = parse_scan(CODE + "x" * 10_000_000)
    assert (result.kind, result.reason) == ("unknown", f"longer than {MAX_SCAN_LENGTH} characters")


def test_descriptions_are_vietnamese_first():
    assert parse_scan(CODE).describe() == f"Hồ sơ / dossier {CODE}"
    assert parse_scan(CARD).describe() == "Căn cước công dân / citizen ID card: Nguyễn T** H** N, số …1234"
    assert parse_scan("Qx3_vK9-aZ0bLm7P").describe() == "Số thứ tự / queue ticket Qx3_vK9-aZ0bLm7P"


def test_identity_is_a_plain_value():
    first, second = _identity(CARD), _identity(CARD + "\r\n")
    assert first == second and isinstance(first, Identity)
