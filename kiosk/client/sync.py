"""Bringing the kiosk up to date with the backend: the catalogue, then the outbox; and the
heartbeat that brings the centre's configuration."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from ..domain.terminal import Health, TerminalConfig
from .api import BackendClient
from .errors import BackendError
from .outbox import Outbox, Replay
from .store import CatalogueError, LocalStore, write_catalogue_file

log = logging.getLogger("kiosk.client")


@dataclass
class CatalogueSync:
    changed: bool
    version: str | None
    procedures: int
    bytes_on_wire: int
    seconds: float


async def sync_catalogue(client: BackendClient, store: LocalStore) -> CatalogueSync:
    """Revalidate with the ETag (a 304 costs a request and writes nothing) and apply a new
    catalogue whole.

    Raises the client's errors (offline, ...) or CatalogueError; the kiosk's copy is then unchanged."""
    started = time.monotonic()
    # A catalogue from the bundled snapshot has no ETag of this backend's: download in full.
    fetch = await client.catalogue(store.etag if store.source == "backend" else None)
    if fetch.body is None:
        store.mark_checked()
        changed = False
    else:
        await _write_in_thread(store.path, fetch.body, fetch.etag)
        changed = True
    return CatalogueSync(changed, store.version, len(store), fetch.bytes_on_wire, time.monotonic() - started)


async def _write_in_thread(path: Path, body: bytes, etag: str | None) -> None:
    """Check and write the catalogue in a thread, not on the loop that draws the screen: it
    decodes one procedure at a time, and SQLite lets go of the GIL while it writes, so the loop
    is never held for long. If the awaiting task is cancelled (the app closing), the write is
    stopped and rolled back before the cancellation goes on: nothing writes to the data folder
    after the task has ended."""
    stop = threading.Event()
    writing = asyncio.ensure_future(asyncio.to_thread(write_catalogue_file, path, body, etag, stop))
    try:
        await asyncio.shield(writing)
    except asyncio.CancelledError:
        stop.set()
        with contextlib.suppress(Exception):
            await writing  # stopped at the next procedure, and rolled back
        raise


async def sync_all(client: BackendClient, store: LocalStore, outbox: Outbox) -> tuple[CatalogueSync, Replay]:
    replay = await outbox.replay(client)
    return await sync_catalogue(client, store), replay


async def keep_in_sync(
    client: BackendClient,
    store: LocalStore,
    outbox: Outbox,
    every: float = 300.0,
    on_change: Callable[[CatalogueSync], None] | None = None,
) -> None:
    """The app's periodic sync, as an asyncio task beside the UI: every `every` seconds,
    sooner again after a failure (never faster than every 15 s), until cancelled."""
    wait = every
    while True:
        try:
            catalogue, _ = await sync_all(client, store, outbox)
        except (BackendError, CatalogueError) as error:
            log.info("sync failed (%s); the kiosk keeps catalogue %s", type(error).__name__, store.version)
            wait = min(every, max(15.0, wait / 2))
        else:
            wait = every
            if catalogue.changed and on_change:
                on_change(catalogue)
        await asyncio.sleep(wait)


async def keep_heartbeat(
    client: BackendClient,
    terminal_id: int,
    health: Callable[[], Awaitable[Health]],
    on_config: Callable[[int, TerminalConfig], None],
    every: float = 60.0,
) -> None:
    """Tell the centre how this kiosk is every `every` seconds, and hand on the configuration
    it answers (`on_config(version, config)`), until cancelled. A failed heartbeat is not
    kept: the next one says the same, newer."""
    while True:
        try:
            version, config = await client.heartbeat(terminal_id, await health())
        except BackendError as error:
            log.info("heartbeat failed (%s)", type(error).__name__)
        else:
            on_config(version, config)
        await asyncio.sleep(every)
