"""Server-side printing of Pods and Nodes (upstream's printPod and printNode).

Pod STATUS is not a field: it is computed, as kube-apiserver computes it, from
the phase, the status reason, the init containers' and containers' states and
the deletion timestamp. kubeclass follows upstream's rules in the same order.
"""

from __future__ import annotations

import datetime as dt

from cluster.apiserver.printing import age, age_column, column, human_duration, name_column

POD_COLUMNS = [
    name_column(),
    column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    column("Status", "The aggregate status of the containers in this pod."),
    column(
        "Restarts",
        "The number of times the containers in this pod have been restarted and when the "
        "last container in this pod has restarted.",
    ),
    age_column(),
    column(
        "IP",
        "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
        priority=1,
    ),
    column(
        "Node",
        "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for preemption.",
        priority=1,
    ),
    column(
        "Nominated Node",
        "nominatedNodeName is set only when this pod preempts other pods on the node, "
        "but it cannot be scheduled right away as preemption victims receive their "
        "graceful termination periods.",
        priority=1,
    ),
    column("Readiness Gates", "If specified, all readiness gates will be evaluated for pod readiness.", priority=1),
]

NODE_COLUMNS = [
    name_column(),
    column("Status", "The status of the node"),
    column("Roles", "The roles of the node"),
    age_column(),
    column("Version", "Kubelet Version reported by the node."),
    column("Internal-IP", "List of addresses reachable to the node.", priority=1),
    column("External-IP", "List of addresses reachable to the node.", priority=1),
    column(
        "OS-Image", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", priority=1
    ),
    column(
        "Kernel-Version", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", priority=1
    ),
    column(
        "Container-Runtime",
        "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
        priority=1,
    ),
]

POD_SUCCEEDED = [
    {"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."}
]
POD_FAILED = [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]


def _restartable(init_containers: dict[str, dict], name: str) -> bool:
    return (init_containers.get(name) or {}).get("restartPolicy") == "Always"


