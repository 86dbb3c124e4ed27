"""What a scanned text means: a dossier, a citizen ID card (CCCD), a queue ticket, or nothing known.

`parse_scan` never raises: whatever a scanner sends, the answer is a `ScanResult`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from .codes import find_dossier_code
from .text import fold, mask_name, nfc

KINDS = ("dossier", "identity", "ticket", "unknown")

# A CCCD QR is about 150 characters and a receipt QR a few hundred; anything far
# longer is not ours, and is refused before any pattern looks at it.
MAX_SCAN_LENGTH = 4096

# National procedure database codes: 1.001193 or 1.001193.000.00.00.H08.
_PROCEDURE_CODE = re.compile(r"(?<![\w.])([0-9]\.[0-9]{6}(?:\.[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Za-z][0-9]{2})?)(?![\w.])")

# The backend's ticket ids are secrets.token_urlsafe(12): 16 URL-safe characters.
TICKET_ID_PATTERN = r"[A-Za-z0-9_-]{16}"
_TICKET_URL = re.compile(r"https?://[^/\s]+(?:/[^\s?#]*)?/t/(" + TICKET_ID_PATTERN + r")/?(?:[?#]\S*)?\Z")
# A bare id needs a letter: 16 digits alone are far more likely a card or account number.
_BARE_TICKET = re.compile(r"(?=[0-9_-]*[A-Za-z])" + TICKET_ID_PATTERN + r"\Z")

_ID12 = re.compile(r"[0-9]{12}\Z")
_OLD_ID9 = re.compile(r"[0-9]{9}\Z")
_DDMMYYYY = re.compile(r"[0-9]{8}\Z")
# Words of letters joined by spaces, apostrophes or hyphens ("H'Hen Niê"). The joiner
# is required: with it optional, a long word followed by a digit backtracks for ever.
_NAME = re.compile(r"[^\W\d_]+(?:[ '’-]+[^\W\d_]+)*\Z")

_DATE = re.compile(r"(?<![0-9])(?:([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})|([0-9]{4})-([0-9]{2})-([0-9]{2}))(?![0-9])")
# "Ngày hẹn trả: 28/09/2022", "ngay_hen_tra=2022-09-28", "appointment: ..." once folded.
_APPOINTMENT_LABEL = re.compile(r"(?:\bhen\b|ngay_?hen|hen_?tra|appointment)[^0-9]{0,25}$")


@dataclass(frozen=True, repr=False)
class Identity:
    """What a citizen ID card's QR says. Personal data: never logged, never stored.

    Its repr and str show nothing of it, and it refuses to be pickled.
    """

    id_number: str
    old_id: str
    """The former ID number (9 or 12 digits), "" when the card carries none."""
    full_name: str
    birth_date: dt.date
    sex: str
    """"Nam" or "Nữ"."""
    address: str
    issued_on: dt.date | None

    def __repr__(self) -> str:
        return "Identity(<personal data hidden>)"

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("an Identity is personal data and is never pickled or stored")

    @property
    def masked_name(self) -> str:
        return mask_name(self.full_name)

    @property
    def id_number_last4(self) -> str:
        return self.id_number[-4:]


@dataclass(frozen=True)
class ScanResult:
    """The meaning of one scan. `kind` is one of KINDS; the other fields belong to that kind."""

    kind: str
    dossier_code: str | None = None
    procedure_code: str | None = None
    appointment_date: dt.date | None = None
    """From a receipt's QR text: shown even when the backend cannot be reached."""
    identity: Identity | None = None
    ticket_id: str | None = None
    reason: str = ""
    """Why the scan is "unknown"; never quotes the scanned text."""

    def public_dict(self) -> dict[str, Any]:
        """What may leave the kiosk through a command that may be logged: no personal data."""
        if self.kind == "dossier":
            return {
                "kind": "dossier",
                "dossier_code": self.dossier_code,
                "procedure_code": self.procedure_code,
                "appointment_date": self.appointment_date.isoformat() if self.appointment_date else None,
            }
        if self.kind == "identity" and self.identity is not None:
            return {
                "kind": "identity",
                "masked_name": self.identity.masked_name,
                "id_number_last4": self.identity.id_number_last4,
            }
        if self.kind == "ticket":
            return {"kind": "ticket", "ticket_id": self.ticket_id}
        return {"kind": "unknown", "reason": self.reason}

    def to_json(self) -> str:
        return json.dumps(self.public_dict(), ensure_ascii=False)

    def describe(self) -> str:
        """One line for people, Vietnamese first, with no personal data."""
        if self.kind == "dossier":
            extra = []
            if self.procedure_code:
                extra.append(f"thủ tục {self.procedure_code}")
            if self.appointment_date:
                extra.append(f"hẹn trả {self.appointment_date:%d/%m/%Y}")
            details = f" ({', '.join(extra)})" if extra else ""
            return f"Hồ sơ / dossier {self.dossier_code}{details}"
        if self.kind == "identity" and self.identity is not None:
            return (f"Căn cước công dân / citizen ID card: {self.identity.masked_name}, "
                    f"số …{self.identity.id_number_last4}")
        if self.kind == "ticket":
            return f"Số thứ tự / queue ticket {self.ticket_id}"
        return f"Không nhận ra / not recognised: {self.reason}"


