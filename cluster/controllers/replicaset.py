"""kube-controller-manager's replicaset controller (pkg/controller/replicaset).

Keeps `spec.replicas` pods matching the selector: adopts matching orphans,
releases pods that stopped matching, creates missing pods from the template
(Pending, no nodeName: the scheduler binds them) and deletes surplus pods in
ActivePods order. Terminating and finished pods do not count. Status reports
replicas, fullyLabeledReplicas, readyReplicas, availableReplicas (ready for
minReadySeconds of virtual time) and observedGeneration.

Reads come from the informer cache (cluster/informers.py), which the reconciler
brings up to date before every sync, so the controller always sees the pods it
created last time; upstream's expectations, which guard a sync against a cache
that has not yet seen its own creates, are therefore not needed. Each
ReplicaSet's pods and counts are followed from the cache's journal of changes
(cluster/controllers/replicaset_pods.py).
"""

from __future__ import annotations

import copy

from cluster import podutil
from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer, WatchEvent
from cluster.controllers.base import DONE, Controller, Result, split_key
from cluster.controllers.controller_ref import claim
from cluster.controllers.controller_utils import (
    controller_of,
    is_being_deleted,
    new_controller_ref,
    pods_to_delete,
    replicas_of,
    selector_matches,
)
from cluster.controllers.replicaset_pods import ReplicaSetPods, current_pods
from cluster.clock import rfc3339
from cluster.events import NORMAL, WARNING, record
from cluster.informers import Lister

COMPONENT = "replicaset-controller"
BURST_REPLICAS = 500  # upstream's --concurrent burst per sync
SLOW_START_INITIAL_BATCH = 1


class ReplicaSetController(Controller):
    name = "replicaset-controller"
    watches = ("replicasets", "pods")

    def __init__(self, api: APIServer) -> None:
        super().__init__(api)
        self.views: dict[str, ReplicaSetPods] = {}  # by ReplicaSet uid

    def keys_for(self, resource: str, event: WatchEvent) -> list[str]:
        obj = event.object
        meta = obj.get("metadata", {})
        namespace = meta.get("namespace", "default")
        if resource == "replicasets":
            if event.type == "DELETED":
                self.views.pop(meta.get("uid", ""), None)
            return [f"{namespace}/{meta['name']}"]
        ref = controller_of(obj)
        if ref is not None:
            return [f"{namespace}/{ref['name']}"] if ref.get("kind") == "ReplicaSet" else []
        if event.type == "DELETED":
            return []
        labels = meta.get("labels")
        return [
            f"{namespace}/{rs['metadata']['name']}"
            for rs in self.lister.list("replicasets", namespace)
            if selector_matches(rs["spec"].get("selector"), labels)
        ]

    def reconcile(self, key: str) -> Result:
        namespace, name = split_key(key)
        rs = self.lister.find("replicasets", namespace, name)
        if rs is None:
            return DONE
        # A refused request (a stale read's 409, a 404) propagates: the driver requeues the key with back-off.
        sync = ReplicaSetSync(self.api, rs, self.lister, self.views.get(rs["metadata"]["uid"]))
        result = sync.run()
        self.views[rs["metadata"]["uid"]] = sync.view
        return result


