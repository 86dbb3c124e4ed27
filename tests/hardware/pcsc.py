"""Test support: a real pcscd with the vpcd virtual reader, and a virtual card to put in it.

pcscd always serves the socket `/run/pcscd/pcscd.comm`. Where the tests may make a private
mount namespace (root, or user namespaces allowed), pcscd runs in one with a test folder
mounted on `/run/pcscd`, so it never meets the machine's own pcscd; otherwise it uses the
real `/run/pcscd` and refuses to start beside another pcscd. Clients find the socket through
PCSCLITE_CSOCK_NAME, which the PC/SC library reads once per process: call `use_socket`
before anything in the process talks to PC/SC.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path

SYSTEM_SOCKET_DIR = Path("/run/pcscd")
VPCD_DRIVER = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
READER_NAME = "Virtual PCD"
"""vpcd makes two readers of it, "Virtual PCD 00 00" and "Virtual PCD 00 01"."""

ATR = bytes.fromhex("3B 80 80 01 01")
"""What a PC/SC reader reports for an ISO 14443-4 contactless card, as the CCCD chip is."""


def missing_programs() -> list[str]:
    needed = {"pcscd": shutil.which("pcscd"), VPCD_DRIVER: os.path.exists(VPCD_DRIVER) or None}
    return [name for name, found in needed.items() if not found]


def private_mount_prefix() -> list[str] | None:
    """The `unshare` command that gives pcscd its own /run/pcscd, if this machine allows one."""
    for prefix in (["unshare", "--mount"], ["unshare", "--map-root-user", "--mount"]):
        try:
            if subprocess.run([*prefix, "true"], capture_output=True).returncode == 0:
                return prefix
        except FileNotFoundError:
            return None
    return None


def socket_path(folder: Path, mount_prefix: list[str] | None) -> Path:
    """Where pcscd's socket appears for the tests: in `folder` if pcscd gets its own mounts."""
    return (folder / "run" if mount_prefix else SYSTEM_SOCKET_DIR) / "pcscd.comm"


def use_socket(path: Path) -> None:
    os.environ["PCSCLITE_CSOCK_NAME"] = str(path)


