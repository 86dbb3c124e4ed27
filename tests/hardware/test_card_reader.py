"""Card reader presence, through a real pcscd with the vpcd virtual reader, and the simulator."""

from __future__ import annotations

import sys
import threading

import pytest
from hardware.pcsc import (
    Pcscd,
    VirtualCard,
    wait_for,
)

from kiosk.hardware import card_reader
from kiosk.i18n import translate
from kiosk.hardware.card_reader import (
    CardReaderMonitor,
    ReaderState,
    ReaderStatus,
    SimulatedCardReader,
    probe,
)


@pytest.fixture
def card(pcscd):
    virtual = VirtualCard(pcscd.port)
    yield virtual
    virtual.remove()


class Events:
    """Records the monitor's callbacks, which arrive on its thread."""

    def __init__(self):
        self.inserted: list[str] = []
        self.removed: list[str] = []
        self.lock = threading.Lock()

    def on_inserted(self, reader: str) -> None:
        with self.lock:
            self.inserted.append(reader)

    def on_removed(self, reader: str) -> None:
        with self.lock:
            self.removed.append(reader)


@pytest.fixture
def events():
    return Events()


@pytest.fixture
def monitor(events):
    watcher = CardReaderMonitor(events.on_inserted, events.on_removed, retry_seconds=0.2)
    yield watcher
    watcher.stop()
    assert not [t for t in threading.enumerate() if t.name == "card-reader-monitor"]


def wait_for_state(monitor: CardReaderMonitor, state: ReaderState) -> ReaderStatus:
    def reached() -> ReaderStatus | None:
        status = monitor.status()
        return status if status.state == state else None

    return wait_for(reached, what=f"the state {state}")


def test_without_pcscd_the_status_is_no_service(pcsc_folder, monitor):
    status = monitor.status()
    assert status.state == ReaderState.NO_SERVICE
    assert monitor.readers() == []
    assert (translate(status.message, "vi"), status.message, status.health) == (
        "Dịch vụ đầu đọc thẻ chưa chạy", "The card reader service is not running", "offline")

    monitor.start()
    monitor.start()  # a second start is harmless
    assert monitor.status().state == ReaderState.NO_SERVICE
    monitor.stop()
    assert not [t for t in threading.enumerate() if t.name == "card-reader-monitor"]


@pytest.fixture
def without_pyscard(monkeypatch):
    monkeypatch.setitem(sys.modules, "smartcard", None)  # makes `import smartcard` fail
    card_reader._scard.cache_clear()
    yield
    monkeypatch.undo()
    card_reader._scard.cache_clear()


def test_without_pyscard_the_status_is_no_service(without_pyscard):
    monitor = CardReaderMonitor(retry_seconds=0.05)
    assert monitor.status() == ReaderStatus(ReaderState.NO_SERVICE)
    with monitor:
        assert monitor.status() == ReaderStatus(ReaderState.NO_SERVICE)


def test_pcscd_without_a_reader_says_no_reader(pcsc_folder, monitor):
    daemon = Pcscd(*pcsc_folder, with_reader=False)
    daemon.start()
    try:
        status = probe()
        assert status == ReaderStatus(ReaderState.NO_READER)
        assert (translate(status.message, "vi"), status.health) == ("Chưa kết nối đầu đọc thẻ", "absent")
        monitor.start()
        assert wait_for_state(monitor, ReaderState.NO_READER).readers == ()
    finally:
        daemon.stop()


def test_the_virtual_reader_is_listed_with_no_card(pcscd, monitor):
    both = (pcscd.reader(0), pcscd.reader(1))
    status = monitor.status()
    assert status == ReaderStatus(ReaderState.NO_CARD, both)
    assert monitor.readers() == list(both)
    assert (translate(status.message, "vi"), status.health) == ("Chưa có thẻ trên đầu đọc", "ok")

    monitor.start()
    assert wait_for_state(monitor, ReaderState.NO_CARD).readers == both


def test_a_card_put_in_and_taken_out_fires_both_events(pcscd, card, monitor, events):
    reader = pcscd.reader(0)
    monitor.start()
    wait_for_state(monitor, ReaderState.NO_CARD)
    assert events.inserted == [] and events.removed == []

    card.insert()
    wait_for(lambda: events.inserted, what="the inserted event")
    assert events.inserted == [reader]
    assert events.removed == []
    status = monitor.status()
    assert (status.state, status.with_card) == (ReaderState.CARD_PRESENT, (reader,))
    assert translate(status.message, "vi") == "Đã nhận thẻ"
    assert probe().with_card == (reader,)

    card.remove()
    wait_for(lambda: events.removed, what="the removed event")
    assert events.removed == [reader]
    assert events.inserted == [reader]
    assert wait_for_state(monitor, ReaderState.NO_CARD).with_card == ()


