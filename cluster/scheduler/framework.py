"""The scheduling framework (pkg/scheduler/framework): Status, CycleState, NodeInfo and plugin shapes.

A scheduling cycle runs PreFilter and Filter plugins to find the nodes a pod fits,
then PreScore, Score and NormalizeScore plugins to rank them, as upstream's
framework does. NodeInfo aggregates what the scheduler cache knows about a node:
its allocatable resources, the non-terminal pods bound to it, their summed
requests (`requested`, and `non_zero_requested` with upstream's 100m CPU / 200Mi
memory defaults for containers that request nothing), the host ports in use, and
its pods with inter-pod affinity terms, parsed (PodInfo, AffinityTerm), as
upstream's PodsWithAffinity and PodsWithRequiredAntiAffinity. A `Handle` is what
a plugin may ask of the scheduler running it (upstream's framework.Handle): the
cycle's snapshot of every NodeInfo and the namespaces.

Simplified: NodeInfos come from the informer cache (cluster/scheduler/cache.py)
without upstream's assumed pods, since the reconciler's cache already holds the
scheduler's last binding when its next cycle starts; pod-level resources and
in-place resize status are not considered.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from typing import Protocol, Sequence

from cluster import podutil, quantity
from cluster.apiserver.selectors import LabelSelector, selector_from_label_selector

MAX_NODE_SCORE = 100  # framework.MaxNodeScore
DEFAULT_MILLI_CPU_REQUEST = 100  # schedutil.DefaultMilliCPURequest
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024  # schedutil.DefaultMemoryRequest

# Status codes (framework.Code)
SUCCESS = "Success"
UNSCHEDULABLE = "Unschedulable"
UNSCHEDULABLE_AND_UNRESOLVABLE = "UnschedulableAndUnresolvable"
SKIP = "Skip"


@dataclass
class Status:
    """A plugin's verdict: a code and the reasons shown to users."""

    code: str = SUCCESS
    reasons: list[str] = field(default_factory=list)
    plugin: str = ""

    @property
    def ok(self) -> bool:
        return self.code == SUCCESS

    @property
    def rejected(self) -> bool:
        return self.code in (UNSCHEDULABLE, UNSCHEDULABLE_AND_UNRESOLVABLE)

    def message(self) -> str:
        return ", ".join(self.reasons)


def success() -> Status:
    return Status()


def unschedulable(*reasons: str, resolvable: bool = True) -> Status:
    return Status(UNSCHEDULABLE if resolvable else UNSCHEDULABLE_AND_UNRESOLVABLE, list(reasons))


class CycleState(dict):
    """Data plugins share within one scheduling cycle (framework.CycleState)."""


# -- resources ----------------------------------------------------------------------
Resources = dict[str, int]  # cpu in millicores, everything else in base units


def resource_list(values: dict | None) -> Resources:
    parsed: Resources = {}
    for name, value in (values or {}).items():
        amount = _amount(name, value) if value is None or isinstance(value, (str, int, float)) else None
        if amount is not None:
            parsed[name] = amount
    return parsed


@functools.lru_cache(maxsize=4096, typed=True)
def _amount(name: str, value: str | int | float | None) -> int | None:
    """One quantity in millicores (cpu) or units; None if it is not a quantity. Remembered: every cycle parses
    the pod's requests, every rebuilt NodeInfo its node's allocatable and its pods' requests, and the
    strings are few."""
    try:
        return quantity.millicores(value) if name == "cpu" else quantity.units(value)
    except ValueError:
        return None


def _add(into: Resources, other: Resources) -> None:
    for name, value in other.items():
        into[name] = into.get(name, 0) + value


def _max(into: Resources, other: Resources) -> None:
    for name, value in other.items():
        into[name] = max(into.get(name, 0), value)


def _container_requests(container: dict, non_zero: bool) -> Resources:
    requests = resource_list(((container or {}).get("resources") or {}).get("requests"))
    if non_zero:  # NonMissingContainerRequests: only a missing request gets the default
        requests.setdefault("cpu", DEFAULT_MILLI_CPU_REQUEST)
        requests.setdefault("memory", DEFAULT_MEMORY_REQUEST)
    return requests


def pod_requests(pod: dict, non_zero: bool = False) -> Resources:
    """resourcehelper.PodRequests: containers summed, then the init container rule, plus overhead.

    Restartable (sidecar) init containers run alongside the app containers, so they
    add to the sum; each regular init container runs alone next to the sidecars
    started before it, and the pod needs the larger of the two phases.
    """
    spec = pod.get("spec") or {}
    requests: Resources = {}
    for container in spec.get("containers") or []:
        _add(requests, _container_requests(container, non_zero))
    sidecars: Resources = {}
    init_peak: Resources = {}
    for container in spec.get("initContainers") or []:
        own = _container_requests(container, non_zero)
        if (container or {}).get("restartPolicy") == "Always":
            _add(requests, own)
            _add(sidecars, own)
            phase = dict(sidecars)
        else:
            phase = dict(own)
            _add(phase, sidecars)
        _max(init_peak, phase)
    _max(requests, init_peak)
    _add(requests, resource_list(spec.get("overhead")))
    return requests


