"""The shape every simulated control loop has (like sample-controller's syncHandler).

A controller names the resources it watches, maps each watch event to the keys
it must look at again (`namespace/name`), and reconciles one key at a time by
recomputing desired state from current state read through the API server.
`reconcile` is idempotent: calling it twice in a row changes nothing the second
time. The reconciler (cluster/reconciler/driver.py) drives the loop; tests call
`reconcile` directly. Reads go through `self.lister` (cluster/informers.py).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from cluster.apiserver.server import APIServer, WatchEvent
from cluster.informers import Lister


@dataclass(frozen=True)
class Result:
    """What a reconcile asks of the loop: look again after `requeue_after` virtual seconds."""

    requeue_after: float | None = None


DONE = Result()


class Controller(ABC):
    #: the component's name as upstream logs it (e.g. "deployment-controller")
    name: str = ""
    #: the resources whose watch events wake this controller, e.g. ("deployments", "replicasets", "pods")
    watches: tuple[str, ...] = ()

    def __init__(self, api: APIServer) -> None:
        self.api = api
        #: where reads go: the API server here; the reconciler swaps in its informer cache
        self.lister: Lister = Lister(api)

    def field_selector(self, resource: str) -> tuple[str, str] | None:
        """The (field, value) this component's watch of `resource` selects on, if any."""
        return None

    def keys_for(self, resource: str, event: WatchEvent) -> list[str]:
        """The keys to reconcile after `event` on `resource` (default: the object itself)."""
        meta = event.object.get("metadata", {})
        namespace = meta.get("namespace", "")
        return [f"{namespace}/{meta['name']}" if namespace else meta["name"]]

    @abstractmethod
    def reconcile(self, key: str) -> Result:
        """Make the world match the desired state of `key`; safe to call again at any time."""


def split_key(key: str) -> tuple[str, str]:
    namespace, _, name = key.rpartition("/")
    return namespace, name
