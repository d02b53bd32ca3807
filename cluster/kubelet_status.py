"""The kubelet's pod status (pkg/kubelet/kubelet_pods.go: generateAPIPodStatus, getPhase).

Builds what the kubelet PATCHes to `pods/<name>/status`: the phase from the
container states, the conditions in upstream's order (PodReadyToStartContainers,
Initialized, Ready, ContainersReady, PodScheduled) with their transition
times, the IPs and one containerStatus per container.
"""
from __future__ import annotations

CONDITION_ORDER = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")


def container_status(container: dict, record: dict | None, ready: bool, waiting: dict | None = None,
                     previous: dict | None = None, started: bool = True) -> dict:
    """One entry of status.containerStatuses from the runtime's record of the container."""
    name = container["name"]
    if record is None:
        status = {"name": name, "image": container["image"], "imageID": "", "lastState": {}, "ready": False,
                  "restartCount": (previous or {}).get("restartCount", 0), "started": False,
                  "state": {"waiting": _waiting(waiting or {"reason": "ContainerCreating"})}}
        if previous and previous.get("lastState"):
            status["lastState"] = previous["lastState"]
        return status
    status = {"name": name, "image": record["image"], "imageID": record["imageID"],
              "containerID": f"containerd://{record['id']}", "restartCount": record["attempt"],
              "ready": ready and record["state"] == "running", "started": started and record["state"] == "running",
              "lastState": _terminated(record["last"]) if record.get("last") else {}}
    if waiting is not None:
        if record["state"] == "exited":
            status["lastState"] = _terminated(record)
        status["state"] = {"waiting": _waiting(waiting)}
        status["started"] = False
    elif record["state"] == "running":
        status["state"] = {"running": {"startedAt": record["startedAt"]}}
    elif record["state"] == "exited":
        status["state"] = _terminated(record)
    else:
        status["state"] = {"waiting": {"reason": "ContainerCreating"}}
    return status


def _waiting(waiting: dict) -> dict:
    return {k: v for k, v in waiting.items() if v}


def _terminated(record: dict) -> dict:
    terminated = {"containerID": f"containerd://{record['id']}", "exitCode": record["exitCode"],
                  "finishedAt": record["finishedAt"], "reason": record["reason"], "startedAt": record["startedAt"]}
    if record.get("message"):
        terminated["message"] = record["message"]
    return {"terminated": terminated}


def pod_phase(pod: dict, statuses: list[dict]) -> str:
    """getPhase: Pending while a container waits for its first start; terminal by the restart policy."""
    waiting = running = stopped = succeeded = 0
    for status in statuses:
        state = status["state"]
        if "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            succeeded += state["terminated"]["exitCode"] == 0
        elif status.get("lastState", {}).get("terminated"):
            stopped += 1
        else:
            waiting += 1
    if waiting:
        return "Pending"
    if running:
        return "Running"
    policy = pod["spec"].get("restartPolicy", "Always")
    if policy == "Always" or (policy == "OnFailure" and stopped != succeeded):
        return "Running"
    return "Succeeded" if stopped == succeeded else "Failed"


def build_status(pod: dict, node: dict, sandbox: dict | None, statuses: list[dict], phase: str, now: str) -> dict:
    old = pod.get("status") or {}
    status: dict = {"phase": phase}
    host_ip = next((a["address"] for a in (node.get("status") or {}).get("addresses", [])
                    if a.get("type") == "InternalIP"), "")
    if host_ip:
        status["hostIP"], status["hostIPs"] = host_ip, [{"ip": host_ip}]
    if sandbox is not None:
        status["podIP"], status["podIPs"] = sandbox["ip"], [{"ip": sandbox["ip"]}]
    elif old.get("podIP") and phase in ("Succeeded", "Failed"):
        status["podIP"], status["podIPs"] = old["podIP"], old.get("podIPs", [{"ip": old["podIP"]}])
    status["startTime"] = old.get("startTime") or now
    if old.get("qosClass"):
        status["qosClass"] = old["qosClass"]
    status["conditions"] = _conditions(old.get("conditions") or [], sandbox is not None, statuses, phase, now)
    status["containerStatuses"] = statuses
    return status


def _conditions(previous: list[dict], has_sandbox: bool, statuses: list[dict], phase: str, now: str) -> list[dict]:
    before = {c["type"]: c for c in previous}
    unready = [s["name"] for s in statuses if not s["ready"]]
    if phase in ("Succeeded", "Failed"):
        not_ready = ("False", "PodCompleted", None)
    elif unready:
        not_ready = ("False", "ContainersNotReady", f"containers with unready status: [{' '.join(unready)}]")
    else:
        not_ready = ("True", None, None)
    wanted = {
        "PodReadyToStartContainers": ("True" if has_sandbox else "False", None, None),
        "Initialized": ("True", None, None),
        "Ready": not_ready,
        "ContainersReady": not_ready,
    }
    conditions = [_condition(type_, *wanted[type_], before.get(type_), now) for type_ in CONDITION_ORDER
                  if type_ in wanted]
    if "PodScheduled" in before:
        conditions.append(before["PodScheduled"])
    conditions += [c for c in previous if c["type"] not in CONDITION_ORDER]
    return conditions


def _condition(type_: str, status: str, reason: str | None, message: str | None, before: dict | None,
               now: str) -> dict:
    changed = before is None or before.get("status") != status
    condition = {"type": type_, "status": status, "lastProbeTime": None,
                 "lastTransitionTime": now if changed else before.get("lastTransitionTime", now)}
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    return condition
