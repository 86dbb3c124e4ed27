"""The keys a CCCD's chip opens with, from what the citizen shows or types, and the keys derived
from them (ICAO Doc 9303 Part 11, 9.7).

- PACE's password is the CAN. The CCCD prints none: it is the last 6 digits of the ID number.
- BAC's key is made from the MRZ: the document number (the ID number's last 9 digits), the date
  of birth and the date of expiry, each with its check digit. The front QR has the ID number,
  the date of birth and the issue date, not the expiry, which the law fixes from the birthday
  (`expiry_candidates`): a short list to try."""

from __future__ import annotations

import datetime as dt
import hashlib

_WEIGHTS = (7, 3, 1)
MILESTONES = (14, 25, 40, 60)
"""Ages at which a card expires (Law on Identification 2023, art. 21; 14 for cards of 2024 and after)."""
NO_EXPIRY = "991231"
"""What the MRZ holds for a card that does not expire (issued at 60 or later)."""


def check_digit(text: str) -> str:
    """The MRZ check digit of `text` (ICAO 9303 Part 3, 4.9): digits as themselves, A-Z as 10-35,
    "<" as 0, weighted 7, 3, 1."""
    total = 0
    for index, sign in enumerate(text):
        if sign.isdigit():
            value = int(sign)
        elif "A" <= sign <= "Z":
            value = ord(sign) - ord("A") + 10
        elif sign == "<":
            value = 0
        else:
            raise ValueError(f"not an MRZ character: {sign!r}")
        total += value * _WEIGHTS[index % 3]
    return str(total % 10)


def _id_digits(id_number: str) -> str:
    if len(id_number) != 12 or not id_number.isascii() or not id_number.isdigit():
        raise ValueError("an ID number is 12 digits")
    return id_number


def can_of(id_number: str) -> str:
    """The CAN of a CCCD: the last 6 digits of its ID number."""
    return _id_digits(id_number)[-6:]


def document_number(id_number: str) -> str:
    """The MRZ's document number of a CCCD: the last 9 digits of the ID number (not the first 9)."""
    return _id_digits(id_number)[-9:]


def mrz_information(number: str, birth: str, expiry: str) -> str:
    """What BAC's key seed hashes: document number, date of birth and date of expiry (YYMMDD),
    each followed by its check digit (the number padded with "<" to 9 signs)."""
    number = number.ljust(9, "<")
    return "".join(part + check_digit(part) for part in (number, birth, expiry))


def _yymmdd(day: dt.date) -> str:
    return day.strftime("%y%m%d")


def _birthday_in(born: dt.date, year: int) -> dt.date:
    try:
        return born.replace(year=year)
    except ValueError:  # born on 29 February: the card's date is the 28th in a common year
        return dt.date(year, 2, 28)


def expiry_candidates(born: dt.date, issued: dt.date | None) -> list[str]:
    """The dates of expiry a card of someone born on `born`, issued on `issued` (None: unknown),
    may hold (YYMMDD), the likeliest first. The law: the birthday in the year the holder turns
    14, 25, 40 or 60, one milestone later when the card was issued within two years before it,
    no expiry from 60. Without the issue date every milestone is a candidate."""
    found = []
    for age in MILESTONES:
        expiry = _birthday_in(born, born.year + age)
        if issued is not None:
            if expiry <= issued:
                continue
            if _birthday_in(expiry, expiry.year - 2) <= issued:  # issued within two years of it: the next one
                continue
        found.append(_yymmdd(expiry))
        if issued is not None:
            break
    if issued is None or not found:
        found.append(NO_EXPIRY)
    return found


def bac_seed(mrz_info: str) -> bytes:
    """K_seed: the first 16 bytes of SHA-1 of the MRZ information."""
    return hashlib.sha1(mrz_info.encode("ascii")).digest()[:16]


ENC, MAC, PACE = 1, 2, 3
"""The counters of the key derivation function: encryption key, MAC key, PACE's password key."""


def _with_parity(key: bytes) -> bytes:
    """DES keys with odd parity in each byte's lowest bit, as the standard's examples show them."""
    return bytes((b & 0xFE) | (1 ^ (bin(b & 0xFE).count("1") & 1)) for b in key)


def derive_key(secret: bytes, counter: int, cipher: str) -> bytes:
    """KDF(K, c) of ICAO 9303 Part 11, 9.7.1: "3des" (two-key, SHA-1, with parity) or "aes128"
    (SHA-1); the AES keys of 192 and 256 bits use SHA-256, which the CCCD does not."""
    data = secret + counter.to_bytes(4, "big")
    if cipher == "3des":
        return _with_parity(hashlib.sha1(data).digest()[:16])
    if cipher == "aes128":
        return hashlib.sha1(data).digest()[:16]
    raise ValueError(f"unknown cipher {cipher!r}")


def pace_password_key(password: bytes) -> bytes:
    """K_pi, PACE's key from its password (counter 3), for AES-128: `can_password` or `mrz_password`."""
    return derive_key(password, PACE, "aes128")


def can_password(can: str) -> bytes:
    """PACE's password from a CAN: the digits themselves."""
    return can.encode("ascii")


def mrz_password(mrz_info: str) -> bytes:
    """PACE's password from the MRZ: the whole SHA-1 of the MRZ information."""
    return hashlib.sha1(mrz_info.encode("ascii")).digest()
