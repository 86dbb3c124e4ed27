"""The kiosk's ID card chip: what opens a citizen's card (ChipKey: the QR's ID number and dates,
or the 6 digits typed) and the reader that reads it (PcscChip: pyscard and pcscd, with the CSCA
certificates the site installed). A read blocks for a second or two: the app runs it in a thread.

The key and what is read are personal data: they live in memory for one look-up, and their
reprs hide them."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .groups import hidden_repr

if TYPE_CHECKING:
    from .reader import CardRead, Transmit


@hidden_repr
@dataclass(frozen=True)
class ChipKey:
    """What opens one citizen's card: from its QR, the ID number (its last 6 digits are the CAN
    PACE takes) with the dates BAC needs on an older card; or the 6 digits typed on the keypad."""

    id_number: str | None = None
    born: dt.date | None = None
    issued: dt.date | None = None
    can: str | None = None

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
        self._one_at_a_time = threading.Lock()
        """A read runs in a thread and cannot be stopped: a second one, begun meanwhile (the
        citizen went back and read again), waits for it rather than talk to the card at once
        and break both conversations' secure messaging."""

    def read(self, key: ChipKey) -> CardRead:
        """Read the card (blocking, some 1 to 3 s on a real reader); CardReadError when it cannot be."""
        from .reader import read_card

        with self._one_at_a_time, self.connect() as transmit:
            return read_card(transmit, key.id_number, key.born, key.issued, key.can, self.cscas())

    def present(self) -> bool:
        """Whether a card is on the reader now: a connection opened and closed. A reader that is
        gone, or no PC/SC service, is its CardReadError (NoReader): not a card still to come."""
        from .errors import NoCard

        try:
            with self._one_at_a_time, self.connect():
                return True
        except NoCard:
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

