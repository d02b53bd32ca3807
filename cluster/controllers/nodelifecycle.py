"""kube-controller-manager's node lifecycle controller and taint eviction controller
(pkg/controller/nodelifecycle, pkg/controller/tainteviction).

Watches each node's heartbeat — its Lease in kube-node-lease and its Ready
condition. When neither has been renewed for node-monitor-grace-period (50 s
of virtual time) the node's conditions become Unknown (`NodeStatusUnknown`,
"Kubelet stopped posting node status."), its pods are marked not ready, and
it is tainted node.kubernetes.io/unreachable with NoSchedule and NoExecute
(a kubelet reporting Ready=False gets not-ready instead; MemoryPressure,
DiskPressure and PIDPressure get their NoSchedule taints, and a cordoned node —
spec.unschedulable — node.kubernetes.io/unschedulable:NoSchedule, as
TaintNodesByCondition does). Pods on a node with
a NoExecute taint are deleted once their toleration runs out (the default
toleration is 300 s) or at once if they do not tolerate it. When the node
reports Ready again, the taints go.

Simplified: no zone-based rate limiting of evictions (upstream evicts at most
0.1 node per second, slower in an unhealthy zone), and the node is re-examined
exactly when its grace period or a pod's toleration runs out rather than
every nodeMonitorPeriod (5 s).
"""

from __future__ import annotations

import datetime as dt

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer, WatchEvent
from cluster.clock import parse_rfc3339, rfc3339
from cluster.controllers.base import DONE, Controller, Result
from cluster.events import NORMAL, record
from cluster.informers import NODE_NAME_INDEX

GRACE_PERIOD = 50.0  # --node-monitor-grace-period
STARTUP_GRACE_PERIOD = 60.0  # --node-startup-grace-period
UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
CONDITION_TAINTS = {
    "MemoryPressure": "node.kubernetes.io/memory-pressure",
    "DiskPressure": "node.kubernetes.io/disk-pressure",
    "PIDPressure": "node.kubernetes.io/pid-pressure",
}
MANAGED_KEYS = {UNREACHABLE, NOT_READY, UNSCHEDULABLE, *CONDITION_TAINTS.values()}
UNKNOWN_MESSAGE = "Kubelet stopped posting node status."


