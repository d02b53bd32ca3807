"""The contract every simulated control loop keeps (sample-controller's syncHandler and its informers).

A component — a kube-controller-manager controller, the local-path
provisioner, kube-scheduler, a kubelet — names the resources it watches, hears
each watch event, maps it to the work-queue keys it must look at again
(`namespace/name`), and reconciles one key at a time by recomputing desired
state from current state read through the API server. `reconcile` is
idempotent: calling it twice in a row changes nothing the second time.

The reconciler (cluster/reconciler/driver.py) drives the loop through the
`Component` protocol alone: it never probes a component for attributes. What
a component may ask of the driver beyond the basic loop is declared here as
the optional capabilities `paused`, `wants_relist`, `event_delay`, `is_housekeeping`,
`observe` and a sorted queue (`sorted_queue`, `queue_rank`), each with a default in
`Controller`, the base class every component derives from. Errors are the driver's business: `reconcile` lets a refused
request (StatusError) propagate, and the driver requeues the key with a
per-key exponential back-off (cluster/reconciler/workqueue.py), as client-go's
rate-limited work queue does in sample-controller's processNextWorkItem.

Tests call `reconcile` directly. Reads go through `self.lister`
(cluster/informers.py), writes through `self.api`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Protocol

from cluster.apiserver.server import APIServer, WatchEvent
from cluster.informers import Lister


@dataclass(frozen=True)
class Result:
    """What a reconcile asks of the loop: look again after `requeue_after` virtual seconds."""

    requeue_after: float | None = None


DONE = Result()


class Component(Protocol):
    """What the driver may rely on; `Controller` is the implementation every component extends."""

    #: the component's name as upstream logs it (e.g. "deployment-controller")
    name: str
    #: the resources whose watch events wake this component, e.g. ("deployments", "replicasets", "pods")
    watches: tuple[str, ...]
    #: the component's own API client: its writes become steps under its name
    api: APIServer
    #: where reads go: the API server, or the driver's informer cache (cluster/informers.py)
    lister: Lister
    #: set by the component when it wants every watched object queued again (a kubelet back from
    #: a partition, as a restarted kubelet lists again); the driver relists and clears it
    wants_relist: bool
    #: None: a watch event queues its keys at once. A number: they wait that many virtual seconds, and a key
    #: already waiting keeps its turn (the HPA controller's queue adds every event rate-limited by its sync
    #: period, NewDefaultHPARateLimiter, so an HPA is looked at once per period whatever changes it)
    event_delay: float | None
    #: False: the work queue is first in, first out. True: ready keys come out by `queue_rank`, highest first
    #: (kube-scheduler's activeQ, sorted by its QueueSort plugin)
    sorted_queue: bool

    @property
    def paused(self) -> bool:
        """Whether the component does no work and hears nothing (a kubelet on a node that is down)."""
        ...

    def field_selector(self, resource: str) -> tuple[str, str] | None:
        """The (field, value) this component's watch of `resource` selects on, if any."""
        ...

    def observe(self, resource: str, event: WatchEvent) -> None:
        """Let the component's own memory follow `event`, before `keys_for` maps it (default: nothing)."""
        ...

    def keys_for(self, resource: str, event: WatchEvent) -> list[str]:
        """The keys to reconcile after `event` on `resource`; writes nothing."""
        ...

    def is_housekeeping(self, key: str) -> bool:
        """Whether reconciling `key` is routine (a heartbeat) that does not count as activity."""
        ...

    def queue_rank(self, key: str) -> int:
        """Where `key` goes in a sorted queue, read when it is queued: a higher rank comes out first."""
        ...

    def reconcile(self, key: str) -> Result:
        """Make the world match the desired state of `key`; safe to call again at any time."""
        ...


class Controller(ABC):
    """The base of every component: the protocol's defaults, and `reconcile` left to the subclass."""

    name: str = ""
    watches: tuple[str, ...] = ()
    wants_relist: bool = False
    event_delay: float | None = None
    sorted_queue: bool = False

    def __init__(self, api: APIServer) -> None:
        self.api = api
        #: where reads go: the API server here; the reconciler swaps in its informer cache
        self.lister: Lister = Lister(api)

    @property
    def paused(self) -> bool:
        return False

    def field_selector(self, resource: str) -> tuple[str, str] | None:
        return None

    def observe(self, resource: str, event: WatchEvent) -> None:
        return None

    def keys_for(self, resource: str, event: WatchEvent) -> list[str]:
        """The default: the object itself."""
        meta = event.object.get("metadata", {})
        namespace = meta.get("namespace", "")
        return [f"{namespace}/{meta['name']}" if namespace else meta["name"]]

    def is_housekeeping(self, key: str) -> bool:
        return False

    def queue_rank(self, key: str) -> int:
        return 0

    @abstractmethod
    def reconcile(self, key: str) -> Result:
        """Make the world match the desired state of `key`; safe to call again at any time."""


def split_key(key: str) -> tuple[str, str]:
    """`namespace/name` (or a cluster-scoped `name`) as its two parts."""
    namespace, _, name = key.rpartition("/")
    return namespace, name
