"""The kiosk's own SQLite files: an unreadable one is set aside, never fatal."""

from __future__ import annotations

import datetime as dt
import logging
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
