"""A sandbox is bounded: its etcd holds at most `object_limit` live keys.

etcd bounds a real cluster with --quota-backend-bytes; past it every write
that adds data fails with "etcdserver: mvcc: database space exceeded", which
kube-apiserver passes on as a 500. kubeclass counts keys instead of bytes, so
a student who asks for two billion replicas fills their own sandbox, and no
one else's, and can recover by deleting.
"""

from __future__ import annotations

import io

import pytest

from cluster import clock
from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer
from cluster.bootstrap import create_cluster
from cluster.kubectl import cli
from cluster.models import Cluster, Entry
from cluster.reconciler.driver import ClusterDriver

LIMIT = 150  # a kind-like cluster of two workers holds about 110 keys once it has settled


def kubectl(cluster: Cluster, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(APIServer(Cluster.objects.get(pk=cluster.pk), client="kubectl"), list(argv), io.StringIO(), out, err)
    return code, out.getvalue(), err.getvalue()


def small_cluster(name: str, limit: int = LIMIT) -> Cluster:
    cluster = create_cluster(name, nodes=2, seed=3)
    Cluster.objects.filter(pk=cluster.pk).update(object_limit=limit)
    clock.set_speed(cluster, 0.0)
    return Cluster.objects.get(pk=cluster.pk)


def live_keys(cluster: Cluster) -> int:
    return Entry.objects.filter(cluster=cluster).count()


@pytest.mark.django_db
def test_the_key_count_follows_every_create_and_delete():
    cluster = small_cluster("counted", limit=0)
    api = APIServer(cluster)
    for n in range(5):
        api.create("configmaps", "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{n}"}})
    api.delete("configmaps", "default", "c0")
    cluster.refresh_from_db()
    assert cluster.key_count == live_keys(cluster)


@pytest.mark.django_db
def test_a_create_past_the_limit_fails_as_a_full_etcd_fails_it():
    cluster = small_cluster("full")
    api = APIServer(cluster)
    room = LIMIT - live_keys(cluster)
    for n in range(room):
        api.create("configmaps", "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{n}"}})
    code, _, err = kubectl(cluster, "create", "configmap", "one-more")
    assert code == 1
    assert err == "error: failed to create configmap: etcdserver: mvcc: database space exceeded\n"
    assert live_keys(cluster) == LIMIT
    # Deleting makes room again, as compacting and defragmenting a real etcd would.
    assert kubectl(cluster, "delete", "configmap", "c0")[0] == 0
    assert kubectl(cluster, "create", "configmap", "one-more")[0] == 0


@pytest.mark.django_db
def test_two_billion_replicas_fill_only_this_sandbox_and_the_reconciler_keeps_running():
    greedy = small_cluster("greedy")
    neighbour = small_cluster("neighbour", limit=0)
    code, _, err = kubectl(greedy, "create", "deployment", "web", "--image=nginx", "--replicas=2147483647")
    assert code == 0, err
    ClusterDriver(greedy).fast_forward(seconds=120)
    assert live_keys(greedy) <= LIMIT
    api = APIServer(Cluster.objects.get(pk=greedy.pk))
    assert 0 < len(api.list("pods", "default")["items"]) < LIMIT
    with pytest.raises(StatusError) as full:
        api.create("configmaps", "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    assert full.value.code == 500 and "database space exceeded" in full.value.message
    # The student recovers by scaling down; the controllers delete what is over.
    assert kubectl(greedy, "scale", "deployment", "web", "--replicas=1")[0] == 0
    ClusterDriver(greedy).fast_forward()
    assert len([p for p in api.list("pods", "default")["items"] if not p["metadata"].get("deletionTimestamp")]) == 1
    # The neighbour never noticed.
    assert kubectl(neighbour, "create", "deployment", "web", "--image=nginx", "--replicas=2")[0] == 0
    ClusterDriver(neighbour).fast_forward()
    assert len(APIServer(Cluster.objects.get(pk=neighbour.pk)).list("pods", "default")["items"]) == 2


@pytest.mark.django_db
def test_scaling_beyond_int32_is_refused_by_the_server():
    cluster = small_cluster("scaled")
    assert kubectl(cluster, "create", "deployment", "web", "--image=nginx", "--replicas=1")[0] == 0
    code, _, err = kubectl(cluster, "scale", "deployment", "web", "--replicas=99999999999")
    assert code == 1
    assert err.startswith("Error from server (BadRequest):")
    assert "cannot unmarshal number 99999999999 into Go struct field ScaleSpec.spec.replicas of type int32" in err
    assert APIServer(cluster).get("deployments", "default", "web")["spec"]["replicas"] == 1
