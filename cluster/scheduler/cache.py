"""kube-scheduler's cache of NodeInfos (pkg/scheduler/backend/cache) and its reuse of per-node answers.

Upstream keeps one NodeInfo per node, updated from pod and node events, with a
Generation that moves whenever it changes; each cycle's snapshot refreshes only
the NodeInfos whose generation moved. Here a NodeInfo is rebuilt from the
informer's spec.nodeName index when the Node object or a pod on it changed (the
index's version number says so), and reused otherwise. Without an informer
cache (a component used outside the reconciler) every cycle builds a fresh
snapshot from the API server.

`NodeAnswers` reuses plugin answers: the replicas of one ReplicaSet share the
spec fields the plugins read, so while a node's NodeInfo generation stays the
same, each Filter verdict and raw Score for that pod shape stays the same too
(kube-scheduler 1.10–1.12 kept an "equivalence class cache" for this). Only
plugins whose answer depends on nothing but the pod and the node are reused;
VolumeBinding reads claims and volumes, so a pod with claims is always
evaluated afresh. Normalization and the final choice still run every cycle.
"""
from __future__ import annotations

from collections import OrderedDict

import orjson

from cluster.informers import NODE_NAME_INDEX, Lister
from cluster.scheduler.framework import NodeInfo, Status, is_terminal, new_node_info, snapshot

#: what of a pod's spec any reused plugin reads (tolerations, node selection, requests, ports)
SHAPE_FIELDS = ("nodeName", "nodeSelector", "affinity", "tolerations", "overhead", "containers", "initContainers")
MAX_SHAPES = 16


class NodeInfoCache:
    def __init__(self, lister: Lister) -> None:
        self.lister = lister
        self.infos: dict[str, tuple[tuple[str, int], NodeInfo]] = {}

    def snapshot(self) -> list[NodeInfo]:
        """Every node with its non-terminal pods, in name order."""
        nodes = self.lister.list("nodes")
        if self.lister.index_version("pods", NODE_NAME_INDEX, "") is None:
            return snapshot(nodes, self.lister.list("pods"))
        infos = [self._info(node) for node in nodes]
        if len(self.infos) > len(infos):  # nodes were deleted
            names = {info.name for info in infos}
            self.infos = {name: entry for name, entry in self.infos.items() if name in names}
        return infos

    def _info(self, node: dict) -> NodeInfo:
        name = node["metadata"]["name"]
        stamp = (node["metadata"].get("resourceVersion", ""),
                 self.lister.index_version("pods", NODE_NAME_INDEX, name) or 0)
        cached = self.infos.get(name)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        pods = [p for p in self.lister.by_index("pods", NODE_NAME_INDEX, name) if not is_terminal(p)]
        info = new_node_info(node, pods)
        self.infos[name] = (stamp, info)
        return info


def pod_shape(pod: dict) -> bytes:
    spec = pod.get("spec") or {}
    return orjson.dumps([spec.get(field) for field in SHAPE_FIELDS], option=orjson.OPT_SORT_KEYS)


class NodeAnswers:
    """Filter verdicts and raw scores per pod shape and node, valid for one NodeInfo generation."""

    def __init__(self) -> None:
        self.shapes: OrderedDict[bytes, dict[tuple[str, str], tuple[int, object]]] = OrderedDict()

    def _answers(self, shape: bytes) -> dict[tuple[str, str], tuple[int, object]]:
        answers = self.shapes.get(shape)
        if answers is None:
            answers = self.shapes[shape] = {}
            if len(self.shapes) > MAX_SHAPES:
                self.shapes.popitem(last=False)
        else:
            self.shapes.move_to_end(shape)
        return answers

    def get(self, shape: bytes, kind: str, node: NodeInfo) -> object | None:
        entry = self._answers(shape).get((kind, node.name))
        return entry[1] if entry is not None and entry[0] == node.generation else None

    def put(self, shape: bytes, kind: str, node: NodeInfo, answer: object) -> None:
        self._answers(shape)[(kind, node.name)] = (node.generation, answer)


FilterAnswer = tuple[Status, dict]
