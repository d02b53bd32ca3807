"""Test helpers for the workload controllers: objects, a stand-in kubelet, and settling loops.

The controllers are driven one `reconcile` at a time, the way the reconciler
drives them; the helpers only play the parts of the scheduler and kubelet
(binding pods, reporting them Ready, finishing graceful deletions).
"""

from __future__ import annotations

from cluster import clock
from cluster.apiserver.server import APIServer
from cluster.controllers.deployment import DeploymentController
from cluster.controllers.replicaset import ReplicaSetController

NODES = ("worker-1", "worker-2", "worker-3")


def deployment(name: str = "web", replicas: int = 3, image: str = "nginx:1.27", **spec: object) -> dict:
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "nginx", "image": image}]},
            },
        },
    }
    body["spec"].update(spec)
    return body


def replica_set(name: str = "web", replicas: int = 3, labels: dict | None = None, **spec: object) -> dict:
    labels = labels or {"app": name}
    body = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]},
            },
        },
    }
    body["spec"].update(spec)
    return body


def pods(api: APIServer, namespace: str = "default", live: bool = True) -> list[dict]:
    items = api.list("pods", namespace)["items"]
    return [p for p in items if not (live and p["metadata"].get("deletionTimestamp"))]


def replica_sets(api: APIServer, namespace: str = "default") -> list[dict]:
    return sorted(api.list("replicasets", namespace)["items"], key=lambda rs: rs["metadata"]["creationTimestamp"])


def set_image(api: APIServer, image: str, name: str = "web") -> dict:
    def put(d: dict) -> dict:
        d["spec"]["template"]["spec"]["containers"][0]["image"] = image
        return d

    return api.update_with("deployments", "default", name, put)


def bind(api: APIServer, pod: dict, node: str | None = None) -> None:
    if not pod["spec"].get("nodeName"):
        index = sum(map(ord, pod["metadata"]["name"])) % len(NODES)
        api.bind(pod["metadata"]["namespace"], pod["metadata"]["name"], {"target": {"name": node or NODES[index]}})


def make_ready(
    api: APIServer, pod: dict, ready_since: str | None = None, phase: str = "Running", restarts: int = 0
) -> dict:
    """What the kubelet reports once the containers run and pass readiness."""
    bind(api, pod)
    since = ready_since or clock.rfc3339(api.now())

    def put(p: dict) -> dict:
        status = p.setdefault("status", {})
        status["phase"] = phase
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "Ready"]
        conditions.append({"type": "Ready", "status": "True", "lastProbeTime": None, "lastTransitionTime": since})
        status["conditions"] = conditions
        status["containerStatuses"] = [
            {"name": "nginx", "ready": True, "restartCount": restarts, "image": "nginx", "imageID": "", "started": True}
        ]
        return p

    return api.update_with("pods", pod["metadata"]["namespace"], pod["metadata"]["name"], put, subresource="status")


def finish_terminating(api: APIServer, namespace: str = "default") -> None:
    """The kubelet's last word on a deleted pod: remove it once its containers stopped."""
    for pod in pods(api, namespace, live=False):
        if pod["metadata"].get("deletionTimestamp"):
            api.delete("pods", namespace, pod["metadata"]["name"], grace_period_seconds=0)


def settle(api: APIServer, rounds: int = 30) -> None:
    """Run the deployment and replicaset controllers until a round writes nothing."""
    dc, rsc = DeploymentController(api), ReplicaSetController(api)
    for _ in range(rounds):
        before = api.current_revision()
        for d in api.list("deployments", "default")["items"]:
            dc.reconcile(f"default/{d['metadata']['name']}")
        for rs in api.list("replicasets", "default")["items"]:
            rsc.reconcile(f"default/{rs['metadata']['name']}")
        if api.current_revision() == before:
            return
    raise AssertionError("controllers did not settle")


def ready_all(api: APIServer) -> None:
    for pod in pods(api):
        if not any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in (pod.get("status") or {}).get("conditions") or []
        ):
            make_ready(api, pod)


def events(api: APIServer, reason: str | None = None) -> list[str]:
    items = sorted(api.list("events", "default")["items"], key=lambda e: int(e["metadata"]["resourceVersion"]))
    return [e["message"] for e in items if reason is None or e["reason"] == reason]
