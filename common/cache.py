"""A small thread-safe cache with a size bound (least recently used goes first) and an idle expiry."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LruTtlCache(Generic[K, V]):
    """At most ``max_entries`` values; one not used for ``idle_s`` seconds is gone."""

    def __init__(self, max_entries: int, idle_s: float, clock: Callable[[], float] = time.monotonic):
        if max_entries < 1 or idle_s <= 0:
            raise ValueError("a cache needs room for one entry and a positive idle time")
        self.max_entries, self.idle_s, self._clock = max_entries, idle_s, clock
        self._entries: OrderedDict[K, tuple[V, float]] = OrderedDict()  # oldest use first
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        now = self._clock()
        with self._lock:
            self._expire(now)
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries[key] = (entry[0], now)
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: K, value: V) -> None:
        now = self._clock()
        with self._lock:
            self._entries[key] = (value, now)
            self._entries.move_to_end(key)
            self._expire(now)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._entries)

    def _expire(self, now: float) -> None:
        """Drop the entries idle for too long (the oldest are first, so stop at the first fresh one)."""
        while self._entries:
            key, (_, used) = next(iter(self._entries.items()))
            if now - used < self.idle_s:
                return
            del self._entries[key]
