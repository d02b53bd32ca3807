"""Dashboard panels a teacher clicks: Service traffic spread by kube-proxy, fault buttons on nodes and pods."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client

from cluster import clock
from cluster.kubectl import cli
from cluster.reconciler.driver import ClusterDriver


def kubectl(api, *argv: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    assert cli.run(api, list(argv), stdout=out, stderr=err) == 0, err.getvalue()
    return out.getvalue()


@pytest.fixture
def student(cluster) -> Client:
    client = Client()
    client.get(f"/c/{cluster.name}/?token={cluster.token}")
    return client


@pytest.fixture
def web_service(cluster, api):
    clock.set_speed(cluster, 0)
    ClusterDriver(cluster).fast_forward(horizon=10)  # kube-system's own pods first, as a sandbox starts settled
    kubectl(api, "create", "deployment", "web", "--image=nginx", "--replicas=3")
    kubectl(api, "expose", "deployment", "web", "--port=80")
    ClusterDriver(cluster).fast_forward(horizon=10)
    return "web"


def test_the_traffic_panel_spreads_requests_over_every_ready_pod(cluster, student, web_service):
    panel = student.get(f"/c/{cluster.name}/panel/traffic").content.decode()
    assert "Send 100 requests to default/web" in panel
    result = student.post(f"/c/{cluster.name}/traffic", {"namespace": "default", "name": "web", "count": "100"})
    rows = re.findall(r"<td>(web-[a-z0-9-]+)</td><td>(\d+)</td>", result.content.decode())
    assert len(rows) == 3
    assert sum(int(n) for _, n in rows) == 100
    assert all(int(n) > 0 for _, n in rows)


def test_traffic_to_a_service_without_ready_pods_is_refused(cluster, student, api):
    kubectl(api, "create", "service", "clusterip", "empty", "--tcp=80:80")
    result = student.post(f"/c/{cluster.name}/traffic", {"namespace": "default", "name": "empty"}).content.decode()
    assert "Connection refused" in result


def test_the_fault_buttons_type_the_terminals_fault_commands(cluster, student, api):
    inspector = student.get(f"/c/{cluster.name}/panel/inspect?resource=nodes&name=worker-2").content.decode()
    assert "kubectl fault node worker-2 down" in inspector
    response = student.post(f"/c/{cluster.name}/kubectl", {"command": "kubectl fault node worker-2 down"})
    assert response.status_code == 200 and "term-err" not in response.content.decode()
    node = api.get("nodes", "", "worker-2")
    assert node["metadata"]["annotations"]["kubeclass.io/fault"] == "down"


def test_the_scheduler_tab_explains_the_last_decision_though_the_pod_carries_no_annotation(
    cluster, student, api, web_service
):
    pods = api.list("pods", "default")["items"]
    assert all(not p["metadata"].get("annotations") for p in pods)  # `Annotations: <none>`, as on a real cluster
    panel = student.get(f"/c/{cluster.name}/panel/scheduler").content.decode()
    chosen = re.search(r'<strong id="chosen-node">(worker-\d)</strong>', panel).group(1)
    pod = re.search(r"Why pod (web-[a-z0-9-]+) went to", panel).group(1)
    assert api.get("pods", "default", pod)["spec"]["nodeName"] == chosen
    assert "NodeResourcesBalancedAllocation: " in panel and "TaintToleration: 100" in panel
    api.delete("pods", "default", pod, grace_period_seconds=0)
    after = student.get(f"/c/{cluster.name}/panel/scheduler").content.decode()
    assert f"Why pod {pod} went" not in after  # a deleted pod's decision is no longer shown
