"""kube-scheduler's cache of NodeInfos (pkg/scheduler/backend/cache) and its reuse of per-node answers.

Upstream keeps one NodeInfo per node, updated from pod and node events, with a
Generation that moves whenever it changes; each cycle's snapshot refreshes only
the NodeInfos whose generation moved. Here a NodeInfo is rebuilt from the
informer's spec.nodeName index when the Node object or a pod on it changed (the
informer's journal of changes says so), and reused otherwise. A bound pod's spec
cannot change, so a pod update that keeps its uid, node and whether it still
runs (a status update, most often) keeps the NodeInfo too: upstream replaces
the pod in its NodeInfo with a new generation, and every answer stays the same. Without an informer
cache (a component used outside the reconciler) every cycle builds a fresh
snapshot from the API server.

`NodeAnswers` reuses plugin answers: the replicas of one ReplicaSet share the
spec fields the plugins read, so while a node's NodeInfo generation stays the
same, each Filter verdict and raw Score for that pod shape stays the same too
(kube-scheduler 1.10–1.12 kept an "equivalence class cache" for this). Only
plugins whose answer depends on nothing but the pod and the node are reused:
VolumeBinding reads claims and volumes, and InterPodAffinity reads the pods on
every node (and the pod's labels and namespace, which no shape holds), so a pod
that either of them judges is always filtered afresh, and InterPodAffinity's
scores are never reused. A pod that InterPodAffinity skips at PreFilter (no
required terms of its own, none of an existing pod's against it) reuses the
others' answers as before. Normalization and the final choice run every cycle.

A shape's answers are kept in columns over the nodes in the snapshot's order (a
list of verdicts, a list of raw scores per plugin, ...), brought up to date as
upstream brings its snapshot: by the generations of the NodeInfos replaced since
the last cycle. Once the answers are known, a cycle in a 1,000-node cluster (some
420 nodes evaluated) is then list operations done in C rather than a Python loop
over the nodes, and it touches as few per-node objects as it can (node names,
NodeInfos, verdicts): on a busy machine each one is a trip to memory.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from itertools import chain, compress, islice
from operator import attrgetter, itemgetter
from typing import Callable, Sequence, cast

import orjson

from cluster.informers import NODE_NAME_INDEX, Change, Lister, object_key
from cluster.scheduler.framework import NodeInfo, Status, is_terminal, new_node_info, snapshot

#: what of a pod's spec any reused plugin reads (tolerations, node selection, requests, ports)
SHAPE_FIELDS = ("nodeName", "nodeSelector", "affinity", "tolerations", "overhead", "containers", "initContainers")
MAX_SHAPES = 16
MAX_UPDATES = 10_000


class NodeInfoCache:
    """The scheduler cache: one NodeInfo per node, in name order, replaced when the node or a pod on it changes."""

    def __init__(self, lister: Lister) -> None:
        self.lister = lister
        self.infos: list[NodeInfo] = []
        #: the nodes' names in the order of `infos`: a new list whenever `places` may mean other nodes (a
        #: node came or went, a relist, a fresh snapshot) or `updates` was started over
        self.names: list[str] = []
        self.where: dict[str, int] = {}  # node name -> its place in `infos`
        #: (generation, place) of each NodeInfo replaced in `infos` since `names` was made, oldest first
        self.updates: list[tuple[int, int]] = []
        self.generation = 0  # the newest NodeInfo's generation (the snapshot generation upstream keeps)
        self.positions = {"pods": -1, "nodes": -1}  # how far into each informer's journal
        #: pod key -> (uid, node, counted) as its node's NodeInfo last saw it: a pod change that
        #: keeps these (a status update of a running pod, most often) leaves the NodeInfo as it is
        self.placed: dict[str, tuple[str, str, bool]] = {}

    def snapshot(self) -> list[NodeInfo]:
        """Every node with its non-terminal pods, in name order."""
        if not self.lister.cached:
            self._use(snapshot(self.lister.list("nodes"), self.lister.list("pods")))
            return self.infos
        node_changes = self._changes("nodes")
        pod_changes = self._changes("pods")
        if (
            node_changes is None
            or pod_changes is None
            or any(node is None or name not in self.where for name, _old, node in node_changes)
        ):
            self._use([self._info(node) for node in self.lister.list("nodes")])  # first use, a relist,
            return self.infos  # or a node came or went
        dirty = {name for name, _old, _node in node_changes}
        for key, old_node, pod in pod_changes:
            if pod is None:
                self.placed.pop(key, None)
            elif self.placed.get(key) == _placement(pod):
                self._refresh(key, pod)
                continue
            dirty.add(old_node)
            if pod is not None:
                dirty.add((pod.get("spec") or {}).get("nodeName") or "")
        for name in sorted(dirty & self.where.keys()):
            place = self.where[name]
            info = self.infos[place] = self._info(self.lister.get("nodes", None, name))
            self.generation = info.generation
            self.updates.append((info.generation, place))
        if len(self.updates) > MAX_UPDATES:  # readers far behind start over, rather than the list grow forever
            self.names, self.updates = list(self.names), []
        return self.infos

    def _refresh(self, key: str, pod: dict) -> None:
        """Hold the pod's current object in its NodeInfo, so the replaced one can be freed."""
        place = self.where.get(pod["spec"].get("nodeName") or "")
        if place is None:
            return
        info = self.infos[place]
        for index, held in enumerate(info.pods):
            if object_key(held) == key:
                info.pods[index] = pod
                for parsed in info.pods_with_affinity:  # its terms stay: a pod's spec does not change
                    if parsed.pod is held:
                        parsed.pod = pod
                return

    def _changes(self, resource: str) -> list[Change] | None:
        changes, self.positions[resource] = self.lister.changes_since(resource, self.positions[resource])
        return changes

    def _use(self, infos: list[NodeInfo]) -> None:
        # in name order (as listed already, so this costs a glance): a decision ranks nodes by place
        self.infos = sorted(infos, key=attrgetter("name"))
        self.names = [info.name for info in self.infos]
        self.where = {name: place for place, name in enumerate(self.names)}
        self.updates = []
        self.generation = max((info.generation for info in infos), default=self.generation)

    def _info(self, node: dict) -> NodeInfo:
        on_node = self.lister.by_index("pods", NODE_NAME_INDEX, node["metadata"]["name"])
        for pod in on_node:
            self.placed[object_key(pod)] = _placement(pod)
        return new_node_info(node, [p for p in on_node if not is_terminal(p)])


