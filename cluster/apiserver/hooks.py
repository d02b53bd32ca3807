"""What a caller may lend the API server it talks through, declared in one place.

Most callers (kubectl, the page's terminal, the HTTP views) take an APIServer
as it comes. The reconciler's components are in-process clients with more to
offer, as kube-controller-manager's clients share informers with admission:

- `host`: the node a kubelet runs on; steps name their source `kubelet/<node>`.
- `namespace_cache`, `serviceaccount_cache`: the driver's informer lookups
  (`name` or `namespace/name` → object, None when unknown), which admission
  asks before a live read of the store.
- `journal`, `held`: the driver's watch cache of its own writes and the revision
  counter it holds during a batch (cluster/store.py, cluster/reconciler/watchcache.py and batch.py).
- `step_sink`: where the step recorder keeps hops while the driver's batch is
  open, to insert them together before it commits (cluster/steps/sink.py).
- `elide_unwritten`: leave a component's requests that wrote nothing out of the
  step log (a 404 probe, a no-op update), where a user's refused request stays.

Observers hear what the server does, in three kinds (`ObservedKind`): a
`request` as it arrives, a `write` to etcd, and `traffic` kube-proxy routed.
The step recorder (cluster/steps/recorder.py) is the observer every APIServer has when
step events are on; others are added with `APIServer.add_observer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Literal

from cluster.store import HeldRevision, Written

if TYPE_CHECKING:
    from cluster.steps.sink import StepSink

ObservedKind = Literal["request", "write", "traffic"]
Observer = Callable[[str, dict], None]
Lookup = Callable[[str], "dict | None"]


@dataclass
class ClientHooks:
    """An in-process client's contributions to its APIServer (see the module docstring)."""

    host: str = ""
    namespace_cache: Lookup | None = None
    serviceaccount_cache: Lookup | None = None
    journal: list[Written] | None = None
    held: HeldRevision | None = None
    step_sink: StepSink | None = None
    elide_unwritten: bool = False
