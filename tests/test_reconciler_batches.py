"""The reconciler's batches (cluster/reconciler/batch.py): units sharing one commit, bounded in count and time."""

from __future__ import annotations

import time

import pytest

from cluster.reconciler import batch
from cluster.reconciler.batch import Batches
from cluster.reconciler.watchcache import OwnWrites
from cluster.store import HeldRevision


def drain(units_ready: int, fence_wait: float, limit: int = batch.BATCH_UNITS) -> tuple[int, list[int]]:
    """Run `units_ready` units of work; the fence takes `fence_wait` s, as a wait for the write lock does.
    Returns the units run and how many ran in each transaction."""
    left, per_batch = [units_ready], []

    def fence() -> None:
        assert len(per_batch) < 10, f"no progress: {per_batch}"  # batches that run nothing would go on for ever
        per_batch.append(0)
        time.sleep(fence_wait)  # the wait for the lock, before the batch's work

    def unit() -> bool:
        if left[0] == 0:
            return False
        left[0] -= 1
        per_batch[-1] += 1
        return True

    ran = Batches(HeldRevision(), OwnWrites()).drain(unit, max_units=limit * 4, fence=fence)
    return ran, per_batch


@pytest.mark.django_db
@pytest.mark.parametrize(
    "ready, fence_wait, expected",
    [
        (3, 0.0, [3]),  # little work: one transaction
        (70, 0.0, [64, 6]),  # BATCH_UNITS to a commit
        # Waiting for the lock longer than a batch may last is not work: the batch still runs its units.
        (3, 2 * batch.BATCH_SECONDS, [3]),
        (70, 2 * batch.BATCH_SECONDS, [64, 6]),
    ],
)
def test_units_share_commits_and_a_long_wait_for_the_lock_does_not_empty_a_batch(ready, fence_wait, expected):
    ran, per_batch = drain(ready, fence_wait)
    assert ran == ready
    assert per_batch == expected
