"""Writes the catalogue snapshot that the kiosk starts with when it has never reached a
backend (kiosk/client/snapshot.json.gz), from the sample site.

    python -m kiosk.backend.snapshot
"""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

from .sample import sample_catalogue
from .store import BackendStore

# The client's file; written here so that the client never needs the backend's code.
SNAPSHOT = Path(__file__).resolve().parent.parent / "client" / "snapshot.json.gz"


def build_snapshot() -> bytes:
    """The sample site's catalogue exactly as the backend serves it."""
    with tempfile.TemporaryDirectory() as folder:
        store = BackendStore(Path(folder) / "snapshot.sqlite3")
        store.replace_catalogue(sample_catalogue())
        data = store.catalogue_json()
        store.close()
    return data


def main() -> None:
    # mtime=0 keeps the file the same byte for byte when the catalogue is the same.
    SNAPSHOT.write_bytes(gzip.compress(build_snapshot(), 9, mtime=0))
    print(f"wrote {SNAPSHOT} ({SNAPSHOT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
