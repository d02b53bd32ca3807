"""kube-controller-manager's resourcequota controller (pkg/controller/resourcequota).

Keeps each ResourceQuota's `status.hard` equal to its `spec.hard` and its
`status.used` equal to what the namespace holds, recounted whenever something
it counts changes (and every 5 minutes, as the controller's full resync), so
`kubectl describe quota` and `kubectl get quota` show the usage the
ResourceQuota admission plugin (cluster/apiserver/quota.py) enforces.

Simplified: the usage is recounted from the informer cache on every change
instead of by per-resource monitors with replenishment.
"""

from __future__ import annotations

from cluster.apiserver import quota
from cluster.apiserver.resources import ResourceType
from cluster.apiserver.server import WatchEvent
from cluster.controllers.base import DONE, Controller, Result, split_key

RESYNC_SECONDS = 300.0


class ResourceQuotaController(Controller):
    name = "resourcequota-controller"
    watches = ("resourcequotas", "pods", "services", "configmaps", "secrets", "persistentvolumeclaims")

    def keys_for(self, resource: str, event: WatchEvent) -> list[str]:
        meta = event.object.get("metadata", {})
        namespace = meta.get("namespace", "")
        if resource == "resourcequotas":
            return [f"{namespace}/{meta['name']}"]
        return [f"{namespace}/{q['metadata']['name']}" for q in self.lister.list("resourcequotas", namespace)]

    def reconcile(self, key: str) -> Result:
        namespace, name = split_key(key)
        current = self.lister.find("resourcequotas", namespace, name)
        if current is None:
            return DONE
        hard = dict((current.get("spec") or {}).get("hard") or {})
        used = quota.namespace_usage(self._list, namespace, hard)
        wanted = {"hard": hard, "used": {k: quota.format_amount(k, v) for k, v in sorted(used.items())}}
        if (current.get("status") or {}) != wanted:

            def write(obj: dict) -> dict:
                obj["status"] = wanted
                return obj

            self.api.update_with("resourcequotas", namespace, name, write, subresource="status")
        return Result(requeue_after=RESYNC_SECONDS)

    def _list(self, rt: ResourceType, namespace: str) -> list[dict]:
        return self.lister.list(rt.plural, namespace)