class ReplicaSetSync:
    """One syncReplicaSet pass."""

    view: ReplicaSetPods  # the pods as run() finds them: ours and the namespace's orphans

    def __init__(
        self, api: APIServer, rs: dict, lister: Lister | None = None, view: ReplicaSetPods | None = None
    ) -> None:
        self.api = api
        self.lister = lister or Lister(api)
        self.kept_view = view  # the view an earlier pass kept, brought up to date by run()
        self.rs = rs
        self.namespace = rs["metadata"]["namespace"]

    def event(self, type_: str, reason: str, message: str) -> None:
        record(self.api, self.rs, type_, reason, message, COMPONENT)

    def run(self) -> Result:
        # FilterPodsByOwner: ours and the namespace's orphans (replicaset_pods.py keeps the view)
        self.view = current_pods(self.rs, self.lister, self.kept_view)
        self.claim_pods()
        error = None
        if not is_being_deleted(self.rs):
            error = self.manage_replicas()
        updated = self.update_status(self.calculate_status(error))
        min_ready = int(updated["spec"].get("minReadySeconds") or 0)
        status = updated.get("status") or {}
        if (
            error is None
            and min_ready > 0
            and status.get("readyReplicas", 0) == replicas_of(updated)
            and status.get("availableReplicas", 0) != replicas_of(updated)
        ):
            return Result(requeue_after=float(min_ready))
        return DONE

    # -- ownership --------------------------------------------------------------
    def claim_pods(self) -> None:
        """ClaimPods: keep our matching pods, adopt matching orphans, release ours that stopped matching."""
        others = [self.view.others[name] for name in sorted(self.view.others)]
        for adopted in claim(self.api, self.rs, "pods", others) if others else []:
            self.view.put(self.rs, adopted)

    # -- replicas -----------------------------------------------------------------
    def manage_replicas(self) -> StatusError | None:
        diff = self.view.claimed - replicas_of(self.rs)
        if diff < 0:
            return self.create_pods(min(-diff, BURST_REPLICAS))
        if diff > 0:
            pods = sorted(self.view.claimed_pods(), key=lambda p: p["metadata"]["name"])
            victims = pods_to_delete(pods, self.related_pods(), min(diff, BURST_REPLICAS), self.api.now())
            return self.delete_pods(victims)
        return None

    def create_pods(self, count: int) -> StatusError | None:
        """slowStartBatch: 1, 2, 4, ... pods per batch, stopping at the first batch with a failure."""
        batch, remaining = SLOW_START_INITIAL_BATCH, count
        while remaining > 0:
            size = min(batch, remaining)
            for _ in range(size):
                error = self.create_pod()
                if error is not None:
                    return error
            remaining -= size
            batch *= 2
        return None

    def create_pod(self) -> StatusError | None:
        try:
            pod = self.api.create("pods", self.namespace, pod_from_template(self.rs))
        except StatusError as err:
            if err.code == 403 and "being terminated" in str(err.message):
                return err  # the namespace is going away: nothing to report
            self.event(WARNING, "FailedCreate", f"Error creating: {err.message}")
            return err
        self.event(NORMAL, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
        return None

    def delete_pods(self, pods: list[dict]) -> StatusError | None:
        failure = None
        for pod in pods:
            name = pod["metadata"]["name"]
            try:
                self.api.delete("pods", self.namespace, name)
            except StatusError as err:
                if err.code == 404:
                    continue
                self.event(WARNING, "FailedDelete", f"Error deleting: {err.message}")
                failure = err
                continue
            self.event(NORMAL, "SuccessfulDelete", f"Deleted pod: {name}")
        return failure

    def related_pods(self) -> list[dict]:
        """getIndirectlyRelatedPods: pods selected by any ReplicaSet sharing this one's controller."""
        owner = controller_of(self.rs)
        if owner is None:
            return []
        siblings = [
            rs
            for rs in self.lister.list("replicasets", self.namespace)
            if (controller_of(rs) or {}).get("uid") == owner.get("uid")
        ]
        return [
            p
            for p in self.lister.list("pods", self.namespace)
            if any(selector_matches(rs["spec"].get("selector"), p["metadata"].get("labels")) for rs in siblings)
        ]

    # -- status ---------------------------------------------------------------------
    def calculate_status(self, error: StatusError | None) -> dict:
        rs, now, view = self.rs, self.api.now(), self.view
        min_ready = int(rs["spec"].get("minReadySeconds") or 0)
        # podutil.IsPodAvailable, on the ready times the pod view keeps (no pod is read again)
        available = (
            view.ready
            if not min_ready
            else sum(1 for since in view.ready_since() if podutil.available_since(since, min_ready, now))
        )
        status = copy.deepcopy(rs.get("status") or {})
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "ReplicaFailure"]
        failure = next((c for c in status.get("conditions") or [] if c.get("type") == "ReplicaFailure"), None)
        if error is not None and failure is None:
            reason = "FailedCreate" if view.claimed < replicas_of(rs) else "FailedDelete"
            conditions.append(
                {
                    "type": "ReplicaFailure",
                    "status": "True",
                    "lastTransitionTime": rfc3339(now),
                    "reason": reason,
                    "message": _error_text(error),
                }
            )
        elif error is not None:
            conditions.append(failure)
        status["conditions"] = conditions
        status.update(
            replicas=view.claimed,
            fullyLabeledReplicas=view.labeled,
            readyReplicas=view.ready,
            availableReplicas=available,
        )
        return status

    def update_status(self, status: dict) -> dict:
        """updateReplicaSetStatus: write only a change (observedGeneration included)."""
        status["observedGeneration"] = self.rs["metadata"].get("generation", 0)
        clean = _clean_status(status)
        if clean == _clean_status(self.rs.get("status") or {}):
            return self.rs

        def put(obj: dict) -> dict:
            obj["status"] = clean
            return obj

        self.rs = self.api.update_with(
            "replicasets", self.namespace, self.rs["metadata"]["name"], put, subresource="status"
        )
        return self.rs


def pod_from_template(rs: dict) -> dict:
    """GetPodFromTemplate: the template's labels, annotations and finalizers, our controller ref, its spec."""
    template = rs["spec"].get("template") or {}
    meta = template.get("metadata") or {}
    pod_meta: dict = {"generateName": f"{rs['metadata']['name']}-", "namespace": rs["metadata"]["namespace"]}
    for field in ("labels", "annotations", "finalizers"):
        if meta.get(field):
            pod_meta[field] = copy.deepcopy(meta[field])
    pod_meta["ownerReferences"] = [new_controller_ref(rs)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": copy.deepcopy(template.get("spec") or {})}


def _error_text(error: StatusError) -> str:
    return str(error.message)


def _clean_status(status: dict) -> dict:
    """ReplicaSetStatus as JSON: `replicas` always, the other counts and conditions only when set."""
    clean = {k: v for k, v in status.items() if v not in (0, None, [], {})}
    clean["replicas"] = status.get("replicas", 0)
    return clean
