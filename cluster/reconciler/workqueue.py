"""client-go's workqueue for one component, on virtual time.

A key waiting in the queue is there once however often it is added (the
queue deduplicates), keys come out first-in first-out, and `add_after` parks a
key until a virtual moment — how a reconcile's `requeue_after` comes back.
Processing a key replaces its parked timer, so a requeue is never doubled.
The driver passes two callbacks so it can keep, across a thousand queues, the
set of queues with ready keys and one heap of their timers.

A component may sort its queue instead (`rank`): kube-scheduler's activeQ is a heap
ordered by its QueueSort plugin, PrioritySort — the pod of higher priority first, and
among equals the one queued first. With a rank, ready keys come out highest rank
first, and in the order they were added among equal ranks.

A failed reconcile comes back through `add_rate_limited`, after a per-key
exponential back-off (client-go's ItemExponentialFailureRateLimiter, as
sample-controller's processNextWorkItem uses it); `forget` resets the key's
count after a reconcile that succeeded.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from typing import Callable


# client-go's DefaultControllerRateLimiter backs off from 5 ms to 1000 s. Here the first retry
# waits one virtual second, as every control loop here always has: a learner stepping through a
# conflict sees one retry, not a burst of them. Each further failure of the key doubles the wait.
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 1000.0


class ItemExponentialBackoff:
    """ItemExponentialFailureRateLimiter: base × 2^(failures so far), capped; per key."""

    def __init__(self, base: float = BACKOFF_BASE_SECONDS, cap: float = BACKOFF_MAX_SECONDS) -> None:
        self.base, self.cap = base, cap
        self.failures: dict[str, int] = {}

    def when(self, key: str) -> float:
        """The delay before the key's next try, counting this failure."""
        exponent = self.failures.get(key, 0)
        self.failures[key] = exponent + 1
        return min(self.base * 2.0**exponent, self.cap)

    def forget(self, key: str) -> None:
        self.failures.pop(key, None)

    def retries(self, key: str) -> int:
        return self.failures.get(key, 0)


class WorkQueue:
    def __init__(
        self,
        on_ready: Callable[[], None] | None = None,
        on_timer: Callable[[dt.datetime], None] | None = None,
        rank: Callable[[str], int] | None = None,
    ) -> None:
        self.on_ready = on_ready  # called when the queue goes from empty to not empty
        self.on_timer = on_timer  # called with each newly parked due time
        self.ready: dict[str, None] = {}  # insertion-ordered: FIFO, deduplicated
        self.rank = rank  # None: first in, first out; else the key of highest rank first
        self._sorted: list[tuple[int, int, str]] = []  # with a rank: (-rank, arrival, key) of each ready key
        self.timers: dict[str, dt.datetime] = {}
        self._heap: list[tuple[dt.datetime, int, str]] = []
        self._counter = itertools.count()
        self.backoff = ItemExponentialBackoff()

    def add_rate_limited(self, key: str, now: dt.datetime) -> float:
        """AddRateLimited: park the key for its back-off after a failure; the delay, in seconds."""
        delay = self.backoff.when(key)
        self.add_after(key, now + dt.timedelta(seconds=delay))
        return delay

    def forget(self, key: str) -> None:
        """Forget: the key succeeded, so its next failure starts the back-off afresh."""
        if self.backoff.failures:
            self.backoff.forget(key)

    def __len__(self) -> int:
        return len(self.ready)

    def add(self, key: str) -> None:
        if key in self.ready:
            return
        self.ready[key] = None
        if self.rank is not None:
            heapq.heappush(self._sorted, (-self.rank(key), next(self._counter), key))
        if len(self.ready) == 1 and self.on_ready is not None:
            self.on_ready()

    def add_after(self, key: str, due: dt.datetime) -> None:
        current = self.timers.get(key)
        if current is not None and current <= due:
            return
        self.timers[key] = due
        heapq.heappush(self._heap, (due, next(self._counter), key))
        if self.on_timer is not None:
            self.on_timer(due)

    def forget_timer(self, key: str) -> None:
        self.timers.pop(key, None)

    def pop(self) -> str | None:
        if not self.ready:
            return None
        if self.rank is None:
            key = next(iter(self.ready))
        else:
            key = heapq.heappop(self._sorted)[2]
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
        self._sorted.clear()
        self.timers.clear()
        self._heap.clear()
        self.backoff.failures.clear()
