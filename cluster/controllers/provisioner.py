"""The external provisioner kind ships as the default StorageClass's: rancher.io/local-path
(local-path-provisioner on sig-storage-lib-external-provisioner), simulated.

It watches claims the PV controller has annotated with
volume.kubernetes.io/storage-provisioner: rancher.io/local-path. For a claim it may
provision (for WaitForFirstConsumer classes: once the scheduler wrote
volume.kubernetes.io/selected-node) it reports Provisioning, creates the PV
`pvc-<claim uid>` — a hostPath directory under /var/local-path-provisioner on the
selected node, pinned there by nodeAffinity, pre-bound to the claim, with the
class's reclaim policy — and reports ProvisioningSucceeded; the PV controller then
binds the two. local-path volumes live on one node, so, as upstream, a claim without
a selected node (an Immediate class), a claim with a selector or one asking for more
than ReadWriteOnce/ReadWriteOncePod fails with ProvisioningFailed. When a PV it
provisioned is Released with reclaim policy Delete, it deletes the PV.

Simplified: no helper pods create or remove the directories (there are no real
disks); failed provisioning is retried every 15 s instead of with backoff.
"""

from __future__ import annotations

import hashlib
import uuid

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer, WatchEvent
from cluster.controllers.base import DONE, Controller, Result
from cluster.controllers.pv_matching import claim_class
from cluster.controllers.pvbinder import (
    ANN_BETA_STORAGE_PROVISIONER,
    ANN_DYNAMICALLY_PROVISIONED,
    ANN_SELECTED_NODE,
    ANN_STORAGE_PROVISIONER,
    claim_reference,
)
from cluster.events import NORMAL, WARNING, record

PROVISIONER = "rancher.io/local-path"
BASE_PATH = "/var/local-path-provisioner"  # kind's local-path-config
RETRY_PERIOD = 15.0
SUPPORTED_ACCESS_MODES = ("ReadWriteOnce", "ReadWriteOncePod")


class ProvisioningError(Exception):
    pass


