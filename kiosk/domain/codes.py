"""Recognising dossier codes: `<agency code>-<yymmdd>-<sequence>`.

The one recogniser of the kiosk: the scanner, the keypad, `kiosk parse-scan` and the
backend's `GET /dossiers/{code}` all use it. The forms it takes (and the look-alikes it
refuses) are in tests/fixtures/real_dossier_codes.csv, each with its public source:
- provincial one-stop systems: `000.00.53.H48-220921-0099`, `38.98.H29-210519-0013`, agency
  groups with letters `000.00.BD.H08-230411-0004`, `000.A0.01.H26-210212-9090`;
- codes that start with the tag: `H56.14-240823-0001`, the national portal's own
  `G22.99.08-260921-896048`, `G22.99-251225-020175` (sequences of 4 to 8 digits);
- inside URLs, XML, JSON, receipt QR texts, and payment texts where `_`, `#`, `:` or `;`
  touch the code (`..._000.00.12.H62-201105-0004_ma+so+thue...`).
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import unquote

# An agency code is 2 to 5 dot-separated groups of 2-3 letters or digits, with a province's
# or ministry's tag (a letter and two digits: H48, G22, G04) first or last. [0-9], not \d:
# only ASCII digits.
_GROUP = r"[0-9A-Za-z]{2,3}"
_TAG = r"[A-Za-z][0-9]{2}"
AGENCY_CODE_PATTERN = rf"(?:(?:{_GROUP}\.){{1,4}}{_TAG}|{_TAG}(?:\.{_GROUP}){{1,4}})"
# Sequences: 4 digits in most provinces, 5 in large ones, 6 at the national portal.
DOSSIER_CODE_PATTERN = rf"({AGENCY_CODE_PATTERN})-([0-9]{{6}})-([0-9]{{4,8}})"
# Inside a text, a code is not touched by another letter, digit or dot; `_`, `#`, `:`, `;`,
# `/`, `=`, quotes and brackets may touch it (payment texts glue codes with `_`).
_ANYWHERE = re.compile(r"(?<![0-9A-Za-z.])" + DOSSIER_CODE_PATTERN + r"(?![0-9A-Za-z])")
_WHOLE = re.compile(DOSSIER_CODE_PATTERN + r"\Z")

# The agency-code shapes a citizen may type without dots and dashes, as lengths of groups
# ("T" the tag). Only these are completed: each is seen in real codes (the table above).
TYPED_SHAPES = ((3, 2, 2, "T"), (2, 2, "T"), ("T", 2, 2), ("T", 2))
_TYPED = re.compile(r"[0-9A-Za-z]{14,40}\Z")


def _real_date(yymmdd: str) -> bool:
    try:
        dt.datetime.strptime(yymmdd, "%y%m%d")
    except ValueError:
        return False
    return True


def _normal(match: re.Match[str]) -> str:
    return f"{match.group(1).upper()}-{match.group(2)}-{match.group(3)}"


def dossier_code_shape(text: str) -> str | None:
    """The normal form of `text` if it has the shape of a dossier code (date unchecked)."""
    match = _WHOLE.match(text.strip())
    return _normal(match) if match else None


def parse_dossier_code(text: str) -> str | None:
    """The code in its normal form if `text` is exactly one dossier code, else None."""
    match = _WHOLE.match(text.strip())
    return _normal(match) if match and _real_date(match.group(2)) else None


def find_dossier_code(text: str) -> str | None:
    """The first valid dossier code found anywhere inside `text`, percent-encoded or not
    (`...tra-cuu.aspx%3Fmahs%3D000.00.06.H56-231027-0361` in a sharing link)."""
    for plain in (text, unquote(text)) if "%" in text else (text,):
        for match in _ANYWHERE.finditer(plain):
            if _real_date(match.group(2)):
                return _normal(match)
    return None


def complete_dossier_code(typed: str) -> list[str]:
    """Every valid code that `typed`, without its dots and dashes, can be read as.

    `0000053H482209210099` is `000.00.53.H48-220921-0099` and nothing else; a citizen is
    told so when there is more than one reading, never sent to the wrong dossier."""
    plain = re.sub(r"[.\-\s]", "", typed)
    if not _TYPED.match(plain):
        return []
    readings = []
    for shape in TYPED_SHAPES:
        groups, at = [], 0
        for part in shape:
            size = 3 if part == "T" else part
            groups.append(plain[at:at + size])
            at += size
        code = f"{'.'.join(groups)}-{plain[at:at + 6]}-{plain[at + 6:]}"
        found = parse_dossier_code(code)
        tags_in_place = all(re.fullmatch(_TAG, group) for group, part in zip(groups, shape) if part == "T")
        if found and tags_in_place and found not in readings:
            readings.append(found)
    return readings


def read_typed_code(typed: str) -> list[str]:
    """What a code typed on the keypad means: one code, several readings, or none."""
    code = parse_dossier_code(typed)
    return [code] if code else complete_dossier_code(typed)


def dossier_received_date(code: str) -> dt.date:
    """The receiving date that a (valid) dossier code carries."""
    return dt.datetime.strptime(code.split("-")[-2], "%y%m%d").date()
