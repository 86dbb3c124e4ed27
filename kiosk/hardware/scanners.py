"""Code scanners: keyboard-wedge USB, serial / USB-CDC, and a camera. No Kivy.

Every scanner reports to one callback, `on_scan(Scan(text, source))`. The serial and
camera scanners call it on their own thread: a UI must hand the scan to its own
thread (in Kivy, `Clock.schedule_once`). A scan may be a citizen ID card's QR, which
is personal data: its text is never logged, and `Scan`'s repr does not show it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

log = logging.getLogger(__name__)

SOURCES = ("wedge", "serial", "camera")


@dataclass(frozen=True, repr=False)
class Scan:
    """One scanned text and the kind of scanner it came from ("wedge", "serial", "camera")."""

    text: str
    source: str

    def __repr__(self) -> str:
        return f"Scan(source={self.source!r}, {len(self.text)} characters)"


ScanCallback = Callable[[Scan], None]


# -- keyboard wedge -----------------------------------------------------------------


class WedgeDecoder:
    """Tells a scanner's burst of keys from a person typing, by the time between keys.

    A wedge scanner types a whole code and Enter a few milliseconds per key; a person
    needs 80 ms or more per key. Keys are held until it is known whose they are: a fast
    run of at least `min_length` keys ended by Enter is a scan, given to `on_scan`;
    anything else is a person's typing, given in order to `on_typed` to let through.
    Pure: the caller gives each key's time, and the UI frame that handed it over.

    A UI hands keys over once a frame. Keys handed over in the same frame or the next one
    may have queued up behind a slow frame (a screen drawn without a GPU takes a few hundred
    milliseconds): their gap is the UI's, not the typist's, and does not part them. So a
    person's key just before a scan, or a person's keys typed through a stall, can join a
    burst. Where `takes_anything()` says the screen wants every burst, readable or not (the
    dossier screen, which reads a code typed in groups and tells the citizen when a scan is no
    receipt), it gets the whole of it. Elsewhere `is_code` says what the burst holds: its
    first keys that are no part of the code are let through as typing, and a burst with no
    code in it is typing, its Enter the person's.
    """

    MAX_TYPED_BEFORE = 16
    """The most keys a person can have typed into a burst before the code starts: a few in
    a slow frame, more in a stall."""

    def __init__(self, on_scan: ScanCallback, on_typed: Callable[[str], None],
                 max_gap: float = 0.05, min_length: int = 4,
                 is_code: Callable[[str], bool] = lambda _text: True,
                 takes_anything: Callable[[], bool] = lambda: True) -> None:
        # 50 ms rather than a scanner's few ms: a UI that handles input once per frame
        # (16-33 ms) may split a burst across two frames.
        self.on_scan = on_scan
        self.on_typed = on_typed
        self.max_gap = max_gap
        self.min_length = min_length
        self.is_code = is_code
        self.takes_anything = takes_anything
        self._held: list[str] = []
        self._last = 0.0
        self._last_frame: int | None = None

    @property
    def holding(self) -> bool:
        return bool(self._held)

    def _apart(self, at: float, frame: int | None) -> bool:
        """Whether something at `at`, handed over in UI frame `frame` (None: not known), came
        apart from the key before: more than `max_gap` later and, when frames are known, with
        a whole frame between the two that handed over no key."""
        if at - self._last <= self.max_gap:
            return False
        return frame is None or self._last_frame is None or frame - self._last_frame >= 2

    def key(self, text: str, at: float, frame: int | None = None) -> None:
        """A key that typed `text`, at time `at` (seconds), handed over in UI frame `frame`."""
        if self._held and self._apart(at, frame):
            self.flush()
        self._held.append(text)
        self._last, self._last_frame = at, frame

    def enter(self, at: float, frame: int | None = None) -> bool:
        """Enter at `at`. True when it ended a scan: then it belongs to the scanner, not the UI."""
        text = "".join(self._held)
        if not self._held or self._apart(at, frame) or len(text) < self.min_length:
            self.flush()
            return False
        # A screen that reads every scan has the whole burst (it reads codes more loosely than
        # is_code: typed in groups, say); elsewhere the keys before the code are a person's.
        start = 0 if self.takes_anything() else self._code_start(text)
        if start is None:
            self.flush()  # a person's keys, and their Enter
            return False
        self._held.clear()
        if start:
            self.on_typed(text[:start])
        self.on_scan(Scan(text[start:], "wedge"))
        return True

    def _code_start(self, text: str) -> int | None:
        """Where the code in a burst starts: 0 for all of it, later when a person's keys came first."""
        for start in range(min(self.MAX_TYPED_BEFORE, len(text) - self.min_length) + 1):
            if self.is_code(text[start:]):
                return start
        return None

    def release_due(self, now: float, frame: int | None = None) -> None:
        """Let through what was held if no key came for longer than a scanner would wait."""
        if self._held and self._apart(now, frame):
            self.flush()

    def flush(self) -> None:
        """Let through everything held, as a person's typing."""
        if self._held:
            text = "".join(self._held)
            self._held.clear()
            self.on_typed(text)


