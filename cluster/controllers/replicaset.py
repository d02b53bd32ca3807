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
that has not yet seen its own creates, are therefore not needed.
"""
from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer, WatchEvent
from cluster.controllers.base import DONE, Controller, Result, split_key
from cluster.controllers.controller_ref import claim
from cluster.controllers.controller_utils import (
    controller_of, is_being_deleted, is_pod_active, is_pod_ready, new_controller_ref, parse_time,
    pod_ready_condition, pods_to_delete, replicas_of, selector_matches,
)
from cluster.clock import rfc3339
from cluster.events import NORMAL, WARNING, record
from cluster.informers import Lister

COMPONENT = "replicaset-controller"
BURST_REPLICAS = 500  # upstream's --concurrent burst per sync
SLOW_START_INITIAL_BATCH = 1


@dataclass(frozen=True)
class PodFacts:
    """What one sync needs to know of a pod, for one ReplicaSet; valid for one resourceVersion."""

    active: bool
    owned: bool  # its controller reference names this ReplicaSet
    matches: bool  # its labels match the ReplicaSet's selector
    labeled: bool  # it carries every label of the template
    ready: bool
    ready_since: dt.datetime | None


class PodFactsCache:
    """PodFacts by pod, reused while neither the pod nor the ReplicaSet changed.

    A sync looks at every pod of its ReplicaSet; with thousands of replicas most
    of them are the same objects as last time, so their facts are remembered."""

    def __init__(self) -> None:
        # by pod name: (the informer's object, the ReplicaSet stamp, the facts). The informer
        # replaces an object whenever it changes, so the same object means the same pod version.
        self.entries: dict[str, tuple[dict, str, PodFacts]] = {}

    def facts_of(self, rs: dict, pods: list[dict], stamp: str) -> list[PodFacts]:
        entries, found = self.entries, []
        for pod in pods:
            name = pod["metadata"]["name"]
            entry = entries.get(name)
            if entry is None or entry[0] is not pod or entry[1] != stamp:
                entry = entries[name] = (pod, stamp, compute_facts(rs, pod))
            found.append(entry[2])
        return found


def compute_facts(rs: dict, pod: dict) -> PodFacts:
    template_labels = ((rs["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
    ready = is_pod_ready(pod)
    since = parse_time((pod_ready_condition(pod) or {}).get("lastTransitionTime")) if ready else None
    return PodFacts(active=is_pod_active(pod),
                    owned=(controller_of(pod) or {}).get("uid") == rs["metadata"]["uid"],
                    matches=selector_matches(rs["spec"].get("selector"), pod["metadata"].get("labels")),
                    labeled=_has_labels(pod, template_labels), ready=ready, ready_since=since)


class ReplicaSetController(Controller):
    name = "replicaset-controller"
    watches = ("replicasets", "pods")

    def __init__(self, api: APIServer) -> None:
        super().__init__(api)
        self.facts = PodFactsCache()

    def keys_for(self, resource: str, event: WatchEvent) -> list[str]:
        obj = event.object
        meta = obj.get("metadata", {})
        namespace = meta.get("namespace", "default")
        if resource == "replicasets":
            return [f"{namespace}/{meta['name']}"]
        if event.type == "DELETED":
            self.facts.entries.pop(meta["name"], None)
        ref = controller_of(obj)
        if ref is not None:
            return [f"{namespace}/{ref['name']}"] if ref.get("kind") == "ReplicaSet" else []
        if event.type == "DELETED":
            return []
        labels = meta.get("labels")
        return [f"{namespace}/{rs['metadata']['name']}" for rs in self.lister.list("replicasets", namespace)
                if selector_matches(rs["spec"].get("selector"), labels)]

    def reconcile(self, key: str) -> Result:
        namespace, name = split_key(key)
        try:
            rs = self.lister.get("replicasets", namespace, name)
        except StatusError as err:
            if err.code == 404:
                return DONE
            raise
        try:
            return ReplicaSetSync(self.api, rs, self.lister, self.facts).run()
        except StatusError as err:
            if err.code not in (404, 409):
                raise
            return Result(requeue_after=1.0)


class ReplicaSetSync:
    """One syncReplicaSet pass."""

    def __init__(self, api: APIServer, rs: dict, lister: Lister | None = None,
                 facts: PodFactsCache | None = None) -> None:
        self.api = api
        self.lister = lister or Lister(api)
        self.facts = facts or PodFactsCache()
        self.known: dict[int, PodFacts] = {}
        self.rs = rs
        self.namespace = rs["metadata"]["namespace"]

    def event(self, type_: str, reason: str, message: str) -> None:
        record(self.api, self.rs, type_, reason, message, COMPONENT)

    def facts_for(self, pod: dict) -> PodFacts:
        """This sync's facts of a candidate; a pod adopted during the sync is a new object."""
        known = self.known.get(id(pod))
        return known if known is not None else compute_facts(self.rs, pod)

    def run(self) -> Result:
        # FilterPodsByOwner: ours and the namespace's orphans, from the informer's controller-UID index
        candidates = self.lister.owned_or_orphans("pods", self.namespace, self.rs["metadata"]["uid"])
        # the facts read the pod, and the ReplicaSet's uid, selector and template (its spec: generation)
        stamp = f"{self.rs['metadata']['uid']}/{self.rs['metadata'].get('generation')}"
        known = self.facts.facts_of(self.rs, candidates, stamp)
        self.known = {id(pod): facts for pod, facts in zip(candidates, known)}
        pods = self.claim_pods([p for p, facts in zip(candidates, known) if facts.active])
        error = None
        if not is_being_deleted(self.rs):
            error = self.manage_replicas(pods)
        updated = self.update_status(self.calculate_status(pods, error))
        min_ready = int(updated["spec"].get("minReadySeconds") or 0)
        status = updated.get("status") or {}
        if error is None and min_ready > 0 and status.get("readyReplicas", 0) == replicas_of(updated) and \
                status.get("availableReplicas", 0) != replicas_of(updated):
            return Result(requeue_after=float(min_ready))
        return DONE

    # -- ownership --------------------------------------------------------------
    def claim_pods(self, pods: list[dict]) -> list[dict]:
        """ClaimPods: keep our matching pods, adopt matching orphans, release ours that stopped matching."""
        kept, others = [], []
        for pod in pods:
            facts = self.facts_for(pod)
            (kept if facts.owned and facts.matches else others).append(pod)
        return kept + claim(self.api, self.rs, "pods", others) if others else kept

    # -- replicas -----------------------------------------------------------------
    def manage_replicas(self, pods: list[dict]) -> StatusError | None:
        diff = len(pods) - replicas_of(self.rs)
        if diff < 0:
            return self.create_pods(min(-diff, BURST_REPLICAS))
        if diff > 0:
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
        siblings = [rs for rs in self.lister.list("replicasets", self.namespace)
                    if (controller_of(rs) or {}).get("uid") == owner.get("uid")]
        return [p for p in self.lister.list("pods", self.namespace)
                if any(selector_matches(rs["spec"].get("selector"), p["metadata"].get("labels")) for rs in siblings)]

    # -- status ---------------------------------------------------------------------
    def calculate_status(self, pods: list[dict], error: StatusError | None) -> dict:
        rs, now = self.rs, self.api.now()
        min_ready = dt.timedelta(seconds=int(rs["spec"].get("minReadySeconds") or 0))
        facts = [self.facts_for(p) for p in pods]
        labeled = sum(1 for f in facts if f.labeled)
        ready = [f for f in facts if f.ready]
        # podutil.IsPodAvailable: ready, and for longer than minReadySeconds
        available = sum(1 for f in ready if not min_ready or (f.ready_since is not None
                                                               and f.ready_since + min_ready < now))
        status = copy.deepcopy(rs.get("status") or {})
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "ReplicaFailure"]
        failure = next((c for c in status.get("conditions") or [] if c.get("type") == "ReplicaFailure"), None)
        if error is not None and failure is None:
            reason = "FailedCreate" if len(pods) < replicas_of(rs) else "FailedDelete"
            conditions.append({"type": "ReplicaFailure", "status": "True", "lastTransitionTime": rfc3339(now),
                               "reason": reason, "message": _error_text(error)})
        elif error is not None:
            conditions.append(failure)
        status["conditions"] = conditions
        status.update(replicas=len(pods), fullyLabeledReplicas=labeled, readyReplicas=len(ready),
                      availableReplicas=available)
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

        self.rs = self.api.update_with("replicasets", self.namespace, self.rs["metadata"]["name"], put,
                                       subresource="status")
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
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta,
            "spec": copy.deepcopy(template.get("spec") or {})}


def _has_labels(pod: dict, wanted: dict) -> bool:
    labels = pod["metadata"].get("labels") or {}
    return all(labels.get(k) == v for k, v in wanted.items())


def _error_text(error: StatusError) -> str:
    return str(error.message)


def _clean_status(status: dict) -> dict:
    """ReplicaSetStatus as JSON: `replicas` always, the other counts and conditions only when set."""
    clean = {k: v for k, v in status.items() if v not in (0, None, [], {})}
    clean["replicas"] = status.get("replicas", 0)
    return clean
