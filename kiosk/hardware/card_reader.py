"""Card reader presence: which PC/SC readers there are and whether a card is on one.

`CardReaderMonitor` watches the real readers through pcscd (pyscard); `SimulatedCardReader`
stands in for it in the demo and in tests. Both say how things are with `status()` and call
`on_inserted(reader)` / `on_removed(reader)` when a card comes or goes. Reading the chip is
not done here, so nothing read from a card passes through this module.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from ..i18n import N_, Message

log = logging.getLogger(__name__)

CardCallback = Callable[[str], None]
"""Called with the name of the reader the card went into or out of."""


class ReaderState(StrEnum):
    NO_SERVICE = "no_service"
    """PC/SC is not available: pcscd is not running, or pyscard is not installed."""
    NO_READER = "no_reader"
    NO_CARD = "no_card"
    CARD_PRESENT = "card_present"


# In English here, Vietnamese from the translation catalogue.
MESSAGES = {
    ReaderState.NO_SERVICE: N_("The card reader service is not running"),
    ReaderState.NO_READER: N_("No card reader is connected"),
    ReaderState.NO_CARD: N_("No card on the reader"),
    ReaderState.CARD_PRESENT: N_("A card is on the reader"),
}

HEALTH = {
    ReaderState.NO_SERVICE: "offline",
    ReaderState.NO_READER: "absent",
    ReaderState.NO_CARD: "ok",
    ReaderState.CARD_PRESENT: "ok",
}
"""How each state is reported in a terminal's heartbeat (`Health.card_reader`)."""


@dataclass(frozen=True)
class ReaderStatus:
    state: ReaderState
    readers: tuple[str, ...] = ()
    with_card: tuple[str, ...] = ()
    """The readers that hold a card, in the order of `readers`."""

    @property
    def message(self) -> Message:
        """The state in words for staff, translated where it is shown."""
        return Message(MESSAGES[self.state])

    @property
    def health(self) -> str:
        return HEALTH[self.state]


NO_SERVICE = ReaderStatus(ReaderState.NO_SERVICE)


def status_of(readers: tuple[str, ...], with_card: set[str]) -> ReaderStatus:
    """The status of a working PC/SC service with these readers and cards."""
    holding = tuple(reader for reader in readers if reader in with_card)
    if not readers:
        state = ReaderState.NO_READER
    elif holding:
        state = ReaderState.CARD_PRESENT
    else:
        state = ReaderState.NO_CARD
    return ReaderStatus(state, readers, holding)


class CardReader(Protocol):
    """What the app needs of a card reader, real or simulated."""

    on_inserted: CardCallback | None
    on_removed: CardCallback | None

    def status(self) -> ReaderStatus: ...

    def readers(self) -> list[str]: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


class _Notifier:
    """Turns successive statuses into inserted/removed calls; shared by both readers."""

    on_inserted: CardCallback | None = None
    on_removed: CardCallback | None = None

    def _init_status(self, status: ReaderStatus) -> None:
        self._status = status
        self._status_lock = threading.Lock()

    def status(self) -> ReaderStatus:
        with self._status_lock:
            return self._status

    def readers(self) -> list[str]:
        return list(self.status().readers)

    def _publish(self, new: ReaderStatus) -> None:
        with self._status_lock:
            old, self._status = self._status, new
        if new.state != old.state or new.readers != old.readers:
            log.info("card reader: %s %s", new.state, list(new.readers))
        for reader in old.with_card:
            if reader not in new.with_card:
                self._call(self.on_removed, reader)
        for reader in new.with_card:
            if reader not in old.with_card:
                self._call(self.on_inserted, reader)

    @staticmethod
    def _call(callback: CardCallback | None, reader: str) -> None:
        # A faulty listener must not stop the monitor from seeing the next card.
        if callback is None:
            return
        try:
            callback(reader)
        except Exception:
            log.exception("card reader callback failed")


PNP_NOTIFICATION = "\\\\?PnP?\\Notification"
"""PC/SC's pseudo-reader that changes when a reader is plugged in or out."""


