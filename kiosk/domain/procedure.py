"""Administrative procedures (thủ tục hành chính) and the catalogue that holds them.

Field names follow the national procedure database (CSDL quốc gia về TTHC).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .serial import JsonMixin

CHANNELS = ("in_person", "online", "postal")
ONLINE_LEVELS = ("full", "partial", "none")


@dataclass
class Fee(JsonMixin):
    amount_vnd: int
    """0 means free of charge."""
    description: str = ""


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

    def problems(self, level_codes: set[str], field_codes: set[str]) -> list[str]:
        """What is wrong with this procedure against a catalogue's levels and fields."""
        found = []
        if not self.code.strip() or not self.name.strip():
            found.append("code and name are required")
        if not self.levels or set(self.levels) - level_codes:
            found.append(f"unknown or missing levels {self.levels}")
        if self.field not in field_codes:
            found.append(f"unknown field {self.field!r}")
        if set(self.interconnection) - level_codes:
            found.append(f"unknown levels in interconnection {self.interconnection}")
        if self.online_level not in ONLINE_LEVELS:
            found.append(f"online_level must be one of {ONLINE_LEVELS}")
        for terms in self.channels:
            if terms.channel not in CHANNELS:
                found.append(f"channel must be one of {CHANNELS}, not {terms.channel!r}")
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


@dataclass
class Catalogue(JsonMixin):
    version: str
    site: Site
    levels: list[Level]
    fields: list[Field]
    agencies: list[Agency]
    procedures: list[Procedure]
