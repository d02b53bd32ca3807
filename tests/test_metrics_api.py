"""metrics.k8s.io/v1beta1 as metrics-server serves it: the real kubectl's `top` and the Python client against a live
server print and read what the page's in-process `kubectl top` shows for the same cluster."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from cluster.apiserver.http.metrics_api import format_bytes, format_nanocores
from tests.livesrv import ROOT, Daphne, LiveServer, shared_cluster

KUBECTL = "/usr/bin/kubectl"
CLUSTER = "metrics"
needs_kubectl = pytest.mark.skipif(not Path(KUBECTL).exists(), reason="the real kubectl is not installed")

WORKLOAD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}, annotations: {kubeclass.io/cpu-usage: 120m}}
    spec:
      containers:
      - {name: nginx, image: nginx, resources: {limits: {memory: 2Mi}}}
---
apiVersion: v1
kind: Pod
metadata:
  name: duo
  labels: {app: duo}
  annotations: {kubeclass.io/cpu-usage: 301m}
spec:
  containers:
  - {name: app, image: nginx}
  - {name: sidecar, image: busybox, command: [sleep, "3600"]}
"""

ADVANCE = f"""
import django; django.setup()
from cluster import clock
from cluster.models import Cluster
cluster = Cluster.objects.get(name="{CLUSTER}")
clock.set_speed(cluster, 0)
clock.advance(cluster, 60)
"""

OURS = f"""
import io, json, sys
import django; django.setup()
from cluster.apiserver.server import APIServer
from cluster.kubectl import cli
results = []
for argv in json.loads(sys.stdin.read()):
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(APIServer("{CLUSTER}"), argv, stdin=io.StringIO(), stdout=out, stderr=err)
    results.append([code, out.getvalue(), err.getvalue()])
print(json.dumps(results))
"""


def _real(server: LiveServer, workdir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    flags = [
        f"--server={server.url}",
        f"--token={server.token}",
        f"--certificate-authority={server.ca_file}",
        f"--cache-dir={workdir / 'cache'}",
    ]
    return subprocess.run(
        [KUBECTL, *flags, *args],
        capture_output=True,
        text=True,
        timeout=90,
        input=stdin,
        env={**os.environ, "KUBECONFIG": "/dev/null"},
    )


def _python(env: dict, script: str, stdin: str = "") -> str:
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, live_daphne: Daphne) -> Iterator[tuple[dict, LiveServer, Path]]:
    """Two pods of a Deployment and a two-container pod, running, with virtual time a minute past their start
    (metrics-server has a rate) and standing still."""
    workdir = tmp_path_factory.mktemp("metrics-api")
    env = live_daphne.env
    for server in shared_cluster(live_daphne, CLUSTER, nodes=2):
        applied = _real(server, workdir, "apply", "-f", "-", stdin=WORKLOAD)
        assert applied.returncode == 0, applied.stderr
        for argv in (
            ["rollout", "status", "deployment/web", "--timeout=60s"],
            ["wait", "--for=condition=Ready", "pod", "-l", "app", "--timeout=60s"],
        ):
            ready = _real(server, workdir, *argv)
            assert ready.returncode == 0, ready.stderr
        _python(env, ADVANCE)
        yield env, server, workdir


CASES = [
    ["top", "node"],
    ["top", "nodes", "--no-headers"],
    ["top", "node", "--show-capacity"],
    ["top", "node", "worker-1"],
    ["top", "node", "-l", "kubernetes.io/hostname=worker-2"],
    ["top", "pods"],
    ["top", "pod", "-A"],
    ["top", "pods", "-l", "app=web"],
    ["top", "pod", "duo", "--containers"],
    ["top", "pods", "--containers", "--sum"],
    ["top", "pod", "nope"],
    ["top", "pod", "-n", "nowhere"],
]


@needs_kubectl
def test_the_real_kubectl_top_prints_what_the_page_prints(live: tuple[dict, LiveServer, Path]) -> None:
    env, server, workdir = live
    ours = [tuple(r) for r in json.loads(_python(env, OURS, json.dumps(CASES)).strip().splitlines()[-1])]
    mismatches = []
    for argv, mine in zip(CASES, ours):
        theirs = _real(server, workdir, *argv)
        if mine != (theirs.returncode, theirs.stdout, theirs.stderr):
            mismatches.append((argv, mine, (theirs.returncode, theirs.stdout, theirs.stderr)))
    assert mismatches == []
    assert ours[0][0] == 0 and "worker-1" in ours[0][1]  # the comparison is about real figures


@needs_kubectl
def test_top_pods_shows_the_pinned_usage_and_containers(live: tuple[dict, LiveServer, Path]) -> None:
    _env, server, workdir = live
    web = _real(server, workdir, "top", "pods", "-l", "app=web", "--no-headers")
    assert web.returncode == 0, web.stderr
    assert [line.split()[1:] for line in web.stdout.splitlines()] == [["120m", "2Mi"]] * 2
    duo = _real(server, workdir, "top", "pod", "duo", "--containers")
    assert [line.split() for line in duo.stdout.splitlines()[1:]] == [
        ["duo", "app", "151m", "4Mi"],
        ["duo", "sidecar", "150m", "4Mi"],
    ]


