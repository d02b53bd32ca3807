"""Every sandbox is bounded as an administrator would bound a namespace: a ResourceQuota and a LimitRange.

Driven through the API server and kubectl: what a student sees when a quota
stops them, what `kubectl get/describe quota` show, and the controller
keeping `status.used` current.
"""

from __future__ import annotations

import io

import pytest

from cluster import clock
from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer
from cluster.bootstrap import create_cluster
from cluster.kubectl import cli
from cluster.models import Cluster
from cluster.reconciler.driver import ClusterDriver


def kubectl(cluster: Cluster, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(APIServer(Cluster.objects.get(pk=cluster.pk)), list(argv), io.StringIO(), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def sandbox(db) -> Cluster:
    cluster = create_cluster("sandbox", nodes=2, seed=4, owner_session="learner", sandbox=True)
    clock.set_speed(cluster, 0.0)
    return Cluster.objects.get(pk=cluster.pk)


def pod(name: str, cpu: str | None = None) -> dict:
    container = {"name": "c", "image": "nginx"}
    if cpu:
        container["resources"] = {"requests": {"cpu": cpu}, "limits": {"cpu": cpu}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"containers": [container]}}


def test_a_sandbox_starts_with_its_quota_and_limit_range(sandbox):
    ClusterDriver(sandbox).fast_forward()
    code, out, _ = kubectl(sandbox, "get", "quota,limits")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "AGE", "REQUEST", "LIMIT"]
    assert lines[1].startswith("resourcequota/sandbox")
    assert "pods: 0/200" in lines[1] and "requests.storage: 0/100Gi" in lines[1]
    assert "limitrange/sandbox" in out


def test_describe_quota_shows_used_against_hard(sandbox):
    api = APIServer(sandbox)
    api.create("pods", "default", pod("one"))
    ClusterDriver(sandbox).fast_forward()
    code, out, _ = kubectl(sandbox, "describe", "quota", "sandbox")
    assert code == 0
    assert out.splitlines()[:4] == [
        "Name:                   sandbox",
        "Namespace:              default",
        "Resource                Used  Hard",
        "--------                ----  ----",
    ]
    assert "pods                    1     200" in out


def test_a_create_past_the_quota_is_forbidden_with_upstreams_sentence(db):
    cluster = create_cluster("tight", nodes=1, seed=4)
    api = APIServer(cluster)
    api.create(
        "resourcequotas",
        "default",
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "two-pods"},
            "spec": {"hard": {"pods": "2"}},
        },
    )
    api.create("pods", "default", pod("a"))
    api.create("pods", "default", pod("b"))
    with pytest.raises(StatusError) as refused:
        api.create("pods", "default", pod("c"))
    assert refused.value.code == 403 and refused.value.reason == "Forbidden"
    assert refused.value.message == (
        'pods "c" is forbidden: exceeded quota: two-pods, requested: pods=1, used: pods=2, limited: pods=2'
    )
    api.delete("pods", "default", "a", grace_period_seconds=0)
    api.create("pods", "default", pod("c"))  # room again


def test_a_replicaset_stopped_by_the_quota_says_so_in_its_events(db):
    cluster = create_cluster("capped", nodes=2, seed=4)
    clock.set_speed(cluster, 0.0)
    api = APIServer(cluster)
    api.create(
        "resourcequotas",
        "default",
        {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "few"}, "spec": {"hard": {"pods": "3"}}},
    )
    assert kubectl(cluster, "create", "deployment", "web", "--image=nginx", "--replicas=5")[0] == 0
    ClusterDriver(cluster).fast_forward(seconds=30)
    assert len(api.list("pods", "default")["items"]) == 3
    failed = [e for e in api.list("events", "default")["items"] if e["reason"] == "FailedCreate"]
    assert failed and "exceeded quota: few, requested: pods=1, used: pods=3, limited: pods=3" in failed[0]["message"]


def test_compute_quota_sums_requests(db):
    cluster = create_cluster("compute", nodes=1, seed=4)
    api = APIServer(cluster)
    api.create(
        "resourcequotas",
        "default",
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "cpu"},
            "spec": {"hard": {"requests.cpu": "1"}},
        },
    )
    api.create("pods", "default", pod("half", cpu="500m"))
    with pytest.raises(StatusError) as refused:
        api.create("pods", "default", pod("more", cpu="600m"))
    assert "requested: requests.cpu=600m, used: requests.cpu=500m, limited: requests.cpu=1" in refused.value.message


@pytest.mark.parametrize("size, allowed", [("5Gi", True), ("10Gi", True), ("20Gi", False)])
def test_the_sandbox_limit_range_bounds_a_claim(sandbox, size, allowed):
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}},
    }
    api = APIServer(sandbox)
    if allowed:
        api.create("persistentvolumeclaims", "default", claim)
        return
    with pytest.raises(StatusError) as refused:
        api.create("persistentvolumeclaims", "default", claim)
    assert refused.value.message == (
        'persistentvolumeclaims "data" is forbidden: maximum storage usage per '
        "PersistentVolumeClaim is 10Gi, but request is 20Gi"
    )


def test_a_limit_range_defaults_container_resources(db):
    cluster = create_cluster("defaults", nodes=1, seed=4)
    api = APIServer(cluster)
    api.create(
        "limitranges",
        "default",
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": "cpu"},
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "default": {"cpu": "500m"},
                        "defaultRequest": {"cpu": "100m"},
                        "max": {"cpu": "1"},
                    }
                ]
            },
        },
    )
    created = api.create("pods", "default", pod("plain"))
    assert created["spec"]["containers"][0]["resources"] == {"limits": {"cpu": "500m"}, "requests": {"cpu": "100m"}}
    with pytest.raises(StatusError) as refused:
        api.create("pods", "default", pod("big", cpu="2"))
    assert refused.value.message == 'pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2'


def test_describe_namespace_ends_with_its_quotas_and_limit_ranges(sandbox):
    ClusterDriver(sandbox).fast_forward()
    out = kubectl(sandbox, "describe", "namespace", "default")[1]
    assert "Resource Quotas\n  Name:" in out and "No LimitRange resource." not in out
    assert " PersistentVolumeClaim  storage   -    10Gi" in out


def test_an_administrator_creates_a_cluster_with_a_raised_quota(db):
    from django.core.management import CommandError, call_command

    call_command(
        "cluster", "create", "teacher", "--nodes", "1", "--quota", "pods=500, services=80", stdout=io.StringIO()
    )
    hard = APIServer(Cluster.objects.get(name="teacher")).get("resourcequotas", "default", "sandbox")["spec"]["hard"]
    assert (hard["pods"], hard["services"], hard["configmaps"]) == ("500", "80", "200")
    with pytest.raises(CommandError, match="quantities must match"):  # the API server decodes it: no traceback
        call_command("cluster", "create", "bad", "--quota", "pods=lots", stdout=io.StringIO())
    with pytest.raises(CommandError, match="NAME=QUANTITY"):
        call_command("cluster", "create", "bad", "--quota", "pods", stdout=io.StringIO())
    assert not Cluster.objects.filter(name="bad").exists()  # nothing half-made
