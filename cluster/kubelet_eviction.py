"""The kubelet's eviction manager: node-pressure eviction (pkg/kubelet/eviction: eviction_manager.go,
helpers.go).

Every evictionMonitoringPeriod (10 s, with the kubelet's heartbeat) the manager observes
the node's memory.available — its capacity less the working set of the pods' containers
(cluster/metrics.py) and of what runs outside them — and compares it with the hard
eviction threshold `memory.available<100Mi`. While the threshold is met the node reports
MemoryPressure (kept for evictionPressureTransitionPeriod, 5 minutes, after it stops
being met; the node lifecycle controller taints the node memory-pressure:NoSchedule),
a Warning `EvictionThresholdMet` "Attempting to reclaim memory" event is recorded on the
node, and at most one pod is evicted per period, picked as rankMemoryPressure ranks
them: pods whose memory usage exceeds their requests first, then the lower priority,
then the larger usage above the request. Critical pods (priority at least
system-cluster-critical's 2000000000) are never evicted. An evicted pod gets a Warning
`Evicted` event and keeps its place in the API as phase Failed, reason `Evicted`, with
the message kubelet writes ("The node was low on resource: memory. Threshold quantity:
100Mi, available: 90Mi. Container web was using 4Mi, request is 0, has larger
consumption of memory. ") and a DisruptionTarget condition (TerminationByKubelet); its
containers are killed with the 1-second grace period of a hard eviction. Its
controller replaces it; the replacement goes to a node without pressure.

What fills the memory: `kubectl fault node X fill-memory` (cluster/faults.py) starts a
process outside Kubernetes that takes the node's memory until memory.available is
below the threshold by half of what the node's pods use, and keeps what it took; each
evicted pod gives its working set back, so the pressure ends once about half of the
pods, the lowest ranked, are gone. `heal` ends that process.

While the node has MemoryPressure the manager also admits pods (Admit): a BestEffort
pod that does not tolerate the memory-pressure taint is rejected when it arrives
— phase Failed, reason Evicted, "Pod was rejected: The node had condition:
[MemoryPressure]. " — as happens to a replacement the scheduler placed on the node
before the node lifecycle controller tainted it.

Simplified: memory is the only signal (no nodefs/imagefs/pid thresholds, no soft
thresholds) and the manager does not wait for an evicted pod's cleanup before the next
period.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from cluster import faults, metrics, quantity
from cluster.apiserver.errors import StatusError
from cluster.clock import rfc3339
from cluster.events import WARNING, record
from cluster.informers import NODE_NAME_INDEX

if TYPE_CHECKING:
    from cluster.kubelet import Kubelet

THRESHOLD = 100 * 1024 * 1024  # --eviction-hard memory.available<100Mi (the kubelet's default)
MIN_SHORTFALL = 1024 * 1024  # a fill-memory fault leaves at least this much below the threshold
PRESSURE_TRANSITION = 300.0  # --eviction-pressure-transition-period
IMMEDIATE_GRACE = 1  # immediateEvictionGracePeriodSeconds: a hard threshold's grace period
CRITICAL_PRIORITY = 2_000_000_000  # scheduling.SystemCriticalPriority
REASON = "Evicted"


def binary_si(value: int) -> str:
    """A byte count as resource.Quantity prints it in BinarySI (4194304 -> 4Mi, 94371840 -> 90Mi)."""
    suffixes = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei")
    index = 0
    while value and value % 1024 == 0 and index < len(suffixes) - 1:
        value //= 1024
        index += 1
    return f"{value}{suffixes[index]}"


def pod_usage(pod: dict) -> dict[str, int]:
    """Working-set bytes of each of the pod's running containers (what the summary API reports)."""
    statuses = {s["name"]: s for s in (pod.get("status") or {}).get("containerStatuses") or []}
    return {
        c["name"]: metrics.container_memory(c)
        for c in (pod.get("spec") or {}).get("containers") or []
        if "running" in ((statuses.get(c["name"]) or {}).get("state") or {})
    }


def memory_request(pod: dict) -> int:
    """The pod's memory request (resourcehelper.PodRequests: the containers, or the largest init container)."""
    spec = pod.get("spec") or {}

    def request(container: dict) -> int:
        try:
            return quantity.units(((container.get("resources") or {}).get("requests") or {}).get("memory"))
        except ValueError:
            return 0

    main = sum(request(c) for c in spec.get("containers") or [])
    init = max((request(c) for c in spec.get("initContainers") or []), default=0)
    return max(main, init)


def rank(pods: list[dict]) -> list[dict]:
    """rankMemoryPressure: exceedMemoryRequests, then priority, then memory usage above the request."""

    def key(pod: dict) -> tuple:
        usage = sum(pod_usage(pod).values())
        request = memory_request(pod)
        return (
            0 if usage > request else 1,
            (pod.get("spec") or {}).get("priority") or 0,
            -(usage - request),
            pod["metadata"].get("namespace", ""),
            pod["metadata"]["name"],
        )

    return sorted(pods, key=key)


def eviction_message(pod: dict, available: int) -> str:
    """evictionMessage: the starved resource, the threshold met, and each container using more than it asked."""
    message = (
        f"The node was low on resource: memory. Threshold quantity: {binary_si(THRESHOLD)}, "
        f"available: {binary_si(available)}. "
    )
    usage = pod_usage(pod)
    for container in (pod.get("spec") or {}).get("containers") or []:
        if container["name"] not in usage:
            continue
        try:
            request = quantity.units(((container.get("resources") or {}).get("requests") or {}).get("memory"))
        except ValueError:
            request = 0
        used = usage[container["name"]]
        if used > request:
            message += (
                f"Container {container['name']} was using {binary_si(used)}, request is "
                f"{binary_si(request)}, has larger consumption of memory. "
            )
    return message


