"""The NodeAffinity plugin (plugins/nodeaffinity): nodeSelector and node affinity.

Filter: the pod's `nodeSelector` labels and its requiredDuringScheduling node
selector terms (ORed; the expressions inside one term ANDed) must match the node,
else `node(s) didn't match Pod's node affinity/selector`. Score: the sum of the
weights of the preferredDuringScheduling terms the node matches, normalized so the
best node scores 100; weight 2. Pods without preferred terms skip scoring.
"""

from __future__ import annotations

from typing import Sequence

from cluster.scheduler.framework import (
    SKIP,
    CycleState,
    NodeInfo,
    Plugin,
    Status,
    default_normalize_score,
    success,
    unschedulable,
)

ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector"


def _as_int(text: object) -> int | None:
    try:
        return int(str(text))
    except ValueError:
        return None


def requirement_matches(requirement: dict, value: str | None) -> bool:
    """One NodeSelectorRequirement against the node's value for its key (None: no such label)."""
    operator, values = requirement.get("operator"), requirement.get("values") or []
    if operator == "In":
        return value is not None and value in values
    if operator == "NotIn":
        return value is None or value not in values
    if operator == "Exists":
        return value is not None
    if operator == "DoesNotExist":
        return value is None
    if operator in ("Gt", "Lt") and value is not None and len(values) == 1:
        mine, theirs = _as_int(value), _as_int(values[0])
        if mine is None or theirs is None:
            return False
        return mine > theirs if operator == "Gt" else mine < theirs
    return False


def term_matches(term: dict, node: dict) -> bool:
    """A NodeSelectorTerm: all its expressions and fields match; an empty term matches nothing."""
    expressions = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not expressions and not fields:
        return False
    labels = node["metadata"].get("labels") or {}
    if not all(requirement_matches(r, labels.get(r.get("key"))) for r in expressions):
        return False
    node_fields = {"metadata.name": node["metadata"]["name"]}
    return all(requirement_matches(r, node_fields.get(r.get("key"))) for r in fields)


def node_selector_matches(selector: dict | None, node: dict) -> bool:
    """A NodeSelector: any of its terms matches."""
    return any(term_matches(term or {}, node) for term in (selector or {}).get("nodeSelectorTerms") or [])


def _node_affinity(pod: dict) -> dict:
    return ((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {}


def required_node_affinity_matches(pod: dict, node: dict) -> bool:
    """GetRequiredNodeAffinity(pod).Match(node): nodeSelector labels and the required terms."""
    labels = node["metadata"].get("labels") or {}
    for key, value in ((pod.get("spec") or {}).get("nodeSelector") or {}).items():
        if labels.get(key) != value:
            return False
    required = _node_affinity(pod).get("requiredDuringSchedulingIgnoredDuringExecution")
    return required is None or node_selector_matches(required, node)


class NodeAffinity(Plugin):
    name = "NodeAffinity"
    weight = 2

    def filter(self, state: CycleState, pod: dict, node: NodeInfo) -> Status:
        if required_node_affinity_matches(pod, node.node):
            return success()
        return unschedulable(ERR_REASON_POD, resolvable=False)

    def pre_score(self, state: CycleState, pod: dict, nodes: Sequence[NodeInfo]) -> Status:
        preferred = _node_affinity(pod).get("preferredDuringSchedulingIgnoredDuringExecution") or []
        if not preferred:
            return Status(SKIP)
        state["NodeAffinity"] = preferred
        return success()

    def score(self, state: CycleState, pod: dict, node: NodeInfo) -> int:
        return sum(
            int(term.get("weight") or 0)
            for term in state.get("NodeAffinity", [])
            if term_matches(term.get("preference") or {}, node.node)
        )

    def normalize(self, state: CycleState, pod: dict, scores: list[int]) -> None:
        default_normalize_score(scores, reverse=False)