def _unknown(reason: str) -> ScanResult:
    return ScanResult(kind="unknown", reason=reason)


def parse_scan(text: str) -> ScanResult:
    """Classify a scanned text and extract what matters. Never raises."""
    if not isinstance(text, str):
        return _unknown("not text")
    if len(text) > MAX_SCAN_LENGTH:
        return _unknown(f"longer than {MAX_SCAN_LENGTH} characters")
    text = nfc(text).strip().lstrip("\ufeff")
    if not text:
        return _unknown("empty")
    if _has_control_characters(text):
        return _unknown("control characters or binary data")

    # A receipt's QR also holds the applicant's ID number and fields that look like a
    # card's, so a dossier code, which no ID card carries, is looked for first.
    plain = unquote(text) if "%" in text else text
    dossier_code = find_dossier_code(plain)
    if dossier_code:
        procedure = _PROCEDURE_CODE.search(plain)
        return ScanResult(
            kind="dossier",
            dossier_code=dossier_code,
            procedure_code=procedure.group(1).upper() if procedure else None,
            appointment_date=_appointment_date(plain),
        )

    identity = _identity(text)
    if isinstance(identity, Identity):
        return ScanResult(kind="identity", identity=identity)
    if isinstance(identity, str):
        return _unknown(identity)

    url = _TICKET_URL.match(text)
    if url:
        return ScanResult(kind="ticket", ticket_id=url.group(1))
    if _BARE_TICKET.match(text):
        return ScanResult(kind="ticket", ticket_id=text)
    return _unknown("no dossier code, ID card or ticket found")


def _has_control_characters(text: str) -> bool:
    # CR, LF and tab come from scanners' suffixes and line breaks inside QR text;
    # anything else of these categories is binary data or an attack.
    return any(
        unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\r\n\t" for ch in text
    )


# -- CCCD -------------------------------------------------------------------------


def _identity(text: str) -> Identity | str | None:
    """An Identity; or a reason when the text is shaped like a CCCD but is not whole; or None."""
    fields = [" ".join(field.split()) for field in text.split("|")]
    if len(fields) < 5:
        return None
    ids = [i for i, field in enumerate(fields) if _ID12.match(field)]
    if not ids:
        return None

    used = {ids[0]}
    # The former number is the old 9-digit ID, or a 12-digit one issued 2012-2016.
    old = next((i for i, field in enumerate(fields)
                if i not in used and (_ID12.match(field) or _OLD_ID9.match(field))), None)
    if old is not None:
        used.add(old)

    dates = [(i, d) for i, field in enumerate(fields) if _DDMMYYYY.match(field) and (d := _ddmmyyyy(field))]
    used.update(i for i, _ in dates)
    sexes = [i for i, field in enumerate(fields) if i not in used and fold(field) in ("nam", "nu")]
    used.update(sexes[:1])
    names = [i for i, field in enumerate(fields) if i not in used and _NAME.match(field)]
    used.update(names[:1])
    addresses = [i for i, field in enumerate(fields) if i not in used and field]

    if not names:
        return "ID card text without a name"
    if not sexes:
        return "ID card text without sex"
    if not dates:
        return "ID card text without a date of birth"
    if not addresses:
        return "ID card text without an address"
    # A card is issued after its holder is born: the earliest date is the birth date.
    ordered = sorted(d for _, d in dates)
    return Identity(
        id_number=fields[ids[0]],
        old_id=fields[old] if old is not None else "",
        full_name=fields[names[0]],
        birth_date=ordered[0],
        sex="Nam" if fold(fields[sexes[0]]) == "nam" else "Nữ",
        address=fields[addresses[0]],
        issued_on=ordered[-1] if len(ordered) > 1 else None,
    )


def _ddmmyyyy(field: str) -> dt.date | None:
    try:
        day = dt.datetime.strptime(field, "%d%m%Y").date()
    except ValueError:
        return None
    return day if 1900 <= day.year <= 2100 else None


# -- receipts -----------------------------------------------------------------------


def _appointment_date(text: str) -> dt.date | None:
    """The appointment date of a receipt's QR text (Circular 01/2023/TT-VPCP), if it can be told.

    The rules fix the fields, not their separators or labels: a date labelled as the
    appointment wins; otherwise, of two or more dates, the latest (the appointment
    comes after the time of issue). A lone unlabelled date may be the time of issue.
    """
    folded = fold(text)
    found: list[dt.date] = []
    for match in _DATE.finditer(folded):
        day = _date(match)
        if day is None:
            continue
        if _APPOINTMENT_LABEL.search(folded[max(0, match.start() - 40):match.start()]):
            return day
        found.append(day)
    return max(found) if len(found) > 1 else None


def _date(match: re.Match[str]) -> dt.date | None:
    if match.group(1):
        day, month, year = match.group(1), match.group(2), match.group(3)
    else:
        year, month, day = match.group(4), match.group(5), match.group(6)
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None