class EvictionManager:
    """One node's eviction manager; its memory (the outside process's size, when pressure was last seen) is
    kept in the node's runtime record, so it survives a restart like the kubelet's checkpoint would."""

    def __init__(self, kubelet: Kubelet) -> None:
        self.kubelet = kubelet
        self.available: int | None = None  # memory.available when last observed under the threshold

    @property
    def state(self) -> dict:
        return self.kubelet.runtime.data.setdefault("eviction", {})

    def memory_pressure(self, now: dt.datetime) -> bool:
        """The MemoryPressure condition: the threshold met within the last transition period."""
        last = self.state.get("pressure_at")
        return last is not None and now.timestamp() - last < PRESSURE_TRANSITION

    def observe(self, node: dict, now: dt.datetime) -> None:
        """Observe memory.available; remember when the threshold was last met (before the node's status is
        posted, so MemoryPressure goes out with the first evictions)."""
        self.available = None
        filled = faults.node_fault(node) == faults.MEMORY_FULL
        if not filled and not self.state:
            return  # nothing outside the pods takes memory: the pods' working sets are far below the threshold
        capacity = quantity.units(((node.get("status") or {}).get("capacity") or {}).get("memory", "0"))
        in_pods = sum(sum(pod_usage(p).values()) for p in self.active_pods())
        if filled and "outside" not in self.state:
            self.state["outside"] = max(0, capacity - in_pods - THRESHOLD + max(MIN_SHORTFALL, in_pods // 2))
        elif not filled:
            self.state.pop("outside", None)
        self.kubelet.runtime.dirty = True
        available = capacity - in_pods - self.state.get("outside", 0)
        if available >= THRESHOLD:
            if not self.memory_pressure(now):
                self.state.pop("pressure_at", None)  # the outside process keeps what it took until healed
            return
        self.state["pressure_at"] = now.timestamp()
        self.available = available

    def active_pods(self) -> list[dict]:
        pods = self.kubelet.lister.by_index("pods", NODE_NAME_INDEX, self.kubelet.node_name)
        return [p for p in pods if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]

    def reclaim(self, node: dict, now: dt.datetime) -> None:
        """The threshold is met: say so on the node and evict the first evictable pod in rank order."""
        if self.available is None:
            return
        record(
            self.kubelet.api,
            node,
            WARNING,
            "EvictionThresholdMet",
            "Attempting to reclaim memory",
            "kubelet",
            host=self.kubelet.node_name,
        )
        for pod in rank([p for p in self.active_pods() if not p["metadata"].get("deletionTimestamp")]):
            if ((pod.get("spec") or {}).get("priority") or 0) >= CRITICAL_PRIORITY:
                continue
            if self.evict(pod, node, now, eviction_message(pod, self.available)):
                return

    def admit(self, pod: dict, now: dt.datetime) -> str:
        """Admit (eviction_manager.go): "" to admit the pod, else why it is rejected."""
        if not self.memory_pressure(now) or ((pod.get("spec") or {}).get("priority") or 0) >= CRITICAL_PRIORITY:
            return ""
        if (pod.get("status") or {}).get("qosClass") != "BestEffort":
            return ""
        from cluster.controllers.nodelifecycle import tolerates

        taint = {"key": "node.kubernetes.io/memory-pressure", "effect": "NoSchedule"}
        if any(tolerates(t, taint) for t in (pod.get("spec") or {}).get("tolerations") or []):
            return ""
        return "The node had condition: [MemoryPressure]. "

    def reject(self, pod: dict, message: str) -> None:
        """rejectPod: a Warning event with the reason, and the pod Failed without ever starting."""
        meta = pod["metadata"]
        record(self.kubelet.api, pod, WARNING, REASON, message, "kubelet", host=self.kubelet.node_name)

        def failed(current: dict) -> dict:
            qos = (current.get("status") or {}).get("qosClass")
            current["status"] = {"phase": "Failed", "reason": REASON, "message": "Pod was rejected: " + message}
            if qos:
                current["status"]["qosClass"] = qos
            return current

        try:
            self.kubelet.api.update_with("pods", meta["namespace"], meta["name"], failed, subresource="status")
        except StatusError as err:
            if err.code != 404:
                raise

    def evict(self, pod: dict, node: dict, now: dt.datetime, message: str) -> bool:
        """evictPod: the Evicted event, the containers killed, the pod Failed with the reason and message."""
        from cluster.kubelet_pods import PodSync
        from cluster.kubelet_terminate import kill_all

        meta = pod["metadata"]
        record(self.kubelet.api, pod, WARNING, REASON, message, "kubelet", host=self.kubelet.node_name)
        kill_all(PodSync(self.kubelet, pod, node, now), IMMEDIATE_GRACE)
        stamp = rfc3339(now)

        def failed(current: dict) -> dict:
            status = current.setdefault("status", {})
            status.update(phase="Failed", reason=REASON, message=message)
            conditions = [c for c in status.get("conditions") or [] if c["type"] != "DisruptionTarget"]
            conditions.append(
                {
                    "type": "DisruptionTarget",
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": stamp,
                    "reason": "TerminationByKubelet",
                    "message": message,
                }
            )
            for condition in conditions:
                if condition["type"] in ("Ready", "ContainersReady") and condition["status"] != "False":
                    condition.update(status="False", reason="PodFailed", lastTransitionTime=stamp)
                    condition.pop("message", None)
            status["conditions"] = conditions
            return current

        try:
            self.kubelet.api.update_with("pods", meta["namespace"], meta["name"], failed, subresource="status")
        except StatusError as err:
            if err.code != 404:
                raise
            return False
        return True
