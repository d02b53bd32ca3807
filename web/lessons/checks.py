"""The checks behind each lesson's "Check my cluster" button, read through the API server."""
from __future__ import annotations

from typing import Callable

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer

Check = Callable[[APIServer], tuple[bool, str]]


def _ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in pod.get("status", {}).get("conditions") or [])


def nodes_ready(api: APIServer) -> tuple[bool, str]:
    nodes = api.list("nodes")["items"]
    ready = [n for n in nodes if any(c["type"] == "Ready" and c["status"] == "True"
                                     for c in n.get("status", {}).get("conditions") or [])]
    return len(ready) == len(nodes) > 0, f"{len(ready)} of {len(nodes)} nodes are Ready"


def deployment_web_ready(api: APIServer) -> tuple[bool, str]:
    try:
        deploy = api.get("deployments", "default", "web")
    except StatusError:
        return False, 'no Deployment "web" in namespace default yet'
    want = deploy["spec"].get("replicas", 1)
    have = deploy.get("status", {}).get("readyReplicas", 0)
    return have >= want >= 1, f"{have} of {want} replicas of web are ready"


def deployment_web_scaled(api: APIServer) -> tuple[bool, str]:
    try:
        deploy = api.get("deployments", "default", "web")
    except StatusError:
        return False, 'no Deployment "web" in namespace default yet'
    want = deploy["spec"].get("replicas", 1)
    return want == 5 and deploy.get("status", {}).get("readyReplicas", 0) == 5, \
        f"web wants {want} replicas, {deploy.get('status', {}).get('readyReplicas', 0)} ready (the lesson asks for 5)"


def service_web_has_endpoints(api: APIServer) -> tuple[bool, str]:
    try:
        endpoints = api.get("endpoints", "default", "web")
    except StatusError:
        return False, 'no Service "web" (and so no Endpoints "web") yet'
    addresses = [a for s in endpoints.get("subsets") or [] for a in s.get("addresses") or []]
    return bool(addresses), f"Service web sends traffic to {len(addresses)} ready pod(s)"


def namespace_exists(api: APIServer) -> tuple[bool, str]:
    names = [n["metadata"]["name"] for n in api.list("namespaces")["items"]]
    extra = [n for n in names if n not in ("default", "kube-system", "kube-public", "kube-node-lease")]
    return bool(extra), f"namespaces of your own: {', '.join(extra) or 'none yet'}"


def web_image_updated(api: APIServer) -> tuple[bool, str]:
    try:
        deploy = api.get("deployments", "default", "web")
    except StatusError:
        return False, 'no Deployment "web" in namespace default yet'
    image = deploy["spec"]["template"]["spec"]["containers"][0].get("image", "")
    status = deploy.get("status", {})
    done = status.get("updatedReplicas", 0) == deploy["spec"].get("replicas", 1) == status.get("availableReplicas", 0)
    return image != "nginx" and done, f"web runs image {image}; rollout {'complete' if done else 'in progress'}"


def pvc_bound(api: APIServer) -> tuple[bool, str]:
    claims = api.list("persistentvolumeclaims", None)["items"]
    bound = [c for c in claims if c.get("status", {}).get("phase") == "Bound"]
    return bool(bound), f"{len(bound)} of {len(claims)} claims are Bound"


def replaced_after_delete(api: APIServer) -> tuple[bool, str]:
    pods = [p for p in api.list("pods", "default")["items"] if p["metadata"].get("labels", {}).get("app") == "web"]
    ready = [p for p in pods if _ready(p) and not p["metadata"].get("deletionTimestamp")]
    return len(ready) >= 3, f"{len(ready)} ready web pods (the ReplicaSet keeps 3)"
