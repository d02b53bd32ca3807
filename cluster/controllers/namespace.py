"""kube-controller-manager's namespace controller (pkg/controller/namespace/deletion).

A deleted Namespace stays in phase Terminating, with the `kubernetes` finalizer
in spec.finalizers, while this controller deletes every namespaced object in
it. Pods on nodes take their grace period (the kubelet finishes them), so the
controller reports what remains in the Namespace's conditions and looks again
after half the longest grace period, as upstream estimates. Once the Namespace
is empty it removes its finalizer through the namespaces/finalize subresource,
and kube-apiserver deletes the Namespace.

Simplified: resources are the ones kubeclass serves (no discovery failures), and
each kind is deleted object by object rather than with one deletecollection call.
"""

from __future__ import annotations

from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import RESOURCES, ResourceType
from cluster.apiserver.server import WatchEvent
from cluster.clock import rfc3339
from cluster.controllers.base import DONE, Controller, Result

FINALIZER = "kubernetes"
FINALIZER_ESTIMATE_SECONDS = 15  # upstream's wait for content with metadata finalizers
# One entry per storage location (core and events.k8s.io Events share /registry/events/).
NAMESPACED: tuple[ResourceType, ...] = tuple(
    r for i, r in enumerate(RESOURCES) if r.namespaced and r.etcd_prefix not in {x.etcd_prefix for x in RESOURCES[:i]}
)

_CONDITION_TYPES = (
    "NamespaceDeletionDiscoveryFailure",
    "NamespaceDeletionGroupVersionParsingFailure",
    "NamespaceDeletionContentFailure",
    "NamespaceContentRemaining",
    "NamespaceFinalizersRemaining",
)
_OK = {
    "NamespaceDeletionDiscoveryFailure": ("ResourcesDiscovered", "All resources successfully discovered"),
    "NamespaceDeletionGroupVersionParsingFailure": ("ParsedGroupVersions", "All legacy kube types successfully parsed"),
    "NamespaceDeletionContentFailure": (
        "ContentDeleted",
        "All content successfully deleted, may be waiting on finalization",
    ),
    "NamespaceContentRemaining": ("ContentRemoved", "All content successfully removed"),
    "NamespaceFinalizersRemaining": ("ContentHasNoFinalizers", "All content-preserving finalizers finished"),
}


