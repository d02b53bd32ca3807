"""The kubelet: the agent on each node (pkg/kubelet).

One Kubelet per Node, an API client named `kubelet` with the node's name as
its host. It watches the pods bound to its node (upstream uses the field
selector spec.nodeName=<node>) and runs each through the pod worker
(cluster/kubelet_pods.py) against the node's container runtime
(cluster/runtime.py). Every 10 s of virtual time it renews its Lease in
kube-node-lease and posts the node's conditions when they change (or every
5 minutes, nodeStatusReportFrequency), records NodeNotSchedulable / NodeSchedulable
when the node is cordoned or uncordoned, runs the eviction manager
(cluster/kubelet_eviction.py), and cleans up containers of pods that no longer
exist (HandlePodCleanups).

A node fault (cluster/faults.py) decides whether the kubelet runs: `down`
and `partition` stop it (`down` also powers off its containers); when the
fault is cleared the kubelet relists and resumes, like a restarted kubelet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Callable

import orjson

from cluster import faults, steps
from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer, WatchEvent
from cluster.clock import parse_rfc3339, rfc3339
from cluster.component import DONE, Controller, Result, split_key
from cluster.container.signals import Signal
from cluster.events import NORMAL, record
from cluster.informers import NODE_NAME_INDEX, object_key
from cluster.kubelet_eviction import EvictionManager
from cluster.kubelet_pods import PodSync
from cluster.runtime import NodeRuntime

HEARTBEAT = "~heartbeat"
NODE_LEASE_NAMESPACE = "kube-node-lease"
LEASE_DURATION_SECONDS = 40
RENEW_INTERVAL = 10.0  # 0.25 × the lease duration, as upstream
STATUS_REPORT_FREQUENCY = 300.0
MAX_NODE_IMAGES = 50


class Kubelet(Controller):
    name = "kubelet"
    watches: tuple[str, ...] = ("pods", "nodes")

    def __init__(self, api: APIServer, node_name: str) -> None:
        super().__init__(api)
        self.node_name = node_name
        api.hooks.host = node_name  # its steps read kubelet/<node>
        self.runtime = NodeRuntime(api.cluster, node_name)
        self.eviction = EvictionManager(self)
        self.reachable = True
        self.wants_relist = False
        self._heard: dict[str, bytes] = {}  # pod key -> what a sync acts on, as last heard
        self.volume_checks: dict[str, float] = {}  # pod uid -> when its volumes were last projected (kubelet_volumes)
        self.signals: dict[str, Signal] = {}  # container instance key -> a signal an exec sent its PID 1

    @property
    def paused(self) -> bool:
        """A kubelet on a node that is down or cut off does no work and hears nothing."""
        return not self.reachable

    def field_selector(self, resource: str) -> tuple[str, str] | None:
        return ("metadata.name" if resource == "nodes" else "spec.nodeName", self.node_name)

    def observe(self, resource: str, event: WatchEvent) -> None:
        """Follow the own node's fault as the watch reports it (before `keys_for` maps the event)."""
        if resource == "nodes" and event.object["metadata"]["name"] == self.node_name:
            self.observe_node(event.object, event.type == "DELETED")

    def keys_for(self, resource: str, event: WatchEvent) -> list[str]:
        obj = event.object
        if resource == "nodes":
            if obj["metadata"]["name"] != self.node_name:
                return []
            return [HEARTBEAT] if event.type != "DELETED" else []
        key = object_key(obj)
        if (obj.get("spec") or {}).get("nodeName") != self.node_name or event.type == "DELETED":
            self._heard.pop(key, None)
            return [key] if event.type == "DELETED" else []
        heard = semantic_signature(obj)
        if event.type == "MODIFIED" and self._heard.get(key) == heard:
            return []  # only the status changed (most often by this kubelet): nothing to sync
        self._heard[key] = heard
        return [key]

    def observe_node(self, node: dict, deleted: bool) -> None:
        """Follow the node's fault: the machine powers off, is cut off, or comes back."""
        if not deleted and faults.node_fault(node) == faults.DOWN and self.runtime.data["sandboxes"]:
            self.runtime.power_off()
        reachable = not deleted and faults.kubelet_reachable(node)
        if reachable and not self.reachable:
            self.wants_relist = True
        self.reachable = reachable

    def take_signal(self, signal: Signal) -> str | None:
        """The runtime reports a signal an exec sent a container's PID 1: kept for the pod's next sync, whose key
        is returned (None when the pod's sandbox is gone from this node)."""
        sandbox = self.runtime.sandbox(signal.uid)
        if sandbox is None:
            return None
        self.signals[signal.key] = signal
        return str(sandbox["pod"])

    def is_housekeeping(self, key: str) -> bool:
        return key == HEARTBEAT

    def reconcile(self, key: str) -> Result:
        if key == HEARTBEAT:
            return self.heartbeat()
        namespace, name = split_key(key)
        pod = self.lister.peek("pods", namespace, name)  # a pod sync reads the pod and writes only through the API
        if pod is None:
            self.cleanup(lambda _uid, sandbox: sandbox["pod"] == key)
            return DONE
        if (pod.get("spec") or {}).get("nodeName") != self.node_name:
            return DONE
        node = self.own_node()
        if node is None:
            return DONE
        try:
            return PodSync(self, pod, node, self.api.now()).run()
        finally:
            self.runtime.save()

    def own_node(self) -> dict | None:
        """The node as the informer has it, for reading only."""
        return self.lister.peek("nodes", None, self.node_name)

    # -- housekeeping -------------------------------------------------------------
    def heartbeat(self) -> Result:
        node = self.own_node()
        if node is None or not faults.kubelet_reachable(node):
            return DONE
        now = self.api.now()
        self.renew_lease(node, now)
        self.eviction.observe(node, now)  # evictionMonitoringPeriod is 10 s too
        self.post_node_status(node, now)
        self.eviction.reclaim(node, now)
        self.cleanup(self.orphaned())
        return Result(requeue_after=RENEW_INTERVAL)

    def orphaned(self) -> Callable[[str, dict], bool]:
        """Whether a sandbox's pod is gone, or was replaced by a new pod of the same name."""
        live = {
            object_key(p): p["metadata"]["uid"] for p in self.lister.by_index("pods", NODE_NAME_INDEX, self.node_name)
        }
        return lambda uid, sandbox: live.get(sandbox["pod"]) != uid

    def renew_lease(self, node: dict, now: dt.datetime) -> None:
        renew_time = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

        def renew(lease: dict) -> dict:
            lease["spec"]["holderIdentity"] = self.node_name
            lease["spec"]["renewTime"] = renew_time
            return lease

        try:
            self.api.update_with("leases", NODE_LEASE_NAMESPACE, self.node_name, renew)
        except StatusError as err:
            if err.code != 404:
                raise
            self.api.create(
                "leases",
                NODE_LEASE_NAMESPACE,
                {
                    "apiVersion": "coordination.k8s.io/v1",
                    "kind": "Lease",
                    "metadata": {
                        "name": self.node_name,
                        "namespace": NODE_LEASE_NAMESPACE,
                        "ownerReferences": [
                            {"apiVersion": "v1", "kind": "Node", "name": self.node_name, "uid": node["metadata"]["uid"]}
                        ],
                    },
                    "spec": {
                        "holderIdentity": self.node_name,
                        "leaseDurationSeconds": LEASE_DURATION_SECONDS,
                        "renewTime": renew_time,
                    },
                },
            )

    def post_node_status(self, node: dict, now: dt.datetime) -> None:
        self.record_schedulable(node)
        status = node.get("status") or {}
        before = {c["type"]: c for c in status.get("conditions") or []}
        wanted = node_conditions(self.eviction.memory_pressure(now))
        changed = [
            w
            for w in wanted
            if (before.get(w[0]) or {}).get("status") != w[1] or (before.get(w[0]) or {}).get("reason") != w[2]
        ]
        images = node_images(self.runtime)
        last_beat = (before.get("Ready") or {}).get("lastHeartbeatTime")
        stale = last_beat is None or (now - parse_rfc3339(last_beat)).total_seconds() >= STATUS_REPORT_FREQUENCY
        if not changed and not stale and images == status.get("images", []):
            return
        stamp = rfc3339(now)

        def post(current: dict) -> dict:
            st = current.setdefault("status", {})
            old = {c["type"]: c for c in st.get("conditions") or []}
            st["conditions"] = [_node_condition(w, old.get(w[0]), stamp) for w in wanted]
            st["images"] = images
            return current

        self.api.update_with("nodes", None, self.node_name, post, subresource="status")
        for type_, _status, reason, _message in changed:
            event_reason = "NodeReady" if type_ == "Ready" else reason.replace("Kubelet", "Node")
            record(
                self.api,
                node,
                NORMAL,
                event_reason,
                f"Node {self.node_name} status is now: {event_reason}",
                "kubelet",
                host=self.node_name,
            )

    def record_schedulable(self, node: dict) -> None:
        """recordNodeSchedulableEvent: NodeNotSchedulable when the node is cordoned, NodeSchedulable when it is
        uncordoned (the kubelet's memory of what it last saw is kept with its runtime state)."""
        unschedulable = bool((node.get("spec") or {}).get("unschedulable"))
        if bool(self.runtime.data.get("unschedulable")) == unschedulable:
            return
        self.runtime.data["unschedulable"] = unschedulable
        self.runtime.dirty = True
        reason = "NodeNotSchedulable" if unschedulable else "NodeSchedulable"
        record(
            self.api,
            node,
            NORMAL,
            reason,
            f"Node {self.node_name} status is now: {reason}",
            "kubelet",
            host=self.node_name,
        )

    def cleanup(self, doomed: Callable[[str, dict], bool]) -> None:
        """Stop and remove sandboxes whose pods are gone (force-deleted, evicted while away)."""
        for uid, sandbox in sorted(self.runtime.sandboxes().items()):
            if not doomed(uid, sandbox):
                continue
            namespace, _, name = sandbox["pod"].partition("/")
            ref = steps.object_ref("pods", namespace, name)
            steps.record(self.api, steps.runtime_hop(self.node_name, "StopPodSandbox", ref))
            self.runtime.remove_pod_sandbox(uid)
            self.volume_checks.pop(uid, None)
        self.runtime.save()


