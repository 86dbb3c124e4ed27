"""The receipt printer: an ESC/POS printer chosen by configuration, or a simulator.

Receipts are pictures (see receipts.py) sent with python-escpos. Every call blocks for a
bounded time and fails with one error, PrinterError, so that the caller can void the
ticket it was printing; run the calls in a thread, never on the UI's loop.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import select
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from escpos.capabilities import get_profile
from escpos.constants import (RT_MASK_LOWPAPER, RT_MASK_NOPAPER, RT_MASK_ONLINE, RT_STATUS_ONLINE,
                              RT_STATUS_PAPER)
from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError, Error as EscposError
from escpos.printer import Dummy, File, Network, Serial, Usb
from PIL import Image
from usb.core import USBTimeoutError

from ..domain.terminal import PrinterSettings
from ..i18n import N_, Message
from . import receipts
from .escpos_decode import decode

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 5.0
"""Seconds a connection, a write or a status answer may take before the printer counts as gone."""

# What stops a print, in the words the kiosk shows staff and citizens (English here,
# Vietnamese from the translation catalogue).
REASONS = {
    "paper_out": N_("The printer is out of paper"),
    "offline": N_("The printer is not ready: no answer, cover open or error"),
    "unreachable": N_("Cannot reach the printer"),
    "failed": N_("Printing failed; the receipt may be incomplete"),
    "settings": N_("Invalid printer settings"),
}


class PrinterError(Exception):
    """A receipt did not print, or may not have printed whole. `why` says why, in words for the
    screen; `detail` is the technical cause, for the log and for staff."""

    def __init__(self, reason: str, detail: str = "", state: str = "offline"):
        self.why = Message(REASONS[reason])
        self.detail = detail
        self.state = state
        """The printer's state as far as known: one of PRINTER_STATES."""
        super().__init__(f"{self.why}: {detail}" if detail else self.why)


def open_printer(settings: PrinterSettings, *, timeout: float = DEFAULT_TIMEOUT) -> ReceiptPrinter | None:
    """The configured printer, or None when the terminal has none ("none").

    Nothing is connected yet: each print and each status check connects anew, so a
    printer unplugged and plugged back in is simply found again."""
    if settings.driver == "none":
        return None
    try:
        device = _device(settings, timeout)
        return ReceiptPrinter(device, f"{settings.driver} {settings.address}", timeout)
    except (ValueError, KeyError) as error:
        raise PrinterError("settings", f"{settings.driver} {settings.address!r} {settings.profile!r}: {error}",
                           "unknown") from None


def _device(settings: PrinterSettings, timeout: float) -> Escpos:
    """A python-escpos printer for the settings; raises ValueError or KeyError (unknown profile)."""
    driver, address, profile = settings.driver, settings.address.strip(), settings.profile
    get_profile(profile)  # a KeyError now for a name python-escpos does not know, not at the first print
    if not address:
        raise ValueError("the address is empty")
    if driver == "usb":
        # "04b8:0202", or "04b8:0202:81:02" for a printer whose endpoints are not 0x82 (in) and 0x01 (out).
        vendor, product, *endpoints = (int(part, 16) for part in address.split(":"))
        in_ep, out_ep = endpoints if endpoints else (0x82, 0x01)
        return _Usb(vendor, product, timeout=int(timeout * 1000), in_ep=in_ep, out_ep=out_ep, profile=profile)
    if driver == "serial":
        # "/dev/ttyUSB0" at 9600 baud, or "/dev/ttyUSB0:19200".
        path, _, baud = address.rpartition(":")
        if not baud.isdigit():
            path, baud = address, "9600"
        return _Serial(path, baudrate=int(baud), timeout=timeout, profile=profile)
    if driver == "network":
        host, _, port = address.rpartition(":")
        if not port.isdigit():
            host, port = address, "9100"
        return _Network(host, int(port), timeout=timeout, profile=profile)
    if driver == "file":
        return _File(address, timeout, profile=profile)
    raise ValueError(f"unknown driver {driver!r}")


class _Paced:
    """Sends in small pieces, each allowed the whole timeout. A picture is tens of kilobytes
    and a printer takes them only as fast as its line or its paper moves: a slow printer is
    still printing, the timeout is for one that stopped taking data."""

    PIECE = 1024  # about a second at 9600 baud

    def _raw(self, msg: bytes) -> None:
        for start in range(0, len(msg), self.PIECE):
            super()._raw(msg[start:start + self.PIECE])  # type: ignore[misc]


class _Usb(_Paced, Usb):
    pass


class _Network(_Paced, Network):
    pass


class _Serial(_Paced, Serial):
    def open(self, raise_not_found: bool = True) -> None:
        super().open(raise_not_found)
        # pyserial waits for ever on a write that the line holds back, unless told otherwise.
        self.device.write_timeout = self.timeout

    def _read(self) -> bytes:
        # python-escpos asks pyserial for 16 bytes, and pyserial waits out the whole timeout
        # for them; a status answer is one byte.
        return self.device.read(1)


class _File(File):
    """python-escpos's File printer with its waits bounded and no file made up.

    A device behind the kernel's printer driver (/dev/usb/lp0) stops taking data when the
    printer stalls, and a plain write then waits for ever; a device that is not there is
    an unplugged printer, not a new file to create."""

    def __init__(self, devfile: str, timeout: float, **kwargs: object):
        super().__init__(devfile, **kwargs)
        self.timeout = timeout

    def open(self, raise_not_found: bool = True) -> None:
        self.close()
        try:
            descriptor = os.open(self.devfile, os.O_WRONLY | os.O_TRUNC | os.O_NONBLOCK)
        except OSError as error:
            self.device = None
            raise DeviceNotFoundError(f"cannot open {self.devfile}: {error.strerror}") from None
        self.device = os.fdopen(descriptor, "wb", buffering=0)

    def _raw(self, msg: bytes) -> None:
        left = memoryview(msg)
        while left:
            if not select.select([], [self.device], [], self.timeout)[1]:
                raise TimeoutError(f"{self.devfile} took no data for {self.timeout:g} s")
            left = left[self.device.write(left) or 0:]


