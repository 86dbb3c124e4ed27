"""Read ESC/POS bytes back: which commands they hold and the raster image they print.

The simulator turns the bytes it would send into a PNG with this, and the tests check
what a real driver wrote. Only the commands the kiosk's receipts use are known; anything
else is an error rather than a guess, so a change in what python-escpos emits shows up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

ESC, GS, DLE = 0x1B, 0x1D, 0x10


@dataclass(frozen=True)
class Command:
    name: str
    """"init", "align", "feed", "newline", "text", "style", "codepage", "raster", "cut" or "status"."""
    raw: bytes
    image: Image.Image | None = None
    """The picture of a "raster" command (GS v 0)."""


@dataclass
class Printout:
    commands: list[Command] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.commands]

    def image(self) -> Image.Image | None:
        """Every raster block, stacked as the paper would show them; None when there is none."""
        blocks = [c.image for c in self.commands if c.image is not None]
        if not blocks:
            return None
        width = max(b.width for b in blocks)
        sheet = Image.new("1", (width, sum(b.height for b in blocks)), 1)
        top = 0
        for block in blocks:
            sheet.paste(block, (0, top))
            top += block.height
        return sheet


class IncompleteCommand(ValueError):
    """The bytes end in the middle of a command."""


def decode(data: bytes) -> Printout:
    """All the commands in `data`, which must end on a command boundary."""
    commands, rest = split_commands(data)
    if rest:
        raise IncompleteCommand(f"{len(rest)} bytes of an unfinished command at the end")
    return Printout(commands)


def split_commands(data: bytes) -> tuple[list[Command], bytes]:
    """The complete commands at the start of `data`, and the unfinished rest.

    A printer reads a stream; a fake one on a socket parses what has arrived so far."""
    commands, at = [], 0
    while at < len(data):
        try:
            command, size = _one(data, at)
        except IncompleteCommand:
            break
        commands.append(command)
        at += size
    return commands, data[at:]


def _need(data: bytes, end: int) -> None:
    if end > len(data):
        raise IncompleteCommand()


def _one(data: bytes, at: int) -> tuple[Command, int]:
    """The command starting at `at` and its length in bytes."""
    first = data[at]
    if first == 0x0A:
        return Command("newline", data[at:at + 1]), 1
    if first >= 0x20:
        end = at
        while end < len(data) and data[end] >= 0x20:
            end += 1
        return Command("text", data[at:end]), end - at
    _need(data, at + 2)
    second = data[at + 1]
    simple = {
        (ESC, ord("@")): ("init", 2),
        (ESC, ord("a")): ("align", 3),
        (ESC, ord("d")): ("feed", 3),
        (ESC, ord("J")): ("feed", 3),
        (ESC, ord("E")): ("style", 3),
        (ESC, ord("!")): ("style", 3),
        (GS, ord("!")): ("style", 3),
        (ESC, ord("t")): ("codepage", 3),
        (DLE, 0x04): ("status", 3),
    }
    if (first, second) in simple:
        name, size = simple[(first, second)]
        _need(data, at + size)
        return Command(name, data[at:at + size]), size
    if (first, second) == (GS, ord("V")):
        _need(data, at + 3)
        # GS V m: m 0, 1, 48, 49 cut at once; m 65, 66 feed n more lines first (one more byte).
        size = 4 if data[at + 2] in (65, 66) else 3
        _need(data, at + size)
        return Command("cut", data[at:at + size]), size
    if (first, second) == (GS, ord("v")):
        return _raster(data, at)
    raise ValueError(f"unknown ESC/POS command {data[at:at + 2].hex(' ')} at byte {at}")


def _raster(data: bytes, at: int) -> tuple[Command, int]:
    """GS v 0 m xL xH yL yH d1...dk: a raster bit image, `x` bytes wide and `y` dots high."""
    _need(data, at + 8)
    if data[at + 2] != ord("0"):
        raise ValueError(f"GS v {data[at + 2]:#x} is not a raster image command (byte {at})")
    if data[at + 3] not in (0, 48):
        # Double width or height would print a stretched picture, not the one decoded here.
        raise ValueError(f"raster image in density mode {data[at + 3]} (byte {at})")
    width_bytes = data[at + 4] | data[at + 5] << 8
    height = data[at + 6] | data[at + 7] << 8
    end = at + 8 + width_bytes * height
    _need(data, end)
    # In ESC/POS a 1 bit prints a dot; in Pillow's "1" mode a 1 bit is white: read inverted.
    image = Image.frombytes("1", (width_bytes * 8, height), data[at + 8:end], "raw", "1;I")
    return Command("raster", data[at:end], image), end - at
