"""The reconciler inside the ASGI server: an asyncio task that drives every cluster it leads.

Each cycle (sync code run through `sync_to_async` in a worker thread, so the
event loop keeps serving requests): take or renew the lease of every cluster
(renew every 5 s, retry others every 2 s), build a driver for each newly led
cluster (it relists: nothing is carried over from a previous holder), and let
each driver work according to its mode, within its share of the thread's CPU
(fairness.py); a fast-forward runs in slices of FAST_FORWARD_SLICE units, so
the other clusters take their turns between them. The task sleeps until the
next timer is due in wall time, at most 0.25 s so that new requests are noticed quickly.

Started by web/asgi.py (see README, "How the control loops run").
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from typing import Callable

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from cluster import idle
from cluster.models import Cluster, ReconcilerLease
from cluster.reconciler import control, fairness, lease, wakeup
from cluster.reconciler.driver import ClusterDriver

log = logging.getLogger(__name__)
MAX_SLEEP = 0.25
MIN_SLEEP = 0.02
COMPACT_EVERY_SECONDS = 300.0  # kube-apiserver's --etcd-compaction-interval
LEASE_CHECK_EVERY_SECONDS = 1.0  # etcd's lessor looks for expired leases every 500 ms
IDLE_CHECK_EVERY_SECONDS = 60.0
GC_EVERY_SECONDS = 3600.0
FAST_FORWARD_SLICE = 2_000  # units of one cluster's fast-forward between two turns of the others
FAST_FORWARD_UNITS = 200_000  # a fast-forward that has not settled by then stops (a cluster that never rests)


class Reconciler:
    def __init__(self, holder: str | None = None) -> None:
        self.holder = holder or lease.new_holder_id()
        self.drivers: dict[int, ClusterDriver] = {}
        self.renewed: dict[int, float] = {}
        self.cpu = fairness.CpuShare()
        self.forwarded: dict[int, int] = {}  # units each cluster's fast-forward has run so far
        self.last_scan = 0.0
        self.stopping = False
        self.last_compaction = self.last_idle_check = self.last_gc = self.last_lease_check = time.monotonic()

    # -- leases -----------------------------------------------------------------
    def manage_leases(self, monotonic: float) -> None:
        if monotonic - self.last_scan < lease.RETRY_PERIOD and all(
            monotonic - self.renewed.get(pk, 0) < lease.RENEW_PERIOD for pk in self.drivers
        ):
            return
        self.last_scan = monotonic
        lease.heartbeat(self.holder)
        alive = set(Cluster.objects.filter(sleeping_since__isnull=True).values_list("pk", flat=True))
        for pk in list(self.drivers):
            if pk not in alive:  # deleted, or asleep: let it go
                self.drivers.pop(pk)
                lease.release(pk, self.holder)
        share = lease.fair_share(len(alive))
        for pk in sorted(self.drivers, reverse=True)[: max(0, len(self.drivers) - share)]:
            self.drivers.pop(pk)  # another worker came up: hand it our surplus, newest first
            lease.release(pk, self.holder)
            log.info("%s hands cluster %s over to share the work", self.holder, pk)
        for pk in sorted(alive):
            held = pk in self.drivers
            if held and monotonic - self.renewed.get(pk, 0) < lease.RENEW_PERIOD:
                continue
            if not held and len(self.drivers) >= share:
                continue  # our share is full: leave new clusters to the other workers
            if lease.try_acquire(pk, self.holder):
                self.renewed[pk] = monotonic
                if not held:
                    self.drivers[pk] = ClusterDriver(Cluster.objects.get(pk=pk), fence=self._fence(pk))
                    log.info("%s now drives cluster %s", self.holder, pk)
            elif held:
                self.drivers.pop(pk)  # someone took over while we stalled
                log.warning("%s lost the lease of cluster %s", self.holder, pk)

    def _fence(self, pk: int) -> Callable[[], None]:
        return lambda: lease.assert_held(pk, self.holder)

    def housekeeping(self, monotonic: float) -> None:
        """Sleep idle clusters, expire leases (old Events), compact history, delete abandoned sandboxes — each on
        its own period."""
        if monotonic - self.last_idle_check >= IDLE_CHECK_EVERY_SECONDS:
            self.last_idle_check = monotonic
            for pk in idle.idle_clusters():
                if pk in self.drivers:
                    idle.put_to_sleep(self.drivers[pk].cluster)
        if monotonic - self.last_lease_check >= LEASE_CHECK_EVERY_SECONDS:
            self.last_lease_check = monotonic
            for driver in list(self.drivers.values()):
                driver.api.expire_leases()
        if monotonic - self.last_compaction >= COMPACT_EVERY_SECONDS:
            self.last_compaction = monotonic
            for driver in list(self.drivers.values()):
                driver.api.compact(settings.KUBECLASS_HISTORY_REVISIONS)
        if monotonic - self.last_gc >= GC_EVERY_SECONDS:
            self.last_gc = monotonic
            for name in idle.collect():
                log.info("deleted sandbox %s: unused for %s days", name, settings.KUBECLASS_SANDBOX_DAYS)

    def cycle(self) -> float:
        """Lease upkeep plus one round of work for every led cluster; seconds to sleep."""
        self.housekeeping(time.monotonic())
        self.manage_leases(time.monotonic())
        sleep = MAX_SLEEP
        modes = dict(
            ReconcilerLease.objects.filter(cluster_id__in=list(self.drivers)).values_list("cluster_id", "mode")
        )
        for pk, driver in list(self.drivers.items()):
            if not self.cpu.allowed(pk):
                continue  # its share of the thread is spent for now: it waits, the others run
            started = time.thread_time()
            try:
                sleep = min(sleep, self.drive(driver, modes.get(pk, "realtime")))
            except lease.LeaseLost as lost:  # fenced off: another worker drives it now
                self.drivers.pop(pk, None)
                log.warning("%s stops driving cluster %s: %s", self.holder, pk, lost)
            except Exception:  # one broken cluster must not stop the others
                log.exception("driving cluster %s failed", pk)
            finally:
                self.cpu.charge(pk, time.thread_time() - started)
        return max(MIN_SLEEP, sleep)

    def drive(self, driver: ClusterDriver, mode: str) -> float:
        if mode == "step":
            control.serve_steps(driver)
            return MAX_SLEEP
        if mode == "fast-forward":
            self.fast_forward_slice(driver)
            return MIN_SLEEP
        driver.refresh_clock()
        if driver.cluster.speed <= 0:
            return MAX_SLEEP  # paused: the clock and the loops stand still until play or step
        return driver.tick()

    def fast_forward_slice(self, driver: ClusterDriver) -> None:
        """One slice of a fast-forward; back to realtime once the cluster settles, or after FAST_FORWARD_UNITS."""
        pk = driver.cluster.pk
        summary = driver.fast_forward(max_units=FAST_FORWARD_SLICE)
        self.forwarded[pk] = self.forwarded.get(pk, 0) + summary.units
        if summary.settled or summary.units < FAST_FORWARD_SLICE or self.forwarded[pk] >= FAST_FORWARD_UNITS:
            self.forwarded.pop(pk, None)
            control.set_mode(driver.cluster, "realtime")

    def release_all(self) -> None:
        """A clean stop: give every lease up at once, so another worker takes over now, not in 15 s."""
        for pk in list(self.drivers):
            lease.release(pk, self.holder)
        self.drivers.clear()
        lease.forget_worker(self.holder)

    def _cycle_in_worker(self) -> float:
        close_old_connections()  # a worker thread keeps its connection between cycles, as a request does
        try:
            return self.cycle()
        finally:
            close_old_connections()

    async def run(self) -> None:
        cycle = sync_to_async(self._cycle_in_worker, thread_sensitive=False)
        woken = wakeup.install(asyncio.get_running_loop())
        listening = asyncio.create_task(wakeup.listen(woken), name="kubeclass-wake-listener")
        try:
            while not self.stopping:
                try:
                    pause = await cycle()
                except Exception:  # e.g. the database is briefly unavailable: try again shortly
                    log.exception("reconciler cycle failed")
                    pause = 1.0
                try:  # sleep until the next timer, or until a request asks for work (wakeup.wake)
                    await asyncio.wait_for(woken.wait(), pause)
                except asyncio.TimeoutError:
                    pass
                woken.clear()
        finally:
            listening.cancel()
            await sync_to_async(self.release_all, thread_sensitive=False)()


_task: asyncio.Task | None = None
_reconciler: Reconciler | None = None


def enabled() -> bool:
    """Off with KUBECLASS_RECONCILER=0, and inside a pytest process (tests drive clusters themselves)."""
    return os.environ.get("KUBECLASS_RECONCILER", "1") not in ("0", "false", "no") and "pytest" not in sys.modules


def start_in_background() -> asyncio.Task | None:
    """Start the reconciler on the running event loop, once per process."""
    global _task, _reconciler
    if _task is not None or not enabled():
        return _task
    _reconciler = Reconciler()
    _task = asyncio.get_running_loop().create_task(_reconciler.run(), name="kubeclass-reconciler")
    return _task


def shut_down() -> None:
    """Called (in a thread) when the server stops: stop cycling and release this process's leases."""
    if _reconciler is not None:
        _reconciler.stopping = True
        close_old_connections()
        try:
            _reconciler.release_all()
        finally:
            close_old_connections()
