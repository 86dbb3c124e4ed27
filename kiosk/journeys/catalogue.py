"""The local catalogue as the procedure screens use it: read, and its search index built, in a
thread; the result swapped in on the UI loop in one assignment. Nothing of it runs on the
loop that draws the screen: 10,000 procedures take a quarter of a second and more to read
and index."""

from __future__ import annotations

import asyncio
import gc
from dataclasses import dataclass
from pathlib import Path

from ..client.search import SearchIndex
from ..client.store import LocalStore
from ..domain.procedure import Field, Level, Procedure


@dataclass(frozen=True)
class Loaded:
    """One version of the local catalogue, read once and shared by the procedure screens."""

    version: str | None
    levels: list[Level]
    fields: dict[str, Field]
    procedures: dict[str, Procedure]
    index: SearchIndex


def read_catalogue(path: Path, known: Loaded | None) -> Loaded:
    """Runs in a thread: SQLite blocks, and the search index takes a while to build. A
    connection of its own, since SQLite connections stay in the thread that opened them."""
    store = LocalStore(path, snapshot=None)
    try:
        version = store.version
        if known is not None and known.version == version:
            return known
        procedures = store.procedures()
        return Loaded(
            version=version,
            levels=sorted(store.levels(), key=lambda level: level.rank),
            fields={field.code: field for field in store.fields()},
            procedures={p.code: p for p in procedures},
            index=SearchIndex(procedures),
        )
    finally:
        store.close()


class CatalogueCache:
    """The catalogue of one local store, rebuilt only when its version changed."""

    def __init__(self) -> None:
        self.loaded: Loaded | None = None
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def load(self, path: Path) -> Loaded:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a lock belongs to one loop (tests run several)
            self._lock, self._loop = asyncio.Lock(), loop
        async with self._lock:  # two screens asking at once build it once
            known = self.loaded
            # No collection while a hundred thousand objects are made: each full one would walk
            # them all holding the GIL, a stall of the screen's loop too. Frozen below instead.
            collecting = gc.isenabled()
            gc.disable()
            try:
                fresh = await asyncio.to_thread(read_catalogue, path, known)
            finally:
                if collecting:
                    gc.enable()
            if fresh is not known:
                self.loaded = fresh  # the swap, on the loop: screens see the old one or the new one
                # The catalogue lives as long as the app: out of the collector's way, else each
                # full collection walks thousands of procedures (0.4 s stalls while typing). No
                # gc.collect() first: that full collection would stall the screen itself, and
                # what it would free is freed by reference counting all the same.
                gc.freeze()
                # The old version is let go of in a thread: freeing 10,000 procedures and their
                # index takes some 40 ms, a stall of the screen if done here.
                old = [known]
                del known
                await asyncio.to_thread(old.clear)
        return self.loaded


CATALOGUE = CatalogueCache()
"""The app's one catalogue."""


@dataclass(frozen=True)
class Choice:
    """One choice of the step a citizen is at in the catalogue: a level, a field, a procedure."""

    step: str
    """"level", "field" or "procedure"."""
    code: str
    name: str
    name_en: str = ""
    count: int = 0
    """How many procedures a level or a field holds (at the level chosen)."""


def choices(catalogue: Loaded, level: str = "", field: str = "") -> list[Choice]:
    """The levels, before a choice; a level's fields that have procedures there, the fullest
    first; a field's procedures at that level, by name. The screen shows them, and reads the
    first few aloud."""
    if not level:
        return [Choice("level", x.code, x.name, x.name_en, sum(x.code in p.levels for p in catalogue.procedures.values()))
                for x in catalogue.levels]
    here = [p for p in catalogue.procedures.values() if level in p.levels]
    if not field:
        counts: dict[str, int] = {}
        for p in here:
            counts[p.field] = counts.get(p.field, 0) + 1
        fields = [(catalogue.fields.get(code) or Field(code, code, ""), n)
                  for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
        return [Choice("field", field.code, field.name, field.name_en, n) for field, n in fields]
    return [Choice("procedure", p.code, p.name) for p in sorted((p for p in here if p.field == field), key=lambda p: p.name)]
