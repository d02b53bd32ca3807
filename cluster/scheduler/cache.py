"""kube-scheduler's cache of NodeInfos (pkg/scheduler/backend/cache) and its reuse of per-node answers.

Upstream keeps one NodeInfo per node, updated from pod and node events, with a
Generation that moves whenever it changes; each cycle's snapshot refreshes only
the NodeInfos whose generation moved. Here a NodeInfo is rebuilt from the
informer's spec.nodeName index when the Node object or a pod on it changed (the
informer's journal of changes says so), and reused otherwise. Without an informer
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

from cluster.informers import NODE_NAME_INDEX, Change, Lister
from cluster.scheduler.framework import NodeInfo, is_terminal, new_node_info, snapshot

#: what of a pod's spec any reused plugin reads (tolerations, node selection, requests, ports)
SHAPE_FIELDS = ("nodeName", "nodeSelector", "affinity", "tolerations", "overhead", "containers", "initContainers")
MAX_SHAPES = 16


class NodeInfoCache:
    def __init__(self, lister: Lister) -> None:
        self.lister = lister
        self.infos: list[NodeInfo] = []
        self.where: dict[str, int] = {}  # node name -> its place in `infos`
        self.positions = {"pods": -1, "nodes": -1}  # how far into each informer's journal

    def snapshot(self) -> list[NodeInfo]:
        """Every node with its non-terminal pods, in name order."""
        if not self.lister.cached:
            return snapshot(self.lister.list("nodes"), self.lister.list("pods"))
        node_changes = self._changes("nodes")
        pod_changes = self._changes("pods")
        if node_changes is None or pod_changes is None or any(
                node is None or name not in self.where for name, _old, node in node_changes):
            self._rebuild()  # first use, a relist, or a node came or went
            return self.infos
        dirty = {name for name, _old, _node in node_changes}
        for _key, old_node, pod in pod_changes:
            dirty.add(old_node)
            if pod is not None:
                dirty.add((pod.get("spec") or {}).get("nodeName") or "")
        for name in dirty:
            if name in self.where:
                self.infos[self.where[name]] = self._info(self.lister.get("nodes", None, name))
        return self.infos

    def _changes(self, resource: str) -> list[Change] | None:
        changes, self.positions[resource] = self.lister.changes_since(resource, self.positions[resource])
        return changes

    def _rebuild(self) -> None:
        self.infos = [self._info(node) for node in self.lister.list("nodes")]
        self.where = {info.name: index for index, info in enumerate(self.infos)}

    def _info(self, node: dict) -> NodeInfo:
        pods = [p for p in self.lister.by_index("pods", NODE_NAME_INDEX, node["metadata"]["name"])
                if not is_terminal(p)]
        return new_node_info(node, pods)


def pod_shape(pod: dict) -> bytes:
    spec = pod.get("spec") or {}
    return orjson.dumps([spec.get(field) for field in SHAPE_FIELDS], option=orjson.OPT_SORT_KEYS)


class NodeAnswers:
    """Filter verdicts and raw scores per pod shape and node, valid for one NodeInfo generation."""

    def __init__(self) -> None:
        self.shapes: OrderedDict[bytes, ShapeAnswers] = OrderedDict()

    def for_shape(self, shape: bytes) -> ShapeAnswers:
        answers = self.shapes.get(shape)
        if answers is None:
            answers = self.shapes[shape] = ShapeAnswers()
            if len(self.shapes) > MAX_SHAPES:
                self.shapes.popitem(last=False)
        else:
            self.shapes.move_to_end(shape)
        return answers


class ShapeAnswers:
    def __init__(self) -> None:
        self.by_node: dict[str, tuple[int, dict]] = {}

    def entry(self, node: NodeInfo) -> dict:
        """The answers known for `node` ("filter", then one raw score per plugin), empty if it changed."""
        found = self.by_node.get(node.name)
        if found is None or found[0] != node.generation:
            found = self.by_node[node.name] = (node.generation, {})
        return found[1]
