"""kube-controller-manager's daemonset controller (pkg/controller/daemon/daemon_controller.go).

A DaemonSet keeps one pod on every node that should run it
(cluster/controllers/daemonset_pods.py says which): each sync records the
template as a ControllerRevision (cluster/controllers/daemonset_update.py),
creates the missing pods (each pinned to its node by a required node
affinity, scheduled by the default scheduler), deletes the ones on nodes that
no longer qualify, extra ones and finished ones, rolls out a changed template
(RollingUpdate, or OnDelete: only when a pod is deleted), trims the history
to revisionHistoryLimit, and writes status: desired, current, ready,
up-to-date, available, unavailable and misscheduled counts. A node added
later, or one whose labels or taints change, wakes every DaemonSet.

Simplified: a failed daemon pod is deleted at once (upstream backs off from
1 s to 15 minutes between such deletions per node); pods are created without
expectations because the informer cache is current before every sync.
"""

from __future__ import annotations

from cluster import steps
from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer, WatchEvent
from cluster.controllers import daemonset_pods as dsp
from cluster.controllers import daemonset_update as dsu
from cluster.controllers.base import DONE, Controller, Result, split_key
from cluster.controllers.controller_ref import claim
from cluster.controllers.controller_utils import (
    controller_of,
    is_being_deleted,
    is_pod_available,
    is_pod_ready,
    selector_matches,
)
from cluster.events import NORMAL, WARNING, record

COMPONENT = "daemonset-controller"
BURST_REPLICAS = 250


def node_shape(node: dict) -> tuple:
    """What of a node decides where daemons run: labels, taints, cordon, conditions (shouldIgnoreNodeUpdate)."""
    spec, status = node.get("spec") or {}, node.get("status") or {}
    conditions = tuple((c.get("type"), c.get("status")) for c in status.get("conditions") or [])
    return (
        tuple(sorted((node["metadata"].get("labels") or {}).items())),
        repr(spec.get("taints")),
        bool(spec.get("unschedulable")),
        conditions,
    )


class DaemonSetController(Controller):
    name = COMPONENT
    watches = ("daemonsets", "pods", "nodes", "controllerrevisions")

    def __init__(self, api: APIServer) -> None:
        super().__init__(api)
        self._nodes: dict[str, tuple] = {}  # node name -> its shape, as last heard

    def keys_for(self, resource: str, event: WatchEvent) -> list[str]:
        obj = event.object
        meta = obj["metadata"]
        if resource == "daemonsets":
            return [f"{meta['namespace']}/{meta['name']}"]
        if resource == "nodes":
            return self.keys_for_node(event)
        ref = controller_of(obj)
        if ref is not None:
            return [f"{meta['namespace']}/{ref['name']}"] if ref.get("kind") == "DaemonSet" else []
        if event.type == "DELETED":
            return []
        return [
            f"{meta['namespace']}/{ds['metadata']['name']}"
            for ds in self.lister.list("daemonsets", meta["namespace"])
            if selector_matches((ds.get("spec") or {}).get("selector"), meta.get("labels"))
        ]

    def keys_for_node(self, event: WatchEvent) -> list[str]:
        """A new node, or one whose labels, taints, cordon or conditions changed, wakes every DaemonSet."""
        name = event.object["metadata"]["name"]
        if event.type == "DELETED":
            self._nodes.pop(name, None)
            return []
        shape = node_shape(event.object)
        if self._nodes.get(name) == shape:
            return []  # a heartbeat, or a change no DaemonSet cares about
        self._nodes[name] = shape
        return self.all_keys()

    def all_keys(self) -> list[str]:
        return [f"{ds['metadata']['namespace']}/{ds['metadata']['name']}" for ds in self.lister.list("daemonsets")]

    def reconcile(self, key: str) -> Result:
        namespace, name = split_key(key)
        ds = self.lister.find("daemonsets", namespace, name)
        if ds is None:
            return DONE
        return DaemonSetSync(self.api, ds, self.lister).run()


