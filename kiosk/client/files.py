"""The kiosk's own files: an unreadable database is set aside, never fatal; a small file is
replaced whole or not at all."""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import logging
import os
import stat
import tempfile
from pathlib import Path

log = logging.getLogger("kiosk.client")


def move_aside(path: Path, error: Exception) -> Path:
    """Move an unreadable database out of the way (kept for staff) so a new one can start.

    Its -wal and -shm files go too: left beside a new database, SQLite would try to
    apply the old file's journal to it."""
    aside = path.with_name(f"{path.name}.corrupt-{dt.datetime.now():%Y%m%d-%H%M%S}")
    log.warning("%s is unreadable (%s); moved to %s and started anew", path, error, aside.name)
    path.replace(aside)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return aside


def write_atomically(path: str | os.PathLike[str], data: bytes, mode: int | None = None) -> None:
    """Replace the file at `path` with `data` so that a kill or a power cut at any moment
    leaves the old file or the new one, whole: never an empty or half-written file.

    The data goes to a temporary file in the same folder (a rename is atomic only within one
    file system), which is flushed to the disk before it is renamed over the file; then the
    folder is flushed, so that the rename itself is on the disk. `mode` is the new file's
    mode; by default the old file's, or 0600 for a new one. A symbolic link is followed:
    the file it points to is replaced, not the link.

    A write killed half-way leaves its temporary file (".NAME.XXXXXXXX.tmp") behind; the
    next write to the same file removes it. So two writes to one file must not run at
    the same time: the later could remove the earlier's temporary file, which then fails
    with OSError (the file stays whole either way).
    """
    path = Path(os.path.realpath(path))
    folder = path.parent
    for stray in glob.glob(os.path.join(glob.escape(str(folder)), f".{glob.escape(path.name)}.*.tmp")):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(stray)
    if mode is None:
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            mode = 0o600
    descriptor, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with open(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    folder_descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder_descriptor)
    finally:
        os.close(folder_descriptor)
