"""Short-lived results shared by every request of one application (waitress serves it with threads).

The dashboard and the ledger are the pages everyone keeps open, and their figures are the same for all
staff. Entries live a few seconds; changes made by the sweep, a crawl or another user show within that
time. A user who has just changed something sees it at once: their write is noted (``note_write``), and
an entry computed before it is not good enough for them — their request computes the page afresh, and
the fresh result is shared. (Dropping every entry on every write instead made the cache useless on a
busy day: with a grade confirmed every few seconds, every dashboard view recomputed.)

When an entry expires, one request recomputes it while the others keep getting the previous value, so a
busy office never waits for the same query eight times at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

T = TypeVar("T")
MAX_ENTRIES = 1000
#: a noted write is forgotten after this long: every entry computed before it has expired by then
FORGET_WRITES_AFTER = 600.0
_NEVER = float("-inf")


@dataclass
class _Entry:
    started: float  # when its computation began: it reflects every write noted before then
    expires: float
    value: Any


@dataclass
class _Flight:
    started: float
    done: threading.Event = field(default_factory=threading.Event)


class PageCache:
    def __init__(self, timer: Callable[[], float] = time.monotonic) -> None:
        self._data: dict[Any, _Entry] = {}
        self._flights: dict[Any, _Flight] = {}
        self._writes: dict[Hashable, float] = {}
        self._lock = threading.Lock()
        self._timer = timer

    def get_or(self, key: Any, ttl: float, compute: Callable[[], T], reader: Hashable | None = None) -> T:
        """The cached value of ``key``, or ``compute()``'s. ``reader``: who asks (a user id); a value
        computed before that reader's last noted write is not returned to them."""
        with self._lock:
            now = self._timer()
            need = self._writes.get(reader, _NEVER) if reader is not None else _NEVER
            entry = self._data.get(key)
            usable = entry is not None and entry.started > need
            if entry is not None and usable and entry.expires > now:
                return cast(T, entry.value)
            flight = self._flights.get(key)
            if flight is not None and entry is not None and usable:
                return cast(T, entry.value)  # someone is refreshing it: the previous value will do
            if flight is not None and flight.started > need:
                leader = False
            else:  # nothing computing, or only a computation that began before this reader's write
                flight = self._flights[key] = _Flight(now)
                leader = True
        if not leader:
            flight.done.wait(timeout=30)
            with self._lock:
                entry = self._data.get(key)
            return cast(T, entry.value) if entry is not None and entry.started > need else compute()
        try:
            value = compute()
            with self._lock:
                current = self._data.get(key)
                if current is None or current.started <= flight.started:
                    if len(self._data) >= MAX_ENTRIES:
                        self._data.clear()
                    self._data[key] = _Entry(flight.started, self._timer() + ttl, value)
            return value
        finally:
            with self._lock:
                if self._flights.get(key) is flight:
                    del self._flights[key]
            flight.done.set()

    def note_write(self, reader: Hashable) -> None:
        """``reader`` has just changed data: their next reads must not be older than now."""
        with self._lock:
            now = self._timer()
            self._writes[reader] = now
            if len(self._writes) > MAX_ENTRIES:
                self._writes = {k: t for k, t in self._writes.items() if now - t < FORGET_WRITES_AFTER}