# -- inter-pod affinity terms --------------------------------------------------------
@dataclass(frozen=True)
class AffinityTerm:
    """A PodAffinityTerm, parsed (framework.AffinityTerm): the pods it selects and the topology it spans.

    `selector` and `namespace_selector` are None where upstream's selector is labels.Nothing() (no
    labelSelector; no namespaceSelector); an empty selector ({}) matches everything.
    """

    namespaces: frozenset[str]
    selector: LabelSelector | None
    topology_key: str
    namespace_selector: LabelSelector | None

    def matches(self, pod: dict, namespace_labels: dict | None) -> bool:
        """AffinityTerm.Matches: the pod is in one of the term's namespaces (or one its namespaceSelector
        picks, judged by `namespace_labels`, the labels of the pod's namespace) and has matching labels."""
        meta = pod["metadata"]
        if meta.get("namespace", "default") in self.namespaces or (
            self.namespace_selector is not None and self.namespace_selector.matches(namespace_labels)
        ):
            return self.selector is not None and self.selector.matches(meta.get("labels"))
        return False


@dataclass(frozen=True)
class WeightedAffinityTerm:
    term: AffinityTerm
    weight: int


@dataclass
class PodInfo:
    """A pod with its inter-pod affinity terms parsed (framework.PodInfo); the terms are its spec's, which a
    pod never changes, so only `pod` is replaced when a newer object of the same pod arrives."""

    pod: dict
    required_affinity: list[AffinityTerm]
    required_anti_affinity: list[AffinityTerm]
    preferred_affinity: list[WeightedAffinityTerm]
    preferred_anti_affinity: list[WeightedAffinityTerm]


def affinity_term(pod: dict, term: dict) -> AffinityTerm:
    """newAffinityTerm: no namespaces and no namespaceSelector mean the pod's own namespace."""
    namespaces, namespace_selector = term.get("namespaces") or [], term.get("namespaceSelector")
    if not namespaces and namespace_selector is None:
        namespaces = [pod["metadata"].get("namespace", "default")]
    return AffinityTerm(
        frozenset(namespaces),
        selector_from_label_selector(term.get("labelSelector")),
        term.get("topologyKey") or "",
        selector_from_label_selector(namespace_selector),
    )


def _required(pod: dict, terms: list | None) -> list[AffinityTerm]:
    return [affinity_term(pod, term or {}) for term in terms or []]


def _preferred(pod: dict, terms: list | None) -> list[WeightedAffinityTerm]:
    return [
        WeightedAffinityTerm(
            affinity_term(pod, (term or {}).get("podAffinityTerm") or {}), int(term.get("weight") or 0)
        )
        for term in terms or []
    ]


def new_pod_info(pod: dict) -> PodInfo:
    affinity = (pod.get("spec") or {}).get("affinity") or {}
    positive, negative = affinity.get("podAffinity") or {}, affinity.get("podAntiAffinity") or {}
    return PodInfo(
        pod,
        _required(pod, positive.get("requiredDuringSchedulingIgnoredDuringExecution")),
        _required(pod, negative.get("requiredDuringSchedulingIgnoredDuringExecution")),
        _preferred(pod, positive.get("preferredDuringSchedulingIgnoredDuringExecution")),
        _preferred(pod, negative.get("preferredDuringSchedulingIgnoredDuringExecution")),
    )


def has_pod_affinity(pod: dict) -> bool:
    """podWithAffinity: the pod declares podAffinity or podAntiAffinity (even empty)."""
    affinity = (pod.get("spec") or {}).get("affinity") or {}
    return affinity.get("podAffinity") is not None or affinity.get("podAntiAffinity") is not None


# -- node info ----------------------------------------------------------------------
is_terminal = podutil.is_terminal  # a finished pod holds no resources on its node


HostPort = tuple[str, str, int]  # (hostIP, protocol, hostPort)


def host_ports(pod: dict) -> list[HostPort]:
    ports = []
    for container in (pod.get("spec") or {}).get("containers") or []:
        for port in (container or {}).get("ports") or []:
            if port.get("hostPort"):
                ports.append((port.get("hostIP") or "0.0.0.0", port.get("protocol") or "TCP", port["hostPort"]))
    return ports


_generations = itertools.count(1)