@needs_kubectl
def test_discovery_and_raw_reads(live: tuple[dict, LiveServer, Path]) -> None:
    _env, server, workdir = live
    rows = {tuple(line.split()) for line in _real(server, workdir, "api-resources").stdout.splitlines()}
    assert ("nodes", "metrics.k8s.io/v1beta1", "false", "NodeMetrics") in rows
    assert ("pods", "metrics.k8s.io/v1beta1", "true", "PodMetrics") in rows
    assert ("pods", "po", "v1", "true", "Pod") in rows
    assert "metrics.k8s.io/v1beta1" in _real(server, workdir, "api-versions").stdout.split()
    listing = json.loads(_real(server, workdir, "get", "--raw", "/apis/metrics.k8s.io/v1beta1").stdout)
    assert listing["resources"] == [
        {"name": "nodes", "singularName": "", "namespaced": False, "kind": "NodeMetrics", "verbs": ["get", "list"]},
        {"name": "pods", "singularName": "", "namespaced": True, "kind": "PodMetrics", "verbs": ["get", "list"]},
    ]
    nodes = json.loads(_real(server, workdir, "get", "--raw", "/apis/metrics.k8s.io/v1beta1/nodes").stdout)
    assert (nodes["kind"], nodes["apiVersion"], nodes["metadata"]) == ("NodeMetricsList", "metrics.k8s.io/v1beta1", {})
    first = nodes["items"][0]
    assert list(first) == ["metadata", "timestamp", "window", "usage"] and first["window"] == "15s"
    assert list(first["metadata"]) == ["name", "creationTimestamp", "labels"]
    pod = json.loads(
        _real(server, workdir, "get", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/duo").stdout
    )
    assert (pod["kind"], pod["metadata"]["namespace"], pod["metadata"]["labels"]) == (
        "PodMetrics",
        "default",
        {"app": "duo"},
    )
    assert pod["containers"] == [
        {"name": "app", "usage": {"cpu": "151m", "memory": "4Mi"}},
        {"name": "sidecar", "usage": {"cpu": "150m", "memory": "4Mi"}},
    ]
    table = _real(server, workdir, "get", "pods.metrics.k8s.io", "-l", "app=duo")
    assert table.stdout.split() == ["NAME", "CPU", "MEMORY", "WINDOW", "duo", "301m", "8Mi", "15s"]


@pytest.fixture(scope="module")
def custom(live: tuple[dict, LiveServer, Path]) -> Iterator[client.CustomObjectsApi]:
    server = live[1]
    config = client.Configuration()
    config.host = server.url
    config.ssl_ca_cert = str(server.ca_file)
    config.api_key = {"authorization": server.token}
    config.api_key_prefix = {"authorization": "Bearer"}
    with client.ApiClient(config) as api_client:
        yield client.CustomObjectsApi(api_client)


def test_the_python_client_lists_node_and_pod_metrics(custom: client.CustomObjectsApi) -> None:
    nodes = custom.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes")
    assert nodes["kind"] == "NodeMetricsList"
    assert {"kind-control-plane", "worker-1", "worker-2"} <= {n["metadata"]["name"] for n in nodes["items"]}
    assert all(set(n["usage"]) == {"cpu", "memory"} for n in nodes["items"])
    pods = custom.list_namespaced_custom_object(
        "metrics.k8s.io", "v1beta1", "default", "pods", label_selector="app=web"
    )
    assert [p["containers"][0]["usage"] for p in pods["items"]] == [{"cpu": "120m", "memory": "2Mi"}] * 2
    one = custom.get_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes", nodes["items"][0]["metadata"]["name"])
    assert one["kind"] == "NodeMetrics"


def test_missing_metrics_are_metrics_servers_not_found(custom: client.CustomObjectsApi) -> None:
    with pytest.raises(ApiException) as err:
        custom.get_namespaced_custom_object("metrics.k8s.io", "v1beta1", "default", "pods", "nope")
    assert err.value.status == 404 and json.loads(err.value.body)["message"] == 'pods "nope" not found'
    with pytest.raises(ApiException) as err:
        custom.create_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes", {})
    assert err.value.status == 405


@pytest.mark.parametrize(
    "nanocores, text",
    [
        (0, "0"),
        (250_000_000, "250m"),
        (1_000_000_000, "1"),
        (1_500_000_000, "1500m"),
        (123_456_789, "123456789n"),
        (5_000, "5u"),
    ],
)
def test_cpu_is_a_decimal_quantity_scaled_from_nanocores(nanocores: int, text: str) -> None:
    assert format_nanocores(nanocores) == text


@pytest.mark.parametrize(
    "value, text",
    [
        (0, "0"),
        (1000, "1000"),
        (4 * 1024 * 1024, "4Mi"),
        (1500, "1500"),
        (1478648 * 1024, "1478648Ki"),
        (2 * 1024**3, "2Gi"),
    ],
)
def test_memory_is_a_binary_quantity(value: int, text: str) -> None:
    assert format_bytes(value) == text
