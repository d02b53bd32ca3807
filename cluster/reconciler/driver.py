"""One cluster's control loops: list, watch, queue, reconcile — on the cluster's virtual clock.

Like an informer factory shared by every component of kube-controller-manager,
the driver keeps one watch position (a revision) and reads each watched
resource's events after it through `APIServer.watch_batch`. Every event goes,
in revision order, to each component that watches the resource; its
`keys_for` turns it into work-queue keys, and each delivery that wakes a
component is recorded as a step (kube-apiserver → component). A unit of work
is one `reconcile(key)` of one component; components take turns (round robin,
in the fixed order of cluster/components.py, kubelets by node name), so a
seed and a frozen clock replay the same history.

Nothing lives only here: on start (and after a 410 Gone) every component
relists and reconciles everything, as after a kube-controller-manager restart.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from cluster import clock, steps
from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer, WatchEvent
from cluster.components import CONTROL_PLANE, NODE_AGENTS
from cluster.controllers.base import Controller
from cluster.models import Cluster
from cluster.reconciler.workqueue import WorkQueue

log = logging.getLogger(__name__)
WATCH_PAGE = 2000
ERROR_RETRY_SECONDS = 1.0
QUIET_RESOURCES = ("leases",)  # heartbeats: writes that do not count as activity


class ComponentLoop:
    """One component with its work queue."""

    def __init__(self, component: Controller, name: str) -> None:
        self.component = component
        self.name = name
        self.queue = WorkQueue()
        self.writes = 0
        component.api.observers.append(self._count_write)

    def _count_write(self, kind: str, detail: dict) -> None:
        if kind == "write" and detail["resource"].plural not in QUIET_RESOURCES:
            self.writes += 1

    @property
    def paused(self) -> bool:
        return bool(getattr(self.component, "paused", False))

    def housekeeping(self, key: str) -> bool:
        check = getattr(self.component, "is_housekeeping", None)
        return bool(check and check(key))


@dataclass
class RunSummary:
    units: int = 0
    virtual_seconds: float = 0.0
    settled: bool = False


class ClusterDriver:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = Cluster.objects.get(pk=cluster.pk)  # one instance: every loop shares its clock
        self._build()

    def _build(self) -> None:
        self.api = APIServer(self.cluster, client="kube-apiserver")
        self.loops = [ComponentLoop(cls(self._client(cls.name)), cls.name) for cls in CONTROL_PLANE]
        self.kubelets: dict[str, list[ComponentLoop]] = {}
        self.since: int | None = None
        self.turn = 0
        self.last_activity = self.now()

    def _client(self, name: str) -> APIServer:
        api = APIServer(self.cluster, client=name)
        recorder = steps.recorder_of(api)
        if recorder is not None:
            recorder.elide_unwritten = True
        return api

    def now(self) -> dt.datetime:
        return clock.now(self.cluster)

    @property
    def all_loops(self) -> list[ComponentLoop]:
        return self.loops + [loop for node in sorted(self.kubelets) for loop in self.kubelets[node]]

    @property
    def resources(self) -> list[str]:
        return sorted({r for cls in (*CONTROL_PLANE, *NODE_AGENTS) for r in cls.watches})

    # -- list -------------------------------------------------------------------
    def start(self) -> None:
        """List everything and queue every key (a fresh start or a resync after 410 Gone)."""
        revision = self.api.current_revision()
        for node in self.api.list("nodes")["items"]:
            self._add_node(node["metadata"]["name"], relist=False)
        for loop in self.all_loops:
            self.relist(loop)
        self.since = revision

    def relist(self, loop: ComponentLoop) -> None:
        for resource in loop.component.watches:
            listing = self.api.list(resource)
            revision = int(listing["metadata"]["resourceVersion"])
            for obj in listing["items"]:
                for key in loop.component.keys_for(resource, WatchEvent("ADDED", obj, revision)):
                    loop.queue.add(key)
        if getattr(loop.component, "wants_relist", False):
            loop.component.wants_relist = False  # type: ignore[attr-defined]

    def _add_node(self, name: str, relist: bool = True) -> None:
        if name in self.kubelets:
            return
        self.kubelets[name] = []
        for cls in NODE_AGENTS:
            api = self._client(cls.name)
            loop = ComponentLoop(cls(api, name), f"{cls.name}/{name}")
            self.kubelets[name].append(loop)
            if relist:
                self.relist(loop)

    # -- watch ------------------------------------------------------------------
    def poll(self) -> int:
        """Deliver every watch event since the last poll; returns how many there were."""
        if self.since is None:
            self.start()
        current = self.api.current_revision()
        if current == self.since:
            return 0
        if self.since is not None and current < self.since:  # the cluster was reset: start over
            self._build()
            self.start()
            return 0
        try:
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
        if resource == "nodes":
            name = event.object["metadata"]["name"]
            if event.type == "DELETED":
                self.kubelets.pop(name, None)
            else:
                self._add_node(name)
        for loop in self.all_loops:
            if resource not in loop.component.watches:
                continue
            was_paused = loop.paused
            keys = loop.component.keys_for(resource, event)
            if getattr(loop.component, "wants_relist", False):
                self.relist(loop)
            if not keys or was_paused or loop.paused:
                continue
            steps.record(self.api, steps.watch_hop(loop.name, resource, event.type, event.object, event.revision))
            for key in keys:
                loop.queue.add(key)

    # -- work ---------------------------------------------------------------------
    def fire_timers(self) -> None:
        now = self.now()
        for loop in self.all_loops:
            if not loop.paused:
                loop.queue.fire(now)

    def next_due(self) -> dt.datetime | None:
        dues = [d for loop in self.all_loops if not loop.paused and (d := loop.queue.next_due()) is not None]
        return min(dues) if dues else None

    def has_work(self) -> bool:
        return any(len(loop.queue) and not loop.paused for loop in self.all_loops)

    def run_one(self) -> bool:
        """One reconcile of one key, by the next component (in turn) that has work."""
        loops = self.all_loops
        for offset in range(len(loops)):
            loop = loops[(self.turn + offset) % len(loops)]
            if loop.paused:
                continue
            key = loop.queue.pop()
            if key is None:
                continue
            self.turn = (self.turn + offset + 1) % len(loops)
            self.process(loop, key)
            return True
        return False

    def process(self, loop: ComponentLoop, key: str) -> None:
        writes = loop.writes
        loop.queue.forget_timer(key)
        requeue: float | None
        try:
            requeue = loop.component.reconcile(key).requeue_after
        except StatusError as err:
            log.info("%s: %s: %s", loop.name, key, err.message)
            requeue = ERROR_RETRY_SECONDS
        except Exception:  # a bug in one component must not stop the others
            log.exception("%s failed to reconcile %s", loop.name, key)
            requeue = ERROR_RETRY_SECONDS
        finally:
            steps.flush(loop.component.api)
        now = self.now()
        if requeue is not None:
            loop.queue.add_after(key, now + dt.timedelta(seconds=requeue))
        if loop.writes != writes and not loop.housekeeping(key):
            self.last_activity = now

    def drain(self, max_units: int) -> int:
        """Poll, fire due timers and work until nothing is ready (or `max_units` is reached)."""
        units = 0
        while units < max_units:
            self.poll()
            self.fire_timers()
            if not self.run_one():
                break
            units += 1
        return units

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
