"""Scanners: the wedge decoder fed timed keys, a serial scanner through a pseudo-terminal,
the camera worker fed generated frames."""

import os
import queue
import threading
import time

import numpy as np
import pytest
import qrcode
from PIL import Image

from kiosk.hardware.qr_decode import ZbarDecoder, ZxingDecoder
from kiosk.hardware.scanners import CameraScanner, Scan, SerialScanner, WedgeDecoder, opencv_camera

CODE = "000.00.53.H48-220921-0099"
CARD = "052190001234|215512345|Nguyễn Thị Hồng Nhung|12031990|Nữ|Thôn Vạn Hội 2, Ân Tường Tây, Hoài Ân, Bình Định|15082021"
WAIT = 10.0  # how long a test waits for a thread before it calls it broken


def wait_until(condition):
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.01)


# -- wedge --------------------------------------------------------------------------


class Wedge:
    """A WedgeDecoder and what it gave out, in order."""

    def __init__(self, **options):
        self.events = []
        self.decoder = WedgeDecoder(lambda scan: self.events.append(scan),
                                    lambda text: self.events.append(text), **options)
        self.now = 100.0

    def type(self, text, every, enter=True):
        """Keys `every` seconds apart, then Enter; whether Enter was taken by a scan."""
        for char in text:
            self.now += every
            self.decoder.key(char, self.now)
        if not enter:
            return None
        self.now += every
        return self.decoder.enter(self.now)

    def idle(self, seconds):
        self.now += seconds
        self.decoder.release_due(self.now)


def test_a_burst_at_scanner_speed_is_a_scan():
    wedge = Wedge()
    assert wedge.type(CODE, every=0.004) is True
    assert wedge.events == [Scan(CODE, "wedge")]
    assert not wedge.decoder.holding


def test_a_card_typed_by_a_scanner_keeps_its_vietnamese_text():
    wedge = Wedge()
    assert wedge.type(CARD, every=0.002)
    assert wedge.events == [Scan(CARD, "wedge")]


def test_a_person_typing_is_let_through_in_order_and_keeps_enter():
    wedge = Wedge()
    taken = wedge.type("12345", every=0.15)
    assert taken is False
    assert "".join(wedge.events) == "12345"
    assert not any(isinstance(event, Scan) for event in wedge.events)


def test_a_person_s_keys_are_let_through_once_no_scanner_key_follows():
    wedge = Wedge()
    wedge.type("ab", every=0.2, enter=False)
    assert wedge.events == ["a"]  # "b" is held: a burst might start with it
    wedge.idle(0.01)
    assert wedge.events == ["a"]
    wedge.idle(0.2)
    assert wedge.events == ["a", "b"]


def test_a_person_then_a_scanner_then_a_person():
    wedge = Wedge()
    wedge.type("Ng", every=0.18, enter=False)
    wedge.idle(0.5)
    assert wedge.type(CODE, every=0.003)
    wedge.idle(0.4)
    wedge.type("uy", every=0.2, enter=False)
    wedge.idle(0.5)
    assert wedge.events == ["N", "g", Scan(CODE, "wedge"), "u", "y"]


def test_quick_keys_from_a_person_are_not_a_scan():
    wedge = Wedge()
    # Two keys rolled over fast, then Enter: too short for a code.
    assert wedge.type("ok", every=0.01) is False
    assert wedge.events == ["ok"]


def test_a_burst_with_a_late_enter_is_typing():
    wedge = Wedge()
    wedge.type(CODE, every=0.004, enter=False)
    wedge.now += 0.4
    assert wedge.decoder.enter(wedge.now) is False
    assert wedge.events == [CODE]


def test_a_burst_without_enter_is_let_through():
    wedge = Wedge()
    wedge.type("ABCDEFGH", every=0.003, enter=False)
    wedge.idle(0.3)
    assert wedge.events == ["ABCDEFGH"]


def test_enter_alone_is_the_person_s():
    wedge = Wedge()
    wedge.now += 1
    assert wedge.decoder.enter(wedge.now) is False
    assert wedge.events == []


def test_two_scans_in_a_row():
    wedge = Wedge()
    assert wedge.type(CODE, every=0.003)
    wedge.idle(0.6)
    assert wedge.type("Qx3_vK9-aZ0bLm7P", every=0.003)
    assert wedge.events == [Scan(CODE, "wedge"), Scan("Qx3_vK9-aZ0bLm7P", "wedge")]


