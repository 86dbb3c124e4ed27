"""Bringing the kiosk up to date with the backend: the catalogue, then the outbox; and the
heartbeat that brings the centre's configuration."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..domain.terminal import Health, TerminalConfig
from .api import BackendClient
from .errors import BackendError
from .outbox import Outbox, Replay
from .store import CatalogueError, LocalStore, parse_catalogue
from .worker import WorkerDied, in_worker_process

log = logging.getLogger("kiosk.client")


@dataclass
class CatalogueSync:
    changed: bool
    version: str | None
    procedures: int
    bytes_on_wire: int
    seconds: float


async def sync_catalogue(client: BackendClient, store: LocalStore) -> CatalogueSync:
    """Revalidate with the ETag (a 304 costs almost nothing) and apply a new catalogue whole.

    Raises the client's errors (offline, ...) or CatalogueError; the kiosk's copy is then unchanged."""
    started = time.monotonic()
    # A catalogue from the bundled snapshot has no ETag of this backend's: download in full.
    fetch = await client.catalogue(store.etag if store.source == "backend" else None)
    if fetch.body is None:
        store.mark_checked()
        changed = False
    else:
        # Checking and writing 10,000 procedures takes a second: not on the loop that draws the
        # screen, and not in a thread of its process either, where json.loads holds the GIL for
        # a quarter of a second at a time: in a worker process, which writes the store itself.
        try:
            await in_worker_process(_apply, store.path, fetch.body, fetch.etag)
        except WorkerDied as error:
            raise CatalogueError(f"the catalogue was not applied: {error}") from None
        changed = True
    return CatalogueSync(changed, store.version, len(store), fetch.bytes_on_wire, time.monotonic() - started)


def _apply(path, body: bytes, etag: str | None) -> None:
    """Runs in a worker process, with a connection of its own: the store's own connection
    sees the new catalogue once this one commits. CatalogueError comes back to the caller."""
    catalogue = parse_catalogue(body)
    writer = LocalStore(path, snapshot=None)
    try:
        writer.apply_parsed(catalogue, etag)
    finally:
        writer.close()


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
