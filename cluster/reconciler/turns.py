"""Whose turn it is: the component loops with ready keys, taken in a fixed round robin.

kube-controller-manager runs every controller's workers at once, each draining
its own work queue. To replay identically from a seed, the driver runs one unit
of work at a time instead: components take turns in the fixed order of
cluster/components.py (control plane first, then each node's kubelet by node
name), and a turn lasts up to TURN_UNITS keys, as a busy controller's workers
drain their queue before another gets the CPU. `Turns` keeps the sorted
positions of the loops whose queues have ready keys (WorkQueue.on_ready calls
`mark_ready`), so the next loop with work is a bisect away, not a scan of every
kubelet.

Simplified: no concurrency and no fairness beyond the round robin; a paused
component (a kubelet on a node that is down) is passed over.
"""

from __future__ import annotations

import bisect

from cluster.reconciler.component_loop import ComponentLoop

TURN_UNITS = 32  # keys one component may work through before the next one's turn


class Turns:
    """The round robin over the loops, in turn order."""

    def __init__(self) -> None:
        self.order: list[ComponentLoop] = []
        self.ready: list[int] = []  # sorted positions of loops with ready keys
        self.turn = 0  # where the search for the next loop with work starts
        self._current: ComponentLoop | None = None
        self._streak = 0

    def reorder(self, order: list[ComponentLoop]) -> None:
        """Number the loops in turn order (at the start, and when a node comes or goes)."""
        self.order = order
        for position, loop in enumerate(order):
            loop.position = position
        self.ready = sorted(loop.position for loop in order if len(loop.queue))

    def mark_ready(self, loop: ComponentLoop) -> None:
        """The loop's queue has ready keys again."""
        index = bisect.bisect_left(self.ready, loop.position)
        if index == len(self.ready) or self.ready[index] != loop.position:
            self.ready.insert(index, loop.position)

    def has_work(self) -> bool:
        return any(not self.order[p].paused for p in self.ready if len(self.order[p].queue))

    def take(self) -> tuple[ComponentLoop, str | None] | None:
        """The loop whose turn it is, and the key it works on next; None when no loop has work."""
        loop = self._next_loop()
        if loop is None:
            return None
        key = loop.queue.pop()
        if not len(loop.queue):
            self.ready.remove(loop.position)
        return loop, key

    def _next_loop(self) -> ComponentLoop | None:
        """The current loop until it has had TURN_UNITS keys or has none left; then the next with work."""
        current = self._current
        if current is not None and self._streak < TURN_UNITS and len(current.queue) and not current.paused:
            self._streak += 1
            return current
        ready = self.ready
        start = bisect.bisect_left(ready, self.turn)
        for offset in range(len(ready)):
            loop = self.order[ready[(start + offset) % len(ready)]]
            if not loop.paused and len(loop.queue):
                self.turn, self._current, self._streak = loop.position + 1, loop, 1
                return loop
        return None
