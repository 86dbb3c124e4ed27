"""The kiosk's ID card chip: what opens a citizen's card (ChipKey: the QR's ID number and dates,
or the 6 digits typed) and the reader that reads it (PcscChip: pyscard and pcscd, with the CSCA
certificates the site installed). A read blocks for a second or two: the app runs it in a thread.

The key and what is read are personal data: they live in memory for one look-up, and their
reprs hide them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .reader import CardRead, Transmit


@dataclass(frozen=True, repr=False)
class ChipKey:
    """What opens one citizen's card: from its QR, the ID number (its last 6 digits are the CAN
    PACE takes) with the dates BAC needs on an older card; or the 6 digits typed on the keypad."""

    id_number: str | None = None
    born: dt.date | None = None
    issued: dt.date | None = None
    can: str | None = None

    def __repr__(self) -> str:
        return "ChipKey(<personal data hidden>)"

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("a ChipKey is personal data and is never pickled or stored")

    @classmethod
    def of_qr(cls, identity) -> ChipKey:
        """From the card's QR (kiosk.domain.scan.Identity)."""
        return cls(identity.id_number, identity.birth_date, identity.issued_on)

    @classmethod
    def of_digits(cls, digits: str) -> ChipKey:
        """From the last 6 digits of the ID number, typed."""
        if len(digits) != 6 or not digits.isascii() or not digits.isdigit():
            raise ValueError("the CAN is the last 6 digits of the ID number")
        return cls(can=digits)


class PcscChip:
    """The card on the kiosk's PC/SC reader (the first one holding a card, or `reader`), read and
    checked against the site's CSCA certificates (a folder of PEM or DER files, read once)."""

    def __init__(self, reader: str | None = None, csca_folder: Path | None = None,
                 connect: Callable[[str | None], AbstractContextManager[Transmit]] | None = None):
        """`connect`: how a connection to the card is opened (pyscard's, by default). The
        cryptography is loaded at the first read, not while the kiosk starts."""
        self.reader, self.csca_folder = reader, csca_folder
        self._cscas: tuple | None = None
        self._connect = connect

    def read(self, key: ChipKey) -> CardRead:
        """Read the card (blocking, some 1 to 3 s on a real reader); CardReadError when it cannot be."""
        from .reader import read_card

        with self.connect() as transmit:
            return read_card(transmit, key.id_number, key.born, key.issued, key.can, self.cscas())

    def present(self) -> bool:
        """Whether a card is on the reader now (and the reader works): a connection opened and closed."""
        from .errors import CardReadError

        try:
            with self.connect():
                return True
        except CardReadError:
            return False

    def connect(self) -> AbstractContextManager[Transmit]:
        if self._connect is None:
            from .transport import pcsc_transmit

            self._connect = pcsc_transmit
        return self._connect(self.reader)

    def cscas(self) -> tuple:
        """The site's CSCA certificates, read from their folder at the first read."""
        if self._cscas is None:
            from .passive import load_cscas

            self._cscas = tuple(load_cscas(self.csca_folder)) if self.csca_folder else ()
        return self._cscas