# -- serial / USB-CDC ---------------------------------------------------------------


class _ScannerThread:
    """A scanner that reads on a thread of its own (its `_run`, which watches `_stop`):
    `start()`, and `stop()` that ends it promptly."""

    thread_name = "scanner"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


class SerialScanner(_ScannerThread):
    """A scanner on a serial port or USB-CDC (/dev/ttyACM0): one code per line, CR or LF.

    Reads on its own thread; when the scanner is unplugged it tries the port again every
    `retry_every` seconds, so a udev symlink that comes back finds it again.
    """

    # Longer than any code; a line that grows past it is noise or a wrong baud rate.
    MAX_LINE = 4096

    def __init__(self, port: str, on_scan: ScanCallback, baudrate: int = 9600,
                 retry_every: float = 1.0) -> None:
        self.port = port
        self.on_scan = on_scan
        self.baudrate = baudrate
        self.retry_every = retry_every
        self.thread_name = f"serial-scanner {port}"
        super().__init__()
        self._connected = threading.Event()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def _run(self) -> None:
        import serial

        while not self._stop.is_set():
            try:
                # A short read timeout keeps stop() quick.
                port = serial.Serial(self.port, self.baudrate, timeout=0.2)
            except (serial.SerialException, OSError, ValueError):
                self._stop.wait(self.retry_every)
                continue
            log.info("scanner on %s connected", self.port)
            self._connected.set()
            try:
                with port:
                    self._read_lines(port)
            except (serial.SerialException, OSError):
                log.warning("scanner on %s disconnected", self.port)
            finally:
                self._connected.clear()
            self._stop.wait(self.retry_every)

    def _read_lines(self, port: Any) -> None:
        line = bytearray()
        too_long = False
        while not self._stop.is_set():
            for byte in port.read(port.in_waiting or 1):
                if byte in b"\r\n":
                    if not too_long:
                        self._deliver(bytes(line))
                    line.clear()
                    too_long = False
                elif len(line) < self.MAX_LINE:
                    line.append(byte)
                else:
                    too_long = True

    def _deliver(self, line: bytes) -> None:
        text = line.decode("utf-8", errors="replace").strip()
        if not text:
            return
        try:
            self.on_scan(Scan(text, "serial"))
        except Exception:  # the UI's mistake must not stop the scanner
            log.exception("the scan handler failed")


# -- camera -------------------------------------------------------------------------


Frame = Any
"""A PIL image or a numpy array (grayscale, or BGR as a camera gives it)."""