class NodeLifecycleController(Controller):
    name = "node-lifecycle-controller"
    watches = ("nodes", "leases", "pods")

    def __init__(self, api: APIServer) -> None:
        super().__init__(api)
        self.tainted: set[str] = set()  # nodes with a NoExecute taint: only their pods matter here

    def keys_for(self, resource: str, event: WatchEvent) -> list[str]:
        obj = event.object
        meta = obj["metadata"]
        if resource == "nodes":
            no_execute = any(t.get("effect") == "NoExecute" for t in (obj.get("spec") or {}).get("taints") or [])
            (self.tainted.add if no_execute and event.type != "DELETED" else self.tainted.discard)(meta["name"])
            return [meta["name"]]
        if resource == "leases":
            return [meta["name"]] if meta.get("namespace") == "kube-node-lease" else []
        node = (obj.get("spec") or {}).get("nodeName")
        return [node] if node in self.tainted and event.type != "DELETED" else []

    def reconcile(self, key: str) -> Result:
        node = self.lister.find("nodes", None, key)
        if node is None:
            return DONE
        now = self.api.now()
        due: list[dt.datetime] = []
        ready = self.monitor_health(node, now, due)
        node = self.sync_taints(node, ready, now)
        self.evict_pods(node, now, due)
        return Result(requeue_after=max(0.0, (min(due) - now).total_seconds())) if due else DONE

    # -- health ------------------------------------------------------------------
    def last_heartbeat(self, node: dict) -> dt.datetime:
        """The newer of the Lease's renewTime and the Ready condition's heartbeat (tryUpdateNodeHealth)."""
        seen = [parse_rfc3339(node["metadata"]["creationTimestamp"])]
        ready = condition(node, "Ready")
        if ready and ready.get("lastHeartbeatTime"):
            seen.append(parse_rfc3339(ready["lastHeartbeatTime"]))
        lease = self.lister.find("leases", "kube-node-lease", node["metadata"]["name"])
        if lease is not None and (lease.get("spec") or {}).get("renewTime"):
            seen.append(parse_rfc3339(lease["spec"]["renewTime"]))
        return max(seen)

    def monitor_health(self, node: dict, now: dt.datetime, due: list[dt.datetime]) -> str:
        """The Ready status after this pass: True, False or Unknown ("" for a node still starting up)."""
        ready = condition(node, "Ready")
        grace = GRACE_PERIOD if ready else STARTUP_GRACE_PERIOD
        expires = self.last_heartbeat(node) + dt.timedelta(seconds=grace)
        if now < expires:
            due.append(expires + dt.timedelta(seconds=1))
            return ready["status"] if ready else ""
        if ready is not None and ready["status"] == "Unknown":
            return "Unknown"
        self.mark_unknown(node, now)
        return "Unknown"

    def mark_unknown(self, node: dict, now: dt.datetime) -> None:
        stamp = rfc3339(now)
        name = node["metadata"]["name"]

        def unknown(current: dict) -> dict:
            conditions = current.setdefault("status", {}).setdefault("conditions", [])
            if not any(c["type"] == "Ready" for c in conditions):
                conditions.append(
                    {
                        "type": "Ready",
                        "status": "Unknown",
                        "lastHeartbeatTime": None,
                        "lastTransitionTime": stamp,
                        "reason": "NodeStatusNeverUpdated",
                        "message": "Kubelet never posted node status.",
                    }
                )
            for cond in conditions:
                if cond["status"] != "Unknown":
                    cond.update(
                        status="Unknown", reason="NodeStatusUnknown", message=UNKNOWN_MESSAGE, lastTransitionTime=stamp
                    )
            return current

        self.api.update_with("nodes", None, name, unknown, subresource="status")
        record(self.api, node, NORMAL, "NodeNotReady", f"Node {name} status is now: NodeNotReady", "node-controller")
        self.mark_pods_not_ready(name, stamp)

    def mark_pods_not_ready(self, node_name: str, stamp: str) -> None:
        """MarkPodsNotReady: the pods' Ready condition turns False; they leave Service endpoints."""
        for pod in self.lister.by_index("pods", NODE_NAME_INDEX, node_name):

            def not_ready(current: dict) -> dict:
                for cond in (current.get("status") or {}).get("conditions") or []:
                    if cond["type"] in ("Ready", "ContainersReady") and cond["status"] != "False":
                        cond.update(status="False", lastTransitionTime=stamp)
                return current

            try:
                self.api.update_with(
                    "pods", pod["metadata"]["namespace"], pod["metadata"]["name"], not_ready, subresource="status"
                )
            except StatusError as err:
                if err.code != 404:
                    raise
            record(self.api, pod, "Warning", "NodeNotReady", "Node is not ready", "node-controller")

    # -- taints ---------------------------------------------------------------------
    def sync_taints(self, node: dict, ready: str, now: dt.datetime) -> dict:
        wanted = desired_taints(node, ready)
        current = [t for t in (node.get("spec") or {}).get("taints") or [] if t["key"] in MANAGED_KEYS]
        if {(t["key"], t["effect"]) for t in current} == set(wanted):
            return node
        stamp = rfc3339(now)

        def retaint(obj: dict) -> dict:
            kept = [
                t
                for t in obj["spec"].get("taints") or []
                if t["key"] not in MANAGED_KEYS or (t["key"], t["effect"]) in wanted
            ]
            have = {(t["key"], t["effect"]) for t in kept}
            for key, effect in wanted:
                if (key, effect) not in have:
                    taint = {"key": key, "effect": effect}
                    if effect == "NoExecute":
                        taint["timeAdded"] = stamp
                    kept.append(taint)
            if kept:
                obj["spec"]["taints"] = kept
            else:
                obj["spec"].pop("taints", None)
            return obj

        return self.api.update_with("nodes", None, node["metadata"]["name"], retaint)

    # -- eviction -------------------------------------------------------------------
    def evict_pods(self, node: dict, now: dt.datetime, due: list[dt.datetime]) -> None:
        taints = [t for t in (node.get("spec") or {}).get("taints") or [] if t.get("effect") == "NoExecute"]
        if not taints:
            return
        name = node["metadata"]["name"]
        for pod in self.lister.by_index("pods", NODE_NAME_INDEX, name):
            if pod["metadata"].get("deletionTimestamp"):
                continue
            evict_at = eviction_time(pod, taints)
            if evict_at is None:
                continue
            if evict_at > now:
                due.append(evict_at)
                continue
            self.evict(pod, now)

    def evict(self, pod: dict, now: dt.datetime) -> None:
        meta = pod["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        record(
            self.api,
            pod,
            NORMAL,
            "TaintManagerEviction",
            f"Marking for deletion Pod {namespace}/{name}",
            "taint-eviction-controller",
        )
        stamp = rfc3339(now)

        def disruption(current: dict) -> dict:
            conditions = current.setdefault("status", {}).setdefault("conditions", [])
            if not any(c["type"] == "DisruptionTarget" for c in conditions):
                conditions.append(
                    {
                        "type": "DisruptionTarget",
                        "status": "True",
                        "lastProbeTime": None,
                        "lastTransitionTime": stamp,
                        "reason": "DeletionByTaintManager",
                        "message": "Taint manager: deleting due to NoExecute taint",
                    }
                )
            return current

        try:
            self.api.update_with("pods", namespace, name, disruption, subresource="status")
            self.api.delete("pods", namespace, name, preconditions={"uid": meta["uid"]})
        except StatusError as err:
            if err.code not in (404, 409):
                raise


