"""What the CCCD's data groups say: EF.COM (which groups the card has), DG1 (the MRZ, whose
optional data holds the 12-digit ID number), DG13 (the Vietnamese data, by field number) and
DG14 (the security protocols the chip offers). DG2 (the face) is never read.

DG13 is [APPLICATION 13] { SEQUENCE { INTEGER 1, OID, then fields } }, each field a SEQUENCE
{ INTEGER number, value(s) }. Fields are taken by number, not position; one this code does not
know is kept as its text. Nothing here is logged or written anywhere."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from .errors import ChipAnswerInvalid
from .tlv import Tlv, one, walk

COM, DG1, DG13, DG14 = 0x60, 0x61, 0x6D, 0x6E
INTEGER, OID, SEQUENCE = 0x02, 0x06, 0x30
TEXT_TAGS = {0x0C, 0x13, 0x14, 0x16, 0x1A, 0x1E, 0x04}
"""UTF8String, PrintableString, T61String, IA5String, VisibleString, BMPString, OCTET STRING."""
GROUP_TAGS = {0x60: "COM", 0x61: 1, 0x75: 2, 0x63: 3, 0x76: 4, 0x65: 5, 0x66: 6, 0x67: 7, 0x68: 8, 0x69: 9,
              0x6A: 10, 0x6B: 11, 0x6C: 12, 0x6D: 13, 0x6E: 14, 0x6F: 15, 0x70: 16, 0x77: "SOD"}
"""Each data group's own tag (ICAO 9303 Part 10, 4.6)."""


def groups_of_com(data: bytes) -> list[int | str]:
    """The data groups EF.COM lists (its tag list, 5C), by number."""
    for node in walk(one(data, COM)):
        if node.tag == 0x5C:
            return [GROUP_TAGS[t] for t in node.value if t in GROUP_TAGS]
    raise ChipAnswerInvalid("EF.COM has no tag list")


def mrz_of_dg1(data: bytes) -> str:
    """DG1's MRZ (5F1F): for the CCCD, three lines of 30 signs (TD1)."""
    for node in walk(one(data, DG1)):
        if node.tag == 0x5F1F:
            return _text(node.value)
    raise ChipAnswerInvalid("DG1 has no MRZ")


def id_number_of_mrz(mrz: str) -> str:
    """The 12-digit ID number from a CCCD's TD1 MRZ: line 1 is IDVNM, the last 9 digits and their
    check digit, then the whole 12 digits in the optional data."""
    candidate = mrz[15:27]
    if len(mrz) < 30 or not mrz.startswith("ID") or not (candidate.isascii() and candidate.isdigit()):
        raise ChipAnswerInvalid("not a CCCD's MRZ")
    return candidate


PROTOCOLS = {
    "0.4.0.127.0.7.2.2.1.1": "id-PK-DH", "0.4.0.127.0.7.2.2.1.2": "id-PK-ECDH", "0.4.0.127.0.7.2.2.2": "id-TA",
    "0.4.0.127.0.7.2.2.3.1.1": "id-CA-DH-3DES-CBC-CBC", "0.4.0.127.0.7.2.2.3.1.2": "id-CA-DH-AES-CBC-CMAC-128",
    "0.4.0.127.0.7.2.2.3.2.1": "id-CA-ECDH-3DES-CBC-CBC", "0.4.0.127.0.7.2.2.3.2.2": "id-CA-ECDH-AES-CBC-CMAC-128",
    "0.4.0.127.0.7.2.2.3.2.3": "id-CA-ECDH-AES-CBC-CMAC-192", "0.4.0.127.0.7.2.2.3.2.4": "id-CA-ECDH-AES-CBC-CMAC-256",
    "2.23.136.1.1.5": "id-ActiveAuthentication",
}
"""The SecurityInfos' protocols by OID (BSI TR-03110 Part 3, A.1; ICAO 9303 Part 11, 9.2)."""
CHIP_AUTHENTICATION = "0.4.0.127.0.7.2.2.3."
"""The OIDs of chip authentication's protocols begin so."""