def paper_width(device: Escpos) -> int:
    """The printable width in dots that the device's capability profile gives."""
    pixels = device.profile.profile_data["media"]["width"]["pixels"]
    if not isinstance(pixels, int):
        raise ValueError(f"the profile {device.profile.profile_data.get('name')!r} does not give the paper width")
    return pixels


def printer_state(online: int | None, paper: int | None) -> str:
    """The state (one of PRINTER_STATES) from the answers to DLE EOT 1 (printer) and
    DLE EOT 4 (roll paper sensor); None for a query that got no answer."""
    if online is None or paper is None:
        return "offline"
    if paper & RT_MASK_NOPAPER == RT_MASK_NOPAPER:
        return "paper_out"  # before "offline": a printer without paper also reports itself offline
    if online & RT_MASK_ONLINE:
        return "offline"
    if paper & RT_MASK_LOWPAPER == RT_MASK_LOWPAPER:
        return "paper_low"
    return "ok"


class ReceiptPrinter:
    """A thermal printer that prints pictures `width` dots wide and cuts after each."""

    def __init__(self, device: Escpos, name: str, timeout: float = DEFAULT_TIMEOUT):
        self.escpos = device
        self.name = name
        self.timeout = timeout
        self.width = paper_width(device)
        # A File printer, for one, cannot read: its status stays "unknown" and is not checked.
        self.answers = type(device)._read is not Escpos._read
        self._lock = threading.Lock()  # a heartbeat's status check must not cut into a print

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}, {self.width} dots>"

    def print_image(self, image: Image.Image) -> None:
        """Print `image` and cut the paper; PrinterError if it may not have come out whole."""
        with self._lock, self._connected():
            before = self._state()
            if before in ("offline", "paper_out"):
                raise PrinterError(before, state=before)
            self.escpos.image(image)
            self.escpos.cut()
            # The answer comes after the printer has taken in everything sent before the
            # question: it confirms delivery and that the paper did not run out half-way.
            after = self._state()
            if after in ("offline", "paper_out"):
                raise PrinterError("failed", REASONS[after], state=after)
            if after == "paper_low":
                log.warning("%s: paper is running low", self.name)

    def status(self) -> str:
        """One of PRINTER_STATES, asked of the printer now; never raises."""
        try:
            with self._lock, self._connected():
                return self._state()
        except PrinterError as error:
            return error.state

    def _state(self) -> str:
        if not self.answers:
            return "unknown"
        online = self._answer(RT_STATUS_ONLINE)
        if online is None:  # one silence is enough: do not wait a second time
            return "offline"
        return printer_state(online, self._answer(RT_STATUS_PAPER))

    def _answer(self, query: bytes) -> int | None:
        """The status byte answering a real-time query, or None when none came in time.

        python-escpos reads "no answer" as "paper adequate"; here it stays no answer."""
        try:
            answer = self.escpos.query_status(query)
        except (TimeoutError, USBTimeoutError):
            return None
        # Bits 1 and 4 are always 1 and bits 0 and 7 always 0 in an answer to DLE EOT: any
        # other byte is not a printer answering (a wrong device on that port).
        if not answer or answer[0] & 0b1001_0011 != 0b0001_0010:
            return None
        return answer[0]

    @contextmanager
    def _connected(self) -> Iterator[None]:
        try:
            self.escpos.open()
        except (OSError, EscposError, ValueError) as error:
            raise PrinterError("unreachable", f"{self.name}: {_first_line(error)}") from None
        try:
            yield
        except PrinterError:
            raise
        except (OSError, EscposError, ValueError) as error:
            raise PrinterError("failed", f"{self.name}: {_first_line(error)}") from None
        finally:
            try:
                self.escpos.close()
            except (OSError, EscposError) as error:
                log.warning("%s: closing failed: %s", self.name, _first_line(error))


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return " ".join(text.split())


class SimulatedPrinter(ReceiptPrinter):
    """A printer that writes each print to `folder`, named by time and number: the ESC/POS
    bytes as .bin, and what the paper would show, decoded back from those bytes, as .png.

    Set `state` to "paper_out" or "offline" to rehearse a printer failing."""

    def __init__(self, folder: str | Path, profile: str = "TM-T20II"):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        super().__init__(Dummy(profile=profile), f"simulated printer writing to {self.folder}")
        self.state = "ok"
        self.printed: list[Path] = []
        """The PNG of each print, in order."""
        log.info("Simulated receipt printer: receipts go to %s", self.folder)

    def print_image(self, image: Image.Image) -> None:
        self.escpos.clear()
        super().print_image(image)
        stem = self.folder / f"{dt.datetime.now():%Y%m%d-%H%M%S}-{len(self.printed) + 1:04d}"
        data = self.escpos.output
        stem.with_suffix(".bin").write_bytes(data)
        picture = decode(data).image()
        assert picture is not None, "a print without a picture"
        picture.save(stem.with_suffix(".png"))
        self.printed.append(stem.with_suffix(".png"))

    def _state(self) -> str:
        return self.state


def print_samples(printer: ReceiptPrinter) -> list[str]:
    """Print one receipt of each kind with made-up data; the names of those printed, in order."""
    printed = []
    for name, picture in receipts.samples(printer.width).items():
        printer.print_image(picture)
        printed.append(name)
    return printed
