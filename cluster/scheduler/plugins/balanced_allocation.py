"""The NodeResourcesBalancedAllocation score plugin (plugins/noderesources/balanced_allocation.go).

Favours nodes whose CPU and memory would be used in equal proportions: with each
fraction `requested / allocatable` capped at 1, the score is `(1 - std) * 100`
truncated to an integer, where for two resources std is `|f_cpu - f_mem| / 2`.
Requested here is what pods actually request (no 100m / 200Mi defaults); weight 1.
A pod that requests nothing is scored too, by the node's own balance, as v1.32
does: PreScore's Skip for best-effort pods (kubernetes#130260) came with v1.33.
"""

from __future__ import annotations

import math
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
)
from cluster.scheduler.plugins.node_resources_fit import allocation

RESOURCES: tuple[tuple[str, int], ...] = (("cpu", 1), ("memory", 1))


def balanced_resource_score(requested: Resources, allocatable: Resources) -> int:
    fractions = [
        min(requested.get(name, 0) / allocatable[name], 1.0) for name, _weight in RESOURCES if allocatable.get(name)
    ]
    std = 0.0
    if len(fractions) == 2:
        std = abs((fractions[0] - fractions[1]) / 2)
    elif len(fractions) > 2:
        mean = sum(fractions) / len(fractions)
        std = math.sqrt(sum((f - mean) ** 2 for f in fractions) / len(fractions))
    return int((1 - std) * MAX_NODE_SCORE)


class BalancedAllocation(Plugin):
    name = "NodeResourcesBalancedAllocation"
    weight = 1

    def pre_score(self, state: CycleState, pod: dict, nodes: Sequence[NodeInfo]) -> Status:
        state["NodeResourcesBalancedAllocation"] = pod_requests(pod)
        return success()

    def score(self, state: CycleState, pod: dict, node: NodeInfo) -> int:
        requested, allocatable = allocation(
            node, state["NodeResourcesBalancedAllocation"], use_requested=True, resources=RESOURCES
        )
        return balanced_resource_score(requested, allocatable)