def _placement(pod: dict) -> tuple[str, str, bool]:
    """What of a pod its node's NodeInfo depends on (its spec cannot change once it is bound)."""
    return pod["metadata"].get("uid", ""), (pod.get("spec") or {}).get("nodeName") or "", not is_terminal(pod)


def pod_shape(pod: dict) -> bytes:
    spec = pod.get("spec") or {}
    return orjson.dumps(
        [_without_mounts(spec.get(field)) if field in CONTAINER_FIELDS else spec.get(field) for field in SHAPE_FIELDS],
        option=orjson.OPT_SORT_KEYS,
    )


CONTAINER_FIELDS = ("containers", "initContainers")


def _without_mounts(containers: object) -> object:
    """A container's volumeMounts matter to no plugin, and every pod names its own token volume
    (kube-api-access-<random>, the ServiceAccount admission plugin's): left in, no two pods would share a shape."""
    if not isinstance(containers, list):
        return containers
    return [{k: v for k, v in c.items() if k != "volumeMounts"} if isinstance(c, dict) else c for c in containers]


#: a cycle's Filter plugins run on one node (by its place in the snapshot): the status and each plugin's verdict
FilterRun = Callable[[int], tuple[Status, dict[str, str]]]


class ShapeAnswers:
    """One pod shape's answers, a column per answer over the nodes in the order of the cache's snapshot."""

    def __init__(self, plugins: int) -> None:
        self.plugins = plugins
        self.names: list[str] = []  # the nodes the columns are for: the cache's `names`
        self.generation = 0  # the cache's generation the columns have followed
        self.unknown: set[int] = set()  # places not filtered for the NodeInfo there now
        #: Filter passed; True while unknown, so that a walk stops there and asks
        self.fits: list[bool] = []
        self.statuses: list[Status | None] = []  # RunFilterPlugins' result; shared, never changed
        self.verdicts: list[dict[str, str] | None] = []  # what each Filter plugin said; shared, read only
        #: by the plugin's place in the profile, the raw Score of each node, and the places with none (yet)
        self.scores: list[list[int | None]] = []
        self.unscored: list[set[int]] = []
        self.shared: dict[tuple, dict[str, str]] = {}  # each distinct verdicts dict, by its items

    def follow(self, cache: NodeInfoCache) -> None:
        """Forget the answers for the nodes whose NodeInfo changed since the last cycle (all, if the nodes did).

        As upstream's UpdateSnapshot, by generation: only the NodeInfos replaced after the generation
        followed last are looked at, not every node.
        """
        if cache.names is not self.names:
            size = len(cache.names)
            self.names = cache.names
            self.unknown = set(range(size))
            self.fits = [True] * size
            self.statuses = [None] * size
            self.verdicts = [None] * size
            self.scores = [[None] * size for _ in range(self.plugins)]
            self.unscored = [set(range(size)) for _ in range(self.plugins)]
            self.shared = {}
        elif cache.generation != self.generation:
            for _generation, place in cache.updates[bisect_right(cache.updates, self.generation, key=itemgetter(0)) :]:
                self.unknown.add(place)
                self.fits[place] = True
                for column, unscored in zip(self.scores, self.unscored):
                    column[place] = None
                    unscored.add(place)
        self.generation = cache.generation

    def walk(self, start: int, wanted: int, run_filters: FilterRun) -> tuple[list[int], int]:
        """The places of the first `wanted` nodes that fit, in turn from `start` (wrapping), and how many
        nodes that took; the Filter plugins run on exactly the nodes up to there that have no answer yet."""
        size = len(self.names)
        while True:
            order = chain(range(start, size), range(start))
            found = list(islice(compress(order, self.fits[start:] + self.fits[:start]), wanted))
            walked = size if len(found) < wanted else (found[-1] - start) % size + 1
            asked = sorted(
                (place for place in self.unknown if (place - start) % size < walked),
                key=lambda place: (place - start) % size,
            )
            for place in asked:
                status, verdicts = run_filters(place)
                self.fits[place] = status.ok
                self.statuses[place] = status
                # one object for equal verdicts (most nodes pass every plugin): a cycle then copies
                # references to a few dicts rather than to hundreds it would each read from memory
                self.verdicts[place] = self.shared.setdefault(tuple(verdicts.items()), verdicts)
                self.unknown.discard(place)
            if all(self.fits[place] for place in asked):  # as assumed: the walk stands
                return found, walked

    def raw_scores(self, slot: int, feasible: NodesAt, score: Callable[[NodeInfo], int]) -> list[int]:
        """The raw Score of plugin `slot` (its place in the profile) for each feasible node, in a new list;
        `score` gives those not known."""
        column, unscored = self.scores[slot], self.unscored[slot]
        missing = unscored.intersection(feasible.places)
        for place in missing:
            column[place] = score(feasible.nodes[place])
        unscored -= missing
        return cast(list[int], list(map(column.__getitem__, feasible.places)))  # every one is scored by now