@functools.cache
def process_pcsc() -> tuple[Path, list[str] | None]:
    """This test process's pcscd folder and `unshare` prefix, its socket named to PC/SC clients
    at the first call: tests/conftest.py calls it before any test runs, because the first PC/SC
    call of a process fixes the socket it uses (the app's card reader in the screen tests makes
    one), and the card reader tests, later in the same process, serve that socket."""
    folder = Path(tempfile.mkdtemp(prefix="pcsc-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    mount_prefix = private_mount_prefix()
    use_socket(socket_path(folder, mount_prefix))
    return folder, mount_prefix


def free_port_pair() -> int:
    """A TCP port that is free, with the one after it free too (vpcd listens on both)."""
    while True:
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            if port >= 65535:
                continue
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
            return port


def wait_for(condition, timeout: float = 30.0, what: str = "a condition"):
    """Poll until `condition()` is true and return its value; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Pcscd:
    """One pcscd process whose only reader is vpcd, listening for a virtual card on `port`."""

    def __init__(self, folder: Path, mount_prefix: list[str] | None, with_reader: bool = True):
        self.folder = folder
        self.mount_prefix = mount_prefix
        self.port = free_port_pair()
        self.config = Path(tempfile.mkdtemp(prefix="reader.conf.d-", dir=folder))
        if with_reader:
            # vpcd reads the port from CHANNELID, or from DEVICENAME in versions with CreateChannelByName.
            (self.config / "vpcd").write_text(
                f'FRIENDLYNAME "{READER_NAME}"\n'
                f"DEVICENAME /dev/null:{self.port}\n"
                f"LIBPATH {VPCD_DRIVER}\n"
                f"CHANNELID {self.port}\n"
            )
        self.socket = socket_path(folder, mount_prefix)
        self.log = folder / f"pcscd-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        if self.process is not None:
            return
        pcscd = f"exec pcscd --foreground --config {self.config}"
        if self.mount_prefix:
            self.socket.parent.mkdir(exist_ok=True)
            # The shell sets up the mount inside the new namespace, then becomes pcscd.
            command = [*self.mount_prefix, "sh", "-c",
                       f"mkdir -p {SYSTEM_SOCKET_DIR} && mount --bind {self.socket.parent} {SYSTEM_SOCKET_DIR} && {pcscd}"]
        else:
            if _answers(self.socket):
                raise RuntimeError(f"another pcscd already serves {self.socket}; stop it to run these tests")
            command = ["sh", "-c", pcscd]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not _answers(self.socket):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("pcscd did not start: " + self.log.read_text(errors="replace")[-2000:])
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop pcscd as a service manager would (SIGTERM), and wait for it to be gone."""
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def reader(self, slot: int = 0) -> str:
        return f"{READER_NAME} 00 {slot:02d}"


def _answers(path: Path) -> bool:
    """Whether something accepts connections on this Unix socket."""
    with socket.socket(socket.AF_UNIX) as client:
        try:
            client.connect(str(path))
        except OSError:
            return False
    return True


class VirtualCard:
    """A card in the vpcd reader: it connects to vpcd's port and answers in vpcd's protocol.

    vpcd sends 2-byte big-endian lengths, then the message: one control byte (0 power off,
    1 power on, 2 reset, 4 "send the ATR") or a command APDU, which is answered "instruction
    not supported". The card is in the reader while the connection is open. (vsmartcard's own
    `vicc` does the same but cannot start from Debian 12's packages.)
    """

    ATR_REQUEST, NOT_SUPPORTED = b"\x04", b"\x6d\x00"

    def __init__(self, port: int, atr: bytes = ATR, chip=None):
        """`chip`: what answers the APDUs, a callable taking the APDU and answering (data, status
        word) or raising to be taken out of the reader (tests/idcard_card.py); none: every APDU is
        "instruction not supported"."""
        self.port, self.atr, self.chip = port, atr, chip
        self._connection: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def insert(self) -> None:
        self._connection = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        self._connection.settimeout(None)
        self._thread = threading.Thread(target=self._answer, args=(self._connection,), daemon=True)
        self._thread.start()

    def remove(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # vpcd already closed its side
        connection.close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _answer(self, connection: socket.socket) -> None:
        try:
            while True:
                message = _receive(connection)
                if message is None:
                    return
                if message == self.ATR_REQUEST:
                    reply = self.atr
                elif len(message) == 1:
                    continue  # power on, power off, reset: no answer expected
                elif self.chip is not None:
                    try:
                        data, status = self.chip(message)
                    except Exception:  # the chip is taken out of the reader mid-conversation
                        connection.shutdown(socket.SHUT_RDWR)
                        return
                    reply = data + status.to_bytes(2, "big")
                else:
                    reply = self.NOT_SUPPORTED
                connection.sendall(struct.pack(">H", len(reply)) + reply)
        except OSError:
            return  # removed while answering


def _receive(connection: socket.socket) -> bytes | None:
    header = connection.recv(2, socket.MSG_WAITALL)
    if len(header) < 2:
        return None
    (length,) = struct.unpack(">H", header)
    message = connection.recv(length, socket.MSG_WAITALL) if length else b""
    return message if len(message) == length else None


def card_inserted(pcscd: Pcscd, chip) -> VirtualCard:
    """A test chip (tests/idcard_card.py) put in pcscd's vpcd reader, once pcscd sees it there."""
    from kiosk.hardware.idcard.errors import NoCard, NoReader
    from kiosk.hardware.idcard.transport import pcsc_transmit

    def has_card() -> bool:
        try:
            with pcsc_transmit(pcscd.reader()):
                return True
        except (NoCard, NoReader):
            return False

    card = VirtualCard(pcscd.port, chip=chip.transmit)
    card.insert()
    wait_for(has_card, what="the card in the reader")
    return card