def test_a_card_already_in_the_reader_counts_as_inserted(pcscd, card, monitor, events):
    card.insert()
    wait_for(lambda: probe().state == ReaderState.CARD_PRESENT, what="pcscd to see the card")
    monitor.start()
    wait_for(lambda: events.inserted, what="the inserted event")
    assert events.inserted == [pcscd.reader(0)]


def test_pcscd_stopping_degrades_the_status_and_its_return_is_seen(pcscd, card, monitor, events):
    monitor.start()
    card.insert()
    wait_for_state(monitor, ReaderState.CARD_PRESENT)

    pcscd.stop()
    assert wait_for_state(monitor, ReaderState.NO_SERVICE).readers == ()
    assert events.removed == [pcscd.reader(0)]
    assert [t for t in threading.enumerate() if t.name == "card-reader-monitor"], "the monitor thread died"

    pcscd.start()
    assert wait_for_state(monitor, ReaderState.NO_CARD).readers == (pcscd.reader(0), pcscd.reader(1))
    card.remove()
    card.insert()  # the old connection died with pcscd; the card goes in again
    wait_for(lambda: len(events.inserted) == 2, what="the second inserted event")
    assert events.inserted == [pcscd.reader(0)] * 2


def test_a_reader_gone_when_pcscd_comes_back_is_seen(pcsc_folder, pcscd, card, monitor, events):
    monitor.start()
    card.insert()
    wait_for_state(monitor, ReaderState.CARD_PRESENT)
    pcscd.stop()
    without_reader = Pcscd(*pcsc_folder, with_reader=False)
    without_reader.start()
    try:
        assert wait_for_state(monitor, ReaderState.NO_READER).readers == ()
        assert events.removed == [pcscd.reader(0)]
    finally:
        without_reader.stop()


def test_a_failing_callback_does_not_stop_the_monitor(pcscd, card):
    removed = []

    def broken(reader):
        raise RuntimeError("a bug in the app")

    monitor = CardReaderMonitor(on_inserted=broken, on_removed=removed.append)
    with monitor:
        card.insert()
        wait_for_state(monitor, ReaderState.CARD_PRESENT)
        card.remove()
        wait_for(lambda: removed, what="the removed event")
    assert removed == [pcscd.reader(0)]


class TestSimulatedCardReader:
    def test_insert_and_remove_fire_events_and_change_the_status(self):
        events = Events()
        reader = SimulatedCardReader(events.on_inserted, events.on_removed, readers=("A", "B"))
        reader.start()
        assert reader.status() == ReaderStatus(ReaderState.NO_CARD, ("A", "B"))
        assert reader.readers() == ["A", "B"]

        reader.insert_card("B")
        assert reader.status() == ReaderStatus(ReaderState.CARD_PRESENT, ("A", "B"), ("B",))
        reader.insert_card()
        assert reader.status().with_card == ("A", "B")
        reader.remove_card("B")
        reader.remove_card("A")
        assert reader.status().state == ReaderState.NO_CARD
        assert (events.inserted, events.removed) == (["B", "A"], ["B", "A"])
        reader.stop()

    def test_no_reader_and_no_service(self):
        unplugged = SimulatedCardReader(readers=())
        assert unplugged.status() == ReaderStatus(ReaderState.NO_READER)
        with pytest.raises(ValueError):
            unplugged.insert_card()
        stopped = SimulatedCardReader(service=False)
        assert stopped.status() == ReaderStatus(ReaderState.NO_SERVICE)
        assert stopped.readers() == []
        with pytest.raises(ValueError):
            stopped.insert_card()

    def test_an_unknown_reader_is_refused(self):
        with pytest.raises(ValueError):
            SimulatedCardReader().insert_card("elsewhere")

    def test_a_failing_callback_is_contained(self):
        def broken(reader):
            raise RuntimeError("a bug in the app")

        reader = SimulatedCardReader(on_inserted=broken)
        reader.insert_card()
        assert reader.status().state == ReaderState.CARD_PRESENT