class NodesAt(Sequence[NodeInfo]):
    """The NodeInfos at some places of a snapshot, as a sequence that does not copy them out: a list of
    them would count a reference on each, and reading hundreds of NodeInfos from memory for that alone
    was a good part of a cycle."""

    def __init__(self, nodes: list[NodeInfo], places: list[int]) -> None:
        self.nodes = nodes
        self.places = places

    def __len__(self) -> int:
        return len(self.places)

    def __getitem__(self, index: int) -> NodeInfo:  # type: ignore[override]  # no slices needed
        return self.nodes[self.places[index]]


def in_turn(column: list, start: int, walked: int) -> list:
    """`column`'s entries for the `walked` nodes from `start` on (wrapping), in the order a walk takes them."""
    return column[start : start + walked] + column[: max(0, start + walked - len(column))]


class NodeAnswers:
    """The answers of the MAX_SHAPES pod shapes scheduled last."""

    def __init__(self) -> None:
        self.shapes: OrderedDict[bytes, ShapeAnswers] = OrderedDict()

    def for_shape(self, shape: bytes, plugins: int) -> ShapeAnswers:
        answers = self.shapes.get(shape)
        if answers is None:
            answers = self.shapes[shape] = ShapeAnswers(plugins)
            if len(self.shapes) > MAX_SHAPES:
                self.shapes.popitem(last=False)
        else:
            self.shapes.move_to_end(shape)
        return answers
