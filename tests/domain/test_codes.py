import datetime as dt

import pytest

from kiosk.domain.codes import (
    complete_dossier_code, dossier_code_shape, dossier_received_date, find_dossier_code, parse_dossier_code,
    read_typed_code,
)
from kiosk.domain.scan import parse_scan
from real_codes import real_codes

ROWS = real_codes()


def test_the_table_is_whole():
    for row in ROWS:
        assert row.part in ("tune", "held-out") and row.source and row.note, row
    for part in ("tune", "held-out"):
        rows = [row for row in ROWS if row.part == part]
        assert any(row.expected for row in rows) and any(not row.expected for row in rows), part
    # Every expected code is itself in its normal form.
    assert all(parse_dossier_code(row.expected) == row.expected for row in ROWS if row.expected)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_real_forms(row):
    assert find_dossier_code(row.text) == (row.expected or None)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_real_forms_through_the_scanner(row):
    result = parse_scan(row.text)
    if row.expected:
        assert result.kind == "dossier" and result.dossier_code == row.expected
    else:
        assert result.kind != "dossier" and result.dossier_code is None


@pytest.mark.parametrize("row", [row for row in ROWS if row.expected], ids=[row.id for row in ROWS if row.expected])
def test_each_real_code_alone_and_in_lower_case(row):
    assert parse_dossier_code(row.expected) == row.expected
    assert parse_dossier_code(f" {row.expected.lower()}\r\n") == row.expected
    assert dossier_code_shape(row.expected.lower()) == row.expected


@pytest.mark.parametrize(
    "text",
    ["000.00.53.H48-220921-0099", "38.98.H29-210519-0013", " 000.00.53.h48-220921-0099\r\n", "01.53.H08-251127-12345",
     "G22.99.08-260921-896048", "G22.99-251225-020175", "000.00.BD.H08-230411-0004", "H56.14-240823-0001"],
)
def test_recognises_dossier_codes(text):
    code = parse_dossier_code(text)
    assert code is not None
    assert code == code.upper() and code == text.strip().upper()


@pytest.mark.parametrize(
    "text",
    [
        "", "0099", "000.00.53.H48", "000.00.53.H48-220931-0099",  # 31 September
        "000.00.53.H48-22092-0099", "H48-220921-0099", "000.00.53.H48-220921-0099-1",
        "000.00.53.H48-220921-0099'; DROP TABLE dossiers;--", "../../etc/passwd",
        "000.00.53.H48-220921-009",  # a sequence has 4 digits or more
        "000.00.53.H48-220921-123456789",  # and 8 or fewer
        "000.00.53.448-220921-0099",  # no tag
        "000.0.53.H48-220921-0099",  # a group of one character
        "1.001193.000.00.00.H08",  # a procedure code
        "000.00.53.H48-٢٢٠٩٢١-0099",  # digits that are not ASCII
    ],
)
def test_rejects_what_is_not_a_code(text):
    assert parse_dossier_code(text) is None


def test_finds_a_code_inside_longer_text():
    assert find_dossier_code("https://dvc.example.vn/tra-cuu?ma=000.00.53.H48-220921-0099&x=1") == "000.00.53.H48-220921-0099"
    assert find_dossier_code("Mã hồ sơ: 38.98.H29-210519-0013; Ngày hẹn: 25/05/2021") == "38.98.H29-210519-0013"
    assert find_dossier_code("000.00.53.H48-221399-0001 then 01.53.H08-251127-0002") == "01.53.H08-251127-0002"
    assert find_dossier_code("nothing here") is None


@pytest.mark.parametrize("glue", ["_", "#", ":", ";", "/", "=", "'", '"', ">", "(", " "])
def test_a_code_touched_by_punctuation(glue):
    assert find_dossier_code(f"ma_ho_so{glue}000.00.53.H48-220921-0099{glue}x") == "000.00.53.H48-220921-0099"


@pytest.mark.parametrize("glue", ["a", "7", "."])
def test_a_code_touched_by_letters_digits_or_dots_is_not_one(glue):
    assert find_dossier_code(f"x{glue}000.00.53.H48-220921-0099{glue}1") is None


def test_received_date():
    assert dossier_received_date("000.00.53.H48-220921-0099") == dt.date(2022, 9, 21)
    assert dossier_received_date("G22.99.08-260921-896048") == dt.date(2026, 9, 21)


# -- codes typed without dots and dashes ---------------------------------------------------


@pytest.mark.parametrize(
    "typed, code",
    [
        ("0000053H482209210099", "000.00.53.H48-220921-0099"),
        ("00000BDH082304110004", "000.00.BD.H08-230411-0004"),
        ("3898H292105190013", "38.98.H29-210519-0013"),
        ("G229908260921896048", "G22.99.08-260921-896048"),
        ("G2299251225020175", "G22.99-251225-020175"),
        ("H5614240823 0001", "H56.14-240823-0001"),
        ("000.00.53.H48220921-0099", "000.00.53.H48-220921-0099"),  # some separators typed
        ("00000 01H21 2610020050", "000.00.01.H21-261002-0050"),  # in groups, as read off a receipt
    ],
)
def test_a_code_typed_without_separators_is_completed_when_only_one_shape_fits(typed, code):
    assert complete_dossier_code(typed) == [code]
    assert read_typed_code(typed) == [code]


def test_a_typed_code_that_two_shapes_fit_is_not_guessed():
    readings = complete_dossier_code("G22991010101 01010")
    assert sorted(readings) == ["G22.99-101010-101010", "G22.99.10-101010-1010"]


@pytest.mark.parametrize("typed", ["", "12-3", "0000053H48", "00000053H482209210099", "0000053H482209310099", "HELLO"])
def test_a_typed_text_no_shape_fits(typed):
    assert complete_dossier_code(typed) == []
    assert read_typed_code(typed) == []


def test_a_whole_code_typed_is_read_as_it_is():
    assert read_typed_code("000.00.BD.H08-230411-0004") == ["000.00.BD.H08-230411-0004"]


REAL = sorted({row.expected for row in ROWS if row.expected})


@pytest.mark.parametrize("code", REAL)
def test_every_real_code_typed_without_separators_is_itself_and_nothing_else(code):
    plain = code.replace(".", "").replace("-", "")
    in_fives = " ".join(plain[at:at + 5] for at in range(0, len(plain), 5))
    for typed in (plain, in_fives, plain.lower()):
        assert read_typed_code(typed) == [code], typed
