"""processNextWorkItem: one reconcile of one key as a unit of work, and what becomes of the key.

sample-controller's worker pops a key, calls its syncHandler, and on an error
requeues the key rate-limited (AddRateLimited), else Forgets it; a sync that
asks to look again later re-adds the key after a delay (AddAfter). Here the
driver is the only error handler: a component lets a refused request (a stale
read's 409, an object gone meanwhile's 404, a quota's 403) propagate, and the
key comes back after its exponential back-off (workqueue.py). Each reconcile is
a unit of work (unit.py): a bug in one component undoes only that unit's writes.

Simplified: one worker, called by the driver; requeue_after is in virtual
seconds. An unexpected exception (a bug) is logged, its unit undone and the key
retried like a refusal, where upstream the panic would crash the process.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Callable

from cluster import steps
from cluster.apiserver.errors import StatusError
from cluster.reconciler.component_loop import ComponentLoop
from cluster.reconciler.unit import unit_of_work
from cluster.reconciler.watchcache import OwnWrites
from cluster.store import HeldRevision

log = logging.getLogger(__name__)


def process(
    loop: ComponentLoop, key: str, held: HeldRevision, own_writes: OwnWrites, now: Callable[[], dt.datetime]
) -> dt.datetime | None:
    """Reconcile one key; on an error, requeue it rate-limited, else forget it (and re-add it after).

    Returns the virtual moment the unit ended if it counts as activity: it wrote
    something besides heartbeats and Events, for a key that is not housekeeping.
    """
    writes = loop.writes
    loop.queue.forget_timer(key)
    requeue, failed = _reconcile(loop, key, held, own_writes)
    moment = now()
    if failed:
        loop.queue.add_rate_limited(key, moment)
    else:
        loop.queue.forget(key)
        if requeue is not None:
            loop.queue.add_after(key, moment + dt.timedelta(seconds=requeue))
    if loop.writes != writes and not loop.housekeeping(key):
        return moment
    return None


def _reconcile(loop: ComponentLoop, key: str, held: HeldRevision, own_writes: OwnWrites) -> tuple[float | None, bool]:
    """The unit of work: the reconcile's requeue_after, and whether it failed."""
    requeue: float | None = None
    failed = False
    # A unit is all or nothing: inside a batch (batch.py) it is a savepoint, so a
    # component's bug undoes only its own unit. A request refused with a StatusError
    # has written nothing (cluster/apiserver/server.py), so the unit's other writes stay.
    with unit_of_work(held, loop.component.api.hooks.step_sink) as unit:
        try:
            requeue = loop.component.reconcile(key).requeue_after
        except StatusError as err:
            log.info("%s: %s: %s", loop.name, key, err.message)
            failed = True
        except Exception:  # a bug in one component must not stop the others
            log.exception("%s failed to reconcile %s", loop.name, key)
            unit.rollback()
            own_writes.spoil()
            failed = True
        finally:
            steps.flush(loop.component.api)
    return requeue, failed
