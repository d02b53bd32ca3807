"""What tests/test_api_refusals_*.py share: the paths, the objects refused things, the `Bad` row and how it is sent."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from cluster.apiserver.server import APIServer
from cluster.models import Cluster
from tests.test_http_api import Kube

PODS = "/api/v1/namespaces/default/pods"
POD = PODS + "/web"
DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"
CONFIGMAPS = "/api/v1/namespaces/default/configmaps"
EVENTS = "/api/v1/namespaces/default/events"
NODES = "/api/v1/nodes"
MERGE, SMP, JSONPATCH = (
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/json-patch+json",
)
YAML = "application/yaml"

WEB_POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "containers": [
            {"name": "web", "image": "nginx:1.27", "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}
        ],
        "activeDeadlineSeconds": 600,
        "tolerations": [{"key": "team", "operator": "Equal", "value": "a", "effect": "NoSchedule"}],
    },
}
CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"k": "v"}}
DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx"}]},
        },
    },
}
FORBIDDEN_POD_UPDATE = (
    'Pod "web" is invalid: spec: Forbidden: pod updates may not change fields other than '
    "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
    "`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n"
    "  core.PodSpec{\n"
)


@dataclass(frozen=True)
class Bad:
    """One refused request: what is sent and what kube-apiserver answers."""

    id: str
    method: str
    path: str
    status: int
    reason: str
    message: str = ""  # the whole message, or its start when it ends with "…"
    body: object = None
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)


def starts(text: str) -> str:
    return text + "…"


def inv(kind: str, causes: str, name: str = "") -> str:
    return f'{kind} "{name}" is invalid: {causes}'


@pytest.fixture
def world(cluster: Cluster) -> Kube:
    """A pod, a deployment and a configmap to refuse things to."""
    api = APIServer(cluster, client="test")
    api.create("pods", "default", WEB_POD)
    api.create("deployments", "default", DEPLOYMENT)
    api.create("configmaps", "default", CONFIGMAP)
    return Kube(cluster)


def revision(cluster: Cluster) -> int:
    cluster.refresh_from_db()
    return cluster.revision


def send(kube: Kube, bad: Bad):
    body = bad.body
    data = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
    headers = dict(bad.headers)
    if headers.get("Authorization") == "":
        headers["Authorization"] = "Bearer wrong"
    call = getattr(kube.client, bad.method.lower())
    kwargs = {"headers": {**kube.headers, **{k: v for k, v in headers.items() if not k.startswith("HTTP_")}}}
    kwargs.update({k: v for k, v in headers.items() if k.startswith("HTTP_")})
    if data is not None:
        kwargs.update(data=data, content_type=bad.content_type)
    return call(kube.base + bad.path, **kwargs)


def assert_refused(world: Kube, cluster: Cluster, bad: Bad) -> None:
    """The request `bad` gets kube-apiserver's code, reason and words, and writes nothing."""
    before = revision(cluster)
    response = send(world, bad)
    assert response.status_code == bad.status, response.content[:600]
    status = response.json()
    assert (status["kind"], status["apiVersion"], status["status"], status["code"]) == (
        "Status",
        "v1",
        "Failure",
        bad.status,
    )
    assert status.get("reason", "") == bad.reason
    if bad.message.endswith("…"):
        assert status["message"].startswith(bad.message[:-1]), status["message"]
    elif bad.message:
        assert status["message"] == bad.message
    assert revision(cluster) == before, "a refused request wrote to the store"