def test_keys_in_consecutive_frames_are_not_apart_however_long_the_frame():
    """Frames known: a 300 ms gap between keys handed over in consecutive frames is the UI's;
    the same gap with a frame between them that handed over nothing is the typist's."""
    events = []
    decoder = WedgeDecoder(events.append, events.append)
    for number, char in enumerate(CODE[:5]):
        decoder.key(char, 100 + number * 0.3, frame=10 + number)
    assert decoder.enter(100 + 5 * 0.3, frame=15) is True
    assert events == [Scan(CODE[:5], "wedge")]
    decoder.key("a", 200.0, frame=100)
    decoder.key("b", 200.3, frame=102)
    decoder.release_due(200.4, frame=103)  # the next frame: a key may yet be queued
    assert events[1:] == ["a"]
    decoder.release_due(200.45, frame=104)
    assert events[1:] == ["a", "b"]


def test_a_person_s_keys_before_the_code_in_one_burst_are_let_through():
    is_code = lambda text: text == CODE  # noqa: E731
    events = []
    decoder = WedgeDecoder(events.append, events.append, is_code=is_code, takes_anything=lambda: False)
    for number, char in enumerate("ab" + CODE):
        decoder.key(char, 100 + number * 0.003)
    assert decoder.enter(101.0 - 0.9) is True
    assert events == ["ab", Scan(CODE, "wedge")]


def test_a_burst_with_no_code_is_typing_unless_the_screen_takes_anything():
    events = []
    typing = WedgeDecoder(events.append, events.append, is_code=lambda _text: False, takes_anything=lambda: False)
    for number, char in enumerate("khai sinh"):
        typing.key(char, 100 + number * 0.003)
    assert typing.enter(100.03) is False  # Enter goes on to the field
    assert events == ["khai sinh"]
    reading = WedgeDecoder(events.append, events.append, is_code=lambda _text: False, takes_anything=lambda: True)
    for number, char in enumerate("8935049501503"):
        reading.key(char, 200 + number * 0.003)
    assert reading.enter(200.05) is True
    assert events[1:] == [Scan("8935049501503", "wedge")]


def test_scan_repr_hides_the_text():
    assert "Nhung" not in repr(Scan(CARD, "wedge")) and "wedge" in repr(Scan(CARD, "wedge"))


# -- serial -------------------------------------------------------------------------


class Cable:
    """A pseudo-terminal standing in for a USB-CDC scanner, behind a stable path like a udev symlink."""

    def __init__(self, link):
        self.link = link
        self.master = None

    def plug(self):
        master, slave = os.openpty()
        name = os.ttyname(slave)
        os.close(slave)
        temporary = self.link.with_suffix(".new")
        temporary.symlink_to(name)
        os.replace(temporary, self.link)
        self.master = master

    def unplug(self):
        os.close(self.master)
        self.master = None

    def send(self, data):
        os.write(self.master, data)


@pytest.fixture
def cable(tmp_path):
    cable = Cable(tmp_path / "scanner")
    yield cable
    if cable.master is not None:
        cable.unplug()


@pytest.fixture
def scans():
    return queue.Queue()


def next_scan(scans):
    return scans.get(timeout=WAIT)


def test_serial_scanner_reads_lines_ended_by_cr_or_lf(cable, scans):
    cable.plug()
    scanner = SerialScanner(str(cable.link), scans.put, retry_every=0.05)
    scanner.start()
    try:
        assert scanner.wait_connected(WAIT)
        cable.send(CODE.encode() + b"\r\n")
        assert next_scan(scans) == Scan(CODE, "serial")
        cable.send(b"38.98.H29-")  # a line in pieces
        cable.send(b"210519-0013\r")
        assert next_scan(scans) == Scan("38.98.H29-210519-0013", "serial")
        cable.send(CARD.encode() + b"\nQx3_vK9-aZ0bLm7P\n\n\r\n")
        assert next_scan(scans) == Scan(CARD, "serial")
        assert next_scan(scans) == Scan("Qx3_vK9-aZ0bLm7P", "serial")
        cable.send(b"\xff\xfe bad bytes\r")
        assert next_scan(scans) == Scan("\ufffd\ufffd bad bytes", "serial")
    finally:
        scanner.stop()
    assert scans.empty()


def test_serial_scanner_survives_unplugging_and_finds_the_scanner_again(cable, scans):
    cable.plug()
    scanner = SerialScanner(str(cable.link), scans.put, retry_every=0.05)
    scanner.start()
    try:
        assert scanner.wait_connected(WAIT)
        cable.send(CODE.encode() + b"\r")
        assert next_scan(scans) == Scan(CODE, "serial")

        cable.unplug()
        wait_until(lambda: not scanner.connected)
        cable.plug()
        assert scanner.wait_connected(WAIT)
        cable.send(b"Qx3_vK9-aZ0bLm7P\r")
        assert next_scan(scans) == Scan("Qx3_vK9-aZ0bLm7P", "serial")
    finally:
        scanner.stop()
    assert not any(thread.name.startswith("serial-scanner") for thread in threading.enumerate())