class CardReaderMonitor(_Notifier):
    """Watches the PC/SC readers from a background thread, through pcscd.

    `start()` begins watching and `stop()` ends it. Callbacks run on the monitor's thread,
    so a UI must hand them over to its own (e.g. Kivy's `Clock.schedule_once`). A card
    already on a reader when watching begins counts as inserted. When pcscd stops, the
    status becomes NO_SERVICE, cards count as removed, and the monitor keeps trying to
    reconnect; it never raises.
    """

    def __init__(self, on_inserted: CardCallback | None = None, on_removed: CardCallback | None = None,
                 wait_seconds: float = 1.0, retry_seconds: float = 2.0):
        self.on_inserted, self.on_removed = on_inserted, on_removed
        self.wait_ms = int(wait_seconds * 1000)
        """How long one wait for a change lasts; a reader missed by one wait is seen by the next."""
        self.retry_seconds = retry_seconds
        """How long to wait before trying to reach pcscd again."""
        self._init_status(NO_SERVICE)
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._context_lock = threading.Lock()
        self._context: int | None = None

    def status(self) -> ReaderStatus:
        """The latest status while watching; otherwise asks pcscd once."""
        if self._thread is None:
            return probe()
        return super().status()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="card-reader-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread = self._thread
        if thread is None:
            return
        self._stopping.set()
        with self._context_lock:
            if self._context is not None:
                _scard().SCardCancel(self._context)
        thread.join(timeout=self.wait_ms / 1000 + 5)
        self._thread = None
        with self._status_lock:
            self._status = NO_SERVICE

    def __enter__(self) -> CardReaderMonitor:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._watch()
            except Exception:
                log.exception("card reader monitor failed; trying again")
            if not self._stopping.is_set():
                self._publish(NO_SERVICE)
                self._stopping.wait(self.retry_seconds)

    def _watch(self) -> None:
        """Follow one connection to pcscd until it fails or the monitor stops."""
        scard = _scard()
        if scard is None:
            return
        result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if result != scard.SCARD_S_SUCCESS:
            return
        with self._context_lock:
            self._context = context
        try:
            # Each state is handed back as the next wait's current state, so that pcscd
            # answers only when something differs from what we last saw.
            known: dict[str, int] = {}
            plug_state = scard.SCARD_STATE_UNAWARE
            while not self._stopping.is_set():
                readers = _list_readers(scard, context)
                if readers is None:
                    return
                if not readers:
                    self._publish(status_of((), set()))  # the wait below says nothing until one comes
                asked = [(reader, known.get(reader, scard.SCARD_STATE_UNAWARE)) for reader in readers]
                asked.append((PNP_NOTIFICATION, plug_state))
                result, answers = scard.SCardGetStatusChange(context, self.wait_ms, asked)
                if result in (scard.SCARD_E_TIMEOUT, scard.SCARD_E_CANCELLED):
                    continue
                if result == scard.SCARD_E_UNKNOWN_READER:
                    known.clear()  # a reader left between listing and waiting
                    continue
                if result != scard.SCARD_S_SUCCESS:
                    return
                known = {}
                for reader, event_state, _atr in answers:
                    if reader == PNP_NOTIFICATION:
                        plug_state = event_state
                    else:
                        known[reader] = event_state
                present = {reader for reader, state in known.items() if state & scard.SCARD_STATE_PRESENT}
                self._publish(status_of(readers, present))
        finally:
            with self._context_lock:
                self._context = None
            scard.SCardReleaseContext(context)


def probe() -> ReaderStatus:
    """The status right now, from one short exchange with pcscd."""
    scard = _scard()
    if scard is None:
        return NO_SERVICE
    result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if result != scard.SCARD_S_SUCCESS:
        return NO_SERVICE
    try:
        readers = _list_readers(scard, context)
        if readers is None:
            return NO_SERVICE
        if not readers:
            return status_of((), set())
        asked = [(reader, scard.SCARD_STATE_UNAWARE) for reader in readers]
        result, answers = scard.SCardGetStatusChange(context, 0, asked)
        if result != scard.SCARD_S_SUCCESS:
            return NO_SERVICE
        present = {reader for reader, state, _atr in answers if state & scard.SCARD_STATE_PRESENT}
        return status_of(readers, present)
    finally:
        scard.SCardReleaseContext(context)


def _list_readers(scard, context: int) -> tuple[str, ...] | None:
    """The readers pcscd knows, or None when pcscd cannot be asked."""
    result, readers = scard.SCardListReaders(context, [])
    if result == scard.SCARD_E_NO_READERS_AVAILABLE:
        return ()
    if result != scard.SCARD_S_SUCCESS:
        return None
    return tuple(readers)


@functools.cache
def _scard():
    """pyscard's PC/SC module, or None when pyscard (or the PC/SC library) is missing."""
    try:
        from smartcard import scard
    except ImportError as error:
        log.warning("no PC/SC support, so no card reader: %s", error)
        return None
    return scard


class SimulatedCardReader(_Notifier):
    """A card reader for the demo and tests: `insert_card()` and `remove_card()` act at once.

    Callbacks run on the caller's thread. `readers=()` simulates an unplugged reader and
    `service=False` a stopped pcscd.
    """

    def __init__(self, on_inserted: CardCallback | None = None, on_removed: CardCallback | None = None,
                 readers: tuple[str, ...] = ("Simulated card reader",), service: bool = True):
        self.on_inserted, self.on_removed = on_inserted, on_removed
        self._readers = tuple(readers)
        self._service = service
        self._cards: set[str] = set()
        self._init_status(self._current())

    def start(self) -> None:
        """Nothing to start: the simulator is always watching."""

    def stop(self) -> None:
        """Nothing to stop."""

    def insert_card(self, reader: str | None = None) -> None:
        self._cards.add(self._reader(reader))
        self._publish(self._current())

    def remove_card(self, reader: str | None = None) -> None:
        self._cards.discard(self._reader(reader))
        self._publish(self._current())

    def _reader(self, reader: str | None) -> str:
        if not self._service:
            raise ValueError("the simulated card reader service is stopped")
        if reader is None:
            if not self._readers:
                raise ValueError("the simulated card reader has no reader to put a card in")
            return self._readers[0]
        if reader not in self._readers:
            raise ValueError(f"no simulated reader called {reader!r}")
        return reader

    def _current(self) -> ReaderStatus:
        if not self._service:
            return NO_SERVICE
        return status_of(self._readers, self._cards)
