"""What tests/test_kubectl_version_resources.py, test_kubectl_top_taint.py and test_kubectl_more_verbs_real.py
share: the in-process kubectl, a frozen clock, and workloads, pods and nodes to run it on."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from cluster import clock
from cluster.apiserver.server import APIServer
from cluster.kubectl import cli
from cluster.models import Cluster

ROOT = Path(__file__).resolve().parent.parent
KUBECTL = "/usr/bin/kubectl"
needs_kubectl = pytest.mark.skipif(not Path(KUBECTL).exists(), reason="the real kubectl is not installed")


def kubectl(api: APIServer, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(api, list(argv), stdin=io.StringIO(), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def ok(api: APIServer, *argv: str) -> str:
    code, out, err = kubectl(api, *argv)
    assert (code, err) == (0, ""), err
    return out


def fails(api: APIServer, *argv: str) -> str:
    code, out, err = kubectl(api, *argv)
    assert (code, out) == (1, ""), out
    return err


@pytest.fixture(autouse=True)
def frozen_clock(cluster: Cluster) -> None:
    """Virtual time stands still unless a test advances it."""
    clock.set_speed(cluster, 0)


def ago(api: APIServer, seconds: float) -> str:
    return clock.rfc3339(api.now() - dt.timedelta(seconds=seconds))


def workload(api: APIServer, name: str = "web", init: bool = False) -> dict:
    spec: dict = {"containers": [{"name": "nginx", "image": "nginx"}, {"name": "side", "image": "busybox"}]}
    if init:
        spec["initContainers"] = [{"name": "setup", "image": "busybox"}]
    return api.create(
        "deployments",
        "default",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": {"app": name}}, "spec": spec},
            },
        },
    )


def containers(api: APIServer, name: str = "web") -> dict[str, dict]:
    spec = api.get("deployments", "default", name)["spec"]["template"]["spec"]
    return {c["name"]: c.get("resources", {}) for c in spec.get("initContainers", []) + spec["containers"]}


def running_pod(
    api: APIServer,
    name: str,
    node: str = "worker-1",
    started: float = 60,
    usage: str | None = None,
    names: tuple[str, ...] = ("nginx",),
    labels: dict | None = None,
    memory_limit: str = "",
    namespace: str = "default",
) -> dict:
    """A pod the kubelet runs on `node`, started `started` seconds ago; `usage` pins its CPU."""
    meta: dict = {"name": name, "labels": labels or {"app": "web"}}
    if usage is not None:
        meta["annotations"] = {"kubeclass.io/cpu-usage": usage}
    limits = {"resources": {"limits": {"memory": memory_limit}}} if memory_limit else {}
    api.create(
        "pods",
        namespace,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta,
            "spec": {"containers": [{"name": n, "image": "nginx", **limits} for n in names]},
        },
    )
    api.bind(namespace, name, {"target": {"name": node}})

    def report(pod: dict) -> dict:
        pod["status"] = {
            "phase": "Running",
            "startTime": ago(api, started),
            "conditions": [
                {"type": "Ready", "status": "True", "lastProbeTime": None, "lastTransitionTime": ago(api, started)}
            ],
        }
        return pod

    return api.update_with("pods", namespace, name, report, subresource="status")


def taints(api: APIServer, node: str = "worker-1") -> list[dict]:
    return api.get("nodes", "", node)["spec"].get("taints", [])
