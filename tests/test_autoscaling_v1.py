"""One stored HorizontalPodAutoscaler served as autoscaling/v2 (preferred) and autoscaling/v1."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from cluster.apiserver.http import openapi
from cluster.apiserver.http.discovery import aggregated, api_group_document, api_resource_list
from cluster.apiserver.resources import by_gvr, in_category, lookup
from cluster.apiserver.server import APIServer
from cluster.kubectl import cli
from tests.livesrv import Daphne, LiveServer, shared_cluster

V1 = by_gvr("autoscaling", "v1", "horizontalpodautoscalers")
V2 = by_gvr("autoscaling", "v2", "horizontalpodautoscalers")
CPU_50 = {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}
TARGET = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}


def hpa_v1(name: str = "web", **spec: object) -> dict:
    return {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name},
        "spec": {"scaleTargetRef": TARGET, "minReplicas": 1, "maxReplicas": 10, **spec},
    }


def test_a_v1_hpa_reads_back_as_v2_with_a_cpu_utilization_metric(api: APIServer) -> None:
    created = api.create(V1, "default", hpa_v1(targetCPUUtilizationPercentage=50))
    assert created["apiVersion"] == "autoscaling/v1" and created["spec"]["targetCPUUtilizationPercentage"] == 50
    assert created["status"] == {"currentReplicas": 0, "desiredReplicas": 0}
    v2 = api.get(V2, "default", "web")
    assert v2["apiVersion"] == "autoscaling/v2" and v2["spec"]["metrics"] == [CPU_50]
    assert (v2["spec"]["minReplicas"], v2["spec"]["maxReplicas"], v2["spec"]["scaleTargetRef"]) == (1, 10, TARGET)
    v1 = api.get(V1, "default", "web")
    assert v1["spec"] == {
        "scaleTargetRef": TARGET,
        "minReplicas": 1,
        "maxReplicas": 10,
        "targetCPUUtilizationPercentage": 50,
    }
    assert "annotations" not in v1["metadata"]


def test_a_v1_hpa_without_a_target_gets_the_80_percent_cpu_default(api: APIServer) -> None:
    api.create(V1, "default", hpa_v1())
    assert api.get(V2, "default", "web")["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 80
    assert api.get(V1, "default", "web")["spec"]["targetCPUUtilizationPercentage"] == 80


def test_a_v2_hpa_reads_as_v1_with_its_other_metrics_in_an_annotation(api: APIServer) -> None:
    memory = {
        "type": "Resource",
        "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "100Mi"}},
    }
    api.create(
        V2,
        "default",
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web"},
            "spec": {"scaleTargetRef": TARGET, "maxReplicas": 5, "metrics": [CPU_50, memory]},
        },
    )
    v1 = api.get(V1, "default", "web")
    assert v1["spec"]["targetCPUUtilizationPercentage"] == 50 and v1["spec"]["maxReplicas"] == 5
    assert '"memory"' in v1["metadata"]["annotations"]["autoscaling.alpha.kubernetes.io/metrics"]
    listed = api.list(V1, "default")
    assert listed["apiVersion"] == "autoscaling/v1" and listed["items"][0]["kind"] == "HorizontalPodAutoscaler"


def test_updating_through_v1_keeps_the_metrics_v1_cannot_express(api: APIServer) -> None:
    memory = {
        "type": "Resource",
        "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 70}},
    }
    api.create(
        V2,
        "default",
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web"},
            "spec": {"scaleTargetRef": TARGET, "maxReplicas": 5, "metrics": [CPU_50, memory]},
        },
    )
    v1 = api.get(V1, "default", "web")
    v1["spec"]["maxReplicas"] = 8
    api.update(V1, "default", "web", v1)
    api.patch(V1, "default", "web", {"spec": {"targetCPUUtilizationPercentage": 60}}, "application/merge-patch+json")
    v2 = api.get(V2, "default", "web")
    assert v2["spec"]["maxReplicas"] == 8 and v2["metadata"]["generation"] == 3
    assert [m["resource"]["name"] for m in v2["spec"]["metrics"]] == ["cpu", "memory"]
    assert v2["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 60
    assert "annotations" not in v2["metadata"]


def test_v2_status_reads_as_v1_current_cpu_utilization(api: APIServer) -> None:
    api.create(V1, "default", hpa_v1(targetCPUUtilizationPercentage=50))

    def report(hpa: dict) -> dict:
        hpa["status"] = {
            "currentReplicas": 2,
            "desiredReplicas": 3,
            "observedGeneration": 1,
            "currentMetrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "current": {"averageUtilization": 75, "averageValue": "150m"}},
                }
            ],
        }
        return hpa

    api.update_with(V2, "default", "web", report, subresource="status")
    status = api.get(V1, "default", "web")["status"]
    assert status == {
        "currentReplicas": 2,
        "desiredReplicas": 3,
        "observedGeneration": 1,
        "currentCPUUtilizationPercentage": 75,
    }


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("maxReplicas", 0, "spec.maxReplicas: Invalid value: 0: must be greater than 0"),
        ("targetCPUUtilizationPercentage", "fifty", "cannot unmarshal string"),
    ],
)
def test_bad_v1_input_is_rejected_and_nothing_is_stored(
    api: APIServer, field: str, value: object, message: str
) -> None:
    from cluster.apiserver.errors import StatusError

    with pytest.raises(StatusError) as err:
        api.create(V1, "default", hpa_v1(**{field: value}))
    assert err.value.code in (400, 422) and message in err.value.message
    assert api.list(V2, "default")["items"] == []


def test_deleting_through_v1_answers_in_v1(api: APIServer) -> None:
    api.create(
        V2,
        "default",
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web"},
            "spec": {"scaleTargetRef": TARGET, "maxReplicas": 3},
        },
    )
    gone = api.delete(V1, "default", "web")
    assert gone["apiVersion"] == "autoscaling/v1" and gone["spec"]["targetCPUUtilizationPercentage"] == 80
    assert api.list(V2, "default")["items"] == []


def test_discovery_serves_both_versions_with_v2_preferred() -> None:
    group = api_group_document("autoscaling")
    assert [v["version"] for v in group["versions"]] == ["v2", "v1"]
    assert group["preferredVersion"] == {"groupVersion": "autoscaling/v2", "version": "v2"}
    names = [r["name"] for r in api_resource_list("autoscaling", "v1")["resources"]]
    assert names == ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]
    item = next(i for i in aggregated(legacy=False)["items"] if i["metadata"]["name"] == "autoscaling")
    assert [v["version"] for v in item["versions"]] == ["v2", "v1"]
    assert item["versions"][1]["resources"][0]["responseKind"]["version"] == "v1"
    assert "apis/autoscaling/v1" in openapi.index()["paths"]
    document, _hash = openapi.document_for_path("apis/autoscaling/v1")
    assert b'"io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler"' in document


def test_names_and_get_all_pick_the_preferred_version_only() -> None:
    assert lookup("hpa") == lookup("horizontalpodautoscalers.autoscaling") == V2
    assert lookup("hpa.v1.autoscaling") == V1
    assert [r for r in in_category("all") if r.kind == "HorizontalPodAutoscaler"] == [V2]


def test_api_resources_lists_hpa_once_and_api_versions_lists_both(api: APIServer) -> None:
    def run(*argv: str) -> str:
        out = io.StringIO()
        cli.run(api, list(argv), stdin=io.StringIO(), stdout=out, stderr=io.StringIO())
        return out.getvalue()

    assert [
        line.split()[2] for line in run("api-resources").splitlines() if line.startswith("horizontalpodautoscalers")
    ] == ["autoscaling/v2"]
    assert {"autoscaling/v1", "autoscaling/v2"} <= set(run("api-versions").split())


# -- the real kubectl ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, live_daphne: Daphne) -> Iterator[tuple[LiveServer, Path]]:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not on PATH")
    workdir = tmp_path_factory.mktemp("kubectl-autoscale")
    for server in shared_cluster(live_daphne, "autoscale"):
        yield server, workdir


def real_kubectl(live: tuple[LiveServer, Path], *args: str) -> subprocess.CompletedProcess:
    server, home = live
    flags = ["--server", server.url, "--token", server.token, "--certificate-authority", str(server.ca_file)]
    return subprocess.run(
        ["kubectl", *flags, *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "KUBECONFIG": str(home / "kubeconfig"), "HOME": str(home)},
    )


def test_kubectl_autoscale_posts_a_v1_hpa_that_get_hpa_shows(live) -> None:
    assert real_kubectl(live, "create", "deployment", "web", "--image=nginx").returncode == 0
    result = real_kubectl(live, "autoscale", "deployment", "web", "--cpu-percent=50", "--min=1", "--max=10")
    assert (result.stdout, result.stderr) == ("horizontalpodautoscaler.autoscaling/web autoscaled\n", ""), result.stderr
    shown = real_kubectl(live, "get", "hpa")
    assert shown.stderr == ""
    header, row = shown.stdout.splitlines()
    assert header.split()[:6] == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS"]
    assert row.split()[:5] == ["web", "Deployment/web", "cpu:", "<unknown>/50%", "1"]
