"""One component with its work queue: a controller as kube-controller-manager runs it.

Upstream each controller owns a client-go rate-limited work queue; its informers'
event handlers add keys to it and its workers drain it. Here the driver delivers
the events (routing.py) and takes the turns (turns.py); a ComponentLoop keeps only
what belongs to one loop: the component, its queue, its place in the round robin,
and a count of the writes it made, which tells fast-forward whether anything is
still happening (heartbeats and Events do not count, see modes.py).

Simplified: one worker per component (no --concurrent-*-syncs), and the queue is
one of this package's (workqueue.py), on the cluster's virtual clock; a component
with a sorted queue (kube-scheduler) has its keys ranked as they are queued.
"""

from __future__ import annotations

import datetime as dt

from cluster.component import Component
from cluster.reconciler.workqueue import WorkQueue

# Writes that do not count as activity when fast-forwarding until settled: heartbeats, and
# Events (an observation repeated on every resync, e.g. a claim waiting for its first consumer).
QUIET_RESOURCES = ("leases", "events")


class ComponentLoop:
    """One component with its work queue."""

    def __init__(self, component: Component, name: str) -> None:
        self.component = component
        self.name = name
        self.queue = WorkQueue(rank=component.queue_rank if component.sorted_queue else None)
        self.writes = 0
        self.position = 0  # its place in the round robin
        component.api.add_observer(self._count_write)

    def _count_write(self, kind: str, detail: dict) -> None:
        if kind == "write" and detail["resource"].plural not in QUIET_RESOURCES:
            self.writes += 1

    @property
    def paused(self) -> bool:
        return self.component.paused

    def enqueue(self, key: str) -> None:
        """A key a watch event (or a list) asks for: ready now, or after the component's event delay."""
        delay = self.component.event_delay
        if delay is None:
            self.queue.add(key)
        else:
            self.queue.add_after(key, self.component.api.now() + dt.timedelta(seconds=delay))

    def housekeeping(self, key: str) -> bool:
        return self.component.is_housekeeping(key)

    def selector(self, resource: str) -> tuple[str, str] | None:
        return self.component.field_selector(resource)
