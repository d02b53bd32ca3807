"""kube-controller-manager's serviceaccount controller (pkg/controller/serviceaccount/serviceaccounts_controller.go).

Every active Namespace has a ServiceAccount named `default`: a namespace that is
added (or updated while Active) is looked at, and so is the namespace of a
ServiceAccount that is deleted, so `kubectl delete sa default` is undone at once.
A missing account is created as upstream creates it — nothing but its name and
namespace. A namespace that is not Active (Terminating) gets none, and a create
refused because the namespace is gone or terminating is not retried.

The reconcile key is the namespace's name, as upstream's queue holds namespaces.

Simplified: the accounts are read through the shared informer cache (upstream's
saLister) and there is no 5-minute namespace resync: the watch is level
enough here, and the reconciler relists everything on a restart.
"""

from __future__ import annotations

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import WatchEvent
from cluster.controllers.base import DONE, Controller, Result

COMPONENT = "serviceaccount-controller"
DEFAULT_SERVICE_ACCOUNTS = ("default",)  # ServiceAccountsControllerOptions.ServiceAccounts


class ServiceAccountsController(Controller):
    name = COMPONENT
    watches = ("namespaces", "serviceaccounts")

    def keys_for(self, resource: str, event: WatchEvent) -> list[str]:
        meta = event.object.get("metadata", {})
        if resource == "serviceaccounts":
            # serviceAccountDeleted: only a deletion can leave a namespace without its account
            if event.type != "DELETED" or meta.get("name") not in DEFAULT_SERVICE_ACCOUNTS:
                return []
            return [meta.get("namespace", "")]
        if event.type == "DELETED":
            return []
        return [meta["name"]]  # namespaceAdded, namespaceUpdated

    def reconcile(self, key: str) -> Result:
        namespace = self.lister.peek("namespaces", None, key)
        if namespace is None:
            return DONE
        if (namespace.get("status") or {}).get("phase", "Active") != "Active" or namespace["metadata"].get(
            "deletionTimestamp"
        ):
            return DONE  # "Don't create SAs in non-active namespaces"
        for name in DEFAULT_SERVICE_ACCOUNTS:
            if self.lister.peek("serviceaccounts", key, name) is not None:
                continue
            try:
                self.api.create(
                    "serviceaccounts",
                    key,
                    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": key}},
                )
            except StatusError as err:
                # AlreadyExists: someone made it meanwhile; NotFound/Forbidden: the namespace is gone or
                # terminating (NamespaceTerminatingCause), which upstream does not retry either.
                if err.code not in (403, 404, 409):
                    raise
        return DONE
