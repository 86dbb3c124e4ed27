import datetime as dt

import pytest

from kiosk.domain.codes import dossier_received_date, find_dossier_code, parse_dossier_code


@pytest.mark.parametrize(
    "text",
    ["000.00.53.H48-220921-0099", "38.98.H29-210519-0013", " 000.00.53.h48-220921-0099\r\n", "01.53.H08-251127-12345"],
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
    ],
)
def test_rejects_what_is_not_a_code(text):
    assert parse_dossier_code(text) is None


def test_finds_a_code_inside_longer_text():
    assert find_dossier_code("https://dvc.example.vn/tra-cuu?ma=000.00.53.H48-220921-0099&x=1") == "000.00.53.H48-220921-0099"
    assert find_dossier_code("Mã hồ sơ: 38.98.H29-210519-0013; Ngày hẹn: 25/05/2021") == "38.98.H29-210519-0013"
    assert find_dossier_code("000.00.53.H48-221399-0001 then 01.53.H08-251127-0002") == "01.53.H08-251127-0002"
    assert find_dossier_code("nothing here") is None


def test_received_date():
    assert dossier_received_date("000.00.53.H48-220921-0099") == dt.date(2022, 9, 21)
