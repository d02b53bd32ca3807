"""kube-controller-manager's statefulset controller (pkg/controller/statefulset: stateful_set.go,
stateful_set_control.go).

A StatefulSet owns pods `<set>-0 … <set>-(replicas-1)` (cluster/controllers/statefulset_pods.py gives
each its identity and claims). Each sync:
1. claims its pods (those named after it) and ControllerRevisions, and finds the
   current revision (status.currentRevision) and the update revision (the
   template now: an equal older revision is renumbered, else a new one is made);
2. walks the ordinals in order: a failed or succeeded pod is deleted and made
   again; a missing one is created (its claims first). With podManagementPolicy
   OrderedReady it waits until each pod is Running and Ready (and available for
   minReadySeconds) before the next, and stops at a terminating one; with
   Parallel it does all at once;
3. deletes pods beyond the replica count, highest ordinal first, one at a time
   with OrderedReady (only when all others are healthy, or it is the unhealthy one);
4. with RollingUpdate, deletes the highest-ordinal pod at or above
   partition that is not at the update revision (it is made again from the new
   template), one at a time, waiting for each to be Running and Ready; OnDelete
   replaces a pod only when someone deletes it;
5. writes status (replicas, ready, available, current and updated counts and
   revisions; the rollout completes when every pod is updated and ready) and
   deletes revisions beyond revisionHistoryLimit that nothing uses.
Events are upstream's: `create Claim www-web-0 Pod web-0 in StatefulSet web
success`, `create Pod web-0 in StatefulSet web successful`, `delete Pod …
successful`, RecreatingFailedPod.

The persistentVolumeClaimRetentionPolicy is kept with owner references on the
claims: the set's for whenDeleted: Delete, a scaled-away pod's for whenScaled:
Delete, so the garbage collector deletes a claim with its owner.

Simplified: no maxUnavailable rolling updates (alpha), no expectations (the
informer cache is current).
"""

from __future__ import annotations

from cluster import steps
from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer, WatchEvent
from cluster.controllers import history as hist
from cluster.controllers import statefulset_pods as ssp
from cluster.controllers.base import DONE, Controller, Result, split_key
from cluster.controllers.controller_ref import claim
from cluster.controllers.controller_utils import controller_of, is_pod_available, is_pod_ready, selector_matches
from cluster.events import NORMAL, WARNING, record

COMPONENT = "statefulset-controller"


class StatefulSetController(Controller):
    name = COMPONENT
    watches = ("statefulsets", "pods", "controllerrevisions")

    def keys_for(self, resource: str, event: WatchEvent) -> list[str]:
        obj = event.object
        meta = obj["metadata"]
        if resource == "statefulsets":
            return [f"{meta['namespace']}/{meta['name']}"]
        ref = controller_of(obj)
        if ref is not None:
            return [f"{meta['namespace']}/{ref['name']}"] if ref.get("kind") == "StatefulSet" else []
        if event.type == "DELETED" or resource != "pods":
            return []
        return [
            f"{meta['namespace']}/{s['metadata']['name']}"
            for s in self.lister.list("statefulsets", meta["namespace"])
            if selector_matches((s.get("spec") or {}).get("selector"), meta.get("labels"))
        ]

    def reconcile(self, key: str) -> Result:
        namespace, name = split_key(key)
        sts = self.lister.find("statefulsets", namespace, name)
        if sts is None:
            return DONE
        return StatefulSetSync(self.api, sts, self.lister).run()


def is_running_and_ready(pod: dict) -> bool:
    return ssp.phase(pod) == "Running" and is_pod_ready(pod)


def is_healthy(pod: dict) -> bool:
    return is_running_and_ready(pod) and not ssp.is_terminating(pod)


