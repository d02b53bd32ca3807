"""What tests/test_scheduler_*.py share: a cluster of three workers, pods and nodes made to measure, and what
the scheduler said about them."""

from __future__ import annotations


import pytest

from cluster.apiserver.server import APIServer
from cluster.bootstrap import create_cluster
from cluster.scheduler import records

NODE_CPU, NODE_MEMORY = 2000, 8010948 * 1024  # bootstrap's worker allocatable


@pytest.fixture
def cluster(db):
    """Three workers and nothing else (no control-plane node, no kube-system pods): the scores and the
    FailedScheduling counts below are about them. tests/test_kind_cluster.py has the kind layout's."""
    return create_cluster("workers", nodes=3, seed=1, addons=False)


GI, MI = 1024**3, 1024**2


def decision_about(api: APIServer, name: str) -> dict:
    """The scheduler's last record about the pod `name` (the dashboard's scheduler tab reads the same)."""
    pod = api.get("pods", "default", name)
    entry = records.latest(api.cluster, {("default", name): pod["metadata"]["uid"]}, name)
    assert entry is not None, name
    return entry["decision"]


def make_pod(
    api: APIServer,
    name: str,
    cpu: str | None = None,
    memory: str | None = None,
    node: str | None = None,
    **spec: object,
) -> dict:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    container = {"name": "app", "image": "nginx"}
    if requests:
        container["resources"] = {"requests": requests}
    body_spec = {"containers": [container], **spec}
    if node:
        body_spec["nodeName"] = node
    return api.create(
        "pods",
        "default",
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}}, "spec": body_spec},
    )


def set_node(api: APIServer, name: str, **spec: object) -> dict:
    def change(node: dict) -> dict:
        node["spec"].update(spec)
        return node

    return api.update_with("nodes", None, name, change)


def failed_scheduling(api: APIServer, pod: str) -> list[str]:
    return [
        e["message"]
        for e in api.list("events", "default")["items"]
        if e["reason"] == "FailedScheduling" and e["involvedObject"]["name"] == pod
    ]


def pod_scheduled(api: APIServer, name: str) -> dict:
    pod = api.get("pods", "default", name)
    return next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")