def test_serial_scanner_waits_for_a_scanner_that_is_not_there_yet(cable, scans):
    scanner = SerialScanner(str(cable.link), scans.put, retry_every=0.05)
    scanner.start()
    try:
        assert not scanner.connected
        cable.plug()
        assert scanner.wait_connected(WAIT)
        cable.send(CODE.encode() + b"\n")
        assert next_scan(scans) == Scan(CODE, "serial")
    finally:
        scanner.stop()


def test_serial_scanner_outlives_a_failing_scan_handler(cable, scans):
    def on_scan(scan):
        scans.put(scan)
        if scan.text == "boom":
            raise RuntimeError("the UI failed")

    cable.plug()
    scanner = SerialScanner(str(cable.link), on_scan, retry_every=0.05)
    scanner.start()
    try:
        assert scanner.wait_connected(WAIT)
        cable.send(b"boom\r" + CODE.encode() + b"\r")
        assert next_scan(scans) == Scan("boom", "serial")
        assert next_scan(scans) == Scan(CODE, "serial")
    finally:
        scanner.stop()


def test_serial_scanner_drops_an_endless_line(cable, scans):
    cable.plug()
    scanner = SerialScanner(str(cable.link), scans.put, retry_every=0.05)
    scanner.start()
    try:
        assert scanner.wait_connected(WAIT)
        cable.send(b"x" * (SerialScanner.MAX_LINE + 10) + b"\r" + CODE.encode() + b"\r")
        assert next_scan(scans) == Scan(CODE, "serial")
    finally:
        scanner.stop()


# -- camera -------------------------------------------------------------------------


def frame_with(text=None, size=(1280, 720)):
    frame = Image.new("L", size, 180)
    if text is not None:
        code = qrcode.make(text).get_image().convert("L").resize((320, 320))
        frame.paste(code, (size[0] // 2 - 160, size[1] // 2 - 160))
    return frame


class Frames:
    """A frame source that counts the frames taken, and the threads that took them."""

    def __init__(self, frames):
        self.frames = frames
        self.taken = 0
        self.threads = set()

    def __call__(self):
        self.threads.add(threading.current_thread())
        frame = self.frames[self.taken % len(self.frames)]
        self.taken += 1
        if isinstance(frame, Exception):
            raise frame
        return frame


@pytest.mark.parametrize("decoder", [ZxingDecoder, ZbarDecoder], ids=["zxing-cpp", "pyzbar"])
def test_camera_reports_a_code_in_view_once_off_the_ui_thread(decoder, scans):
    frames = Frames([frame_with(CODE)])
    threads = []

    def on_scan(scan):
        threads.append(threading.current_thread())
        scans.put(scan)

    camera = CameraScanner(frames, on_scan, decoder=decoder(), interval=0.01, repeat_after=60)
    camera.start()
    try:
        assert next_scan(scans) == Scan(CODE, "camera")
        seen = frames.taken
        wait_until(lambda: frames.taken >= seen + 5)
    finally:
        camera.stop()
    assert scans.empty(), "a code held in view is reported once"
    assert threading.main_thread() not in threads + list(frames.threads)


def test_camera_with_no_code_in_view_reports_nothing(scans):
    noise = np.random.default_rng(3).integers(0, 256, (720, 1280), dtype=np.uint8)
    frames = Frames([frame_with(), noise, None])
    camera = CameraScanner(frames, scans.put, interval=0.01)
    camera.start()
    try:
        wait_until(lambda: frames.taken >= 9)
    finally:
        camera.stop()
    assert scans.empty()


def test_camera_reports_each_new_code_and_a_code_shown_again_later(scans):
    clock = iter(range(0, 10_000, 1)).__next__  # one second per call
    camera = CameraScanner(lambda: None, scans.put, decoder=ZxingDecoder(), repeat_after=3, clock=clock)
    with_code, with_card, empty = frame_with(CODE), frame_with(CARD), frame_with()
    for frame in (with_code, with_code, with_card, with_code, empty, empty, empty, empty, with_code):
        camera.look_at(frame)
    assert [scan.text for scan in scans.queue] == [CODE, CARD, CODE]


def test_camera_worker_outlives_a_failing_camera(scans):
    frames = Frames([OSError("camera unplugged"), frame_with(CODE)])
    camera = CameraScanner(frames, scans.put, interval=0.01)
    camera.start()
    try:
        assert next_scan(scans) == Scan(CODE, "camera")
    finally:
        camera.stop()


def test_camera_through_opencv(tmp_path, scans):
    import cv2

    video = tmp_path / "camera.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (1280, 720))
    for text in (None, CODE, CODE):
        writer.write(cv2.cvtColor(np.asarray(frame_with(text)), cv2.COLOR_GRAY2BGR))
    writer.release()

    frames = opencv_camera(str(video))
    first = frames()
    assert first.shape == (720, 1280, 3)
    camera = CameraScanner(frames, scans.put, interval=0.01)
    camera.start()
    try:
        assert next_scan(scans) == Scan(CODE, "camera")
    finally:
        camera.stop()
