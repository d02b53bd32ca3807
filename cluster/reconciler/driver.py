"""One cluster's control loops: list, watch, queue, reconcile — on the cluster's virtual clock.

Like an informer factory shared by every component of kube-controller-manager,
the driver keeps one watch position (a revision), and `poll` reads the events
after it: from its own writes when they are all there were (watchcache.py),
else through `APIServer.watch_many`. Each event first updates the shared
informers (cluster/informers.py), the cache every component reads through its
lister, then goes in revision order to each component loop that watches the
resource, a field selector narrowing the kubelet's (routing.py). A component's
`keys_for` turns the event into keys for its work queue (component_loop.py,
workqueue.py), and each delivery that wakes it is recorded as a step. A unit of
work is one `reconcile(key)` (worker.py: processNextWorkItem, a savepoint);
components take turns in the fixed order of cluster/components.py, a turn up
to TURN_UNITS keys (turns.py), parked keys wait on one heap of timers
(timers.py), units share transactions (batch.py), and the virtual clock runs
in realtime, step mode or fast-forward (modes.py). The watch is read again
before every unit, so a component always sees its own last writes, and a seed
with a frozen clock replays the same history.

Nothing lives only here: on start (and after a 410 Gone) the informers list
everything again and every component reconciles everything, as after a
kube-controller-manager restart.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

from cluster import clock, steps
from cluster.apiserver.errors import StatusError
from cluster.apiserver.hooks import ClientHooks
from cluster.apiserver.server import APIServer, WatchEvent
from cluster.component import Component
from cluster.components import CONTROL_PLANE, NODE_AGENTS
from cluster.informers import CachedLister, SharedInformers
from cluster.models import Cluster
from cluster.reconciler import modes, routing, watchcache, worker
from cluster.reconciler.batch import Batches
from cluster.reconciler.component_loop import ComponentLoop
from cluster.reconciler.gc_tuning import tune_gc
from cluster.reconciler.modes import RunSummary
from cluster.reconciler.routing import Routes
from cluster.reconciler.runtime_events import RuntimeEvents
from cluster.reconciler.timers import Timers
from cluster.reconciler.turns import Turns
from cluster.reconciler.watchcache import OwnWrites
from cluster.steps.sink import StepSink
from cluster.store import HeldRevision

__all__ = ["ClusterDriver", "ComponentLoop", "RunSummary"]


class ClusterDriver:
    """The informer factory and the controller manager of one cluster, one unit of work at a time."""

    def __init__(self, cluster: Cluster, fence: Callable[[], None] | None = None) -> None:
        tune_gc()
        self.cluster = Cluster.objects.get(pk=cluster.pk)  # one instance: every loop shares its clock
        # Called at the start of every batch's transaction: raises when this process may no
        # longer write for the cluster (its lease was taken over, see reconciler/lease.py).
        self.fence = fence
        self._build()

    def _build(self) -> None:
        """Everything the driver keeps in memory, empty: at the start, and after the cluster was reset."""
        self.own_writes = OwnWrites()  # this driver's own writes since the last poll
        self.runtime_events = RuntimeEvents()  # signals sent by execs, for the kubelets (runtime_events.py)
        self._held_revision = HeldRevision()  # the revision counter while a batch holds the write lock
        self._step_sink = StepSink(self.cluster, self._held_revision)  # the batch's steps, inserted as it commits
        self.batches = Batches(self._held_revision, self.own_writes, self._step_sink)
        self.api = APIServer(
            self.cluster,
            client="kube-apiserver",
            hooks=ClientHooks(journal=self.own_writes.written, held=self._held_revision, step_sink=self._step_sink),
        )
        self.informers = SharedInformers(self.api, self.resources)
        self.turns, self.timers = Turns(), Timers()
        self.loops = [self._loop(cls(self._client(cls.name)), cls.name) for cls in CONTROL_PLANE]
        self.kubelets: dict[str, list[ComponentLoop]] = {}
        self.since: int | None = None  # the watch's position: the revision read up to
        self.last_activity = self.now()
        self._reorder()

    def _client(self, name: str) -> APIServer:
        """A component's own API client, sharing this driver's informers, watch cache and held revision."""
        hooks = ClientHooks(
            namespace_cache=self.informers.informers["namespaces"].items.get,
            serviceaccount_cache=self.informers.informers["serviceaccounts"].items.get,
            journal=self.own_writes.written,
            held=self._held_revision,
            step_sink=self._step_sink,
            elide_unwritten=True,
        )
        return APIServer(self.cluster, client=name, hooks=hooks)

    def _loop(self, component: Component, name: str) -> ComponentLoop:
        component.lister = CachedLister(component.api, self.informers)
        loop = ComponentLoop(component, name)
        loop.queue.on_ready = lambda: self.turns.mark_ready(loop)
        loop.queue.on_timer = lambda due: self.timers.park(loop, due)
        return loop

    def _reorder(self) -> None:
        """Number the loops in turn order and route each watched resource to its loops."""
        self.turns.reorder(self.loops + [loop for node in sorted(self.kubelets) for loop in self.kubelets[node]])
        self.routes = Routes(self.turns.order)

    def now(self) -> dt.datetime:
        return clock.now(self.cluster)

    @property
    def all_loops(self) -> list[ComponentLoop]:
        return self.turns.order

    @property
    def resources(self) -> list[str]:
        return sorted({r for cls in (*CONTROL_PLANE, *NODE_AGENTS) for r in cls.watches})

    # -- list -------------------------------------------------------------------
    def start(self) -> None:
        """List everything and queue every key (a fresh start or a resync after 410 Gone)."""
        revision = self.api.current_revision()
        self.own_writes.clear()  # the list below includes them
        self.informers.sync()
        for node in self.informers.informers["nodes"].items.values():
            self._add_node(node["metadata"]["name"], relist=False, reorder=False)
        self._reorder()
        for loop in self.all_loops:
            self.relist(loop)
        self.since = revision

    def relist(self, loop: ComponentLoop) -> None:
        """Queue every object the loop watches, as its informer's initial list would."""
        routing.relist(self.informers, loop, self.since or 0)

    def _add_node(self, name: str, relist: bool = True, reorder: bool = True) -> None:
        """A kubelet (every NODE_AGENTS component) for a new Node."""
        if name in self.kubelets:
            return
        self.kubelets[name] = [
            self._loop(cls(self._client(cls.name), name), f"{cls.name}/{name}") for cls in NODE_AGENTS
        ]
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
            self.own_writes.clear()  # nothing new: whatever is noted was rolled back
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
        """The events up to `current` from this driver's own writes, if they are all there were (watchcache.py)."""
        return self.own_writes.events(self.resources, self.since or 0, current)

    def _events_until(self, current: int) -> list[tuple[str, WatchEvent]]:
        """The events up to `current`, read from the store."""
        return watchcache.events_until(self.api, self.resources, self.since or 0, current)

    def dispatch(self, resource: str, event: WatchEvent) -> None:
        """Update the informers, keep one kubelet per Node, and hand the event to the loops that watch it."""
        self.informers.apply(resource, event)
        if resource == "nodes":
            name = event.object["metadata"]["name"]
            if event.type == "DELETED":
                if self.kubelets.pop(name, None) is not None:
                    self._reorder()
            else:
                self._add_node(name)
        for loop in self.routes.listeners(resource, event.object):
            routing.deliver(self.api, loop, resource, event, self.relist)

    # -- work ---------------------------------------------------------------------
    def fire_timers(self) -> None:
        now = self.now()
        self.runtime_events.deliver(self.cluster, now.timestamp(), self.kubelets)
        self.timers.fire(now)

    def next_due(self) -> dt.datetime | None:
        return self.timers.next_due()

    def has_work(self) -> bool:
        return self.turns.has_work()

    def run_one(self) -> bool:
        """One reconcile of one key, by the component whose turn it is."""
        taken = self.turns.take()
        if taken is None:
            return False
        loop, key = taken
        if key is not None:
            self.process(loop, key)
        return True

    def process(self, loop: ComponentLoop, key: str) -> None:
        """processNextWorkItem (worker.py); a unit that wrote something is the latest activity."""
        active = worker.process(loop, key, self._held_revision, self.own_writes, self.now)
        if active is not None:
            self.last_activity = active

    def drain(self, max_units: int) -> int:
        """Poll, fire due timers and work until nothing is ready (or `max_units` is reached)."""
        return self.batches.drain(self._unit, max_units, self.fence)

    def _unit(self) -> bool:
        """Read the watch, fire the due timers, and reconcile one key; False when nothing was ready."""
        self.poll()
        self.fire_timers()
        return self.run_one()

    # -- modes (modes.py) ---------------------------------------------------------
    def fast_forward(self, seconds: float | None = None, horizon: float = 60.0, max_units: int = 200_000) -> RunSummary:
        """Run on a frozen clock, jumping it to the next due timer; until settled, or for `seconds`."""
        return modes.fast_forward(self, seconds, horizon, max_units)

    def refresh_clock(self) -> None:
        modes.refresh_clock(self.cluster)

    def tick(self, max_units: int = 100) -> float:
        """Work until idle (bounded); the wall seconds until the next timer is due."""
        return modes.tick(self, max_units)

    def step_once(self) -> bool:
        """Step mode: one unit of work; with nothing ready, jump the (frozen) clock to the next timer."""
        return modes.step_once(self)