@dataclass
class NodeInfo:
    """What the scheduler knows of one node; `generation` is new for every NodeInfo built or changed."""

    node: dict
    pods: list[dict] = field(default_factory=list)
    requested: Resources = field(default_factory=dict)
    non_zero_requested: Resources = field(default_factory=dict)
    allocatable: Resources = field(default_factory=dict)
    used_ports: list[HostPort] = field(default_factory=list)
    #: its pods with podAffinity or podAntiAffinity, and those of them with required anti-affinity terms
    pods_with_affinity: list[PodInfo] = field(default_factory=list)
    pods_with_required_anti_affinity: list[PodInfo] = field(default_factory=list)
    generation: int = field(default_factory=lambda: next(_generations))

    name: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.name = self.node["metadata"]["name"]  # read per node per plugin: kept, not looked up

    @property
    def labels(self) -> dict:
        return self.node["metadata"].get("labels") or {}

    def add_pod(self, pod: dict) -> None:
        self.generation = next(_generations)
        self.pods.append(pod)
        _add(self.requested, pod_requests(pod))
        _add(self.non_zero_requested, pod_requests(pod, non_zero=True))
        self.used_ports.extend(host_ports(pod))
        if has_pod_affinity(pod):
            info = new_pod_info(pod)
            self.pods_with_affinity.append(info)
            if info.required_anti_affinity:
                self.pods_with_required_anti_affinity.append(info)


def new_node_info(node: dict, pods: list[dict]) -> NodeInfo:
    info = NodeInfo(node, allocatable=resource_list((node.get("status") or {}).get("allocatable")))
    for pod in pods:
        info.add_pod(pod)
    return info


def with_pods(nodes: list[NodeInfo], extra: dict[str, list[dict]]) -> list[NodeInfo]:
    """The nodes, those named in `extra` as if its pods ran there too (the same list when there are none): how the
    filters see a node that pods nominated by a preemption will take."""
    if not extra:
        return nodes
    return [new_node_info(n.node, [*n.pods, *extra[n.name]]) if n.name in extra else n for n in nodes]


def snapshot(nodes: list[dict], pods: list[dict]) -> list[NodeInfo]:
    """The cache snapshot a cycle works on: every node with its non-terminal pods, by name."""
    by_node: dict[str, list[dict]] = {}
    for pod in pods:
        node_name = (pod.get("spec") or {}).get("nodeName")
        if node_name and not is_terminal(pod):
            by_node.setdefault(node_name, []).append(pod)
    ordered = sorted(nodes, key=lambda n: n["metadata"]["name"])
    return [new_node_info(node, by_node.get(node["metadata"]["name"], [])) for node in ordered]


# -- plugin shapes ------------------------------------------------------------------
class Handle(Protocol):
    """framework.Handle, the part plugins use: the cycle's snapshot (SnapshotSharedLister) and the namespace
    lister of the scheduler's informers."""

    def node_infos(self) -> list[NodeInfo]:
        """Every node of the cycle's snapshot, with its pods, in name order."""
        ...

    def namespaces(self) -> list[dict]:
        """Every Namespace."""
        ...

    def namespace(self, name: str) -> dict | None:
        """The Namespace called `name`, or None."""
        ...


class Plugin:
    """A framework plugin; a subclass overrides the extension points it implements."""

    name: str = ""
    #: the score weight in the default profile (0: not a score plugin)
    weight: int = 0
    #: its Filter and Score answers depend only on the pod's spec and the NodeInfo
    node_local: bool = True

    def pre_filter(self, state: CycleState, pod: dict) -> Status:
        return success()

    def filter(self, state: CycleState, pod: dict, node: NodeInfo) -> Status:
        return success()

    def pre_score(self, state: CycleState, pod: dict, nodes: Sequence[NodeInfo]) -> Status:
        return success()

    def score(self, state: CycleState, pod: dict, node: NodeInfo) -> int:
        return 0

    def normalize(self, state: CycleState, pod: dict, scores: list[int]) -> None:
        """NormalizeScore: rewrite the raw scores (one per feasible node, in the nodes' order, as upstream's
        NodeScoreList) in place to 0..MAX_NODE_SCORE (default: as they are)."""


def default_normalize_score(scores: list[int], reverse: bool) -> None:
    """helper.DefaultNormalizeScore: scale to 0..100 by the highest score, optionally reversed."""
    highest = max(scores, default=0)
    if highest == 0:
        if reverse:
            scores[:] = [MAX_NODE_SCORE] * len(scores)
        return
    if reverse:
        scores[:] = [MAX_NODE_SCORE - MAX_NODE_SCORE * value // highest for value in scores]
    else:
        scores[:] = [MAX_NODE_SCORE * value // highest for value in scores]
