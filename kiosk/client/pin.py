"""The staff PIN that opens the kiosk's staff mode. No Kivy.

The PIN is kept only as a salted scrypt hash, with the scrypt parameters beside it so that
they can be raised later without making old files unreadable. Five wrong tries in a row
lock the pad for 30 seconds; each wrong try after that locks it again for twice as long,
up to an hour; the right PIN resets the count. The count and the end of the lockout are
kept in the same small JSON file as the hash, so that restarting the kiosk or pulling the
plug does not reset them. The PIN itself is never logged nor written anywhere.

`check` takes tens of milliseconds (that is scrypt's point) and writes the file: call it
off the UI's loop, e.g. with `asyncio.to_thread`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .files import write_atomically

log = logging.getLogger(__name__)

PIN_LENGTHS = (4, 8)
TRIES = 5
"""Wrong tries in a row before the first lockout."""
FIRST_LOCK = 30
LONGEST_LOCK = 3600
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
"""For new hashes: about 16 MiB and some 50 ms on a small PC, per try."""

DAMAGED = "the PIN file is damaged: set a new PIN with `kiosk staff-pin`"


@dataclass(frozen=True)
class PinCheck:
    """The answer to one PIN entered on the pad. `message` says it in one line (English);
    a screen can say it in its own words from `status` and the numbers."""

    status: str
    """"ok"; "wrong" (the PIN was checked and is not the one); "locked" (it was not
    checked: wait `seconds_left`); "damaged" (the file cannot be read: staff mode stays
    closed until a new PIN is set); "unset" (no PIN has been set)."""
    tries_left: int = 0
    """With "wrong": wrong tries left before a lockout; 0 when this one started one."""
    seconds_left: int = 0
    """With "locked", and with a "wrong" that started a lockout: how long it lasts."""
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def lock_seconds(failures: int) -> int:
    """How long the pad is locked after `failures` wrong tries in a row: none before the
    fifth, then 30 s, doubled at each further one, an hour at most."""
    if failures < TRIES:
        return 0
    return min(FIRST_LOCK * 2 ** min(failures - TRIES, 12), LONGEST_LOCK)


class StaffPin:
    """The staff PIN kept in the JSON file at `path` (mode 0600).

    Several StaffPin objects, even in several processes, may share the file: each reads it
    again when it has changed, so a PIN set by the console command counts at once."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self._lock = threading.Lock()  # a double tap on the pad may start two checks at once
        self._seen: tuple[int, int, int] | None = None
        self._state: dict | str | None = None
        """What the file says: its fields, DAMAGED, or None when there is no file."""

    def is_set(self) -> bool:
        """True when a PIN is set, and also when its file is damaged: staff mode then stays
        closed rather than offering anyone at the kiosk to choose a new PIN."""
        with self._lock:
            return self._load() is not None

    def set(self, pin: str) -> None:
        """Set a new PIN, which also ends any lockout. ValueError when it is not 4 to 8
        digits (the message does not repeat it); OSError when it could not be saved."""
        if not (isinstance(pin, str) and pin.isascii() and pin.isdigit()
                and PIN_LENGTHS[0] <= len(pin) <= PIN_LENGTHS[1]):
            raise ValueError("a staff PIN must be {} to {} digits (0-9)".format(*PIN_LENGTHS))
        salt = secrets.token_bytes(16)
        state = {"kdf": "scrypt", **SCRYPT, "salt": salt.hex(), "hash": _hash(pin, salt, SCRYPT, 32).hex(),
                 "failures": 0, "locked_until": 0.0}
        with self._lock:
            self._save(state)
        log.info("a new staff PIN was set")

    def seconds_locked(self, now: float | None = None) -> int:
        """Seconds before the pad takes a PIN again; 0 when it takes one now."""
        with self._lock:
            state = self._load()
            return _left(state, time.time() if now is None else now) if isinstance(state, dict) else 0

    def check(self, pin: str, now: float | None = None) -> PinCheck:
        """Whether `pin` opens staff mode. `now` is the time in seconds (time.time()'s
        clock, which survives a restart), given by tests."""
        now = time.time() if now is None else now
        with self._lock:
            state = self._load()
            if state is None:
                return PinCheck("unset", message="no staff PIN is set yet")
            if state == DAMAGED:
                return PinCheck("damaged", message=DAMAGED)
            left = _left(state, now)
            if left:
                return PinCheck("locked", seconds_left=left,
                                message=f"too many wrong PINs: try again in {left} seconds")
            # Anything that cannot be a PIN is simply wrong, and counts like any wrong try.
            right = (isinstance(pin, str) and len(pin) <= PIN_LENGTHS[1]
                     and hmac.compare_digest(_hash(pin, bytes.fromhex(state["salt"]), state, len(state["hash"]) // 2),
                                             bytes.fromhex(state["hash"])))
            if right:
                if state["failures"] or state["locked_until"]:
                    self._record({**state, "failures": 0, "locked_until": 0.0})
                return PinCheck("ok")
            failures = state["failures"] + 1
            lock = lock_seconds(failures)
            self._record({**state, "failures": failures, "locked_until": now + lock if lock else 0.0})
            log.warning("a wrong staff PIN was entered (%d in a row)", failures)
            if lock:
                return PinCheck("wrong", seconds_left=lock, message=f"wrong PIN: locked for {lock} seconds")
            tries = TRIES - failures
            return PinCheck("wrong", tries_left=tries,
                            message=f"wrong PIN: {tries} {'try' if tries == 1 else 'tries'} left before a lockout")

    # -- the file -----------------------------------------------------------------

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            return None
        except OSError:
            return (-1, -1, -1)  # unreadable: read below, which says damaged
        return (found.st_ino, found.st_mtime_ns, found.st_size)

    def _load(self) -> dict | str | None:
        """The file's state, read again only when the file changed (a new file from a new
        PIN, another process's write): between two reads, this object's own state counts,
        including a wrong try it could not save."""
        seen = self._stat()
        if seen is not None and seen == self._seen:
            return self._state
        self._seen = seen
        if seen is None:
            self._state = None
        else:
            try:
                self._state = _valid(json.loads(self.path.read_bytes()))
            except (OSError, ValueError, RecursionError):
                self._state = DAMAGED
            if self._state == DAMAGED:
                log.error("%s: %s", self.path, DAMAGED)
        return self._state

    def _save(self, state: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, json.dumps(state, indent=1).encode("ascii") + b"\n", mode=0o600)
        self._state, self._seen = state, self._stat()

    def _record(self, state: dict) -> None:
        """Save a try's outcome. When the disk refuses, it still counts in this object until
        the file changes, and the lockout is then lost only if the kiosk restarts."""
        try:
            self._save(state)
        except OSError as error:
            log.error("the staff PIN tries could not be saved to %s: %s", self.path, error)
            self._state = state


def _hash(pin: str, salt: bytes, params: dict, length: int) -> bytes:
    n, r, p = params["n"], params["r"], params["p"]
    # scrypt needs 128 * r * (n + p + 2) bytes; OpenSSL refuses more than 32 MiB unless told.
    return hashlib.scrypt(pin.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=128 * r * (n + p + 2) + 2**20, dklen=length)


def _left(state: dict, now: float) -> int:
    """Whole seconds of lockout left. Never more than the lockout's own length, so that a
    clock set back (a dead RTC battery, a time server's correction) does not lock staff out
    for the difference."""
    left = min(state["locked_until"] - now, lock_seconds(state["failures"]))
    return math.ceil(left) if left > 0 else 0


def _valid(state: object) -> dict | str:
    """The state if every field is there and sane, else DAMAGED. The scrypt parameters are
    bounded: a file with a huge n would make each try take minutes and gigabytes."""
    def whole(value: object, low: int, high: int) -> bool:
        return type(value) is int and low <= value <= high

    def hexes(value: object, low: int, high: int) -> bool:
        try:
            return isinstance(value, str) and low <= len(bytes.fromhex(value)) <= high
        except ValueError:
            return False

    if (isinstance(state, dict) and state.get("kdf") == "scrypt"
            and whole(state.get("n"), 2, 2**20) and state["n"] & (state["n"] - 1) == 0
            and whole(state.get("r"), 1, 32) and whole(state.get("p"), 1, 16)
            and hexes(state.get("salt"), 16, 64) and hexes(state.get("hash"), 16, 64)
            and whole(state.get("failures"), 0, 2**31)
            and type(state.get("locked_until")) in (int, float) and math.isfinite(state["locked_until"])):
        return state
    return DAMAGED
