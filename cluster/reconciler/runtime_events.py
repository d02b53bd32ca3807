"""containerd's events for the kubelets: signals an exec sent to a container's PID 1 (cluster/container/signals.py).

Upstream the kubelet's PLEG relists the runtime's containers every second (or hears containerd's events) and
syncs a pod whose container changed. Here the driver looks for signals once per PLEG relist period of the
cluster's clock, hands each to the kubelet of its node, and queues the pod for that kubelet; a signal for a
node without a kubelet is dropped, as the machine is gone.
"""

from __future__ import annotations

from cluster.container import signals
from cluster.kubelet import Kubelet
from cluster.kubelet_backoff import PLEG_RELIST_PERIOD
from cluster.models import Cluster
from cluster.reconciler.component_loop import ComponentLoop


class RuntimeEvents:
    """The signals waiting in the runtime's rows, delivered once per relist period."""

    def __init__(self) -> None:
        self.checked = float("-inf")  # the cluster's time of the last look

    def deliver(self, cluster: Cluster, now: float, kubelets: dict[str, list[ComponentLoop]]) -> None:
        if now < self.checked + PLEG_RELIST_PERIOD:
            return
        self.checked = now
        found = signals.pending(cluster)
        if not found:
            return
        for signal in found:
            for loop in kubelets.get(signal.node, []):
                if isinstance(loop.component, Kubelet):
                    key = loop.component.take_signal(signal)
                    if key:
                        loop.queue.add(key)
        signals.taken(cluster, found)
