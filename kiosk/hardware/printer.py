"""The receipt printer: an ESC/POS printer chosen by configuration, or a simulator.

Receipts are pictures (see receipts.py) sent with python-escpos. Every call blocks for a
bounded time and fails with one error, PrinterError, so that the caller can void the
ticket it was printing; run the calls in a thread, never on the UI's loop.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from ..i18n import N_, Message

if TYPE_CHECKING:
    from escpos.escpos import Escpos
    from PIL import Image

    from ..domain.terminal import PrinterSettings

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
    from .escpos_devices import device_for  # python-escpos is loaded when a printer is used, not at start

    try:
        printer = ReceiptPrinter(device_for(settings, timeout), f"{settings.driver} {settings.address}", timeout)
        printer.width  # a ValueError now for a profile that does not give the paper width
        return printer
    except (ValueError, KeyError) as error:
        raise PrinterError("settings", f"{settings.driver} {settings.address!r} {settings.profile!r}: {error}",
                           "unknown") from None


def paper_width(device: Escpos) -> int:
    """The printable width in dots that the device's capability profile gives."""
    pixels = device.profile.profile_data["media"]["width"]["pixels"]
    if not isinstance(pixels, int):
        raise ValueError(f"the profile {device.profile.profile_data.get('name')!r} does not give the paper width")
    return pixels


def printer_state(online: int | None, paper: int | None) -> str:
    """The state (one of PRINTER_STATES) from the answers to DLE EOT 1 (printer) and
    DLE EOT 4 (roll paper sensor); None for a query that got no answer."""
    from .escpos_devices import RT_MASK_LOWPAPER, RT_MASK_NOPAPER, RT_MASK_ONLINE

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

    def __init__(self, device: Escpos | None, name: str, timeout: float = DEFAULT_TIMEOUT):
        self._device = device
        self.name = name
        self.timeout = timeout
        self._lock = threading.Lock()  # a heartbeat's status check must not cut into a print

    @functools.cached_property
    def escpos(self) -> Escpos:
        """The python-escpos printer; made on first use by a printer that starts without one."""
        assert self._device is not None
        return self._device

    @functools.cached_property
    def width(self) -> int:
        return paper_width(self.escpos)

    @functools.cached_property
    def answers(self) -> bool:
        """A File printer, for one, cannot read: its status stays "unknown" and is not checked."""
        from .escpos_devices import Escpos

        return type(self.escpos)._read is not Escpos._read

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
        from .escpos_devices import RT_STATUS_ONLINE, RT_STATUS_PAPER

        online = self._answer(RT_STATUS_ONLINE)
        if online is None:  # one silence is enough: do not wait a second time
            return "offline"
        return printer_state(online, self._answer(RT_STATUS_PAPER))

    def _answer(self, query: bytes) -> int | None:
        """The status byte answering a real-time query, or None when none came in time.

        python-escpos reads "no answer" as "paper adequate"; here it stays no answer."""
        from .escpos_devices import USBTimeoutError

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
        from .escpos_devices import EscposError

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
        self.profile = profile
        super().__init__(None, f"simulated printer writing to {self.folder}")
        self.state = "ok"
        self.printed: list[Path] = []
        """The PNG of each print, in order."""
        log.info("Simulated receipt printer: receipts go to %s", self.folder)

    @functools.cached_property
    def escpos(self) -> Escpos:
        # python-escpos is loaded at the first print or status check, not while the kiosk starts.
        from .escpos_devices import Dummy

        return Dummy(profile=self.profile)

    def print_image(self, image: Image.Image) -> None:
        self.escpos.clear()
        super().print_image(image)
        stem = self.folder / f"{dt.datetime.now():%Y%m%d-%H%M%S}-{len(self.printed) + 1:04d}"
        data = self.escpos.output
        stem.with_suffix(".bin").write_bytes(data)
        from .escpos_decode import decode

        picture = decode(data).image()
        assert picture is not None, "a print without a picture"
        picture.save(stem.with_suffix(".png"))
        self.printed.append(stem.with_suffix(".png"))

    def _state(self) -> str:
        return self.state


def print_samples(printer: ReceiptPrinter) -> list[str]:
    """Print one receipt of each kind with made-up data; the names of those printed, in order."""
    printed = []
    from . import receipts

    for name, picture in receipts.samples(printer.width).items():
        printer.print_image(picture)
        printed.append(name)
    return printed
