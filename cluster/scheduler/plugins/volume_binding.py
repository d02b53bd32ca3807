"""The VolumeBinding plugin (plugins/volumebinding): PersistentVolumeClaims and where their volumes live.

PreFilter: a claim that does not exist or is being deleted, or an unbound claim of
an Immediate class (the PV controller binds those on its own, before any pod is
scheduled) makes the pod unschedulable on every node
(`pod has unbound immediate PersistentVolumeClaims`). Filter: a bound claim's
PersistentVolume must allow the node by its nodeAffinity (`node(s) had volume node
affinity conflict`). Unbound WaitForFirstConsumer claims fit any node; once a node
is chosen, PreBind writes `volume.kubernetes.io/selected-node` on each such claim so
the PV controller and the provisioner create and bind a volume there, and the pod is
bound only when its claims are Bound, as upstream's PreBind waits for them.

Simplified: the scheduler never binds an existing PV itself (upstream may pre-bind a
matching static PV in PreBind); every delayed claim goes through selected-node; no
CSI storage capacity or volume limits; the wait for binding has no timeout.
"""

from __future__ import annotations

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer
from cluster.scheduler.framework import SKIP, CycleState, NodeInfo, Plugin, Status, success, unschedulable
from cluster.scheduler.plugins.node_affinity import node_selector_matches

ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node"
ERR_UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims"
ERR_NODE_CONFLICT = "node(s) had volume node affinity conflict"
ERR_PV_MISSING = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"


def claim_names(pod: dict) -> list[str]:
    return [
        v["persistentVolumeClaim"]["claimName"]
        for v in (pod.get("spec") or {}).get("volumes") or []
        if isinstance(v, dict) and (v.get("persistentVolumeClaim") or {}).get("claimName")
    ]


def is_delayed_binding(api: APIServer, claim: dict) -> bool:
    """The claim's StorageClass binds WaitForFirstConsumer (a missing class binds immediately)."""
    class_name = (claim.get("spec") or {}).get("storageClassName")
    if not class_name:
        return False
    try:
        storage_class = api.get("storageclasses", "", class_name)
    except StatusError as err:
        if err.code == 404:
            return False
        raise
    return storage_class.get("volumeBindingMode") == "WaitForFirstConsumer"


class VolumeBinding(Plugin):
    node_local = False  # its verdicts read claims and volumes, not only the pod and the node
    name = "VolumeBinding"

    def __init__(self, api: APIServer) -> None:
        self.api = api

    def pre_filter(self, state: CycleState, pod: dict) -> Status:
        names = claim_names(pod)
        if not names:
            return Status(SKIP)
        namespace = pod["metadata"].get("namespace", "default")
        bound, delayed, immediate = [], [], False
        for name in names:
            try:
                claim = self.api.get("persistentvolumeclaims", namespace, name)
            except StatusError as err:
                if err.code != 404:
                    raise
                return unschedulable(f'persistentvolumeclaim "{name}" not found', resolvable=False)
            if claim["metadata"].get("deletionTimestamp"):
                return unschedulable(f'persistentvolumeclaim "{name}" is being deleted', resolvable=False)
            if (claim.get("spec") or {}).get("volumeName"):
                bound.append(claim)
            elif is_delayed_binding(self.api, claim):
                delayed.append(claim)
            else:
                immediate = True
        if immediate:
            return unschedulable(ERR_UNBOUND_IMMEDIATE, resolvable=False)
        state["VolumeBinding"] = {"bound": [self._volume(c) for c in bound], "delayed": delayed}
        return success()

    def _volume(self, claim: dict) -> dict | None:
        try:
            return self.api.get("persistentvolumes", "", claim["spec"]["volumeName"])
        except StatusError as err:
            if err.code == 404:
                return None
            raise

    def filter(self, state: CycleState, pod: dict, node: NodeInfo) -> Status:
        for volume in state["VolumeBinding"]["bound"]:
            if volume is None:
                return unschedulable(ERR_PV_MISSING, resolvable=False)
            required = ((volume.get("spec") or {}).get("nodeAffinity") or {}).get("required")
            if required and not node_selector_matches(required, node.node):
                return unschedulable(ERR_NODE_CONFLICT, resolvable=False)
        return success()

    def pre_bind(self, state: CycleState, node_name: str) -> bool:
        """Write selected-node on the delayed claims; True when every claim is bound and the pod may bind."""
        delayed = (state.get("VolumeBinding") or {}).get("delayed") or []
        for claim in delayed:
            meta = claim["metadata"]
            self.api.update_with(
                "persistentvolumeclaims", meta["namespace"], meta["name"], lambda c: _select_node(c, node_name)
            )
        return not delayed


def _select_node(claim: dict, node_name: str) -> dict:
    claim["metadata"].setdefault("annotations", {})[ANN_SELECTED_NODE] = node_name
    return claim


def waiting_for_volumes(api: APIServer, pod: dict) -> bool:
    """The pod's binding cycle is still in PreBind: a delayed claim has a node selected but no volume yet."""
    namespace = pod["metadata"].get("namespace", "default")
    for name in claim_names(pod):
        try:
            claim = api.get("persistentvolumeclaims", namespace, name)
        except StatusError as err:
            if err.code == 404:
                continue
            raise
        annotations = claim["metadata"].get("annotations") or {}
        if not (claim.get("spec") or {}).get("volumeName") and annotations.get(ANN_SELECTED_NODE):
            return True
    return False