class LocalPathProvisioner(Controller):
    name = "local-path-provisioner"
    watches = ("persistentvolumeclaims", "persistentvolumes")

    def __init__(self, api: APIServer) -> None:
        super().__init__(api)
        self.identity = provisioner_identity(api)

    def keys_for(self, resource: str, event: WatchEvent) -> list[str]:
        """Claims keyed `namespace/name`, volumes by name."""
        if event.type == "DELETED":
            return []
        meta = event.object["metadata"]
        return [f"{meta['namespace']}/{meta['name']}"] if resource == "persistentvolumeclaims" else [meta["name"]]

    def reconcile(self, key: str) -> Result:
        try:
            if "/" in key:
                namespace, _, name = key.partition("/")
                return self.sync_claim(self.api.get("persistentvolumeclaims", namespace, name))
            return self.sync_volume(self.api.get("persistentvolumes", "", key))
        except StatusError as err:
            if err.code not in (404, 409):
                raise
            return DONE

    def event(self, claim: dict, type_: str, reason: str, message: str) -> None:
        record(self.api, claim, type_, reason, message, f"{PROVISIONER}_{self.identity}")

    # -- provisioning -----------------------------------------------------------------
    def sync_claim(self, claim: dict) -> Result:
        storage_class = self.storage_class_to_provision(claim)
        if storage_class is None or self.already_provisioned(claim):
            return DONE
        meta = claim["metadata"]
        self.event(
            claim,
            NORMAL,
            "Provisioning",
            f'External provisioner is provisioning volume for claim "{meta["namespace"]}/{meta["name"]}"',
        )
        try:
            volume = self.provision(claim, storage_class)
        except ProvisioningError as err:
            self.event(
                claim,
                WARNING,
                "ProvisioningFailed",
                f'failed to provision volume with StorageClass "{claim_class(claim)}": {err}',
            )
            return Result(requeue_after=RETRY_PERIOD)
        created = self.api.create("persistentvolumes", None, volume)
        self.event(
            claim, NORMAL, "ProvisioningSucceeded", f"Successfully provisioned volume {created['metadata']['name']}"
        )
        return DONE

    def storage_class_to_provision(self, claim: dict) -> dict | None:
        """shouldProvision: a claim addressed to us, unbound, and (WaitForFirstConsumer) placed on a node."""
        meta, spec = claim["metadata"], claim.get("spec") or {}
        annotations = meta.get("annotations") or {}
        addressed = annotations.get(ANN_STORAGE_PROVISIONER) or annotations.get(ANN_BETA_STORAGE_PROVISIONER)
        if spec.get("volumeName") or meta.get("deletionTimestamp") or addressed != PROVISIONER:
            return None
        try:
            storage_class = self.api.get("storageclasses", "", claim_class(claim))
        except StatusError as err:
            if err.code == 404:
                return None
            raise
        if storage_class.get("volumeBindingMode") == "WaitForFirstConsumer" and ANN_SELECTED_NODE not in annotations:
            return None
        return storage_class

    def already_provisioned(self, claim: dict) -> bool:
        try:
            self.api.get("persistentvolumes", "", volume_name(claim))
        except StatusError as err:
            if err.code == 404:
                return False
            raise
        return True

    def provision(self, claim: dict, storage_class: dict) -> dict:
        """local-path's Provision: a directory on the selected node, as a hostPath PV pinned to it."""
        meta, spec = claim["metadata"], claim.get("spec") or {}
        if spec.get("selector") is not None:
            raise ProvisioningError("claim.Spec.Selector is not supported")
        if any(mode not in SUPPORTED_ACCESS_MODES for mode in spec.get("accessModes") or []):
            raise ProvisioningError("NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes")
        node = (meta.get("annotations") or {}).get(ANN_SELECTED_NODE)
        if not node:
            raise ProvisioningError("configuration error, no node was specified")
        try:
            self.api.get("nodes", "", node)
        except StatusError as err:
            if err.code != 404:
                raise
            raise ProvisioningError(f"failed to get target node: {err.message}") from None
        name = volume_name(claim)
        return {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": name, "annotations": {ANN_DYNAMICALLY_PROVISIONED: PROVISIONER}},
            "spec": {
                "accessModes": list(spec.get("accessModes") or []),
                "capacity": {"storage": ((spec.get("resources") or {}).get("requests") or {}).get("storage")},
                "claimRef": claim_reference(claim),
                "hostPath": {
                    "path": f"{BASE_PATH}/{name}_{meta['namespace']}_{meta['name']}",
                    "type": "DirectoryOrCreate",
                },
                "nodeAffinity": {
                    "required": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}
                                ]
                            }
                        ]
                    }
                },
                "persistentVolumeReclaimPolicy": storage_class.get("reclaimPolicy") or "Delete",
                "storageClassName": claim_class(claim),
                "volumeMode": "Filesystem",
            },
        }

    # -- deletion -----------------------------------------------------------------------
    def sync_volume(self, volume: dict) -> Result:
        """shouldDelete: our own PV, Released, with reclaim policy Delete."""
        annotations = volume["metadata"].get("annotations") or {}
        if annotations.get(ANN_DYNAMICALLY_PROVISIONED) != PROVISIONER or volume["metadata"].get("deletionTimestamp"):
            return DONE
        if (volume.get("status") or {}).get("phase") != "Released":
            return DONE
        if volume["spec"].get("persistentVolumeReclaimPolicy") != "Delete":
            return DONE
        self.api.delete("persistentvolumes", "", volume["metadata"]["name"])
        return DONE


def volume_name(claim: dict) -> str:
    """getProvisionedVolumeNameForClaim: `pvc-<claim uid>`."""
    return f"pvc-{claim['metadata']['uid']}"


def provisioner_identity(api: APIServer) -> str:
    """`<pod name>_<uuid>`: the provisioner pod's name and a per-start id, seeded for replays."""
    digest = hashlib.sha256(f"{api.cluster.seed}:{api.cluster.name}:local-path-provisioner".encode()).digest()
    pod = (
        f"local-path-provisioner-{api.random_suffix('local-path-provisioner', length=10)}-"
        f"{api.random_suffix('local-path-provisioner-pod')}"
    )
    return f"{pod}_{uuid.UUID(bytes=digest[:16], version=4)}"
