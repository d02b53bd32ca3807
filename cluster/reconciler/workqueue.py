"""client-go's workqueue for one component, on virtual time.

A key waiting in the queue is there once however often it is added (the
queue deduplicates), keys come out first-in first-out, and `add_after` parks a
key until a virtual moment — how a reconcile's `requeue_after` comes back.
Processing a key replaces its parked timer, so a requeue is never doubled.
"""
from __future__ import annotations

import datetime as dt
import heapq
import itertools


class WorkQueue:
    def __init__(self) -> None:
        self.ready: dict[str, None] = {}  # insertion-ordered: FIFO, deduplicated
        self.timers: dict[str, dt.datetime] = {}
        self._heap: list[tuple[dt.datetime, int, str]] = []
        self._counter = itertools.count()

    def __len__(self) -> int:
        return len(self.ready)

    def add(self, key: str) -> None:
        self.ready.setdefault(key, None)

    def add_after(self, key: str, due: dt.datetime) -> None:
        current = self.timers.get(key)
        if current is not None and current <= due:
            return
        self.timers[key] = due
        heapq.heappush(self._heap, (due, next(self._counter), key))

    def forget_timer(self, key: str) -> None:
        self.timers.pop(key, None)

    def pop(self) -> str | None:
        if not self.ready:
            return None
        key = next(iter(self.ready))
        del self.ready[key]
        return key

    def fire(self, now: dt.datetime) -> int:
        """Move every timer due by `now` to the ready keys, earliest first."""
        fired = 0
        while self._heap and self._heap[0][0] <= now:
            due, _, key = heapq.heappop(self._heap)
            if self.timers.get(key) != due:
                continue  # superseded by an earlier timer or forgotten
            del self.timers[key]
            self.add(key)
            fired += 1
        return fired

    def next_due(self) -> dt.datetime | None:
        while self._heap and self.timers.get(self._heap[0][2]) != self._heap[0][0]:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def clear(self) -> None:
        self.ready.clear()
        self.timers.clear()
        self._heap.clear()
