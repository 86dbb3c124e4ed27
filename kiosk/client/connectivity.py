"""Whether the backend can be reached: online, degraded or offline, and since when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from ..domain.calendar import now

ONLINE, DEGRADED, OFFLINE = "online", "degraded", "offline"
SLOW_SECONDS = 3.0
"""An answer slower than this makes the link degraded."""
FAILURES_TO_OFFLINE = 2


class Connectivity:
    """Observed by the UI (`subscribe`); fed by every call the client makes."""

    def __init__(self, clock: Callable[[], dt.datetime] = now):
        self.clock = clock
        self.state = OFFLINE
        self.since = clock()
        self.failures = 0
        self._listeners: list[Callable[[str, dt.datetime], None]] = []

    def subscribe(self, listener: Callable[[str, dt.datetime], None]) -> None:
        self._listeners.append(listener)

    def _become(self, state: str) -> None:
        if state != self.state:
            self.state, self.since = state, self.clock()
            for listener in self._listeners:
                listener(state, self.since)

    def succeeded(self, seconds: float) -> None:
        self.failures = 0
        self._become(DEGRADED if seconds > SLOW_SECONDS else ONLINE)

    def failed(self) -> None:
        """A call could not reach the backend, timed out, or met a server error."""
        self.failures += 1
        self._become(OFFLINE if self.failures >= FAILURES_TO_OFFLINE else DEGRADED)