class DaemonSetSync:
    def __init__(self, api: APIServer, ds: dict, lister) -> None:
        self.api, self.ds, self.lister = api, ds, lister
        self.namespace = ds["metadata"]["namespace"]
        self.now = api.now()
        self.requeue: float | None = None

    def event(self, type_: str, reason: str, message: str) -> None:
        record(self.api, self.ds, type_, reason, message, COMPONENT)

    def nodes(self) -> list[dict]:
        return sorted(self.lister.list("nodes"), key=lambda n: n["metadata"]["name"])

    def run(self) -> Result:
        """syncDaemonSet."""
        if (self.ds.get("spec") or {}).get("selector") == {}:
            self.event(
                WARNING, "SelectingAll", "This daemon set is selecting all pods. A non-empty selector is required."
            )
            return DONE
        if is_being_deleted(self.ds):
            return DONE
        nodes = self.nodes()
        history = dsu.History(self.api, self.lister, self.ds)
        current, old = history.construct()
        self.ds = history.ds
        hash_ = (current["metadata"].get("labels") or {}).get(dsp.REVISION_HASH, "")
        # As upstream's expectations: pods this sync made or removed are not in the cache yet, so the
        # rolling update waits for the next sync rather than count a node as empty.
        settled = not self.manage(nodes, hash_)
        if settled and (self.ds["spec"].get("updateStrategy") or {}).get("type") == "RollingUpdate":
            dsu.rolling_update(self, nodes, hash_)
        history.cleanup(old, self.nodes_to_pods())
        self.update_status(nodes, hash_)
        return Result(requeue_after=self.requeue)

    # -- pods by node ---------------------------------------------------------------
    def nodes_to_pods(self) -> dict[str, list[dict]]:
        """getNodesToDaemonPods: the claimed pods by the node they run on (or are meant for)."""
        candidates = self.lister.owned_or_orphans("pods", self.namespace, self.ds["metadata"]["uid"])
        pods = claim(self.api, self.ds, "pods", candidates) if candidates else []
        by_node: dict[str, list[dict]] = {}
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp") and (pod.get("status") or {}).get("phase") in (
                "Succeeded",
                "Failed",
            ):
                continue
            node = dsp.target_node(pod)
            if node:
                by_node.setdefault(node, []).append(pod)
        return by_node

    # -- manage ---------------------------------------------------------------------
    def manage(self, nodes: list[dict], hash_: str) -> bool:
        """manage: create and delete pods so every eligible node has one; whether anything was written."""
        by_node = self.nodes_to_pods()
        create, delete = [], []
        for node in nodes:
            wanted, doomed = self.pods_should_be_on_node(node, by_node.get(node["metadata"]["name"]), hash_)
            create += wanted
            delete += doomed
        known = {n["metadata"]["name"] for n in nodes}
        delete += [
            p
            for name, pods in by_node.items()
            if name not in known
            for p in pods
            if not (p.get("spec") or {}).get("nodeName")
        ]  # getUnscheduledPodsWithoutNode
        self.sync_nodes(delete, create, hash_)
        return bool(delete or create)

    def pods_should_be_on_node(self, node: dict, pods: list[dict] | None, hash_: str) -> tuple[list[str], list[dict]]:
        """podsShouldBeOnNode: (nodes needing a pod, pods to delete) for one node."""
        run, keep = dsp.should_run(node, self.ds)
        name = node["metadata"]["name"]
        if run and not pods:
            return [name], []
        if not keep:
            return [], [p for p in pods or [] if not p["metadata"].get("deletionTimestamp")]
        if not pods:
            return [], []
        doomed, running = [], []
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp"):
                continue
            phase = (pod.get("status") or {}).get("phase")
            if phase == "Failed":
                self.event(
                    WARNING,
                    "FailedDaemonPod",
                    f"Found failed daemon pod {self.namespace}/"
                    f"{pod['metadata']['name']} on node {name}, will try to kill it",
                )
                doomed.append(pod)
            elif phase == "Succeeded":
                doomed.append(pod)
            else:
                running.append(pod)
        if not dsu.allows_surge(self.ds):
            return [], doomed + dsp.by_creation_and_phase(running)[1:]
        if len(running) <= 1:
            return ([name] if not running and run else []), doomed
        return [], doomed + self.surge_excess(running, hash_)

    def surge_excess(self, running: list[dict], hash_: str) -> list[dict]:
        """With surge: keep the oldest new and oldest old pod; the old one goes once the new one is available."""
        newest, oldest, excess = None, None, []
        generation = dsp.template_generation(self.ds)
        for pod in dsp.by_creation_and_phase(running):
            if dsp.is_updated(pod, hash_, generation) and newest is None:
                newest = pod
            elif not dsp.is_updated(pod, hash_, generation) and oldest is None:
                oldest = pod
            else:
                excess.append(pod)
        if newest is not None and oldest is not None:
            min_ready = int(self.ds["spec"].get("minReadySeconds") or 0)
            if not is_pod_ready(oldest) or is_pod_available(newest, min_ready, self.now):
                excess.append(oldest)
        return excess

    def sync_nodes(self, delete: list[dict], create: list[str], hash_: str) -> None:
        """syncNodes: create pods for nodes (slow-start batches), then delete pods; at most 250 of each."""
        template = dsp.pod_template(self.ds, hash_)
        created, batch = 0, 1
        create = create[:BURST_REPLICAS]
        while created < len(create):
            for node in create[created : created + batch]:
                if not self.create_pod(template, node):
                    created = len(create)
                    break
                created += 1
            batch *= 2
        for pod in delete[:BURST_REPLICAS]:
            self.delete_pod(pod)

    def create_pod(self, template: dict, node: str) -> bool:
        steps.because(self.api, "request.daemonset.create", node=node, owner=self.ds["metadata"]["name"])
        try:
            pod = self.api.create("pods", self.namespace, dsp.new_pod(self.ds, template, node))
        except StatusError as err:
            if not (err.code == 403 and "being terminated" in str(err.message)):
                self.event(WARNING, "FailedCreate", f"Error creating: {err.message}")
            return False
        self.event(NORMAL, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
        return True

    def delete_pod(self, pod: dict, why: str = "request.daemonset.delete") -> None:
        name = pod["metadata"]["name"]
        steps.because(self.api, why, node=dsp.target_node(pod) or "<none>")
        try:
            self.api.delete("pods", self.namespace, name)
        except StatusError as err:
            if err.code != 404:
                self.event(WARNING, "FailedDelete", f"Error deleting: {err.message}")
            return
        self.event(NORMAL, "SuccessfulDelete", f"Deleted pod: {name}")

    # -- status -----------------------------------------------------------------------
    def update_status(self, nodes: list[dict], hash_: str) -> None:
        """updateDaemonSetStatus and storeDaemonSetStatus."""
        by_node = self.nodes_to_pods()
        min_ready = int(self.ds["spec"].get("minReadySeconds") or 0)
        generation = dsp.template_generation(self.ds)
        counts = dict.fromkeys(("desired", "current", "misscheduled", "ready", "updated", "available"), 0)
        for node in nodes:
            run, _keep = dsp.should_run(node, self.ds)
            pods = by_node.get(node["metadata"]["name"]) or []
            if not run:
                counts["misscheduled"] += 1 if pods else 0
                continue
            counts["desired"] += 1
            if not pods:
                continue
            counts["current"] += 1
            pod = dsp.by_creation_and_phase(pods)[0]
            if is_pod_ready(pod):
                counts["ready"] += 1
                counts["available"] += is_pod_available(pod, min_ready, self.now)
            counts["updated"] += dsp.is_updated(pod, hash_, generation)
        self.store_status(counts)
        if min_ready > 0 and counts["ready"] != counts["available"]:
            self.requeue = float(min_ready)

    def store_status(self, counts: dict[str, int]) -> None:
        status = dict(self.ds.get("status") or {})
        status.update(
            desiredNumberScheduled=counts["desired"],
            currentNumberScheduled=counts["current"],
            numberMisscheduled=counts["misscheduled"],
            numberReady=counts["ready"],
            updatedNumberScheduled=counts["updated"],
            numberAvailable=counts["available"],
            numberUnavailable=counts["desired"] - counts["available"],
            observedGeneration=self.ds["metadata"].get("generation", 0),
        )
        status = {
            k: v
            for k, v in status.items()
            if v not in (0, None)
            or k in ("desiredNumberScheduled", "currentNumberScheduled", "numberMisscheduled", "numberReady")
        }
        if status == (self.ds.get("status") or {}):
            return

        def put(obj: dict) -> dict:
            obj["status"] = status
            return obj

        self.ds = self.api.update_with(
            "daemonsets", self.namespace, self.ds["metadata"]["name"], put, subresource="status"
        )