def _condition_true(status: dict, kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True" for c in status.get("conditions") or [])


def _finished_at(container: dict) -> str:
    return ((container.get("lastState") or {}).get("terminated") or {}).get("finishedAt") or ""


class _PodSummary:
    """The running tally printPod keeps while it walks the container statuses."""

    def __init__(self, pod: dict) -> None:
        spec, self.status = pod.get("spec") or {}, pod.get("status") or {}
        self.reason = self.status.get("reason") or self.status.get("phase") or ""
        self.init_specs = {c.get("name"): c for c in spec.get("initContainers") or []}
        self.init_count = len(spec.get("initContainers") or [])
        self.total = len(spec.get("containers") or []) + sum(
            1 for c in self.init_specs.values() if c.get("restartPolicy") == "Always"
        )
        self.ready = 0
        self.restarts = 0
        self.last_restart = ""
        self.sidecar_restarts = 0
        self.sidecar_last_restart = ""

    def walk_init_containers(self) -> bool:
        """Returns whether the pod is still initializing."""
        for i, container in enumerate(self.status.get("initContainerStatuses") or []):
            self.restarts += container.get("restartCount") or 0
            self.last_restart = max(self.last_restart, _finished_at(container))
            sidecar = _restartable(self.init_specs, container.get("name", ""))
            if sidecar:
                self.sidecar_restarts += container.get("restartCount") or 0
                self.sidecar_last_restart = max(self.sidecar_last_restart, _finished_at(container))
            state = container.get("state") or {}
            terminated, waiting = state.get("terminated"), state.get("waiting")
            if terminated is not None and (terminated.get("exitCode") or 0) == 0:
                continue
            if sidecar and container.get("started"):
                self.ready += 1 if container.get("ready") else 0
                continue
            if terminated is not None:
                self.reason = (
                    "Init:" + terminated["reason"]
                    if terminated.get("reason")
                    else (
                        f"Init:Signal:{terminated['signal']}"
                        if terminated.get("signal")
                        else f"Init:ExitCode:{terminated.get('exitCode') or 0}"
                    )
                )
            elif waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing":
                self.reason = "Init:" + waiting["reason"]
            else:
                self.reason = f"Init:{i}/{self.init_count}"
            return True
        return False

    def walk_containers(self) -> None:
        self.restarts, self.last_restart = self.sidecar_restarts, self.sidecar_last_restart
        has_running = False
        for container in reversed(self.status.get("containerStatuses") or []):
            self.restarts += container.get("restartCount") or 0
            self.last_restart = max(self.last_restart, _finished_at(container))
            state = container.get("state") or {}
            waiting, terminated = state.get("waiting"), state.get("terminated")
            if waiting is not None and waiting.get("reason"):
                self.reason = waiting["reason"]
            elif terminated is not None and terminated.get("reason"):
                self.reason = terminated["reason"]
            elif terminated is not None:
                self.reason = (
                    f"Signal:{terminated['signal']}"
                    if terminated.get("signal")
                    else f"ExitCode:{terminated.get('exitCode') or 0}"
                )
            elif container.get("ready") and state.get("running") is not None:
                has_running = True
                self.ready += 1
        if self.reason == "Completed" and has_running:
            self.reason = "Running" if _condition_true(self.status, "Ready") else "NotReady"


def pod_status_cells(pod: dict, now: dt.datetime) -> tuple[str, str, str]:
    """READY, STATUS and RESTARTS of a pod, as printPod computes them."""
    summary = _PodSummary(pod)
    status = summary.status
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("reason") == "SchedulingGated":
            summary.reason = "SchedulingGated"
    initializing = summary.walk_init_containers()
    if not initializing or _condition_true(status, "Initialized"):
        summary.walk_containers()
    deleting = bool((pod.get("metadata") or {}).get("deletionTimestamp"))
    if deleting and status.get("reason") == "NodeLost":
        summary.reason = "Unknown"
    elif deleting and status.get("phase") not in ("Succeeded", "Failed"):
        summary.reason = "Terminating"
    restarts = str(summary.restarts)
    if summary.restarts and summary.last_restart:
        restarts = f"{summary.restarts} ({human_duration(now, summary.last_restart)} ago)"
    return f"{summary.ready}/{summary.total}", summary.reason, restarts


def pod_row(pod: dict, now: dt.datetime) -> list:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    ready, reason, restarts = pod_status_cells(pod, now)
    pod_ips = status.get("podIPs") or []
    pod_ip = (pod_ips[0].get("ip") if pod_ips else "") or "<none>"
    gates = spec.get("readinessGates") or []
    readiness = "<none>"
    if gates:
        conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
        passed = sum(1 for g in gates if conditions.get(g.get("conditionType")) == "True")
        readiness = f"{passed}/{len(gates)}"
    return [
        pod["metadata"]["name"],
        ready,
        reason,
        restarts,
        age(pod, now),
        pod_ip,
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        readiness,
    ]


def pod_conditions(pod: dict) -> list[dict] | None:
    """The row conditions kube-apiserver marks finished pods with."""
    phase = (pod.get("status") or {}).get("phase")
    return POD_SUCCEEDED if phase == "Succeeded" else POD_FAILED if phase == "Failed" else None


def node_status(node: dict) -> str:
    ready = [c for c in (node.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"]
    status = ["Ready" if ready[-1].get("status") == "True" else "NotReady"] if ready else ["Unknown"]
    if (node.get("spec") or {}).get("unschedulable"):
        status.append("SchedulingDisabled")
    return ",".join(status)


def node_roles(labels: dict | None) -> str:
    """findNodeRoles: node-role.kubernetes.io/<role> labels and the kubernetes.io/role label."""
    roles = set()
    for key, value in (labels or {}).items():
        if key.startswith("node-role.kubernetes.io/") and key[len("node-role.kubernetes.io/") :]:
            roles.add(key[len("node-role.kubernetes.io/") :])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return ",".join(sorted(roles)) or "<none>"


def _address(node: dict, kind: str) -> str:
    for address in (node.get("status") or {}).get("addresses") or []:
        if address.get("type") == kind:
            return address.get("address", "")
    return "<none>"


def node_row(node: dict, now: dt.datetime) -> list:
    info = (node.get("status") or {}).get("nodeInfo") or {}
    return [
        node["metadata"]["name"],
        node_status(node),
        node_roles(node["metadata"].get("labels")),
        age(node, now),
        info.get("kubeletVersion", ""),
        _address(node, "InternalIP"),
        _address(node, "ExternalIP"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]