class CameraScanner(_ScannerThread):
    """Decodes frames from `frames()` on a worker thread, at most one every `interval` seconds.

    `frames` returns a frame, or None when there is none yet. A code held in front of
    the camera is reported once, and again only after `repeat_after` seconds without it.
    """

    thread_name = "camera-scanner"

    def __init__(self, frames: Callable[[], Frame | None], on_scan: ScanCallback, decoder: Any = None,
                 interval: float = 0.2, repeat_after: float = 3.0, clock: Callable[[], float] = time.monotonic) -> None:
        if decoder is None:
            from .qr_decode import default_decoder

            decoder = default_decoder()
        self.frames = frames
        self.on_scan = on_scan
        self.decoder = decoder
        self.interval = interval
        self.repeat_after = repeat_after
        self.clock = clock
        self._last_seen: dict[str, float] = {}
        super().__init__()

    def _run(self) -> None:
        while not self._stop.is_set():
            started = self.clock()
            try:
                frame = self.frames()
                if frame is not None:
                    self.look_at(frame)
            except Exception:  # a camera that fails must not end the worker; it is tried again
                log.exception("camera frame could not be read or decoded")
            self._stop.wait(max(0.0, self.interval - (self.clock() - started)))

    def look_at(self, frame: Frame) -> None:
        """Decode one frame and report the codes not reported a moment ago."""
        now = self.clock()
        for decoded in self.decoder.decode(frame):
            last = self._last_seen.get(decoded.text)
            self._last_seen[decoded.text] = now
            if last is None or now - last > self.repeat_after:
                self.on_scan(Scan(decoded.text, "camera"))
        # Forget codes long out of view: the dictionary may hold personal data.
        self._last_seen = {text: seen for text, seen in self._last_seen.items() if now - seen <= self.repeat_after}


def opencv_camera(device: int | str = 0, width: int = 1280, height: int = 720) -> Callable[[], Frame | None]:
    """A frame source for CameraScanner from a camera (or a video file) through OpenCV.

    Needs the optional `opencv-python-headless` package. The returned callable gives a
    BGR numpy array, or None when no frame could be read (the camera is reopened then).
    """
    import cv2

    capture = None

    def read() -> Frame | None:
        nonlocal capture
        if capture is None or not capture.isOpened():
            capture = cv2.VideoCapture(device)
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        ok, frame = capture.read()
        if not ok:
            capture.release()
            capture = None
            return None
        return frame

    return read


# -- the configured scanner ---------------------------------------------------------


SCANNER_KINDS = ("wedge", "serial", "camera", "none")


class ScannerError(Exception):
    """A scanner that cannot be built from its settings; the message says why, in one line."""


@dataclass(frozen=True)
class ScannerSettings:
    """The scanner a kiosk starts besides the keyboard wedge, which it reads whatever these say.

    Here rather than in kiosk.config so that hardware needs nothing of the config file:
    the config module reads them from [scanner] and imports them from here.
    """

    kind: str = "wedge"
    """One of SCANNER_KINDS: the extra scanner to start. "wedge" and "none" start none."""
    port: str = ""
    """serial: the device, such as /dev/ttyACM0, or a udev symlink to it."""
    baudrate: int = 9600
    """serial: the line speed; USB-CDC scanners ignore it."""
    device: int | str = 0
    """camera: an index (0 is the first camera) or a device path."""


def open_scanner(settings: ScannerSettings, on_scan: ScanCallback) -> SerialScanner | CameraScanner | None:
    """The extra scanner of `settings`, built but not started; None for "wedge" and "none".

    The caller starts and stops it. `on_scan` is called on the scanner's own thread. A
    serial port that is not there yet is not an error: once started, the scanner waits
    for it. ScannerError when the settings cannot make a scanner.
    """
    if settings.kind in ("wedge", "none"):
        return None
    if settings.kind == "serial":
        if not settings.port:
            raise ScannerError("a serial scanner needs a port")
        if not isinstance(settings.baudrate, int) or settings.baudrate <= 0:
            raise ScannerError(f"a serial scanner's baudrate must be a positive whole number, not {settings.baudrate!r}")
        return SerialScanner(settings.port, on_scan, baudrate=settings.baudrate)
    if settings.kind == "camera":
        try:
            frames = opencv_camera(settings.device)
        except ImportError as error:
            raise ScannerError(f"a camera scanner needs OpenCV (opencv-python-headless, the `camera` extra): {error}") from None
        try:
            return CameraScanner(frames, on_scan)
        except ImportError as error:
            raise ScannerError(f"a camera scanner needs zxing-cpp or pyzbar to decode: {error}") from None
    raise ScannerError(f"unknown scanner kind {settings.kind!r}: one of {', '.join(SCANNER_KINDS)}")
