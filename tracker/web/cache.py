"""Short-lived results shared by every request of one application (waitress serves it with threads).

The dashboard is the page everyone keeps open, and its figures are the same for all staff. Entries live a
few seconds. Every write through the web drops them all, so a user sees their own change at once; changes
made by the sweep or a crawl show within the time to live.

When an entry expires, one request recomputes it while the others keep getting the previous value, so a
busy office never waits for the same query eight times at once. After a write there is no previous value:
the other requests wait for the one computing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

T = TypeVar("T")
MAX_ENTRIES = 1000


@dataclass
class _Entry:
    expires: float
    value: Any


@dataclass
class _Flight:
    done: threading.Event = field(default_factory=threading.Event)


class PageCache:
    def __init__(self, timer: Callable[[], float] = time.monotonic) -> None:
        self._data: dict[Any, _Entry] = {}
        self._flights: dict[Any, _Flight] = {}
        self._generation = 0
        self._lock = threading.Lock()
        self._timer = timer

    def get_or(self, key: Any, ttl: float, compute: Callable[[], T]) -> T:
        with self._lock:
            entry = self._data.get(key)
            if entry is not None and entry.expires > self._timer():
                return cast(T, entry.value)
            flight = self._flights.get(key)
            if flight is not None and entry is not None:
                return cast(T, entry.value)  # someone is refreshing it: the previous value will do
            if flight is None:
                flight = self._flights[key] = _Flight()
                leader, generation = True, self._generation
            else:
                leader = False
        if not leader:
            flight.done.wait(timeout=30)
            with self._lock:
                entry = self._data.get(key)
            return cast(T, entry.value) if entry is not None else compute()
        try:
            value = compute()
            with self._lock:
                if generation == self._generation:  # not computed from data a later write changed
                    if len(self._data) >= MAX_ENTRIES:
                        self._data.clear()
                    self._data[key] = _Entry(self._timer() + ttl, value)
            return value
        finally:
            with self._lock:
                self._flights.pop(key, None)
            flight.done.set()

    def invalidate(self) -> None:
        with self._lock:
            self._data.clear()
            self._generation += 1
