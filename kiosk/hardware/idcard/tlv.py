"""BER-TLV, the shape of everything the chip holds (ICAO Doc 9303 Part 10): tags of one or more
bytes, lengths of one to four. Anything that does not add up is ChipAnswerInvalid: the bytes
come from a card, which may be anyone's."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ChipAnswerInvalid

MAX_DEPTH = 8
"""Nesting deeper than any data group has: a card that nests further is answering nonsense."""


@dataclass(frozen=True)
class Tlv:
    tag: int
    value: bytes = b""

    @property
    def constructed(self) -> bool:
        first = self.tag.to_bytes((self.tag.bit_length() + 7) // 8 or 1, "big")[0]
        return bool(first & 0x20)

    def children(self) -> list[Tlv]:
        return parse(self.value) if self.constructed else []

    def __repr__(self) -> str:  # values may be a citizen's: shown by size only
        return f"Tlv({self.tag:X}, {len(self.value)} bytes)"


def header(data: bytes, at: int = 0) -> tuple[int, int, int]:
    """The tag, the value's length and where the value starts, of the object at `at`."""
    if at >= len(data):
        raise ChipAnswerInvalid("no tag")
    start = at
    tag, at = data[at], at + 1
    if tag & 0x1F == 0x1F:  # more tag bytes follow, while their top bit is set
        while True:
            if at >= len(data) or at - start >= 3:
                raise ChipAnswerInvalid("bad tag")
            tag, at = (tag << 8) | data[at], at + 1
            if not data[at - 1] & 0x80:
                break
    if at >= len(data):
        raise ChipAnswerInvalid("no length")
    length, at = data[at], at + 1
    if length & 0x80:
        size = length & 0x7F
        if not 1 <= size <= 3 or at + size > len(data):
            raise ChipAnswerInvalid("bad length")
        length, at = int.from_bytes(data[at:at + size], "big"), at + size
    return tag, length, at


def parse(data: bytes) -> list[Tlv]:
    """The objects one after another in `data` (a constructed value's children)."""
    found, at = [], 0
    while at < len(data):
        if data[at] in (0x00, 0xFF) and not data[at:].strip(bytes([data[at]])):
            break  # padding after the last object
        tag, length, start = header(data, at)
        if start + length > len(data):
            raise ChipAnswerInvalid("value runs past the end")
        found.append(Tlv(tag, data[start:start + length]))
        at = start + length
    return found


def one(data: bytes, tag: int) -> Tlv:
    """The single object `data` is, which must have `tag` (a data group's own)."""
    objects = parse(data)
    if not objects or objects[0].tag != tag:
        raise ChipAnswerInvalid(f"expected tag {tag:X}")
    return objects[0]


def walk(node: Tlv, depth: int = 0):
    """`node` and everything inside it, depth first."""
    if depth > MAX_DEPTH:
        raise ChipAnswerInvalid("nested too deep")
    yield node
    for child in node.children():
        yield from walk(child, depth + 1)
