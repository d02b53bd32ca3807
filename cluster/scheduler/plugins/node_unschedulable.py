"""The NodeUnschedulable filter plugin (plugins/nodeunschedulable).

A cordoned node (`spec.unschedulable: true`, as `kubectl cordon` sets it) takes no
new pods, unless the pod tolerates the node.kubernetes.io/unschedulable:NoSchedule taint.
"""

from __future__ import annotations

from cluster.scheduler.framework import CycleState, NodeInfo, Plugin, Status, success, unschedulable
from cluster.scheduler.plugins.taint_toleration import tolerates

ERR_REASON = "node(s) were unschedulable"
UNSCHEDULABLE_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}


class NodeUnschedulable(Plugin):
    name = "NodeUnschedulable"

    def filter(self, state: CycleState, pod: dict, node: NodeInfo) -> Status:
        if not (node.node.get("spec") or {}).get("unschedulable"):
            return success()
        if tolerates((pod.get("spec") or {}).get("tolerations") or [], UNSCHEDULABLE_TAINT):
            return success()
        return unschedulable(ERR_REASON, resolvable=False)
