"""kube-controller-manager's PersistentVolume controller, the binder half
(pkg/controller/volume/persistentvolume/pv_controller.go).

Claims: an unbound claim gets the best matching Available PV (pv_matching.py) and
both sides are written as upstream writes them (PV claimRef, then PV phase Bound,
then claim volumeName and annotations, then claim phase Bound with the PV's access
modes and capacity). With no PV, a claim of a StorageClass is handed to the class's
provisioner (annotations volume.kubernetes.io/storage-provisioner, event
ExternalProvisioning) — at once for Immediate classes, and for WaitForFirstConsumer
only once the scheduler has written volume.kubernetes.io/selected-node. Until then
the claim waits (event WaitForFirstConsumer). Bound claims whose PV vanished are Lost.

Volumes: an unclaimed PV is Available; when its claim is deleted it is Released and
its reclaim policy runs: Retain keeps it, Delete removes it (a dynamically provisioned
PV is left to its external provisioner, a hostPath PV under /tmp is removed as the
in-tree hostPath deleter does, others fail as upstream's do). Claims are synced again
every 15 s (--pvclaimbinder-sync-period) while Pending.

Simplified: Recycle (deprecated upstream) scrubs hostPath and NFS volumes at once,
without a recycler pod; no volume expansion, no CSI migration annotations.
"""

from __future__ import annotations

import copy
import re

from cluster import clock
from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer, WatchEvent
from cluster.controllers.base import DONE, Controller, Result
from cluster.controllers.pv_matching import (
    check_volume_satisfies_claim,
    claim_class,
    find_best_match,
    is_bound_to,
    volume_mode_mismatch,
)
from cluster.events import NORMAL, WARNING, record

COMPONENT = "persistentvolume-controller"  # the event source kube-controller-manager reports
SYNC_PERIOD = 15.0  # --pvclaimbinder-sync-period
ANN_BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
ANN_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
ANN_STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
ANN_BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"
ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node"
ANN_DYNAMICALLY_PROVISIONED = "pv.kubernetes.io/provisioned-by"
EXTERNAL_PROVISIONING = (
    "Waiting for a volume to be created either by the external provisioner '{}' or manually "
    "by the system administrator. If volume creation is delayed, please verify that the "
    "provisioner is running and correctly registered."
)


class PersistentVolumeBinderController(Controller):
    name = "persistentvolume-binder-controller"
    watches = ("persistentvolumeclaims", "persistentvolumes")

    def keys_for(self, resource: str, event: WatchEvent) -> list[str]:
        """Claims are keyed `namespace/name`, volumes by their name (as upstream's two queues)."""
        obj = event.object
        meta = obj["metadata"]
        if resource == "persistentvolumeclaims":
            keys = [f"{meta['namespace']}/{meta['name']}"]
            volume_name = (obj.get("spec") or {}).get("volumeName")
            if event.type == "DELETED" and volume_name:
                keys.append(volume_name)  # deleteClaim: the volume must be released
            return keys
        keys = [meta["name"]]
        ref = (obj.get("spec") or {}).get("claimRef")
        if ref and ref.get("namespace") and ref.get("name"):
            keys.append(f"{ref['namespace']}/{ref['name']}")
        return keys

    def reconcile(self, key: str) -> Result:
        # A refused request propagates: the driver requeues the key with back-off.
        if "/" in key:
            namespace, _, name = key.partition("/")
            return self.sync_claim_key(namespace, name)
        return self.sync_volume_key(key)

    def sync_claim_key(self, namespace: str, name: str) -> Result:
        try:
            claim = self.api.get("persistentvolumeclaims", namespace, name)
        except StatusError as err:
            if err.code == 404:
                return DONE
            raise
        if claim["metadata"].get("deletionTimestamp"):
            return DONE
        ClaimSync(self.api, claim).run()
        return (
            DONE
            if _phase(self.api.get("persistentvolumeclaims", namespace, name)) == "Bound"
            else Result(requeue_after=SYNC_PERIOD)
        )

    def sync_volume_key(self, name: str) -> Result:
        try:
            volume = self.api.get("persistentvolumes", "", name)
        except StatusError as err:
            if err.code == 404:
                return DONE
            raise
        VolumeSync(self.api, volume).run()
        return DONE