def semantic_signature(pod: dict) -> bytes:
    """What of a pod makes the kubelet sync it (pkg/kubelet/config: podsDifferSemantically).

    The kubelet's pod config compares spec, labels, annotations and the deletion
    fields; a change of status alone is reconciled, not synced, so the kubelet's
    own status writes do not wake its pod workers — except a pod turning terminal
    (Succeeded, or Failed as an evicted pod does), whose worker then stops what still runs.
    """
    meta = pod["metadata"]
    terminal = (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")
    fields = orjson.dumps(
        [
            meta.get("uid"),
            pod.get("spec"),
            meta.get("labels"),
            meta.get("annotations"),
            meta.get("deletionTimestamp"),
            meta.get("deletionGracePeriodSeconds"),
            terminal,
        ],
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.blake2b(fields, digest_size=16).digest()  # kept per pod: a digest, not the fields


def node_conditions(memory_full: bool) -> list[tuple[str, str, str, str]]:
    """The kubelet's four node conditions: (type, status, reason, message)."""
    memory = (
        ("MemoryPressure", "True", "KubeletHasInsufficientMemory", "kubelet has insufficient memory available")
        if memory_full
        else ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available")
    )
    return [
        memory,
        ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
    ]


def _node_condition(wanted: tuple[str, str, str, str], before: dict | None, stamp: str) -> dict:
    type_, status, reason, message = wanted
    changed = before is None or before.get("status") != status
    return {
        "type": type_,
        "status": status,
        "lastHeartbeatTime": stamp,
        "lastTransitionTime": stamp if changed or before is None else before.get("lastTransitionTime", stamp),
        "reason": reason,
        "message": message,
    }


def node_images(runtime: NodeRuntime) -> list[dict]:
    """status.images: what the node has pulled, biggest first (at most 50, as upstream)."""
    images = sorted(runtime.images().values(), key=lambda i: (-i["size"], i["repository"], i["tag"]))
    return [
        {"names": [f"{i['repository']}@{i['id']}", f"{i['repository']}:{i['tag']}"], "sizeBytes": i["size"]}
        for i in images[:MAX_NODE_IMAGES]
    ]