class NamespaceController(Controller):
    name = "namespace-controller"
    watches = ("namespaces",)

    def keys_for(self, resource: str, event: WatchEvent) -> list[str]:
        if event.type == "DELETED" or not event.object.get("metadata", {}).get("deletionTimestamp"):
            return []
        return [event.object["metadata"]["name"]]

    def reconcile(self, key: str) -> Result:
        try:
            namespace = self.api.get("namespaces", None, key)
        except StatusError as err:
            if err.code == 404:
                return DONE
            raise
        if not namespace["metadata"].get("deletionTimestamp"):
            return DONE
        if FINALIZER not in ((namespace.get("spec") or {}).get("finalizers") or []):
            return DONE
        namespace = self._ensure_terminating(namespace)
        estimate, remaining, finalizers, failures = self.delete_all_content(key)
        self._update_conditions(namespace, remaining, finalizers, failures)
        if estimate > 0 or remaining or failures:
            return Result(requeue_after=float(max(estimate, 1) // 2 + 1))
        self.finalize(key)
        return DONE

    def _ensure_terminating(self, namespace: dict) -> dict:
        if (namespace.get("status") or {}).get("phase") == "Terminating":
            return namespace

        def put(obj: dict) -> dict:
            obj.setdefault("status", {})["phase"] = "Terminating"
            return obj

        return self.api.update_with("namespaces", None, namespace["metadata"]["name"], put, subresource="status")

    # -- content --------------------------------------------------------------------
    def delete_all_content(self, namespace: str) -> tuple[int, dict[str, int], dict[str, int], list[str]]:
        """Delete every object; return (seconds to wait, remaining per resource, finalizers, failures)."""
        estimate, failures = 0, []
        remaining: dict[str, int] = {}
        finalizers: dict[str, int] = {}
        for rt in NAMESPACED:
            if rt.kind == "Pod":
                estimate = max(estimate, self._pod_grace_estimate(namespace))
            for obj in self.api.list(rt, namespace)["items"]:
                if obj["metadata"].get("deletionTimestamp"):
                    continue
                try:
                    self.api.delete(rt, namespace, obj["metadata"]["name"], propagation_policy="Background")
                except StatusError as err:
                    if err.code != 404:
                        failures.append(f"{rt.group_resource}: {err.message}")
            left = self.api.list(rt, namespace)["items"]
            if not left:
                continue
            remaining[rt.group_resource] = len(left)
            for obj in left:
                for finalizer in obj["metadata"].get("finalizers") or []:
                    finalizers[finalizer] = finalizers.get(finalizer, 0) + 1
            if finalizers and estimate == 0:
                estimate = FINALIZER_ESTIMATE_SECONDS
        return estimate, remaining, finalizers, failures

    def _pod_grace_estimate(self, namespace: str) -> int:
        estimate = 0
        for pod in self.api.list("pods", namespace)["items"]:
            if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                continue
            grace = (pod.get("spec") or {}).get("terminationGracePeriodSeconds")
            if grace is not None and grace > estimate:
                estimate = int(grace)
        return estimate

    # -- status -----------------------------------------------------------------------
    def _update_conditions(
        self, namespace: dict, remaining: dict[str, int], finalizers: dict[str, int], failures: list[str]
    ) -> None:
        wanted = {t: ("False",) + _OK[t] for t in _CONDITION_TYPES}
        if failures:
            wanted["NamespaceDeletionContentFailure"] = (
                "True",
                "ContentDeletionFailed",
                f"Failed to delete all resource types, {len(failures)} remaining: {', '.join(failures)}",
            )
        if remaining:
            parts = sorted(f"{gr} has {n} resource instances" for gr, n in remaining.items())
            wanted["NamespaceContentRemaining"] = (
                "True",
                "SomeResourcesRemain",
                "Some resources are remaining: " + ", ".join(parts),
            )
        if finalizers:
            parts = sorted(f"{f} in {n} resource instances" for f, n in finalizers.items())
            wanted["NamespaceFinalizersRemaining"] = (
                "True",
                "SomeFinalizersRemain",
                "Some content in the namespace has finalizers remaining: " + ", ".join(parts),
            )
        current = {c.get("type"): c for c in (namespace.get("status") or {}).get("conditions") or []}
        now = rfc3339(self.api.now())
        conditions = []
        for type_ in _CONDITION_TYPES:
            status, reason, message = wanted[type_]
            old = current.get(type_)
            if old and (old.get("status"), old.get("reason"), old.get("message")) == (status, reason, message):
                conditions.append(old)
            else:
                conditions.append(
                    {"type": type_, "status": status, "lastTransitionTime": now, "reason": reason, "message": message}
                )
        if conditions == list((namespace.get("status") or {}).get("conditions") or []):
            return

        def put(obj: dict) -> dict:
            obj.setdefault("status", {})["conditions"] = conditions
            return obj

        self.api.update_with("namespaces", None, namespace["metadata"]["name"], put, subresource="status")

    def finalize(self, name: str) -> None:
        """PUT namespaces/<name>/finalize without `kubernetes`: kube-apiserver then deletes the Namespace."""

        def put(obj: dict) -> dict:
            kept = [f for f in (obj.get("spec") or {}).get("finalizers") or [] if f != FINALIZER]
            obj.setdefault("spec", {})["finalizers"] = kept
            return obj

        try:
            self.api.update_with("namespaces", None, name, put, subresource="finalize")
        except StatusError as err:
            if err.code != 404:
                raise
