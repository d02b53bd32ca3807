"""The NodeName filter plugin (plugins/nodename): a pod naming a node fits only that node.

Pods created with `spec.nodeName` never reach the scheduler; the plugin matters for
preemption dry runs and is kept so the verdicts show the default profile in full.
"""

from __future__ import annotations

from cluster.scheduler.framework import CycleState, NodeInfo, Plugin, Status, success, unschedulable

ERR_REASON = "node(s) didn't match the requested node name"


class NodeName(Plugin):
    name = "NodeName"

    def filter(self, state: CycleState, pod: dict, node: NodeInfo) -> Status:
        wanted = (pod.get("spec") or {}).get("nodeName")
        if wanted and wanted != node.name:
            return unschedulable(ERR_REASON, resolvable=False)
        return success()