def condition(obj: dict, type_: str) -> dict | None:
    return next((c for c in (obj.get("status") or {}).get("conditions") or [] if c["type"] == type_), None)


def desired_taints(node: dict, ready: str) -> list[tuple[str, str]]:
    wanted: list[tuple[str, str]] = []
    if ready == "Unknown":
        wanted += [(UNREACHABLE, "NoSchedule"), (UNREACHABLE, "NoExecute")]
    elif ready == "False":
        wanted += [(NOT_READY, "NoSchedule"), (NOT_READY, "NoExecute")]
    for type_, key in CONDITION_TAINTS.items():
        cond = condition(node, type_)
        if cond and cond["status"] == "True":
            wanted.append((key, "NoSchedule"))
    if (node.get("spec") or {}).get("unschedulable"):  # a cordoned node (doNoScheduleTaintingPass)
        wanted.append((UNSCHEDULABLE, "NoSchedule"))
    return wanted


def eviction_time(pod: dict, taints: list[dict]) -> dt.datetime | None:
    """When the pod must go: the earliest toleration to run out; None if it tolerates all forever."""
    tolerations = (pod.get("spec") or {}).get("tolerations") or []
    times = []
    for taint in taints:
        added = parse_rfc3339(taint["timeAdded"]) if taint.get("timeAdded") else None
        match = next((t for t in tolerations if tolerates(t, taint)), None)
        if match is None:
            return added or dt.datetime.min.replace(tzinfo=dt.timezone.utc)
        seconds = match.get("tolerationSeconds")
        if seconds is not None and added is not None:
            times.append(added + dt.timedelta(seconds=max(0, int(seconds))))
    return min(times) if times else None


def tolerates(toleration: dict, taint: dict) -> bool:
    if toleration.get("effect") and toleration["effect"] != taint["effect"]:
        return False
    if toleration.get("operator") == "Exists":
        return not toleration.get("key") or toleration["key"] == taint["key"]
    return toleration.get("key") == taint["key"] and toleration.get("value", "") == taint.get("value", "")
