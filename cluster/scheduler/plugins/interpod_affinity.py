"""The InterPodAffinity plugin (plugins/interpodaffinity): pod affinity and anti-affinity, as in v1.32.

A term selects pods by labels (`labelSelector`) in some namespaces (`namespaces`,
`namespaceSelector`, or else the pod's own) and spans a topology: the nodes that share
the value of its `topologyKey` label form one domain.

PreFilter counts, per (topologyKey, value) pair, the existing pods that match the
incoming pod's required affinity terms (a pod counts only if it matches all of
them), those that match its required anti-affinity terms, and the existing pods
whose required anti-affinity terms match the incoming pod; it skips when there is
nothing to check. Filter then rejects a node
- without one of the affinity terms' topology labels, or in a domain where some
  affinity term has no matching pod: `node(s) didn't match pod affinity rules`
  (UnschedulableAndUnresolvable). Unless no pod anywhere matches the terms and the
  pod matches them itself: the first of a group of pods with affinity to each
  other may go anywhere that has the labels;
- in a domain holding a pod its anti-affinity terms select: `node(s) didn't match
  pod anti-affinity rules` (a node without the term's label is not in any domain);
- in a domain where an existing pod's anti-affinity selects it: `node(s) didn't
  satisfy existing pods anti-affinity rules`.
The last two are Unschedulable, so DefaultPreemption looks for victims there. When
it tries a node without its lower-priority pods, Filter recounts that node as
upstream's RemovePod does.

PreScore sums weights per topology pair, over the existing pods of every node: the
incoming pod's preferred affinity terms (+weight) and anti-affinity terms (-weight)
that an existing pod matches, and, symmetrically, each existing pod's preferred
terms (+/-weight) and required affinity terms (hardPodAffinityWeight, 1) that the
incoming pod matches. A node's score is the sum over its labels' pairs, normalized
by min and max to 0..100; weight 2 in the default profile. It skips when no term
matched anything.

The incoming pod's namespaceSelector is resolved into namespace names through the
namespace lister, an existing pod's against the incoming pod's namespace labels, as
upstream does. Simplified: `matchLabelKeys` and `mismatchLabelKeys` are ignored (upstream's
kube-apiserver merges them into labelSelector when the pod is created; kubeclass's does
not), and the plugin arguments are upstream's defaults (hardPodAffinityWeight 1,
ignorePreferredTermsOfExistingPods false).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

from cluster.scheduler.framework import (
    MAX_NODE_SCORE,
    SKIP,
    AffinityTerm,
    CycleState,
    Handle,
    NodeInfo,
    Plugin,
    PodInfo,
    Status,
    WeightedAffinityTerm,
    new_pod_info,
    success,
    unschedulable,
)

NAME = "InterPodAffinity"
ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't satisfy existing pods anti-affinity rules"
ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules"
ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules"
DEFAULT_HARD_POD_AFFINITY_WEIGHT = 1
PRE_FILTER_KEY = "PreFilter" + NAME
PRE_SCORE_KEY = "PreScore" + NAME

TopologyPair = tuple[str, str]  # (topologyKey, the node's value for it)
Counts = dict[TopologyPair, int]  # topologyToMatchedTermCount
TopologyScores = dict[str, dict[str, int]]  # scoreMap: topologyKey -> value -> summed weight


# -- counting pods per topology pair (filtering.go) ---------------------------------------
def _update(counts: Counts, node: dict, topology_key: str, value: int) -> None:
    labels = node["metadata"].get("labels") or {}
    if topology_key in labels:
        pair = (topology_key, labels[topology_key])
        counts[pair] = counts.get(pair, 0) + value
        if counts[pair] == 0:  # value may be negative: a pair down to zero goes
            del counts[pair]


def pod_matches_all_terms(terms: list[AffinityTerm], pod: dict) -> bool:
    """podMatchesAllAffinityTerms: false for no terms (an incoming pod's namespaceSelector is merged already)."""
    return bool(terms) and all(term.matches(pod, None) for term in terms)


def _count_affinity(counts: Counts, terms: list[AffinityTerm], pod: dict, node: dict, value: int) -> None:
    """updateWithAffinityTerms: every term's pair, if `pod` matches all of them."""
    if pod_matches_all_terms(terms, pod):
        for term in terms:
            _update(counts, node, term.topology_key, value)


def _count_anti_affinity(
    counts: Counts, terms: list[AffinityTerm], pod: dict, namespace_labels: dict | None, node: dict, value: int
) -> None:
    """updateWithAntiAffinityTerms: the pair of each term that `pod` matches."""
    for term in terms:
        if term.matches(pod, namespace_labels):
            _update(counts, node, term.topology_key, value)


@dataclass
class PreFilterState:
    pod: PodInfo  # the incoming pod, its namespaceSelectors merged into namespaces
    namespace_labels: dict | None  # the labels of the incoming pod's namespace
    existing_anti_affinity: Counts = field(default_factory=dict)
    affinity: Counts = field(default_factory=dict)
    anti_affinity: Counts = field(default_factory=dict)
    #: the NodeInfos the counts were taken from, by name
    counted: dict[str, NodeInfo] = field(default_factory=dict)

    def count_node(self, node: NodeInfo, value: int = 1) -> None:
        """Add (or with -1 take away) what the pods of one node contribute, as updateWithPod does per pod."""
        for existing in node.pods_with_required_anti_affinity:
            _count_anti_affinity(
                self.existing_anti_affinity,
                existing.required_anti_affinity,
                self.pod.pod,
                self.namespace_labels,
                node.node,
                value,
            )
        if self.pod.required_affinity or self.pod.required_anti_affinity:
            for pod in node.pods:
                _count_affinity(self.affinity, self.pod.required_affinity, pod, node.node, value)
                _count_anti_affinity(self.anti_affinity, self.pod.required_anti_affinity, pod, None, node.node, value)

    def for_node(self, node: NodeInfo) -> PreFilterState:
        """The counts as they are with `node` as given: a NodeInfo other than the counted one (DefaultPreemption
        trying the node without some pods) is counted again, as upstream's RemovePod and AddPod do."""
        counted = self.counted.get(node.name)
        if counted is node:
            return self
        copy = replace(
            self,
            existing_anti_affinity=dict(self.existing_anti_affinity),
            affinity=dict(self.affinity),
            anti_affinity=dict(self.anti_affinity),
        )
        if counted is not None:
            copy.count_node(counted, -1)
        copy.count_node(node, 1)
        return copy


def satisfies_pod_affinity(state: PreFilterState, node: dict) -> bool:
    """satisfyPodAffinity: every term's domain here holds a matching pod, or the pod is the first of its kind."""
    labels = node["metadata"].get("labels") or {}
    pods_exist = True
    for term in state.pod.required_affinity:
        if term.topology_key not in labels:
            return False  # all topology labels must exist on the node
        if state.affinity.get((term.topology_key, labels[term.topology_key]), 0) <= 0:
            pods_exist = False
    if pods_exist:
        return True
    # The first pod of a series with affinity to themselves: no pod anywhere matches, but it does itself.
    return not state.affinity and pod_matches_all_terms(state.pod.required_affinity, state.pod.pod)


def satisfies_pod_anti_affinity(state: PreFilterState, node: dict) -> bool:
    """satisfyPodAntiAffinity: no domain of the node holds a pod that one of the pod's terms selects."""
    if not state.anti_affinity:
        return True
    labels = node["metadata"].get("labels") or {}
    return not any(
        state.anti_affinity.get((term.topology_key, labels[term.topology_key]), 0) > 0
        for term in state.pod.required_anti_affinity
        if term.topology_key in labels
    )


def satisfies_existing_pods_anti_affinity(state: PreFilterState, node: dict) -> bool:
    """satisfyExistingPodsAntiAffinity: no existing pod's anti-affinity term covers any of the node's pairs."""
    if not state.existing_anti_affinity:
        return True
    labels = node["metadata"].get("labels") or {}
    return not any(state.existing_anti_affinity.get(pair, 0) > 0 for pair in labels.items())


# -- scoring (scoring.go) -----------------------------------------------------------------
def _add_score(
    scores: TopologyScores, term: AffinityTerm, weight: int, pod: dict, namespace_labels: dict | None, node: dict
) -> None:
    """scoreMap.processTerm: the term's weight on the node's pair for its topologyKey, if `pod` matches."""
    if term.matches(pod, namespace_labels):
        labels = node["metadata"].get("labels") or {}
        if term.topology_key in labels:
            by_value = scores.setdefault(term.topology_key, {})
            value = labels[term.topology_key]
            by_value[value] = by_value.get(value, 0) + weight


def _add_weighted(
    scores: TopologyScores,
    terms: list[WeightedAffinityTerm],
    sign: int,
    pod: dict,
    namespace_labels: dict | None,
    node: dict,
) -> None:
    for weighted in terms:
        _add_score(scores, weighted.term, weighted.weight * sign, pod, namespace_labels, node)


def normalized(scores: list[int]) -> list[int]:
    """InterPodAffinity's NormalizeScore: scale from the lowest (0) to the highest (100) raw score."""
    if not scores:
        return scores
    low, high = min(scores), max(scores)
    spread = high - low
    if spread <= 0:
        return [0] * len(scores)
    return [int(float(MAX_NODE_SCORE) * ((score - low) / spread)) for score in scores]


# -- queueing hint (plugin.go) ------------------------------------------------------------
def has_required_terms(pod: dict) -> bool:
    affinity = (pod.get("spec") or {}).get("affinity") or {}
    return any(
        ((affinity.get(kind) or {}).get("requiredDuringSchedulingIgnoredDuringExecution"))
        for kind in ("podAffinity", "podAntiAffinity")
    )


def schedulable_after_pod_change(pod: dict, old: dict | None, new: dict) -> bool:
    """isSchedulableAfterPodChange for an assigned pod added (`old` None) or relabelled: may `pod` fit now?

    Added: when it matches all of `pod`'s affinity terms. Relabelled: when it now matches them and did
    not, or matched all the anti-affinity terms and no longer does. (Deletions requeue every pending pod.)
    """
    info = new_pod_info(pod)
    if old is None:
        return pod_matches_all_terms(info.required_affinity, new)
    if not pod_matches_all_terms(info.required_affinity, old) and pod_matches_all_terms(info.required_affinity, new):
        return True
    return pod_matches_all_terms(info.required_anti_affinity, old) and not pod_matches_all_terms(
        info.required_anti_affinity, new
    )


# -- the plugin -----------------------------------------------------------------------------
class InterPodAffinity(Plugin):
    name = NAME
    weight = 2
    node_local = False  # its answers read the pods of every node, not only the pod and the node
    hard_pod_affinity_weight = DEFAULT_HARD_POD_AFFINITY_WEIGHT

    def __init__(self, handle: Handle) -> None:
        self.handle = handle

    # PreFilter and Filter
    def pre_filter(self, state: CycleState, pod: dict) -> Status:
        nodes = self.handle.node_infos()
        incoming = self._merged(new_pod_info(pod))
        holders = [node for node in nodes if node.pods_with_required_anti_affinity]
        own_terms = incoming.required_affinity or incoming.required_anti_affinity
        if not holders and not own_terms:
            return Status(SKIP)
        counts = PreFilterState(incoming, self._namespace_labels(pod) if holders else None)
        for node in holders if not own_terms else nodes:
            counts.count_node(node)
        if not counts.existing_anti_affinity and not own_terms:
            return Status(SKIP)
        counts.counted = {node.name: node for node in nodes}
        state[PRE_FILTER_KEY] = counts
        return success()

    def filter(self, state: CycleState, pod: dict, node: NodeInfo) -> Status:
        counts = state[PRE_FILTER_KEY].for_node(node)
        if not satisfies_pod_affinity(counts, node.node):
            return unschedulable(ERR_REASON_AFFINITY_RULES_NOT_MATCH, resolvable=False)
        if not satisfies_pod_anti_affinity(counts, node.node):
            return unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH)
        if not satisfies_existing_pods_anti_affinity(counts, node.node):
            return unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH)
        return success()

    # PreScore, Score and NormalizeScore
    def pre_score(self, state: CycleState, pod: dict, nodes: Sequence[NodeInfo]) -> Status:
        incoming = self._merged(new_pod_info(pod))
        preferred = bool(incoming.preferred_affinity or incoming.preferred_anti_affinity)
        snapshot = self.handle.node_infos()
        # Unless the pod has preferred terms, only the pods with affinity can add anything.
        scanned = snapshot if preferred else [node for node in snapshot if node.pods_with_affinity]
        if not scanned:
            return Status(SKIP)
        namespace_labels = self._namespace_labels(pod)
        scores: TopologyScores = {}
        for node in scanned:
            if node.labels:
                self._score_node(scores, incoming, namespace_labels, node, preferred)
        if not scores:
            return Status(SKIP)
        state[PRE_SCORE_KEY] = scores
        return success()

    def _score_node(
        self, scores: TopologyScores, incoming: PodInfo, namespace_labels: dict | None, node: NodeInfo, preferred: bool
    ) -> None:
        """processExistingPod for every pod of the node: the incoming pod's terms against each pod, then each
        pod's terms against the incoming pod."""
        if preferred:
            for pod in node.pods:
                _add_weighted(scores, incoming.preferred_affinity, 1, pod, None, node.node)
                _add_weighted(scores, incoming.preferred_anti_affinity, -1, pod, None, node.node)
        for existing in node.pods_with_affinity:
            if self.hard_pod_affinity_weight > 0:
                for term in existing.required_affinity:
                    _add_score(scores, term, self.hard_pod_affinity_weight, incoming.pod, namespace_labels, node.node)
            _add_weighted(scores, existing.preferred_affinity, 1, incoming.pod, namespace_labels, node.node)
            _add_weighted(scores, existing.preferred_anti_affinity, -1, incoming.pod, namespace_labels, node.node)

    def score(self, state: CycleState, pod: dict, node: NodeInfo) -> int:
        labels = node.labels
        return sum(by_value.get(labels[key], 0) for key, by_value in state[PRE_SCORE_KEY].items() if key in labels)

    def normalize(self, state: CycleState, pod: dict, scores: list[int]) -> None:
        scores[:] = normalized(scores)

    # namespaces
    def _merged(self, info: PodInfo) -> PodInfo:
        """The incoming pod's terms with each non-empty namespaceSelector resolved into namespace names
        (mergeAffinityTermNamespacesIfNotEmpty); an empty one ({}) keeps matching every namespace."""
        if not any(
            term.namespace_selector is not None
            for term in (
                *info.required_affinity,
                *info.required_anti_affinity,
                *(w.term for w in info.preferred_affinity),
                *(w.term for w in info.preferred_anti_affinity),
            )
        ):
            return info
        namespaces = [(ns["metadata"]["name"], ns["metadata"].get("labels") or {}) for ns in self.handle.namespaces()]

        def merge(term: AffinityTerm) -> AffinityTerm:
            selector = term.namespace_selector
            if selector is None or not selector.requirements:
                return term
            chosen = {name for name, labels in namespaces if selector.matches(labels)}
            return replace(term, namespaces=term.namespaces | chosen, namespace_selector=None)

        def merge_weighted(terms: list[WeightedAffinityTerm]) -> list[WeightedAffinityTerm]:
            return [replace(w, term=merge(w.term)) for w in terms]

        return replace(
            info,
            required_affinity=[merge(t) for t in info.required_affinity],
            required_anti_affinity=[merge(t) for t in info.required_anti_affinity],
            preferred_affinity=merge_weighted(info.preferred_affinity),
            preferred_anti_affinity=merge_weighted(info.preferred_anti_affinity),
        )

    def _namespace_labels(self, pod: dict) -> dict | None:
        """GetNamespaceLabelsSnapshot: the labels of the pod's namespace (None if it is not known)."""
        namespace = self.handle.namespace(pod["metadata"].get("namespace", "default"))
        return None if namespace is None else dict(namespace["metadata"].get("labels") or {})
