"""The NodeResourcesFit plugin (plugins/noderesources/fit.go): filter, and score with LeastAllocated.

Filter: the pod's requests (containers summed, the init container rule, overhead)
must fit in the node's allocatable minus what its non-terminal pods request, and
the pod count must stay within `pods`; each shortfall is one reason (`Too many
pods`, `Insufficient cpu`, `Insufficient memory`, `Insufficient <resource>`).
Score (LeastAllocated, weight 1, cpu and memory weight 1 each):
per resource `(allocatable - requested) * 100 / allocatable` in integer arithmetic,
where requested counts 100m CPU / 200Mi memory for every container that requests
none, then the weighted average of the resources.
"""

from __future__ import annotations

from typing import Sequence

from cluster.scheduler.framework import (
    MAX_NODE_SCORE,
    CycleState,
    NodeInfo,
    Plugin,
    Resources,
    Status,
    pod_requests,
    success,
    unschedulable,
)

#: NodeResourcesFitArgs.ScoringStrategy.Resources of the default profile
SCORING_RESOURCES: tuple[tuple[str, int], ...] = (("cpu", 1), ("memory", 1))
_ORDERED = ("cpu", "memory", "ephemeral-storage")


def insufficient_resources(request: Resources, node: NodeInfo) -> list[str]:
    """fitsRequest: the reasons this node cannot hold the pod, in upstream's order."""
    reasons = []
    if len(node.pods) + 1 > node.allocatable.get("pods", 0):
        reasons.append("Too many pods")
    wanted = {name: value for name, value in request.items() if name != "pods"}
    if not any(wanted.values()):
        return reasons
    for name in _ORDERED:
        if wanted.get(name, 0) > node.allocatable.get(name, 0) - node.requested.get(name, 0) and wanted.get(name, 0):
            reasons.append(f"Insufficient {name}")
    for name in sorted(set(wanted) - set(_ORDERED)):
        if (
            _is_scalar(name)
            and wanted[name]
            and wanted[name] > node.allocatable.get(name, 0) - node.requested.get(name, 0)
        ):
            reasons.append(f"Insufficient {name}")
    return reasons


def _is_scalar(name: str) -> bool:
    """Extended resources (example.com/gpu), hugepages and attachable volumes are checked; others are not."""
    return "/" in name or name.startswith("hugepages-")


def least_requested_score(requested: int, capacity: int) -> int:
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX_NODE_SCORE // capacity


def least_allocated_score(
    requested: Resources, allocatable: Resources, resources: tuple[tuple[str, int], ...] = SCORING_RESOURCES
) -> int:
    """leastResourceScorer: the weighted integer average of least_requested_score."""
    total = weights = 0
    for name, weight in resources:
        if not allocatable.get(name):
            continue
        total += least_requested_score(requested.get(name, 0), allocatable[name]) * weight
        weights += weight
    return total // weights if weights else 0


def allocation(
    node: NodeInfo,
    pod_request: Resources,
    use_requested: bool,
    resources: tuple[tuple[str, int], ...] = SCORING_RESOURCES,
) -> tuple[Resources, Resources]:
    """calculateResourceAllocatableRequest for each scored resource: (requested incl. the pod, allocatable)."""
    on_node = node.requested if use_requested else node.non_zero_requested
    requested, allocatable = {}, {}
    for name, _weight in resources:
        if node.allocatable.get(name):
            allocatable[name] = node.allocatable[name]
            requested[name] = on_node.get(name, 0) + pod_request.get(name, 0)
    return requested, allocatable


class NodeResourcesFit(Plugin):
    name = "NodeResourcesFit"
    weight = 1

    def pre_filter(self, state: CycleState, pod: dict) -> Status:
        state["NodeResourcesFit"] = pod_requests(pod)
        return success()

    def filter(self, state: CycleState, pod: dict, node: NodeInfo) -> Status:
        reasons = insufficient_resources(state["NodeResourcesFit"], node)
        return unschedulable(*reasons) if reasons else success()

    def pre_score(self, state: CycleState, pod: dict, nodes: Sequence[NodeInfo]) -> Status:
        state["NodeResourcesFit/score"] = pod_requests(pod, non_zero=True)
        return success()

    def score(self, state: CycleState, pod: dict, node: NodeInfo) -> int:
        requested, allocatable = allocation(node, state["NodeResourcesFit/score"], use_requested=False)
        return least_allocated_score(requested, allocatable)