# -- writes both halves share ---------------------------------------------------------
def _phase(obj: dict) -> str:
    return (obj.get("status") or {}).get("phase") or ""


def _annotations(obj: dict) -> dict:
    return obj["metadata"].get("annotations") or {}


def event(api: APIServer, obj: dict, type_: str, reason: str, message: str) -> None:
    record(api, obj, type_, reason, message, COMPONENT)


def update_volume_phase(api: APIServer, volume: dict, phase: str, message: str = "") -> dict:
    """updateVolumePhase: write status.phase (and message) when they change."""
    status = volume.get("status") or {}
    if status.get("phase") == phase and (status.get("message") or "") == message:
        return volume
    now = clock.rfc3339(api.now())

    def put(pv: dict) -> dict:
        new = pv.setdefault("status", {})
        if new.get("phase") != phase:
            new["lastPhaseTransitionTime"] = now
        new["phase"] = phase
        if message:
            new["message"] = message
        else:
            new.pop("message", None)
        return pv

    return api.update_with("persistentvolumes", "", volume["metadata"]["name"], put, subresource="status")


def update_volume_phase_with_event(
    api: APIServer, volume: dict, phase: str, type_: str, reason: str, message: str
) -> dict:
    if _phase(volume) == phase:
        return volume  # already there: do not repeat the event
    updated = update_volume_phase(api, volume, phase, message)
    event(api, updated, type_, reason, message)
    return updated


def update_claim_status(api: APIServer, claim: dict, phase: str, volume: dict | None) -> dict:
    """updateClaimStatus: phase, and the bound PV's access modes and (on binding) capacity."""
    status = copy.deepcopy(claim.get("status") or {})
    old_phase = status.get("phase")
    status["phase"] = phase
    if volume is None:
        status.pop("accessModes", None)
        status.pop("capacity", None)
    else:
        status["accessModes"] = copy.deepcopy((volume.get("spec") or {}).get("accessModes"))
        if old_phase != phase:
            status["capacity"] = copy.deepcopy((volume.get("spec") or {}).get("capacity"))
    if status == (claim.get("status") or {}):
        return claim

    def put(pvc: dict) -> dict:
        pvc["status"] = status
        return pvc

    meta = claim["metadata"]
    return api.update_with("persistentvolumeclaims", meta["namespace"], meta["name"], put, subresource="status")


def bind(api: APIServer, volume: dict, claim: dict) -> None:
    """bind: the volume's claimRef and phase first, then the claim's volumeName and phase."""
    volume = bind_volume_to_claim(api, volume, claim)
    volume = update_volume_phase(api, volume, "Bound")
    claim = bind_claim_to_volume(api, claim, volume)
    update_claim_status(api, claim, "Bound", volume)


def bind_volume_to_claim(api: APIServer, volume: dict, claim: dict) -> dict:
    by_controller = not is_bound_to(volume, claim)
    meta = claim["metadata"]
    ref = (volume.get("spec") or {}).get("claimRef") or {}
    wants_ref = (ref.get("name"), ref.get("namespace"), ref.get("uid")) != (
        meta["name"],
        meta["namespace"],
        meta["uid"],
    )
    wants_annotation = by_controller and ANN_BOUND_BY_CONTROLLER not in _annotations(volume)
    if not wants_ref and not wants_annotation:
        return volume

    def put(pv: dict) -> dict:
        if wants_ref:
            pv["spec"]["claimRef"] = claim_reference(claim)
        if wants_annotation:
            pv["metadata"].setdefault("annotations", {})[ANN_BOUND_BY_CONTROLLER] = "yes"
        return pv

    return api.update_with("persistentvolumes", "", volume["metadata"]["name"], put)