def protocols_of_dg14(data: bytes) -> tuple[str, ...]:
    """The protocols DG14's SecurityInfos name (by PROTOCOLS' names; the dotted OID of one not
    listed), in the card's order. Each SecurityInfo is a SEQUENCE whose first element is its OID."""
    from asn1crypto import core

    found = []
    for node in one(data, DG14).children():
        if node.tag != 0x31:
            continue
        for info in node.children():
            children = info.children() if info.tag == SEQUENCE else []
            if not children or children[0].tag != OID or not 1 <= len(children[0].value) < 0x80:
                raise ChipAnswerInvalid("DG14: a SecurityInfo without its protocol")
            try:
                dotted = core.ObjectIdentifier.load(bytes([OID, len(children[0].value)]) + children[0].value).dotted
            except ValueError:
                dotted = ""
            if children[0].value[-1] & 0x80 or not dotted:  # its last number unfinished
                raise ChipAnswerInvalid("DG14: a protocol that is not an OID")
            found.append(PROTOCOLS.get(dotted, dotted))
    return tuple(found)


def chip_authentication(protocols: tuple[str, ...]) -> str:
    """The chip authentication protocol DG14 offers (its name), or ""."""
    named = {name: dotted for dotted, name in PROTOCOLS.items()}
    return next((p for p in protocols if named.get(p, p).startswith(CHIP_AUTHENTICATION)), "")


def _text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise ChipAnswerInvalid("text that is not UTF-8") from None


def _integer(node: Tlv) -> int:
    if node.tag != INTEGER or not 1 <= len(node.value) <= 4:
        raise ChipAnswerInvalid("bad field number")
    return int.from_bytes(node.value, "big")


def _texts(node: Tlv) -> list[str]:
    return [_text(n.value) for n in walk(node) if n.tag in TEXT_TAGS]


def fields_of_dg13(data: bytes) -> dict[int, str | list[str]]:
    """DG13's fields by number: a text, or the texts of a field that holds several (13: father and
    mother). A SEQUENCE { INTEGER, OID, ... } is the group's own header, not a field."""
    found: dict[int, str | list[str]] = {}
    for node in walk(one(data, DG13)):
        children = node.children() if node.tag == SEQUENCE else []
        if len(children) < 2 or children[0].tag != INTEGER or children[1].tag == OID:
            continue
        texts = [t for child in children[1:] for t in _texts(child)]
        found[_integer(children[0])] = texts[0] if len(texts) == 1 else texts
    if 1 not in found:
        raise ChipAnswerInvalid("DG13 has no ID number")
    return found


def hidden_repr(cls):
    """A dataclass whose repr and str show its fields' names, not their values (a citizen's data)."""
    cls.__repr__ = cls.__str__ = lambda self: f"{cls.__name__}({', '.join(f.name for f in fields(self))}: hidden)"
    return cls


@hidden_repr
@dataclass(frozen=True)
class Identity:
    """A citizen as their card's chip says, for the one look-up: kept in memory only."""

    id_number: str
    full_name: str = ""
    birth_date: str = ""
    """As the chip writes it: dd/mm/yyyy."""
    sex: str = ""
    nationality: str = ""
    ethnicity: str = ""
    religion: str = ""
    origin: str = ""
    residence: str = ""
    marks: str = ""
    issued: str = ""
    expiry: str = ""
    parents: tuple[str, ...] = ()
    spouse: str = ""
    old_id: str = ""
    other: dict[int, str | list[str]] = field(default_factory=dict)
    """Fields this code does not know, by number, as their texts."""


_NUMBERED = {1: "id_number", 2: "full_name", 3: "birth_date", 4: "sex", 5: "nationality", 6: "ethnicity",
             7: "religion", 8: "origin", 9: "residence", 10: "marks", 11: "issued", 12: "expiry", 14: "spouse",
             15: "old_id"}


def identity_of_dg13(data: bytes) -> Identity:
    values = fields_of_dg13(data)
    named = {name: values[number] for number, name in _NUMBERED.items() if number in values}
    named = {k: (" ".join(v) if isinstance(v, list) else v) for k, v in named.items()}
    parents = values.get(13, ())
    other = {n: v for n, v in values.items() if n not in _NUMBERED and n != 13}
    identity = Identity(**named, parents=tuple([parents] if isinstance(parents, str) else parents), other=other)
    if len(identity.id_number) != 12 or not identity.id_number.isdigit():
        raise ChipAnswerInvalid("DG13's ID number is not 12 digits")
    return identity
