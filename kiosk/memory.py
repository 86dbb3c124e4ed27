"""Memory given back between citizens: the app's garbage collected and the C allocator's free
pages returned to the system. No Kivy.

A citizen's journey draws many labels; the text and GL driver's buffers for them come and go,
and glibc keeps the freed pages in the process (47 MB of them after a few journeys, measured
with mallinfo2 in benchmarks/bench_app_memory.py) unless told to give them back."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc


@functools.cache
def _malloc_trim():
    """glibc's malloc_trim, or None on a C library without it."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def tidy_up() -> None:
    """A full garbage collection, then free memory back to the system. Tens of milliseconds:
    call it when nobody waits for the screen."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
