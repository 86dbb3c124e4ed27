"""Recognising dossier codes: `<agency code>-<yymmdd>-<sequence>`."""

from __future__ import annotations

import datetime as dt
import re

# Agency codes are dot-separated numeric groups ending in a province/ministry
# tag such as H48 or G22: 000.00.53.H48, 38.98.H29. [0-9], not \d: only ASCII digits.
DOSSIER_CODE_PATTERN = r"((?:[0-9]{2,3}\.){1,4}[A-Za-z][0-9]{2})-([0-9]{6})-([0-9]{4,6})"
_ANYWHERE = re.compile(r"(?<![\w.])" + DOSSIER_CODE_PATTERN + r"(?!\w)")
_WHOLE = re.compile(DOSSIER_CODE_PATTERN + r"\Z")


def _has_real_date(match: re.Match[str]) -> bool:
    try:
        dt.datetime.strptime(match.group(2), "%y%m%d")
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
    return _normal(match) if match and _has_real_date(match) else None


def find_dossier_code(text: str) -> str | None:
    """The first valid dossier code found anywhere inside `text`."""
    for match in _ANYWHERE.finditer(text):
        if _has_real_date(match):
            return _normal(match)
    return None


def dossier_received_date(code: str) -> dt.date:
    """The receiving date that a (valid) dossier code carries."""
    return dt.datetime.strptime(code.split("-")[-2], "%y%m%d").date()
