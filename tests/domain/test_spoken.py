import datetime as dt

import pytest

from kiosk.domain.spoken import call_phrase, date_words, letter_words, number_words, ticket_phrase, ticket_phrase_en

READINGS = [
    (0, "không"),
    (1, "một"),
    (4, "bốn"),
    (5, "năm"),
    (7, "bảy"),
    (10, "mười"),
    (11, "mười một"),
    (14, "mười bốn"),  # tư only after mươi
    (15, "mười lăm"),
    (19, "mười chín"),
    (20, "hai mươi"),
    (21, "hai mươi mốt"),
    (24, "hai mươi tư"),
    (25, "hai mươi lăm"),
    (30, "ba mươi"),
    (55, "năm mươi lăm"),
    (91, "chín mươi mốt"),
    (99, "chín mươi chín"),
    (100, "một trăm"),
    (101, "một trăm linh một"),
    (104, "một trăm linh bốn"),
    (105, "một trăm linh năm"),
    (110, "một trăm mười"),
    (111, "một trăm mười một"),
    (115, "một trăm mười lăm"),
    (121, "một trăm hai mươi mốt"),
    (124, "một trăm hai mươi tư"),
    (999, "chín trăm chín mươi chín"),
    (1000, "một nghìn"),
    (1001, "một nghìn không trăm linh một"),
    (1005, "một nghìn không trăm linh năm"),
    (1010, "một nghìn không trăm mười"),
    (1105, "một nghìn một trăm linh năm"),
    (2021, "hai nghìn không trăm hai mươi mốt"),
    (10000, "mười nghìn"),
    (15000, "mười lăm nghìn"),
    (21000, "hai mươi mốt nghìn"),
    (100000, "một trăm nghìn"),
    (105000, "một trăm linh năm nghìn"),
    (1000000, "một triệu"),
    (1000005, "một triệu không trăm linh năm"),  # an empty thousands group is not read
    (2500000, "hai triệu năm trăm nghìn"),
    (999999999, "chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín"),
]


@pytest.mark.parametrize("number, words", READINGS)
def test_number_words(number, words):
    assert number_words(number) == words


@pytest.mark.parametrize("number", [-1, 1_000_000_000])
def test_number_words_outside_the_range(number):
    with pytest.raises(ValueError):
        number_words(number)


def test_letter_words():
    spelled = " ".join(letter_words(chr(c)) for c in range(ord("A"), ord("Z") + 1))
    assert spelled == ("a bê xê dê e ép giê hát i gi ca lờ mờ nờ o pê quy rờ ét tê u vê vê kép "
                       "ích i dài dét")
    for wrong in ("a", "Đ", "AB", ""):
        with pytest.raises(ValueError):
            letter_words(wrong)


def test_call_phrase():
    assert call_phrase("A", 12, 3) == (
        "Mời công dân có số A012 đến quầy số 3",
        "Mời công dân có số a, mười hai, đến quầy số ba.",
    )
    assert call_phrase("B", 105, 11) == (
        "Mời công dân có số B105 đến quầy số 11",
        "Mời công dân có số bê, một trăm linh năm, đến quầy số mười một.",
    )
    assert call_phrase("Y", 1021, 21)[1] == (
        "Mời công dân có số i dài, một nghìn không trăm hai mươi mốt, đến quầy số hai mươi mốt.")


def test_ticket_phrase():
    assert ticket_phrase("A", 12) == ("Số của bạn là A012", "Số của bạn là a, mười hai.")
    assert ticket_phrase("C", 5) == ("Số của bạn là C005", "Số của bạn là xê, năm.")


def test_an_english_ticket_is_read_sign_by_sign():
    assert ticket_phrase_en("A", 12) == ("Your number is A012", "Your number is A, 0, 1, 2.")
    assert ticket_phrase_en("B", 1105)[1] == "Your number is B, 1, 1, 0, 5."


@pytest.mark.parametrize("moment, vi, en", [
    (dt.datetime(2022, 9, 28, 16, 30), "ngày 28 tháng 9 năm 2022, 16 giờ 30", "28 September 2022, 16:30"),
    (dt.datetime(2025, 1, 2, 8, 0), "ngày 2 tháng 1 năm 2025, 8 giờ", "2 January 2025, 8:00"),
    (dt.datetime(2025, 12, 31), "ngày 31 tháng 12 năm 2025", "31 December 2025"),  # midnight: a day, no time
])
def test_dates_are_said_not_written(moment, vi, en):
    assert date_words(moment, "vi") == vi and date_words(moment, "en") == en
