"""The kubelet's pod status (pkg/kubelet/kubelet_pods.go: generateAPIPodStatus, getPhase;
pkg/kubelet/status/generate.go: the Initialized, Ready and ContainersReady conditions).

Builds what the kubelet PATCHes to `pods/<name>/status`: the phase from the
init containers' and containers' states, the conditions in upstream's order
(PodReadyToStartContainers, Initialized, Ready, ContainersReady, PodScheduled) with
their transition times, the IPs, one initContainerStatus per init container and one
containerStatus per container. A restartable init container (a sidecar,
`restartPolicy: Always`) counts as initialized once it has started, and its readiness
counts in ContainersReady; a regular init container counts once it exited 0.

A pod the kubelet evicted (cluster/kubelet_eviction.py) keeps phase Failed with reason
`Evicted` and its DisruptionTarget condition (conditions the kubelet does not own are
kept, as upstream copies them over).
"""

from __future__ import annotations

CONDITION_ORDER = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
KUBELET_CONDITIONS = frozenset(CONDITION_ORDER)


def is_sidecar(container: dict) -> bool:
    """podutil.IsRestartableInitContainer: an init container with restartPolicy Always."""
    return container.get("restartPolicy") == "Always"


def container_status(
    container: dict,
    record: dict | None,
    ready: bool,
    waiting: dict | None = None,
    previous: dict | None = None,
    started: bool = True,
) -> dict:
    """One entry of status.containerStatuses from the runtime's record of the container."""
    name = container["name"]
    if record is None:
        status = {
            "name": name,
            "image": container["image"],
            "imageID": "",
            "lastState": {},
            "ready": False,
            "restartCount": (previous or {}).get("restartCount", 0),
            "started": False,
            "state": {"waiting": _waiting(waiting or {"reason": "ContainerCreating"})},
        }
        if previous and previous.get("lastState"):
            status["lastState"] = previous["lastState"]
        return status
    status = {
        "name": name,
        "image": record["image"],
        "imageID": record["imageID"],
        "containerID": f"containerd://{record['id']}",
        "restartCount": record["attempt"],
        "ready": ready and record["state"] == "running",
        "started": started and record["state"] == "running",
        "lastState": _terminated(record["last"]) if record.get("last") else {},
    }
    if waiting is not None:
        if record["state"] == "exited":
            status["lastState"] = _terminated(record)
        status["state"] = {"waiting": _waiting(waiting)}
        status["started"] = False
    elif record["state"] == "running":
        status["state"] = {"running": {"startedAt": record["startedAt"]}}
    elif record["state"] == "exited":
        status["state"] = _terminated(record)
        status["ready"] = ready  # a regular init container that exited 0 is ready (prober_manager.UpdatePodStatus)
    else:
        status["state"] = {"waiting": {"reason": "ContainerCreating"}}
    return status


def _waiting(waiting: dict) -> dict:
    return {k: v for k, v in waiting.items() if v}


def _terminated(record: dict) -> dict:
    terminated = {
        "containerID": f"containerd://{record['id']}",
        "exitCode": record["exitCode"],
        "finishedAt": record["finishedAt"],
        "reason": record["reason"],
        "startedAt": record["startedAt"],
    }
    if record.get("message"):
        terminated["message"] = record["message"]
    return {"terminated": terminated}


def _last_terminated(status: dict) -> dict | None:
    return (status.get("lastState") or {}).get("terminated")


def pod_phase(
    pod: dict, statuses: list[dict], init_statuses: list[dict] | None = None, initialized: bool = False
) -> str:
    """getPhase (kubelet_pods.go, v1.32): Pending while an init container or a container has not run;
    terminal by the restart policy; an init container that failed under restartPolicy Never fails the pod.
    `initialized`: a regular container has started (a restarting sidecar does not make the pod Pending)."""
    spec = pod.get("spec") or {}
    by_name = {s["name"]: s for s in init_statuses or []}
    pending_init = pending_sidecars = failed_init = 0
    unknown = running = waiting = stopped = succeeded = 0
    for container in spec.get("initContainers") or []:
        status = by_name.get(container["name"])
        sidecar = is_sidecar(container)
        if status is None:
            if sidecar:
                unknown += 1
            else:
                pending_init += 1
            continue
        state = status.get("state") or {}
        if sidecar:
            if "running" in state:
                pending_sidecars += 0 if status.get("started") else 1
                running += 1
            elif "waiting" in state and not _last_terminated(status):
                pending_sidecars += 1
                waiting += 1
            continue
        if "running" in state:
            pending_init += 1
        elif "terminated" in state:
            failed_init += state["terminated"].get("exitCode", 0) != 0
        elif last := _last_terminated(status):
            failed_init += last.get("exitCode", 0) != 0
        else:
            pending_init += 1
    for status in statuses:
        state = status.get("state") or {}
        if "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            succeeded += state["terminated"].get("exitCode", 0) == 0
        elif _last_terminated(status):
            stopped += 1
        else:
            waiting += 1
    policy = spec.get("restartPolicy", "Always")
    if failed_init and policy == "Never":
        return "Failed"
    if pending_init or (pending_sidecars and not initialized) or waiting:
        return "Pending"
    if running and not unknown:
        return "Running"
    if not running and stopped and not unknown:
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        return "Failed" if policy == "Never" else "Running"
    return "Pending"