def claim_reference(claim: dict) -> dict:
    """reference.GetReference: the ObjectReference a PV's claimRef holds."""
    meta = claim["metadata"]
    return {
        "kind": "PersistentVolumeClaim",
        "namespace": meta["namespace"],
        "name": meta["name"],
        "uid": meta["uid"],
        "apiVersion": "v1",
        "resourceVersion": meta["resourceVersion"],
    }


def bind_claim_to_volume(api: APIServer, claim: dict, volume: dict) -> dict:
    should_bind = (claim.get("spec") or {}).get("volumeName") != volume["metadata"]["name"]
    annotations = _annotations(claim)
    if not should_bind and ANN_BIND_COMPLETED in annotations:
        return claim

    def put(pvc: dict) -> dict:
        wanted = pvc["metadata"].setdefault("annotations", {})
        if should_bind:
            pvc["spec"]["volumeName"] = volume["metadata"]["name"]
            wanted.setdefault(ANN_BOUND_BY_CONTROLLER, "yes")
        wanted.setdefault(ANN_BIND_COMPLETED, "yes")
        return pvc

    meta = claim["metadata"]
    return api.update_with("persistentvolumeclaims", meta["namespace"], meta["name"], put)


# -- claims -------------------------------------------------------------------------
class ClaimSync:
    """syncClaim for one PersistentVolumeClaim."""

    def __init__(self, api: APIServer, claim: dict) -> None:
        self.api, self.claim = api, claim
        self.namespace, self.name = claim["metadata"]["namespace"], claim["metadata"]["name"]

    def run(self) -> None:
        if ANN_BIND_COMPLETED in _annotations(self.claim):
            self.sync_bound()
        else:
            self.sync_unbound()

    def event(self, type_: str, reason: str, message: str) -> None:
        event(self.api, self.claim, type_, reason, message)

    def pending(self) -> None:
        update_claim_status(self.api, self.claim, "Pending", None)

    def volume(self, name: str) -> dict | None:
        try:
            return self.api.get("persistentvolumes", "", name)
        except StatusError as err:
            if err.code == 404:
                return None
            raise

    def sync_unbound(self) -> None:
        wanted = (self.claim.get("spec") or {}).get("volumeName")
        if wanted:
            self.sync_unbound_named(wanted)
            return
        storage_class = self.storage_class()
        delay = storage_class is not None and storage_class.get("volumeBindingMode") == "WaitForFirstConsumer"
        volumes = self.api.list("persistentvolumes")["items"]
        volume = find_best_match(self.claim, volumes, delay)
        if volume is not None:
            bind(self.api, volume, self.claim)
            return
        if delay and ANN_SELECTED_NODE not in _annotations(self.claim):
            self.wait_for_first_consumer()
        elif claim_class(self.claim):
            self.provision(storage_class)
            return
        else:
            self.event(
                NORMAL, "FailedBinding", "no persistent volumes available for this claim and no storage class is set"
            )
        self.pending()

    def storage_class(self) -> dict | None:
        name = claim_class(self.claim)
        if not name:
            return None
        try:
            return self.api.get("storageclasses", "", name)
        except StatusError as err:
            if err.code == 404:
                return None
            raise

    def wait_for_first_consumer(self) -> None:
        """emitEventForUnboundDelayBindingClaim: name the pods still waiting for the scheduler."""
        waiting = sorted(
            p["metadata"]["name"]
            for p in self.api.list("pods", self.namespace)["items"]
            if not (p.get("spec") or {}).get("nodeName") and self.used_by(p)
        )
        if not waiting:
            self.event(NORMAL, "WaitForFirstConsumer", "waiting for first consumer to be created before binding")
        elif len(waiting) == 1:
            self.event(NORMAL, "WaitForPodScheduled", f"waiting for pod {waiting[0]} to be scheduled")
        else:
            self.event(NORMAL, "WaitForPodScheduled", f"waiting for pods {','.join(waiting)} to be scheduled")

    def used_by(self, pod: dict) -> bool:
        return any(
            ((v.get("persistentVolumeClaim") or {}).get("claimName") == self.name)
            for v in (pod.get("spec") or {}).get("volumes") or []
        )

    def provision(self, storage_class: dict | None) -> None:
        """provisionClaim for an external provisioner: annotate the claim and say whom it waits for."""
        if storage_class is None:
            self.event(
                WARNING, "ProvisioningFailed", f'storageclass.storage.k8s.io "{claim_class(self.claim)}" not found'
            )
            return
        provisioner = storage_class.get("provisioner") or ""
        if _annotations(self.claim).get(ANN_STORAGE_PROVISIONER) != provisioner:

            def put(pvc: dict) -> dict:
                annotations = pvc["metadata"].setdefault("annotations", {})
                annotations[ANN_BETA_STORAGE_PROVISIONER] = provisioner
                annotations[ANN_STORAGE_PROVISIONER] = provisioner
                return pvc

            self.claim = self.api.update_with("persistentvolumeclaims", self.namespace, self.name, put)
        self.event(NORMAL, "ExternalProvisioning", EXTERNAL_PROVISIONING.format(provisioner))

    def sync_unbound_named(self, volume_name: str) -> None:
        """The claim asks for a specific PV by spec.volumeName."""
        volume = self.volume(volume_name)
        if volume is None:
            self.pending()  # the PV may still be created; look again later
            return
        ref = (volume.get("spec") or {}).get("claimRef")
        if not ref:
            problem = check_volume_satisfies_claim(volume, self.claim)
            if problem:
                self.event(WARNING, "VolumeMismatch", f'Cannot bind to requested volume "{volume_name}": {problem}')
                self.pending()
                return
            bind(self.api, volume, self.claim)
        elif is_bound_to(volume, self.claim):
            bind(self.api, volume, self.claim)
        else:
            self.event(WARNING, "FailedBinding", f'volume "{volume_name}" already bound to a different claim.')
            self.pending()

    def sync_bound(self) -> None:
        volume_name = (self.claim.get("spec") or {}).get("volumeName")
        if not volume_name:
            self.lost("ClaimLost", "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!")
            return
        volume = self.volume(volume_name)
        if volume is None:
            self.lost("ClaimLost", "Bound claim has lost its PersistentVolume. Data on the volume is lost!")
            return
        ref = (volume.get("spec") or {}).get("claimRef")
        if not ref or is_bound_to(volume, self.claim):
            bind(self.api, volume, self.claim)  # finish a binding interrupted halfway
            return
        self.lost("ClaimMisbound", "Two claims are bound to the same volume, this one is bound incorrectly")

    def lost(self, reason: str, message: str) -> None:
        if _phase(self.claim) == "Lost":
            return
        update_claim_status(self.api, self.claim, "Lost", None)
        self.event(WARNING, reason, message)


