"""Numbers, letters and queue calls as words, the way a Vietnamese caller says them, so that a
speech engine reads "A012" as "a, mười hai" and not digit by digit; an English session's ticket,
and dates, as they are said rather than written."""

from __future__ import annotations

import datetime as dt

from .queue import display_number

DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
LARGEST = 999_999_999

# Letter names as Vietnamese callers read them: the traditional names of the Vietnamese alphabet
# (Wikipedia, "Vietnamese alphabet" / "Bảng chữ cái tiếng Việt", section "Letter names": bê, xê,
# dê, giê, ca, quy, i dài, ...), taking the short spoken form where the table gives two (lờ, not
# e-lờ; ét, not ét-sờ; ích, not ích-xờ), as codes and licence plates are read aloud. F, J, W and Z
# are not in the Vietnamese alphabet: they get the names people use for them (ép, gi, vê kép, dét).
LETTERS = {
    "A": "a", "B": "bê", "C": "xê", "D": "dê", "E": "e", "F": "ép", "G": "giê", "H": "hát",
    "I": "i", "J": "gi", "K": "ca", "L": "lờ", "M": "mờ", "N": "nờ", "O": "o", "P": "pê",
    "Q": "quy", "R": "rờ", "S": "ét", "T": "tê", "U": "u", "V": "vê", "W": "vê kép", "X": "ích",
    "Y": "i dài", "Z": "dét",
}


def number_words(n: int) -> str:
    """0..999_999_999 in words: 21 "hai mươi mốt", 105 "một trăm linh năm", 1005 "một nghìn
    không trăm linh năm"."""
    if not 0 <= n <= LARGEST:
        raise ValueError(f"{n} is not a whole number from 0 to {LARGEST:,}")
    if n == 0:
        return DIGITS[0]
    words = []
    for group, unit in ((n // 1_000_000, "triệu"), (n // 1000 % 1000, "nghìn"), (n % 1000, "")):
        if group == 0:
            continue  # 1_000_005 is "một triệu không trăm linh năm": an empty group is not read
        # After a higher group, a group is read in full: 1005 "một nghìn không trăm linh năm".
        words.append(_group_words(group, full=bool(words)))
        if unit:
            words.append(unit)
    return " ".join(words)


def _group_words(n: int, full: bool) -> str:
    """1..999; `full` reads the hundreds even when they are zero ("không trăm")."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words = []
    if hundreds or full:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if words:
                words.append("linh")  # 105 "một trăm linh năm"
            words.append(DIGITS[units])
    elif tens == 1:
        words.append("mười")
        if units:
            words.append("lăm" if units == 5 else DIGITS[units])  # 15 "mười lăm", 11 "mười một"
    else:
        words += [DIGITS[tens], "mươi"]
        if units:
            words.append({1: "mốt", 4: "tư", 5: "lăm"}.get(units, DIGITS[units]))
    return " ".join(words)


def letter_words(letter: str) -> str:
    """The name of a capital letter A-Z as a caller says it: "B" -> "bê"."""
    try:
        return LETTERS[letter]
    except KeyError:
        raise ValueError(f"{letter!r} is not a capital letter A-Z") from None


def ticket_words(letter: str, number: int) -> str:
    """A ticket as spoken: A012 -> "a, mười hai"; the comma is the caller's pause after the letter."""
    return f"{letter_words(letter)}, {number_words(number)}"


def call_phrase(letter: str, number: int, counter: int) -> tuple[str, str]:
    """(shown, spoken) for the hall: the ticket A012 called to counter 3."""
    shown = f"Mời công dân có số {display_number(letter, number)} đến quầy số {counter}"
    spoken = f"Mời công dân có số {ticket_words(letter, number)}, đến quầy số {number_words(counter)}."
    return shown, spoken


def ticket_phrase(letter: str, number: int) -> tuple[str, str]:
    """(shown, spoken) for the kiosk reading out the ticket it has just issued."""
    shown = f"Số của bạn là {display_number(letter, number)}"
    spoken = f"Số của bạn là {ticket_words(letter, number)}."
    return shown, spoken


def ticket_phrase_en(letter: str, number: int) -> tuple[str, str]:
    """(shown, spoken) in English: A012 is said "A, 0, 1, 2", each sign on its own, as English
    speakers read out a code; the commas keep a speech engine from reading "A" as the article."""
    shown_number = display_number(letter, number)
    return f"Your number is {shown_number}", f"Your number is {', '.join(shown_number)}."


MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December"]


def date_words(moment: dt.datetime, language: str) -> str:
    """A date (and its time, unless midnight) as said aloud, not as written: a speech engine
    reads 28/09/2022 as three numbers. "ngày 28 tháng 9 năm 2022, 16 giờ 30" in Vietnamese,
    "28 September 2022, 16:30" in English."""
    if language == "vi":
        said = f"ngày {moment.day} tháng {moment.month} năm {moment.year}"
        time = f"{moment.hour} giờ" + (f" {moment.minute}" if moment.minute else "")
    else:
        said = f"{moment.day} {MONTHS_EN[moment.month - 1]} {moment.year}"
        time = f"{moment.hour}:{moment.minute:02d}"
    return f"{said}, {time}" if (moment.hour, moment.minute) != (0, 0) else said
