"""python-escpos's printers as the kiosk uses them: with every wait bounded.

Kept apart from printer.py so that python-escpos (with pyusb, pyserial and its capability
database) is loaded when a printer is first used, not while the kiosk starts.
"""

from __future__ import annotations

import os
import pickle
import select
from pathlib import Path


def _capabilities_cache() -> Path | None:
    """python-escpos parses its capability database (a 1 MB YAML file) on every import unless it
    finds the pickle it made last time, and by default it makes that pickle in a new temporary
    folder each time: the parse (100 ms and more) is paid at every start and an empty folder is
    left behind. Keep the pickle in the user's own cache folder instead. Never in a folder others
    may write to: a pickle is code. The folder, or None when python-escpos keeps its own."""
    if "ESCPOS_CAPABILITIES_PICKLE_DIR" in os.environ:
        return Path(os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"])
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tthc-kiosk"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if folder.stat().st_uid != os.getuid() or folder.stat().st_mode & 0o022:
            return None
    except OSError:
        return None  # a read-only home: python-escpos's own temporary folder
    os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(folder)
    return folder


def _load_capabilities() -> None:
    """Import python-escpos's capabilities with the pickle shared safely. python-escpos writes the
    pickle in place, so a second process (the app and `kiosk print-test`, or two test workers)
    starting meanwhile read half a file and failed with EOFError: one process at a time, under a
    lock on the folder. A pickle left broken (a power cut while it was written) is made again."""
    import fcntl
    import sys

    folder = _capabilities_cache()
    try:
        lock = open(folder / "capabilities.lock", "a") if folder else None
    except OSError:
        lock = None
    try:
        if lock is not None:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            import escpos.capabilities  # noqa: F401
        except (EOFError, pickle.UnpicklingError, AttributeError, ValueError):
            sys.modules.pop("escpos.capabilities", None)
            for stale in folder.glob("*.capabilities.pickle") if folder else ():
                stale.unlink(missing_ok=True)
            import escpos.capabilities  # noqa: F401
    finally:
        if lock is not None:
            lock.close()  # closing lets the lock go


_load_capabilities()

from escpos.capabilities import get_profile  # noqa: E402  (after the cache folder is chosen)
from escpos.constants import (RT_MASK_LOWPAPER, RT_MASK_NOPAPER, RT_MASK_ONLINE,  # noqa: E402,F401
                              RT_STATUS_ONLINE, RT_STATUS_PAPER)
from escpos.escpos import Escpos  # noqa: E402
from escpos.exceptions import DeviceNotFoundError, Error as EscposError  # noqa: E402,F401
from escpos.printer import Dummy, File, Network, Serial, Usb  # noqa: E402,F401
from usb.core import USBTimeoutError  # noqa: E402,F401

from ..domain.terminal import PrinterSettings  # noqa: E402


def device_for(settings: PrinterSettings, timeout: float) -> Escpos:
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