# -- volumes ------------------------------------------------------------------------
class VolumeSync:
    """syncVolume for one PersistentVolume."""

    def __init__(self, api: APIServer, volume: dict) -> None:
        self.api, self.volume = api, volume
        self.name = volume["metadata"]["name"]

    def run(self) -> None:
        ref = (self.volume.get("spec") or {}).get("claimRef")
        if not ref or not ref.get("uid"):
            update_volume_phase(self.api, self.volume, "Available")  # unused, or only pre-bound by its creator
            return
        claim = self.claim(ref)
        if claim is None:
            self.release()
        elif not (claim.get("spec") or {}).get("volumeName"):
            self.claim_not_bound_yet(claim)
        elif claim["spec"]["volumeName"] == self.name:
            update_volume_phase(self.api, self.volume, "Bound")
        else:
            self.claim_bound_elsewhere()

    def claim(self, ref: dict) -> dict | None:
        try:
            claim = self.api.get("persistentvolumeclaims", ref.get("namespace"), ref.get("name") or "")
        except StatusError as err:
            if err.code == 404:
                return None
            raise
        return claim if claim["metadata"]["uid"] == ref.get("uid") else None  # a new claim of the same name

    def claim_not_bound_yet(self, claim: dict) -> None:
        if volume_mode_mismatch(claim, self.volume):
            event(
                self.api,
                self.volume,
                WARNING,
                "VolumeMismatch",
                f"Cannot bind PersistentVolume to requested "
                f'PersistentVolumeClaim "{claim["metadata"]["name"]}" due to incompatible volumeMode.',
            )
            event(
                self.api,
                claim,
                WARNING,
                "VolumeMismatch",
                f'Cannot bind PersistentVolume "{self.name}" to '
                f"requested PersistentVolumeClaim due to incompatible volumeMode.",
            )
        # Otherwise the claim's own sync finishes the binding (the watch enqueued it).

    def claim_bound_elsewhere(self) -> None:
        provisioned = ANN_DYNAMICALLY_PROVISIONED in _annotations(self.volume)
        if provisioned and self.volume["spec"].get("persistentVolumeReclaimPolicy") == "Delete":
            self.release()
            return
        self.unbind()

    def unbind(self) -> None:
        """unbindVolume: forget a binding the controller made; keep a user's pre-binding but drop its uid."""

        def put(pv: dict) -> dict:
            annotations = pv["metadata"].get("annotations") or {}
            if ANN_BOUND_BY_CONTROLLER in annotations:
                pv["spec"].pop("claimRef", None)
                annotations.pop(ANN_BOUND_BY_CONTROLLER)
                if not annotations:
                    pv["metadata"].pop("annotations", None)
            else:
                pv["spec"]["claimRef"].pop("uid", None)
            return pv

        self.volume = self.api.update_with("persistentvolumes", "", self.name, put)
        update_volume_phase(self.api, self.volume, "Available")

    def release(self) -> None:
        if _phase(self.volume) not in ("Released", "Failed"):
            self.volume = update_volume_phase(self.api, self.volume, "Released")
        self.reclaim()

    def reclaim(self) -> None:
        """reclaimVolume: Retain keeps the PV and its data; Delete removes them."""
        policy = self.volume["spec"].get("persistentVolumeReclaimPolicy")
        if policy == "Retain":
            return
        if policy == "Delete":
            self.delete()
            return
        if policy == "Recycle":
            self.recycle()
            return
        update_volume_phase_with_event(
            self.api,
            self.volume,
            "Failed",
            WARNING,
            "VolumeUnknownReclaimPolicy",
            "Volume has unrecognized PersistentVolumeReclaimPolicy",
        )

    def recycle(self) -> None:
        """recycleVolumeOperation: hostPath and NFS volumes are scrubbed and offered again."""
        if not any(self.volume["spec"].get(source) for source in ("hostPath", "nfs")):
            update_volume_phase_with_event(
                self.api,
                self.volume,
                "Failed",
                WARNING,
                "VolumeFailedRecycle",
                "No recycler plugin found for the volume!",
            )
            return
        event(self.api, self.volume, NORMAL, "VolumeRecycled", "Volume recycled")
        self.unbind()

    def delete(self) -> None:
        """deleteVolumeOperation: an external provisioner deletes its own PVs; in-tree hostPath only under /tmp."""
        provisioner = _annotations(self.volume).get(ANN_DYNAMICALLY_PROVISIONED)
        if provisioner and not provisioner.startswith("kubernetes.io/"):
            return  # "External deleter for volume requested, ignoring"
        problem = self.in_tree_delete_problem()
        if problem:
            update_volume_phase_with_event(self.api, self.volume, "Failed", WARNING, "VolumeFailedDelete", problem)
            return
        self.api.delete("persistentvolumes", "", self.name)

    def in_tree_delete_problem(self) -> str | None:
        host_path = (self.volume["spec"].get("hostPath") or {}).get("path")
        if host_path is None:
            return f'error getting deleter volume plugin for volume "{self.name}": no deletable volume plugin matched'
        if not re.search(r"/tmp/.+", host_path):
            return f"host_path deleter only supports /tmp/.+ but received provided {host_path}"
        return None
