"""One cluster's control loops: list, watch, queue, reconcile — on the cluster's virtual clock.

Like an informer factory shared by every component of kube-controller-manager,
the driver keeps one watch position (a revision) and reads each watched
resource's events after it through `APIServer.watch_many`. Each event first
updates the shared informers (cluster/informers.py), the local cache every
component reads through its lister, then goes, in revision order, to each
component that watches the resource; a component that watches with a field
selector (the kubelet: `spec.nodeName=<node>`) hears only the events that
match it. Its `keys_for` turns an event into work-queue keys, and each delivery
that wakes a component is recorded as a step (kube-apiserver → component). A
unit of work is one `reconcile(key)` of one component; components take turns
(round robin, in the fixed order of cluster/components.py, kubelets by node
name; a turn is up to TURN_UNITS keys, as a busy controller's workers drain
their queue), so a seed and a frozen clock replay the same history. The watch is
read again before every unit, so a component always sees its own last writes.

Nothing lives only here: on start (and after a 410 Gone) the informers list
everything again and every component reconciles everything, as after a
kube-controller-manager restart.
"""
from __future__ import annotations

import bisect
import datetime as dt
import gc
import heapq
import itertools
import logging
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from django.db import transaction

from cluster import clock, steps
from cluster.apiserver.errors import StatusError
from cluster.apiserver.hooks import ClientHooks
from cluster.apiserver.server import APIServer, WatchEvent, fan_out
from cluster.component import Component
from cluster.components import CONTROL_PLANE, NODE_AGENTS
from cluster.informers import CachedLister, SharedInformers
from cluster.models import Cluster
from cluster.reconciler.unit import unit_of_work
from cluster.reconciler.workqueue import WorkQueue
from cluster.store import HeldRevision, Written

log = logging.getLogger(__name__)
WATCH_PAGE = 2000
# Writes that do not count as activity when fast-forwarding until settled: heartbeats, and
# Events (an observation repeated on every resync, e.g. a claim waiting for its first consumer).
QUIET_RESOURCES = ("leases", "events")
TURN_UNITS = 32  # keys one component may work through before the next one's turn
BATCH_UNITS = 64  # units of work that share one database commit
BATCH_SECONDS = 0.05  # ... for at most this long (wall time), so other writers are not kept waiting
# CPython's cyclic collector, with its default thresholds (700, 10, 10), walks every
# live object again on each full collection. A driver's informers hold every watched
# object, hundreds of thousands of dicts in a large cluster, and the control loops
# make little cyclic garbage: at 10,000 pods the default spent 10 s of a 60 s
# fast-forward in 29 full collections. Collecting rarely is the usual remedy for a
# long-running Python service with big caches.
GC_THRESHOLDS = (50_000, 50, 100)


def tune_gc() -> None:
    """Raise the collector's thresholds to GC_THRESHOLDS (never lowers one set higher)."""
    gc.set_threshold(*(max(now, wanted) for now, wanted in zip(gc.get_threshold(), GC_THRESHOLDS)))


class ComponentLoop:
    """One component with its work queue."""

    def __init__(self, component: Component, name: str) -> None:
        self.component = component
        self.name = name
        self.queue = WorkQueue()
        self.writes = 0
        self.position = 0  # its place in the round robin
        component.api.add_observer(self._count_write)

    def _count_write(self, kind: str, detail: dict) -> None:
        if kind == "write" and detail["resource"].plural not in QUIET_RESOURCES:
            self.writes += 1

    @property
    def paused(self) -> bool:
        return self.component.paused

    def housekeeping(self, key: str) -> bool:
        return self.component.is_housekeeping(key)

    def selector(self, resource: str) -> tuple[str, str] | None:
        return self.component.field_selector(resource)


@dataclass
class RunSummary:
    units: int = 0
    virtual_seconds: float = 0.0
    settled: bool = False