def node_host_ip(node: dict) -> str:
    """The node's InternalIP: the pod's hostIP, and a hostNetwork pod's own address ("" if it has none)."""
    return next(
        (a["address"] for a in (node.get("status") or {}).get("addresses") or [] if a.get("type") == "InternalIP"), ""
    )


def build_status(
    pod: dict,
    node: dict,
    sandbox: dict | None,
    statuses: list[dict],
    phase: str,
    now: str,
    init_statuses: list[dict] | None = None,
    ephemeral_statuses: list[dict] | None = None,
) -> dict:
    old = pod.get("status") or {}
    if old.get("phase") in ("Succeeded", "Failed"):
        phase = old["phase"]  # no way back from a terminal phase
    status: dict = {"phase": phase}
    if phase == old.get("phase"):
        for key in ("reason", "message"):  # the reason and message go with the phase (an eviction's)
            if old.get(key):
                status[key] = old[key]
    host_ip = node_host_ip(node)
    if host_ip:
        status["hostIP"], status["hostIPs"] = host_ip, [{"ip": host_ip}]
    if sandbox is not None:
        status["podIP"], status["podIPs"] = sandbox["ip"], [{"ip": sandbox["ip"]}]
    elif old.get("podIP") and phase in ("Succeeded", "Failed"):
        status["podIP"], status["podIPs"] = old["podIP"], old.get("podIPs", [{"ip": old["podIP"]}])
    status["startTime"] = old.get("startTime") or now
    if old.get("qosClass"):
        status["qosClass"] = old["qosClass"]
    status["conditions"] = _conditions(
        pod, old.get("conditions") or [], sandbox is not None, statuses, init_statuses or [], phase, now
    )
    if (pod.get("spec") or {}).get("initContainers"):
        status["initContainerStatuses"] = init_statuses or []
    status["containerStatuses"] = statuses
    if (pod.get("spec") or {}).get("ephemeralContainers"):
        status["ephemeralContainerStatuses"] = (
            ephemeral_statuses if ephemeral_statuses is not None else old.get("ephemeralContainerStatuses") or []
        )
    return status


def _initialized(
    pod: dict, statuses: list[dict], init_statuses: list[dict], phase: str
) -> tuple[str, str | None, str | None]:
    """GeneratePodInitializedCondition."""
    specs = (pod.get("spec") or {}).get("initContainers") or []
    if not specs:
        return "True", None, None
    by_name = {s["name"]: s for s in init_statuses}
    unknown, incomplete = [], []
    for container in specs:
        status = by_name.get(container["name"])
        if status is None:
            unknown.append(container["name"])
        elif not (status.get("started") if is_sidecar(container) else status.get("ready")):
            incomplete.append(container["name"])
    if phase == "Succeeded" and not unknown:
        return "True", "PodCompleted", None
    if any(s.get("containerID") or _last_terminated(s) for s in statuses):
        return "True", None, None  # a regular container has started: initialized before
    messages = []
    if unknown:
        messages.append(f"containers with unknown status: [{' '.join(unknown)}]")
    if incomplete:
        messages.append(f"containers with incomplete status: [{' '.join(incomplete)}]")
    if messages:
        return "False", "ContainersNotInitialized", ", ".join(messages)
    return "True", None, None


def _containers_ready(
    pod: dict, statuses: list[dict], init_statuses: list[dict], phase: str
) -> tuple[str, str | None, str | None]:
    """GenerateContainersReadyCondition: the sidecars and the containers."""
    if phase == "Succeeded":
        return "False", "PodCompleted", None
    if phase == "Failed":
        return "False", "PodFailed", None
    sidecars = {c["name"] for c in (pod.get("spec") or {}).get("initContainers") or [] if is_sidecar(c)}
    unready = [s["name"] for s in init_statuses if s["name"] in sidecars and not s.get("ready")]
    unready += [s["name"] for s in statuses if not s.get("ready")]
    if unready:
        return "False", "ContainersNotReady", f"containers with unready status: [{' '.join(unready)}]"
    return "True", None, None


def _conditions(
    pod: dict,
    previous: list[dict],
    has_sandbox: bool,
    statuses: list[dict],
    init_statuses: list[dict],
    phase: str,
    now: str,
) -> list[dict]:
    before = {c["type"]: c for c in previous}
    ready = _containers_ready(pod, statuses, init_statuses, phase)
    wanted = {
        "PodReadyToStartContainers": ("True" if has_sandbox else "False", None, None),
        "Initialized": _initialized(pod, statuses, init_statuses, phase),
        "Ready": ready,
        "ContainersReady": ready,
    }
    conditions = [
        _condition(type_, *wanted[type_], before.get(type_), now) for type_ in CONDITION_ORDER if type_ in wanted
    ]
    if "PodScheduled" in before:
        conditions.append(before["PodScheduled"])
    conditions += [c for c in previous if c["type"] not in KUBELET_CONDITIONS]
    return conditions


def _condition(type_: str, status: str, reason: str | None, message: str | None, before: dict | None, now: str) -> dict:
    changed = before is None or before.get("status") != status
    condition = {
        "type": type_,
        "status": status,
        "lastProbeTime": None,
        "lastTransitionTime": now if changed or before is None else before.get("lastTransitionTime", now),
    }
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    return condition
