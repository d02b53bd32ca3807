"""Fault injection through `kubectl fault` and plain annotations."""

from __future__ import annotations

import io

import pytest

from cluster import faults
from cluster.apiserver.server import APIServer
from cluster.kubectl import cli
from cluster.runtime import missing_images


def kubectl(api: APIServer, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(api, list(argv), io.StringIO(), out, err)
    return code, out.getvalue(), err.getvalue()


def annotations(api: APIServer, resource: str, namespace: str | None, name: str) -> dict:
    return api.get(resource, namespace, name)["metadata"].get("annotations") or {}


@pytest.mark.parametrize(
    "action, value", [("down", "down"), ("partition", "partition"), ("fill-memory", "memory-full")]
)
def test_node_faults_are_annotations_on_the_node(api, action, value):
    assert kubectl(api, "fault", "node", "worker-2", action) == (0, f"node/worker-2 {value}\n", "")
    assert annotations(api, "nodes", None, "worker-2")[faults.FAULT_ANNOTATION] == value
    assert kubectl(api, "fault", "node", "worker-2", "up")[0] == 0
    assert faults.FAULT_ANNOTATION not in annotations(api, "nodes", None, "worker-2")


def test_pod_faults_set_and_heal(api):
    api.create(
        "pods",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web"},
            "spec": {"containers": [{"name": "nginx", "image": "nginx"}]},
        },
    )
    assert kubectl(api, "fault", "pod", "web", "crash", "--exit-code", "3")[0] == 0
    assert kubectl(api, "fault", "pod", "web", "fail-probes", "readiness")[0] == 0
    assert kubectl(api, "fault", "pod", "web", "fail-probes", "liveness")[0] == 0
    found = annotations(api, "pods", "default", "web")
    assert found[faults.CRASH_ANNOTATION] == "3"
    assert found[faults.FAIL_PROBES_ANNOTATION] == "readiness,liveness"
    assert faults.pod_faults(api.get("pods", "default", "web")) == {
        "crash": 3,
        "fail-probes": ("readiness", "liveness"),
    }
    assert kubectl(api, "fault", "pod", "web", "heal")[0] == 0
    assert annotations(api, "pods", "default", "web") == {}


def test_pod_faults_honour_the_namespace_flag(api):
    api.create(
        "pods",
        "kube-public",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web"},
            "spec": {"containers": [{"name": "nginx", "image": "nginx"}]},
        },
    )
    assert kubectl(api, "fault", "-n", "kube-public", "pod", "web", "crash")[0] == 0
    assert annotations(api, "pods", "kube-public", "web")[faults.CRASH_ANNOTATION] == "1"


def test_image_faults_change_the_registry(api):
    assert kubectl(api, "fault", "image", "nginx:1.27", "missing") == (0, "image docker.io/library/nginx missing\n", "")
    assert missing_images(api.cluster) == {"docker.io/library/nginx"}
    assert kubectl(api, "fault", "image", "nginx", "present")[0] == 0
    assert missing_images(api.cluster) == set()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["fault", "node", "worker-2", "explode"], 'error: unknown node fault "explode"'),
        (["fault", "pod", "web", "crash", "--exit-code", "x"], "error: --exit-code must be a number"),
        (["fault", "pod", "web", "crash", "--exit-code", "300"], "error: --exit-code must be between 0 and 255"),
        (["fault", "pod", "web", "fail-probes", "startup"], 'error: fail-probes needs "readiness" or "liveness"'),
        (["fault", "image", "nginx", "gone"], 'error: unknown image fault "gone"'),
        (["fault", "node"], "error: kubectl fault needs a kind, a name and an action"),
        (["fault", "cluster", "x", "down"], 'error: unknown fault target "cluster x down"'),
    ],
)
def test_bad_fault_requests_say_why_and_change_nothing(api, argv, message):
    before = api.current_revision()
    code, _, err = kubectl(api, *argv)
    assert code == 1 and err.startswith(message)
    assert api.current_revision() == before


def test_a_fault_on_a_missing_node_is_kubectls_not_found(api):
    code, _, err = kubectl(api, "fault", "node", "worker-9", "down")
    assert code == 1 and err == 'Error from server (NotFound): nodes "worker-9" not found\n'


def test_a_plain_annotation_is_the_same_fault(api):
    api.patch(
        "nodes",
        None,
        "worker-1",
        {"metadata": {"annotations": {faults.FAULT_ANNOTATION: "partition"}}},
        "application/merge-patch+json",
    )
    node = api.get("nodes", None, "worker-1")
    assert faults.node_fault(node) == faults.PARTITION and not faults.kubelet_reachable(node)