class ClusterDriver:
    def __init__(self, cluster: Cluster, fence: Callable[[], None] | None = None) -> None:
        tune_gc()
        self.cluster = Cluster.objects.get(pk=cluster.pk)  # one instance: every loop shares its clock
        # Called at the start of every batch's transaction: raises when this process may no
        # longer write for the cluster (its lease was taken over, see reconciler/lease.py).
        self.fence = fence
        self._build()

    def _build(self) -> None:
        self._written: list[Written] = []  # this driver's own writes since the last poll
        self._written_whole = True  # false once a rollback may have undone some of them
        self._held_revision = HeldRevision()  # the revision counter while a batch holds the write lock
        self.api = APIServer(self.cluster, client="kube-apiserver",
                             hooks=ClientHooks(journal=self._written, held=self._held_revision))
        self.informers = SharedInformers(self.api, self.resources)
        self.loops = [self._loop(cls(self._client(cls.name)), cls.name) for cls in CONTROL_PLANE]
        self.kubelets: dict[str, list[ComponentLoop]] = {}
        self.since: int | None = None
        self.turn = 0
        self.last_activity = self.now()
        self._order: list[ComponentLoop] = []
        self._ready: list[int] = []  # sorted positions of loops with ready keys
        self._timers: list[tuple[dt.datetime, int, ComponentLoop]] = []
        self._timer_ids = itertools.count()
        self._held: set[ComponentLoop] = set()  # paused loops with timers parked
        self._current: ComponentLoop | None = None
        self._streak = 0
        self._reorder()

    def _client(self, name: str) -> APIServer:
        """A component's own API client, sharing this driver's informers, watch cache and held revision."""
        hooks = ClientHooks(namespace_cache=self.informers.informers["namespaces"].items.get,
                            serviceaccount_cache=self.informers.informers["serviceaccounts"].items.get,
                            journal=self._written, held=self._held_revision, elide_unwritten=True)
        return APIServer(self.cluster, client=name, hooks=hooks)

    def _loop(self, component: Component, name: str) -> ComponentLoop:
        component.lister = CachedLister(component.api, self.informers)
        loop = ComponentLoop(component, name)
        loop.queue.on_ready = lambda: self._mark_ready(loop)
        loop.queue.on_timer = lambda due: heapq.heappush(self._timers, (due, next(self._timer_ids), loop))
        return loop

    def _reorder(self) -> None:
        """Number the loops in turn order and route each watched resource to its loops."""
        self._order = self.loops + [loop for node in sorted(self.kubelets) for loop in self.kubelets[node]]
        for position, loop in enumerate(self._order):
            loop.position = position
        self._ready = sorted(loop.position for loop in self._order if len(loop.queue))
        self._routes: dict[str, list[ComponentLoop]] = {}
        self._selected: dict[str, dict[str, dict[str, list[ComponentLoop]]]] = {}
        for loop in self._order:
            for resource in loop.component.watches:
                selector = loop.selector(resource)
                if selector is None:
                    self._routes.setdefault(resource, []).append(loop)
                else:
                    field, value = selector
                    by_value = self._selected.setdefault(resource, {}).setdefault(field, {})
                    by_value.setdefault(value, []).append(loop)

    def _mark_ready(self, loop: ComponentLoop) -> None:
        index = bisect.bisect_left(self._ready, loop.position)
        if index == len(self._ready) or self._ready[index] != loop.position:
            self._ready.insert(index, loop.position)

    def now(self) -> dt.datetime:
        return clock.now(self.cluster)

    @property
    def all_loops(self) -> list[ComponentLoop]:
        return self._order

    @property
    def resources(self) -> list[str]:
        return sorted({r for cls in (*CONTROL_PLANE, *NODE_AGENTS) for r in cls.watches})

    # -- list -------------------------------------------------------------------
    def start(self) -> None:
        """List everything and queue every key (a fresh start or a resync after 410 Gone)."""
        revision = self.api.current_revision()
        self._written.clear()  # the list below includes them
        self.informers.sync()
        for node in self.informers.informers["nodes"].items.values():
            self._add_node(node["metadata"]["name"], relist=False, reorder=False)
        self._reorder()
        for loop in self.all_loops:
            self.relist(loop)
        self.since = revision

    def relist(self, loop: ComponentLoop) -> None:
        """Queue every object the loop watches, as its informer's initial list would."""
        for resource in loop.component.watches:
            selector = loop.selector(resource)
            objects: Iterable[dict]
            if selector is None:
                objects = self.informers.informers[resource].items.values()
            elif selector[0] == "spec.nodeName":
                objects = self.informers.informers[resource].by_index("spec.nodeName", selector[1])
            else:
                obj = self.informers.informers[resource].items.get(selector[1])
                objects = [obj] if obj is not None else []
            for obj in list(objects):
                event = WatchEvent("ADDED", obj, self.since or 0)
                loop.component.observe(resource, event)
                for key in loop.component.keys_for(resource, event):
                    loop.queue.add(key)
        loop.component.wants_relist = False  # this was the relist it asked for, if it asked

    def _add_node(self, name: str, relist: bool = True, reorder: bool = True) -> None:
        if name in self.kubelets:
            return
        self.kubelets[name] = [self._loop(cls(self._client(cls.name), name), f"{cls.name}/{name}")
                               for cls in NODE_AGENTS]
        if reorder:
            self._reorder()
        if relist:
            for loop in self.kubelets[name]:
                self.relist(loop)

    # -- watch ------------------------------------------------------------------
    def poll(self) -> int:
        """Deliver every watch event since the last poll; returns how many there were."""
        if self.since is None:
            self.start()
        current = self._held_revision.revision
        if current is None:
            current = self.api.current_revision()
        if current == self.since:
            self._written.clear()  # nothing new: whatever is noted was rolled back
            return 0
        if self.since is not None and current < self.since:  # the cluster was reset: start over
            self._build()
            self.start()
            return 0
        try:
            events = self._own_events(current)
            if events is None:
                events = self._events_until(current)
        except StatusError as err:
            if err.code != 410:
                raise
            self.since = None
            self.start()
            return 0
        for resource, event in events:
            self.dispatch(resource, event)
        self.since = current
        steps.flush(self.api)
        return len(events)

    def _own_events(self, current: int) -> list[tuple[str, WatchEvent]] | None:
        """The events since the last poll from this driver's own writes, if they are all there were.

        Like kube-apiserver's watch cache, which serves watchers from memory instead
        of asking etcd again: when the revisions this driver wrote are exactly the
        ones after the last poll, no other client wrote, and the database would
        return the same events. Otherwise (another process wrote, or a rollback
        undid a unit) the events are read from the database.
        """
        written, whole = list(self._written), self._written_whole
        self._written.clear()
        self._written_whole = True
        since = self.since or 0
        if not whole or [w.mod_revision for w in written] != list(range(since + 1, current + 1)):
            return None
        return fan_out(self.resources, [w.event() for w in written])

    def _events_until(self, current: int) -> list[tuple[str, WatchEvent]]:
        found: list[tuple[str, WatchEvent]] = []
        since = self.since or 0
        while since < current:
            batch, resume = self.api.watch_many(self.resources, since, limit=WATCH_PAGE)
            found += [(resource, ev) for resource, ev in batch if ev.revision <= current]
            if resume == since:
                break
            since = resume
        return found

    def dispatch(self, resource: str, event: WatchEvent) -> None:
        self.informers.apply(resource, event)
        if resource == "nodes":
            name = event.object["metadata"]["name"]
            if event.type == "DELETED":
                if self.kubelets.pop(name, None) is not None:
                    self._reorder()
            else:
                self._add_node(name)
        for loop in self._listeners(resource, event.object):
            was_paused = loop.paused
            loop.component.observe(resource, event)
            keys = loop.component.keys_for(resource, event)
            if loop.component.wants_relist:
                self.relist(loop)
            if not keys or was_paused or loop.paused:
                continue
            steps.record(self.api, steps.watch_hop(loop.name, resource, event.type, event.object, event.revision))
            for key in keys:
                loop.queue.add(key)

    def _listeners(self, resource: str, obj: dict) -> list[ComponentLoop]:
        """The loops whose watch of `resource` sees `obj`, in turn order."""
        loops = self._routes.get(resource, [])
        selected = self._selected.get(resource)
        if not selected:
            return loops
        for field, by_value in selected.items():
            value = obj["metadata"]["name"] if field == "metadata.name" else (obj.get("spec") or {}).get("nodeName")
            if value in by_value:
                loops = sorted(loops + by_value[value], key=lambda loop: loop.position)
        return loops

    # -- work ---------------------------------------------------------------------
    def fire_timers(self) -> None:
        now = self.now()
        for loop in [loop for loop in self._held if not loop.paused]:  # resumed: its timers are due again
            self._held.discard(loop)
            loop.queue.fire(now)
            if (due := loop.queue.next_due()) is not None:
                heapq.heappush(self._timers, (due, next(self._timer_ids), loop))
        while self._timers and self._timers[0][0] <= now:
            _due, _id, loop = heapq.heappop(self._timers)
            if loop.paused:
                self._held.add(loop)  # a stopped kubelet's timers wait for it
            else:
                loop.queue.fire(now)

    def next_due(self) -> dt.datetime | None:
        while self._timers:
            due, _id, loop = self._timers[0]
            actual = loop.queue.next_due()
            if loop.paused or actual is None or actual > due:
                heapq.heappop(self._timers)  # stale: fired, forgotten, superseded, or its loop is paused
                if loop.paused and actual is not None:
                    self._held.add(loop)
                elif actual is not None and actual > due:
                    heapq.heappush(self._timers, (actual, next(self._timer_ids), loop))
                continue
            return due
        return None

    def has_work(self) -> bool:
        return any(not self._order[p].paused for p in self._ready if len(self._order[p].queue))

    def run_one(self) -> bool:
        """One reconcile of one key, by the component whose turn it is."""
        loop = self._next_loop()
        if loop is None:
            return False
        key = loop.queue.pop()
        if not len(loop.queue):
            self._ready.remove(loop.position)
        if key is not None:
            self.process(loop, key)
        return True

    def _next_loop(self) -> ComponentLoop | None:
        """The current loop until it has had TURN_UNITS keys or has none left; then the next with work."""
        current = self._current
        if current is not None and self._streak < TURN_UNITS and len(current.queue) and not current.paused:
            self._streak += 1
            return current
        ready = self._ready
        start = bisect.bisect_left(ready, self.turn)
        for offset in range(len(ready)):
            loop = self._order[ready[(start + offset) % len(ready)]]
            if not loop.paused and len(loop.queue):
                self.turn, self._current, self._streak = loop.position + 1, loop, 1
                return loop
        return None

    def process(self, loop: ComponentLoop, key: str) -> None:
        """processNextWorkItem: reconcile one key; on an error, requeue it rate-limited, else forget it.

        The driver is the only error handler: a component lets a refused request (a stale
        read's 409, an object gone meanwhile's 404, a quota's 403) propagate, and the key
        comes back after its exponential back-off (cluster/reconciler/workqueue.py).
        """
        writes = loop.writes
        loop.queue.forget_timer(key)
        requeue: float | None = None
        failed = False
        # A unit is all or nothing: inside a batch (see drain) it is a savepoint, so a
        # component's bug undoes only its own unit. A request refused with a StatusError
        # has written nothing (cluster/apiserver/server.py), so the unit's other writes stay.
        with unit_of_work(self._held_revision) as unit:
            try:
                requeue = loop.component.reconcile(key).requeue_after
            except StatusError as err:
                log.info("%s: %s: %s", loop.name, key, err.message)
                failed = True
            except Exception:  # a bug in one component must not stop the others
                log.exception("%s failed to reconcile %s", loop.name, key)
                unit.rollback()
                self._written_whole = False
                failed = True
            finally:
                steps.flush(loop.component.api)
        now = self.now()
        if failed:
            loop.queue.add_rate_limited(key, now)
        else:
            loop.queue.forget(key)
            if requeue is not None:
                loop.queue.add_after(key, now + dt.timedelta(seconds=requeue))
        if loop.writes != writes and not loop.housekeeping(key):
            self.last_activity = now

    def drain(self, max_units: int) -> int:
        """Poll, fire due timers and work until nothing is ready (or `max_units` is reached)."""
        units = 0
        while units < max_units:
            done, more = self._drain_batch(min(BATCH_UNITS, max_units - units))
            units += done
            if not more:
                break
        return units

    def _drain_batch(self, limit: int) -> tuple[int, bool]:
        """Up to `limit` units in one transaction; whether work may remain.

        A commit costs more than most units of work, so consecutive units share
        one; BATCH_SECONDS bounds how long other writers to the database wait.
        """
        started = time.monotonic()
        units = 0
        try:
            with transaction.atomic():
                if self.fence is not None:
                    self.fence()
                while units < limit and time.monotonic() - started < BATCH_SECONDS:
                    self.poll()
                    self.fire_timers()
                    if not self.run_one():
                        return units, False
                    units += 1
        except BaseException:
            self._written_whole = False  # the batch was rolled back
            raise
        finally:
            self._held_revision.forget()  # the write lock is released with the transaction
        return units, True

    # -- fast-forward -------------------------------------------------------------
    def fast_forward(self, seconds: float | None = None, horizon: float = 60.0,
                     max_units: int = 200_000) -> RunSummary:
        """Run on a frozen clock, jumping it to the next due timer whenever nothing is ready.

        With `seconds`, stop when that much virtual time has passed; without,
        stop once settled: no work is ready and nothing but heartbeats happened
        for `horizon` virtual seconds.
        """
        speed = self.cluster.speed if self.cluster.virtual_anchor is not None else 1.0
        clock.set_speed(self.cluster, 0.0)
        start = self.now()
        end = start + dt.timedelta(seconds=seconds) if seconds is not None else None
        self.last_activity = start
        summary = RunSummary()
        try:
            while summary.units < max_units:
                summary.units += self.drain(max_units - summary.units)
                due = self.next_due()
                if due is None or (end is not None and due > end):
                    if end is not None:
                        clock.advance(self.cluster, max(0.0, (end - self.now()).total_seconds()))
                        summary.units += self.drain(max_units - summary.units)
                    summary.settled = not self.has_work()
                    break
                if end is None and (due - self.last_activity).total_seconds() > horizon:
                    summary.settled = True
                    break
                clock.advance(self.cluster, max(0.0, (due - self.now()).total_seconds()))
        finally:
            summary.virtual_seconds = (self.now() - start).total_seconds()
            clock.set_speed(self.cluster, speed)
        return summary

    # -- realtime -------------------------------------------------------------------
    def refresh_clock(self) -> None:
        fresh = Cluster.objects.filter(pk=self.cluster.pk).values("virtual_anchor", "wall_anchor", "speed").first()
        if fresh:
            for field, value in fresh.items():
                setattr(self.cluster, field, value)

    def tick(self, max_units: int = 100) -> float:
        """Work until idle (bounded); the wall seconds until the next timer is due."""
        self.refresh_clock()
        self.drain(max_units)
        due = self.next_due()
        if due is None or self.cluster.speed <= 0:
            return float("inf")
        return max(0.0, (due - self.now()).total_seconds() / self.cluster.speed)

    def step_once(self) -> bool:
        """Step mode: one unit of work; with nothing ready, jump the (frozen) clock to the next timer."""
        self.refresh_clock()
        self.poll()
        self.fire_timers()
        if self.run_one():
            return True
        due = self.next_due()
        if due is None:
            return False
        clock.advance(self.cluster, max(0.0, (due - self.now()).total_seconds()))
        self.fire_timers()
        return self.run_one()