class StatefulSetSync:
    def __init__(self, api: APIServer, sts: dict, lister) -> None:
        self.api, self.sts, self.lister = api, sts, lister
        self.namespace = sts["metadata"]["namespace"]
        self.spec = sts.get("spec") or {}
        self.now = api.now()
        self.min_ready = int(self.spec.get("minReadySeconds") or 0)

    def event(self, type_: str, reason: str, message: str) -> None:
        record(self.api, self.sts, type_, reason, message, COMPONENT)

    def available(self, pod: dict) -> bool:
        return is_running_and_ready(pod) and is_pod_available(pod, self.min_ready, self.now)

    def run(self) -> Result:
        revisions = hist.controlled_revisions(self.api, self.lister, self.sts)
        pods = self.claim_pods()
        current, update, collision = self.revisions(revisions)
        status, replicas, condemned = self.update(current, update, collision, pods)
        self.write_status(status, replicas + condemned, current, update)
        self.truncate_history(revisions, pods, current, update)
        ready, available = status.get("readyReplicas", 0), status.get("availableReplicas", 0)
        return Result(requeue_after=float(self.min_ready)) if self.min_ready and ready != available else DONE

    def claim_pods(self) -> list[dict]:
        candidates = [
            p
            for p in self.lister.owned_or_orphans("pods", self.namespace, self.sts["metadata"]["uid"])
            if ssp.is_member(self.sts, p)
        ]
        return claim(self.api, self.sts, "pods", candidates) if candidates else []

    # -- revisions ---------------------------------------------------------------------
    def new_revision(self, number: int, collision: int) -> dict:
        data = hist.template_patch(self.sts)
        return hist.new_revision(
            self.sts, data, number, hist.hash_revision(data, collision), self.sts["metadata"].get("annotations")
        )

    def revisions(self, revisions: list[dict]) -> tuple[dict, dict, int]:
        """getStatefulSetRevisions: (current revision, update revision, collision count)."""
        revisions = hist.sort_revisions(revisions)
        collision = int((self.sts.get("status") or {}).get("collisionCount") or 0)
        wanted = self.new_revision(hist.max_revision(revisions) + 1, collision)
        equal = [r for r in revisions if r.get("data") == wanted["data"]]
        if equal and revisions and equal[-1]["metadata"]["name"] == revisions[-1]["metadata"]["name"]:
            update = revisions[-1]
        elif equal:
            steps.because(self.api, "request.revision.renumber", revision=wanted["revision"])
            update = hist.set_revision_number(self.api, equal[-1], wanted["revision"])
        else:
            steps.because(self.api, "request.revision.create", revision=wanted["revision"])
            update, collision = hist.create_revision(
                self.api, self.sts, lambda count: self.new_revision(wanted["revision"], count), collision
            )
        name = (self.sts.get("status") or {}).get("currentRevision")
        current = next((r for r in revisions if r["metadata"]["name"] == name), update)
        return current, update, collision

    def truncate_history(self, revisions: list[dict], pods: list[dict], current: dict, update: dict) -> None:
        live = {current["metadata"]["name"], update["metadata"]["name"]} | {ssp.revision_of(p) for p in pods}
        old = [r for r in hist.sort_revisions(revisions) if r["metadata"]["name"] not in live]
        limit = int(self.spec.get("revisionHistoryLimit", 10))
        for revision in old[: max(0, len(old) - limit)]:
            hist.delete_revision(self.api, revision)

    # -- updateStatefulSet ---------------------------------------------------------------
    def versioned_pod(self, ordinal: int, current: dict, update: dict) -> dict:
        """newVersionedStatefulSetPod: ordinals below the partition keep the current revision."""
        strategy = self.spec.get("updateStrategy") or {}
        rolling = strategy.get("rollingUpdate")
        current_count = int((self.sts.get("status") or {}).get("currentReplicas") or 0)
        if (strategy.get("type") == "RollingUpdate" and rolling is None and ordinal < current_count) or (
            rolling is not None and ordinal < int(rolling.get("partition") or 0)
        ):
            return ssp.new_pod(hist.apply_revision(self.sts, current), ordinal, current["metadata"]["name"])
        return ssp.new_pod(hist.apply_revision(self.sts, update), ordinal, update["metadata"]["name"])

    def update(
        self, current: dict, update: dict, collision: int, pods: list[dict]
    ) -> tuple[dict, list[dict], list[dict]]:
        count, start = int(self.spec.get("replicas", 1)), ssp.start_ordinal(self.sts)
        replicas: list[dict | None] = [None] * count
        condemned = []
        for pod in pods:
            if ssp.in_range(self.sts, pod):
                replicas[ssp.ordinal(pod) - start] = pod
            elif ssp.ordinal(pod) >= 0:
                condemned.append(pod)
        slots = [pod or self.versioned_pod(start + i, current, update) for i, pod in enumerate(replicas)]
        condemned.sort(key=ssp.ordinal, reverse=True)
        unhealthy = next((p for p in slots + condemned[::-1] if not is_healthy(p)), None)
        status = {
            "observedGeneration": self.sts["metadata"].get("generation", 0),
            "currentRevision": current["metadata"]["name"],
            "updateRevision": update["metadata"]["name"],
            "collisionCount": collision,
        }
        if not self.sts["metadata"].get("deletionTimestamp"):
            self.converge(slots, condemned, unhealthy, current, update)
        return status, slots, condemned

    def converge(
        self, slots: list[dict], condemned: list[dict], unhealthy: dict | None, current: dict, update: dict
    ) -> None:
        monotonic = self.spec.get("podManagementPolicy") != "Parallel"
        for i in range(len(slots)):
            if self.process_replica(slots, i, current, update, monotonic) and monotonic:
                return
        for pod in condemned:
            self.fix_claim_owners(pod)
        for pod in condemned:
            if self.process_condemned(pod, unhealthy, monotonic) and monotonic:
                return
        if (self.spec.get("updateStrategy") or {}).get("type") == "RollingUpdate":
            self.rolling_update(slots, update)

    def process_replica(self, slots: list[dict], i: int, current: dict, update: dict, monotonic: bool) -> bool:
        """processReplica: whether a monotonic walk must stop at this ordinal."""
        pod = slots[i]
        if ssp.phase(pod) in ("Failed", "Succeeded"):
            reason, type_ = (
                ("RecreatingFailedPod", WARNING) if ssp.phase(pod) == "Failed" else ("RecreatingTerminatedPod", NORMAL)
            )
            word = "failed" if type_ == WARNING else "terminated"
            self.event(
                type_,
                reason,
                f"StatefulSet {self.namespace}/{self.sts['metadata']['name']} is recreating "
                f"{word} Pod {pod['metadata']['name']}",
            )
            if not self.delete_pod(pod, "request.statefulset.recreate"):
                return True
            pod = slots[i] = self.versioned_pod(ssp.ordinal(pod), current, update)
        if not ssp.is_created(pod):
            if not self.create_pod(pod):
                return True
            if monotonic:
                return True
        if ssp.phase(pod) == "Pending":
            self.create_claims(pod)
        if monotonic and (ssp.is_terminating(pod) or not is_running_and_ready(pod) or not self.available(pod)):
            return True
        if not (ssp.identity_matches(self.sts, pod) and ssp.storage_matches(self.sts, pod)):
            self.restore_identity(pod)
        self.fix_claim_owners(pod)
        return False

    def process_condemned(self, pod: dict, unhealthy: dict | None, monotonic: bool) -> bool:
        if ssp.is_terminating(pod):
            return monotonic
        if monotonic and pod is not unhealthy and (not is_running_and_ready(pod) or not self.available(pod)):
            return True
        self.delete_pod(pod, "request.statefulset.scaledown")
        return True

    def rolling_update(self, slots: list[dict], update: dict) -> None:
        """Delete the highest ordinal at or above the partition not at the update revision; one at a time."""
        rolling = (self.spec.get("updateStrategy") or {}).get("rollingUpdate") or {}
        partition = int(rolling.get("partition") or 0)
        for target in range(len(slots) - 1, partition - 1, -1):
            pod = slots[target]
            if ssp.revision_of(pod) != update["metadata"]["name"] and not ssp.is_terminating(pod):
                if ssp.is_created(pod):
                    self.delete_pod(pod, "request.statefulset.update")
                return
            if not is_healthy(pod):
                return

    # -- pod control (stateful_pod_control.go) -----------------------------------------------
    def create_claims(self, pod: dict) -> bool:
        ok = True
        for _template, wanted in ssp.claims_for(self.sts, ssp.ordinal(pod)):
            name = wanted["metadata"]["name"]
            existing = self.lister.find("persistentvolumeclaims", self.namespace, name)
            if existing is not None:
                ok &= not existing["metadata"].get("deletionTimestamp")
                continue
            steps.because(self.api, "request.statefulset.claim", pod=pod["metadata"]["name"])
            try:
                self.api.create("persistentvolumeclaims", self.namespace, wanted)
            except StatusError as err:
                if err.reason == "AlreadyExists":
                    continue
                self.claim_event(pod, name, err)
                ok = False
                continue
            self.claim_event(pod, name, None)
        return ok

    def claim_event(self, pod: dict, claim: str, err: StatusError | None) -> None:
        set_name, pod_name = self.sts["metadata"]["name"], pod["metadata"]["name"]
        if err is None:
            self.event(
                NORMAL, "SuccessfulCreate", f"create Claim {claim} Pod {pod_name} in StatefulSet {set_name} success"
            )
        else:
            self.event(
                WARNING,
                "FailedCreate",
                f"create Claim {claim} for Pod {pod_name} in StatefulSet {set_name} "
                f"failed error: failed to create PVC {claim}: {err.message}",
            )

    def pod_event(self, verb: str, pod: dict, err: StatusError | None) -> None:
        set_name, pod_name = self.sts["metadata"]["name"], pod["metadata"]["name"]
        if err is None:
            self.event(
                NORMAL, f"Successful{verb.title()}", f"{verb} Pod {pod_name} in StatefulSet {set_name} successful"
            )
        else:
            self.event(
                WARNING,
                f"Failed{verb.title()}",
                f"{verb} Pod {pod_name} in StatefulSet {set_name} failed error: {err.message}",
            )

    def create_pod(self, pod: dict) -> bool:
        """CreateStatefulPod: the claims first, then the pod."""
        if not self.create_claims(pod):
            return False
        steps.because(self.api, "request.statefulset.create", ordinal=ssp.ordinal(pod))
        try:
            created = self.api.create("pods", self.namespace, pod)
        except StatusError as err:
            if err.reason != "AlreadyExists":
                self.pod_event("create", pod, err)
            return False
        self.fix_claim_owners(created)
        self.pod_event("create", pod, None)
        return True

    def fix_claim_owners(self, pod: dict) -> None:
        """UpdatePodClaimForRetentionPolicy: owner references on the pod's claims as the policy asks."""
        if ssp.retention(self.sts) == ("Retain", "Retain") and not any(
            (c["metadata"].get("ownerReferences")) for c in self.pod_claims(pod)
        ):
            return
        for pvc in self.pod_claims(pod):
            refs = ssp.with_claim_owners(pvc, self.sts, pod)
            if refs is None:
                continue

            def put(obj: dict, refs: list[dict] = refs) -> dict:
                if refs:
                    obj["metadata"]["ownerReferences"] = refs
                else:
                    obj["metadata"].pop("ownerReferences", None)
                return obj

            self.api.update_with("persistentvolumeclaims", self.namespace, pvc["metadata"]["name"], put)

    def pod_claims(self, pod: dict) -> list[dict]:
        found = (
            self.lister.peek("persistentvolumeclaims", self.namespace, claim["metadata"]["name"])
            for _template, claim in ssp.claims_for(self.sts, ssp.ordinal(pod))
        )
        return [claim for claim in found if claim is not None]

    def delete_pod(self, pod: dict, why: str) -> bool:
        steps.because(self.api, why, ordinal=ssp.ordinal(pod))
        try:
            self.api.delete("pods", self.namespace, pod["metadata"]["name"])
        except StatusError as err:
            if err.code == 404:
                return True
            self.pod_event("delete", pod, err)
            return False
        self.pod_event("delete", pod, None)
        return True

    def restore_identity(self, pod: dict) -> None:
        """UpdateStatefulPod: put back the pod-name and index labels, and the claims."""
        self.create_claims(pod)

        def put(obj: dict) -> dict:
            labels = obj["metadata"].setdefault("labels", {})
            labels[ssp.POD_NAME_LABEL] = obj["metadata"]["name"]
            labels[ssp.POD_INDEX_LABEL] = str(ssp.ordinal(obj))
            return obj

        self.api.update_with("pods", self.namespace, pod["metadata"]["name"], put)
        self.pod_event("update", pod, None)

    # -- status -------------------------------------------------------------------------------
    def write_status(self, status: dict, pods: list[dict], current: dict, update: dict) -> None:
        """updateStatus, completeRollingUpdate and, if anything changed, the status write."""
        counts = dict.fromkeys(
            ("replicas", "readyReplicas", "availableReplicas", "currentReplicas", "updatedReplicas"), 0
        )
        for pod in pods:
            if not ssp.is_created(pod):
                continue
            counts["replicas"] += 1
            if is_running_and_ready(pod):
                counts["readyReplicas"] += 1
                counts["availableReplicas"] += self.available(pod)
            if not ssp.is_terminating(pod):
                counts["currentReplicas"] += ssp.revision_of(pod) == current["metadata"]["name"]
                counts["updatedReplicas"] += ssp.revision_of(pod) == update["metadata"]["name"]
        status.update(counts)
        if (
            (self.spec.get("updateStrategy") or {}).get("type") == "RollingUpdate"
            and status["updatedReplicas"] == status["replicas"]
            and status["readyReplicas"] == status["replicas"]
        ):
            status["currentReplicas"] = status["updatedReplicas"]
            status["currentRevision"] = status["updateRevision"]
        clean = {
            k: v
            for k, v in status.items()
            if v not in (0, "", None) or k in ("replicas", "availableReplicas", "collisionCount")
        }
        if clean == (self.sts.get("status") or {}):
            return

        def put(obj: dict) -> dict:
            obj["status"] = clean
            return obj

        self.sts = self.api.update_with(
            "statefulsets", self.namespace, self.sts["metadata"]["name"], put, subresource="status"
        )
