"""Each cluster's share of the reconciler's CPU: one learner's sandbox cannot take it from the class.

Every cluster a server process leads runs its loops on the same worker thread (service.py), in turn. A
cluster whose loops never rest (a Job of 2**31 completions keeps creating pods) used to hold that thread
nine tenths of the time, and a fast-forward of it held it for minutes while every other cluster of the
class stood still. A token bucket per cluster now refills SHARE CPU-seconds per wall second, up to
BURST: a lesson's burst of work (a rollout, a hundred pods scheduled) runs at once, while a cluster that
stays busy gets SHARE of a core and falls behind, as an overloaded control plane falls behind.

CPU is measured with time.thread_time(), so time the thread spends waiting (for the database, for the
GIL) is not charged. Simplified: kube-controller-manager has no such budget; its clusters have machines
of their own.
"""

from __future__ import annotations

import time
from typing import Callable

SHARE = 0.25  # CPU-seconds per wall second one cluster's loops may use, once its burst is spent
BURST = 2.0  # CPU-seconds a cluster that has been quiet may use at once


class CpuShare:
    def __init__(self, share: float = SHARE, burst: float = BURST, clock: Callable[[], float] = time.monotonic):
        self.share, self.burst, self.clock = share, burst, clock
        self.balance: dict[int, tuple[float, float]] = {}  # cluster pk -> (CPU-seconds left, when counted)

    def _left(self, pk: int) -> float:
        left, stamp = self.balance.get(pk, (self.burst, self.clock()))
        now = self.clock()
        left = min(self.burst, left + (now - stamp) * self.share)
        self.balance[pk] = (left, now)
        return left

    def allowed(self, pk: int) -> bool:
        """Whether the cluster may run this cycle: it has CPU left in its bucket."""
        return self._left(pk) > 0

    def charge(self, pk: int, seconds: float) -> None:
        left = self._left(pk)
        self.balance[pk] = (left - seconds, self.clock())

    def forget(self, pk: int) -> None:
        self.balance.pop(pk, None)
