"""Administrative procedures (thủ tục hành chính) and the catalogue that holds them.

Field names follow the national procedure database (CSDL quốc gia về TTHC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .serial import JsonMixin

CHANNELS = ("in_person", "online", "postal")
ONLINE_LEVELS = ("full", "partial", "none")

# A national procedure code ("1.001193") and a province's long form of it
# ("1.001193.000.00.00.H08"): the long form starts with the national code.
_LONG_CODE = re.compile(r"(\d+\.\d{6})\.[0-9A-Za-z][0-9A-Za-z._-]*")


def national_code(code: str) -> str:
    """The national code of a procedure code: "1.001193.000.00.00.H08" -> "1.001193";
    any other code is its own national code."""
    match = _LONG_CODE.fullmatch(code.strip())
    return match.group(1) if match else code.strip()


@dataclass
class Fee(JsonMixin):
    amount_vnd: int
    """The amount in units of `currency` (dong unless it says otherwise); 0 means free
    of charge. The name stays from when every fee was in dong, so old data reads."""
    description: str = ""
    currency: str = "VND"
    """ISO 4217 code: "VND", and "USD" for the few fees published in dollars."""


@dataclass
class ChannelTerms(JsonMixin):
    """Processing time and fees for one way of submitting."""

    channel: str
    """One of CHANNELS."""
    time_text: str
    """As published, e.g. "03 ngày làm việc"."""
    working_days: float | None = None
    """The same time in working days; None when it is not counted that way."""
    fees: list[Fee] = field(default_factory=list)
    time_amount: float | None = None
    """The number published with the time limit ("05" of "05 ngày làm việc"), when there is one."""
    time_unit: str = ""
    """Its unit as published: "Ngày làm việc", "Ngày", "Giờ", "Tháng"... ("" when unknown)."""


@dataclass
class Document(JsonMixin):
    name: str
    originals: int = 0
    copies: int = 0
    form: str | None = None
    """The prescribed form (mẫu đơn, tờ khai) when there is one."""
    note: str = ""


@dataclass
class Case(JsonMixin):
    """One situation (trường hợp) with its own documents and steps; name "" when there is one case."""

    name: str
    documents: list[Document]
    steps: list[str]


@dataclass
class LegalBasis(JsonMixin):
    number: str
    title: str
    issued: str | None = None
    """ISO date when known."""
    issuer: str = ""


@dataclass
class Procedure(JsonMixin):
    code: str
    name: str
    levels: list[str]
    """Level codes (see Level) at which the procedure is carried out."""
    field: str
    """Field (lĩnh vực) code."""
    agencies: list[str]
    channels: list[ChannelTerms]
    cases: list[Case]
    results: list[str]
    legal_basis: list[LegalBasis]
    online_level: str = "none"
    """One of ONLINE_LEVELS."""
    online_url: str | None = None
    interconnection: list[str] = field(default_factory=list)
    """Level codes a dossier passes through, in order, for interconnected procedures."""
    applicants: list[str] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    local_codes: list[str] = field(default_factory=list)
    """Provinces' long forms of the code ("1.001193.000.00.00.H08" for "1.001193"): the
    same procedure, found by any of them."""

    def problems(self, level_codes: set[str], field_codes: set[str]) -> list[str]:
        """What is wrong with this procedure against a catalogue's levels and fields."""
        found = []
        if not self.code.strip() or not self.name.strip():
            found.append("code and name are required")
        if not self.levels:
            found.append("no level")
        unknown = [level for level in self.levels if level not in level_codes]
        if unknown:
            found.append(f"level {', '.join(unknown)} is not a level of this site ({', '.join(sorted(level_codes))})")
        if self.field not in field_codes:
            found.append(f"field {self.field!r} is not a field of this site")
        wrong = [level for level in self.interconnection if level not in level_codes]
        if wrong:
            found.append(f"interconnection passes through {', '.join(wrong)}, not a level of this site")
        if self.online_level not in ONLINE_LEVELS:
            found.append(f"online_level must be one of {', '.join(ONLINE_LEVELS)}, not {self.online_level!r}")
        for terms in self.channels:
            if terms.channel not in CHANNELS:
                found.append(f"channel must be one of {', '.join(CHANNELS)}, not {terms.channel!r}")
        return found


@dataclass
class Level(JsonMixin):
    """An administrative level. Catalogues may have three levels or two: levels are data."""

    code: str
    name: str
    name_en: str
    rank: int
    """1 is the highest (province)."""


@dataclass
class Field(JsonMixin):
    code: str
    name: str
    name_en: str


@dataclass
class Agency(JsonMixin):
    code: str
    name: str
    level: str
    parent: str | None = None
    address: str = ""


@dataclass
class Site(JsonMixin):
    name: str
    name_en: str
    province: str
    note: str = ""
    help_desk: str = ""
    """Where the centre's information desk is: what a kiosk tells a citizen who calls staff when
    neither the centre's configuration of that kiosk nor its own kiosk.ini says (TerminalConfig.help_desk)."""


@dataclass
class Catalogue(JsonMixin):
    version: str
    site: Site
    levels: list[Level]
    fields: list[Field]
    agencies: list[Agency]
    procedures: list[Procedure]
