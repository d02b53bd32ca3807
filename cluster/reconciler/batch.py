"""Batches: consecutive units of work share one database transaction.

A commit costs more than most units of work, so the driver runs up to
BATCH_UNITS units in one transaction, each unit a savepoint (unit.py), for at
most BATCH_SECONDS of wall time so that other writers to the database are not
kept waiting; on SQLite a batch ends sooner, after the unit under way, when
another writer of this process waits for its turn (cluster/sqlite/base.py), so
a request waits for one unit, not for the rest of the batch. The transaction
opens with the fence: a check that this process still holds the cluster's
lease (lease.py). While it holds the write lock, the revision counter is known
without asking (HeldRevision, cluster/store.py); it is forgotten when the
transaction ends, and a rolled-back batch spoils the watch cache
(watchcache.py), so the next poll reads the store. The batch's steps wait in
the driver's StepSink and go in one insert before the commit (cluster/steps/sink.py).

Upstream has no counterpart: each of kube-controller-manager's writes is a
request of its own and one etcd transaction. Batching is how one process on
one database keeps up with a large cluster.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager, nullcontext
from typing import Callable

from django.db import transaction

from cluster.reconciler.watchcache import OwnWrites
from cluster.sqlite.base import writers_waiting
from cluster.steps.sink import StepSink
from cluster.store import HeldRevision

BATCH_UNITS = 64  # units of work that share one database commit
BATCH_SECONDS = 0.05  # ... for at most this long (wall time), so other writers are not kept waiting


class Batches:
    """Runs a driver's units of work in transactions of up to BATCH_UNITS."""

    def __init__(self, held: HeldRevision, own_writes: OwnWrites, step_sink: StepSink | None = None) -> None:
        self.held = held
        self.own_writes = own_writes
        self.step_sink = step_sink

    def drain(self, unit: Callable[[], bool], max_units: int, fence: Callable[[], None] | None) -> int:
        """Run `unit` until it finds nothing to do (returns False) or `max_units` units ran."""
        units = 0
        while units < max_units:
            done, more = self._batch(unit, min(BATCH_UNITS, max_units - units), fence)
            units += done
            if not more:
                break
        return units

    def _batch(self, unit: Callable[[], bool], limit: int, fence: Callable[[], None] | None) -> tuple[int, bool]:
        """Up to `limit` units in one transaction; whether work may remain."""
        units = 0
        try:
            with transaction.atomic(), self._keeping_steps():
                if fence is not None:
                    fence()
                # The time counts from when the write lock is held (waiting for it is not work), and a
                # batch runs at least one unit: one that waited longer than BATCH_SECONDS would run none,
                # give the lock up and queue for it again, and again.
                started = time.monotonic()
                while units < limit and (units == 0 or not self._should_yield(started)):
                    if not unit():
                        return units, False
                    units += 1
        except BaseException:
            self.own_writes.spoil()  # the batch was rolled back
            raise
        finally:
            self.held.forget()  # the write lock is released with the transaction
        return units, True

    def _keeping_steps(self) -> AbstractContextManager[None]:
        return self.step_sink.until_commit() if self.step_sink is not None else nullcontext()

    @staticmethod
    def _should_yield(started: float) -> bool:
        """Whether the batch has held the write lock long enough, or another writer waits for it."""
        return time.monotonic() - started >= BATCH_SECONDS or writers_waiting()
