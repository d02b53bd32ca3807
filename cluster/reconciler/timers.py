"""One heap of every work queue's timers, so the driver finds the next due one without a scan.

client-go's delaying queue keeps, per queue, a heap of items waiting for a moment
and a goroutine that wakes when the earliest is due. With a thousand queues (a
kubelet per node) on one virtual clock, the driver keeps a single heap instead:
each queue announces a newly parked moment (WorkQueue.on_timer) and `park` notes
it. An entry may be stale (the key fired, was processed, or was parked earlier
again), so `next_due` checks it against the queue's own earliest timer. The
timers of a paused component (a kubelet on a node that is down) are held until
it resumes.

Simplified: nothing wakes on its own; timers fire when the driver calls `fire`
with the virtual time (realtime ticks, step mode, fast-forward: modes.py).
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools

from cluster.reconciler.component_loop import ComponentLoop


class Timers:
    """The due moments of every loop's parked keys, earliest first."""

    def __init__(self) -> None:
        self._heap: list[tuple[dt.datetime, int, ComponentLoop]] = []
        self._ids = itertools.count()
        self._held: set[ComponentLoop] = set()  # paused loops with timers parked

    def park(self, loop: ComponentLoop, due: dt.datetime) -> None:
        """Note that `loop`'s queue has a key due at `due`."""
        heapq.heappush(self._heap, (due, next(self._ids), loop))

    def fire(self, now: dt.datetime) -> None:
        """Make every key due by `now` ready in its queue; a paused loop's keys wait for it."""
        for loop in [loop for loop in self._held if not loop.paused]:  # resumed: its timers are due again
            self._held.discard(loop)
            loop.queue.fire(now)
            if (due := loop.queue.next_due()) is not None:
                self.park(loop, due)
        while self._heap and self._heap[0][0] <= now:
            _due, _id, loop = heapq.heappop(self._heap)
            if loop.paused:
                self._held.add(loop)  # a stopped kubelet's timers wait for it
            else:
                loop.queue.fire(now)

    def next_due(self) -> dt.datetime | None:
        """The earliest moment a loop that is not paused has a key due; None when there is none."""
        while self._heap:
            due, _id, loop = self._heap[0]
            actual = loop.queue.next_due()
            if loop.paused or actual is None or actual > due:
                heapq.heappop(self._heap)  # stale: fired, forgotten, superseded, or its loop is paused
                if loop.paused and actual is not None:
                    self._held.add(loop)
                elif actual is not None and actual > due:
                    self.park(loop, actual)
                continue
            return due
        return None
