"""The plugins of kube-scheduler's default profile that kubeclass simulates, in upstream's order.

Filter order and score weights follow getDefaultPlugins (v1.32): NodeUnschedulable,
NodeName, TaintToleration (3), NodeAffinity (2), NodePorts, NodeResourcesFit (1),
VolumeBinding, InterPodAffinity (2), NodeResourcesBalancedAllocation (1).

Not simulated: PodTopologySpread (its system-default and pod-declared spreading),
ImageLocality, VolumeRestrictions, NodeVolumeLimits, VolumeZone and
DynamicResources; DefaultPreemption only reports, it never evicts.
"""

from __future__ import annotations

from cluster.apiserver.server import APIServer
from cluster.scheduler.framework import Handle, Plugin
from cluster.scheduler.plugins.balanced_allocation import BalancedAllocation
from cluster.scheduler.plugins.interpod_affinity import InterPodAffinity
from cluster.scheduler.plugins.node_affinity import NodeAffinity
from cluster.scheduler.plugins.node_name import NodeName
from cluster.scheduler.plugins.node_ports import NodePorts
from cluster.scheduler.plugins.node_resources_fit import NodeResourcesFit
from cluster.scheduler.plugins.node_unschedulable import NodeUnschedulable
from cluster.scheduler.plugins.taint_toleration import TaintToleration
from cluster.scheduler.plugins.volume_binding import VolumeBinding


def default_profile(api: APIServer, handle: Handle) -> list[Plugin]:
    """The plugins in upstream's order; `handle` gives them the cycle's snapshot and the namespaces."""
    return [
        NodeUnschedulable(),
        NodeName(),
        TaintToleration(),
        NodeAffinity(),
        NodePorts(),
        NodeResourcesFit(),
        VolumeBinding(api),
        InterPodAffinity(handle),
        BalancedAllocation(),
    ]
