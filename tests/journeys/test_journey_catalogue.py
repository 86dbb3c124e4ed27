"""A new catalogue applied off the UI loop: checked and written to the local store in a thread,
indexed for search in a thread, then swapped in on the loop in one assignment; the same
version not rebuilt."""

import asyncio
import threading
import weakref

from kiosk.backend.sample import synthetic_catalogue
from kiosk.client.api import BackendClient
from kiosk.client import store as store_module
from kiosk.client.store import LocalStore
from kiosk.client.sync import sync_catalogue
from kiosk.journeys import catalogue as journey
from kiosk.journeys.catalogue import CatalogueCache


def test_a_new_catalogue_is_written_and_indexed_off_the_loop(site, tmp_path, monkeypatch):
    loop_thread = threading.get_ident()
    writers, readers = [], []
    write_catalogue, read_catalogue = store_module.write_catalogue, journey.read_catalogue

    def recording_write(*args, **kwargs):
        writers.append(threading.get_ident())
        return write_catalogue(*args, **kwargs)

    def recording_read(*args):
        readers.append(threading.get_ident())
        return read_catalogue(*args)

    store = LocalStore(tmp_path / "catalogue.sqlite3", snapshot=None)
    monkeypatch.setattr(store_module, "write_catalogue", recording_write)
    monkeypatch.setattr(journey, "read_catalogue", recording_read)
    cache = CatalogueCache()

    async def go():
        async with BackendClient(site.url, site.token, retries=1) as client:
            synced = await sync_catalogue(client, store)
        first = await cache.load(store.path)
        again = await cache.load(store.path)
        return synced, first, again

    try:
        synced, first, again = asyncio.run(go())
        assert synced.changed and store.version == synced.version and len(store) == synced.procedures > 100
        assert writers and loop_thread not in writers, "the catalogue was written on the UI loop"
        assert readers and loop_thread not in readers, "the search index was built on the UI loop"
        assert first.version == synced.version and len(first.procedures) == synced.procedures
        assert again is first and cache.loaded is first, "the same version is not read again"
        assert first.index.search("khai sinh", limit=5)

        # A new version in the store: the next load swaps in a new catalogue.
        writer = LocalStore(store.path, snapshot=None)
        writer.apply_parsed({**synthetic_catalogue(50).to_dict(), "version": "synthetic-50"}, etag=None)
        writer.close()
        newer = asyncio.run(cache.load(store.path))
        assert newer is not first and newer.version == "synthetic-50" and len(newer.procedures) == 50
        assert cache.loaded is newer
    finally:
        store.close()


def test_the_old_catalogue_is_let_go_off_the_loop(tmp_path):
    """Freeing a big catalogue takes tens of milliseconds: not on the loop that draws the screen."""
    path = tmp_path / "catalogue.sqlite3"
    store = LocalStore(path, snapshot=None)
    store.apply_parsed({**synthetic_catalogue(30).to_dict(), "version": "one"}, etag=None)
    cache = CatalogueCache()
    freed_in = []

    async def go():
        watch = weakref.ref(await cache.load(path), lambda _: freed_in.append(threading.get_ident()))
        store.apply_parsed({**synthetic_catalogue(40).to_dict(), "version": "two"}, etag=None)
        return threading.get_ident(), watch, await cache.load(path)

    try:
        loop_thread, watch, newer = asyncio.run(go())
    finally:
        store.close()
    assert newer.version == "two" and len(newer.procedures) == 40 and watch() is None
    assert freed_in and loop_thread not in freed_in, "the old catalogue was freed on the loop"
