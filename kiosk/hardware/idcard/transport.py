"""APDUs to the card on a PC/SC reader, through pyscard (pcscd on the kiosk): the `Transmit` the
reader uses. A reader's ways of saying there is no card, or that it went, become NoCard and
CardRemoved; a missing reader or PC/SC service is NoReader. T=0 contact readers' two-step answers
(61xx: more to fetch; 6Cxx: ask again with this length) are followed here, so the chip code never
sees them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import CardRemoved, NoCard, NoReader
from .reader import Transmit


@contextmanager
def pcsc_transmit(reader: str | None = None) -> Iterator[Transmit]:
    """A connection to the card in `reader` (by default the first reader with a card), closed
    afterwards."""
    try:
        from smartcard.Exceptions import CardConnectionException, NoCardException
        from smartcard.System import readers
    except ImportError as error:
        raise NoReader(f"no PC/SC support: {error}") from None
    try:
        found = [r for r in readers() if reader is None or str(r) == reader]
    except Exception as error:  # pcscd stopped, no service: pyscard raises several kinds
        raise NoReader(f"PC/SC: {type(error).__name__}") from None
    if not found:
        raise NoReader("no reader" if reader is None else f"no reader {reader}")
    connection = None
    for candidate in found:
        attempt = candidate.createConnection()
        try:
            attempt.connect()
        except (NoCardException, CardConnectionException):
            _release(attempt)
            continue
        connection = attempt
        break
    if connection is None:
        raise NoCard("no card in " + ", ".join(str(r) for r in found))

    def transmit(apdu: bytes) -> tuple[bytes, int]:
        try:
            data, sw1, sw2 = connection.transmit(list(apdu))
            if sw1 == 0x6C:  # T=0: the length to ask for
                data, sw1, sw2 = connection.transmit(list(apdu[:4]) + [sw2])
            while sw1 == 0x61:  # T=0: more to fetch
                more, sw1, sw2 = connection.transmit([0x00, 0xC0, 0x00, 0x00, sw2])
                data += more
        except (NoCardException, CardConnectionException) as error:
            raise CardRemoved(type(error).__name__) from None
        return bytes(data), (sw1 << 8) | sw2

    try:
        yield transmit
    finally:
        _release(connection)


def _release(connection) -> None:
    """Each connection holds a PC/SC context of its own: released now, not by the garbage
    collector, which would try once pcscd may be gone and complain where nobody can answer."""
    with contextlib.suppress(Exception):  # the card or the service is gone already: nothing to close
        connection.release()
