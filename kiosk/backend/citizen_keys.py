"""The secret keys of the hashes of citizens' ID numbers, in a file of their own.

A dossier's applicant and an audited citizen look-up are kept only as a keyed hash of the ID
number. The key lives in a file apart from the database (mode 0600), so that a copy of the
database alone tells no number; and the hash is slow (scrypt, some 35 ms), so that even with the
key, trying every plausible number takes one core years.

The file is a ring: each line one key, "NUMBER KIND HEX". New hashes use the newest key; a
look-up tries every key in the ring, so that hashes made before a rotation still answer. A hash
names its key ("3$<hex>"); the one "hmac" key is the fast key that databases before schema 5
kept inside themselves, moved here so that their hashes keep working until it is retired.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

# 16 MiB and some 35 ms a hash on one core (benchmarks/bench_citizen_key.py): 3e9 to 1e10
# plausible ID numbers x 35 ms = 3 to 11 years of one core, even for someone holding the key.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1
KINDS = ("scrypt", "hmac")
_CACHE_SIZE = 4096
"""Hashes kept in memory, by key and number (a digest of it): a citizen who asks twice waits once."""


class KeyFileError(Exception):
    """The key file cannot be read or written, with the reason."""


def default_key_file(db: str | os.PathLike[str]) -> Path:
    """Beside the database, in a file of its own: kiosk-backend.sqlite3 -> kiosk-backend.citizen.key."""
    path = Path(db)
    return path.with_name(f"{path.stem}.citizen.key")


@dataclass(frozen=True)
class CitizenKey:
    number: int
    kind: str
    secret: bytes = field(repr=False)

    def hash(self, id_number: str) -> str:
        if self.kind == "hmac":
            # As databases before schema 5 made them: bare hex, no key number.
            return hmac.new(self.secret, id_number.encode(), hashlib.sha256).hexdigest()
        digest = hashlib.scrypt(id_number.encode(), salt=self.secret, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                                maxmem=64 * 1024 * 1024, dklen=32)
        return f"{self.number}${digest.hex()}"

    @property
    def like(self) -> str:
        """An SQL LIKE pattern for the hashes this key made."""
        return "_" * 64 if self.kind == "hmac" else f"{self.number}$%"


@dataclass(frozen=True)
class Ring:
    ring_id: str
    """Names the ring in the database it belongs to, so that another database's file is refused."""
    keys: tuple[CitizenKey, ...]

    @property
    def newest(self) -> CitizenKey:
        return max((k for k in self.keys if k.kind == "scrypt"), key=lambda k: k.number)

    def with_new_key(self) -> Ring:
        number = max((k.number for k in self.keys), default=0) + 1
        return Ring(self.ring_id, (*self.keys, CitizenKey(number, "scrypt", secrets.token_bytes(32))))


def new_ring() -> Ring:
    return Ring(secrets.token_hex(8), ()).with_new_key()


def read_ring(path: Path) -> Ring:
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise KeyFileError(f"cannot read the citizen key file {path}: {error}") from None
    ring_id, keys = "", []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        try:
            if parts[0] == "ring" and len(parts) == 2:
                ring_id = parts[1]
                continue
            if len(parts) != 3 or parts[1] not in KINDS:
                raise ValueError(line)
            keys.append(CitizenKey(int(parts[0]), parts[1], bytes.fromhex(parts[2])))
        except ValueError:
            raise KeyFileError(f"the citizen key file {path} is damaged at line {number}") from None
    if not ring_id or not any(k.kind == "scrypt" for k in keys):
        raise KeyFileError(f"the citizen key file {path} holds no key")
    return Ring(ring_id, tuple(keys))


def write_ring(path: Path, ring: Ring, new: bool) -> None:
    """Write the ring with mode 0600 from the first byte. `new`: the file must not exist yet
    (FileExistsError otherwise: another process made it first); else it is replaced whole."""
    lines = [
        "# Secret keys of the citizen ID hashes in the kiosk backend's database.",
        "# Back this file up APART from the database: with it, the database's hashes can be tried",
        "# against ID numbers; without it, citizens' dossiers cannot be found by ID number.",
        f"ring {ring.ring_id}",
        *(f"{k.number} {k.kind} {k.secret.hex()}" for k in sorted(ring.keys, key=lambda k: k.number)),
    ]
    data = ("\n".join(lines) + "\n").encode("ascii")
    target = path if new else path.with_name(f"{path.name}.{os.getpid()}.new")
    # O_EXCL: never an old file's (perhaps wider) mode; 0600 from creation: never readable by others.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    if not new:
        os.replace(target, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


class CitizenKeys:
    """The ring of a key file, read again when the file changes (`kiosk citizen-key rotate`
    beside a running backend), and the hashes it makes."""

    def __init__(self, path: Path, ring: Ring):
        self.path, self._ring = path, ring
        self._stamp = self._file_stamp()
        self._cache: dict[tuple[int, bytes], str] = {}

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            info = self.path.stat()
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size

    @property
    def ring(self) -> Ring:
        stamp = self._file_stamp()
        if stamp is not None and stamp != self._stamp:
            try:
                self._ring = read_ring(self.path)
            except KeyFileError:
                pass  # half-written by hand: keep the keys we have until it reads again
            self._stamp = stamp
        return self._ring

    def _hash(self, key: CitizenKey, id_number: str) -> str:
        # The cache is found by a quick keyed digest of the number, not the number itself:
        # even the backend's memory (a core dump, swap) holds no ID number it need not.
        slot = (key.number, hmac.new(key.secret, id_number.encode(), hashlib.blake2b).digest())
        found = self._cache.get(slot)
        if found is None:
            found = key.hash(id_number)
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[slot] = found
        return found

    def newest_hash(self, id_number: str) -> str:
        """What new rows keep."""
        return self._hash(self.ring.newest, id_number)

    def all_hashes(self, id_number: str) -> list[str]:
        """What a look-up looks for: the number's hash under each key of the ring."""
        return [self._hash(key, id_number) for key in self.ring.keys]
