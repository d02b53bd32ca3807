"""A sandbox is bounded: its etcd holds at most `object_limit` live keys, and its Events a quota of their own.

etcd bounds a real cluster with --quota-backend-bytes; past it every write
that adds data fails with "etcdserver: mvcc: database space exceeded", which
kube-apiserver passes on as a 500. kubeclass counts keys instead of bytes, so
a student who asks for two billion replicas fills their own sandbox, and no
one else's, and can recover by deleting. Events count against
KUBECLASS_EVENT_LIMIT instead, as if in an etcd of their own: an hour of
Events (each lives --event-ttl) never keeps a learner from creating a Pod.
"""

from __future__ import annotations

import io

import pytest

from django.test import override_settings

from cluster import clock, events
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
    """The keys the object quota counts: all but the Events."""
    return Entry.objects.filter(cluster=cluster).exclude(prefix="/registry/events/").count()


@pytest.mark.django_db
def test_the_key_count_follows_every_create_and_delete():
    cluster = small_cluster("counted", limit=0)
    api = APIServer(cluster)
    for n in range(5):
        api.create("configmaps", "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{n}"}})
    api.delete("configmaps", "default", "c0")
    pod = make_pod(api, "p")
    for reason in ("Pulling", "Pulled", "Created"):
        assert events.record(api, pod, "Normal", reason, reason, "kubelet", host="worker-1") is not None
    cluster.refresh_from_db()
    stored_events = Entry.objects.filter(cluster=cluster, prefix="/registry/events/").count()
    assert stored_events >= 3
    assert (cluster.key_count, cluster.event_key_count) == (live_keys(cluster), stored_events)


def make_pod(api: APIServer, name: str) -> dict:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"containers": [{"name": "a"}]}}
    pod["spec"]["containers"][0]["image"] = "nginx"
    return api.create("pods", "default", pod)


@pytest.mark.django_db
def test_events_have_a_quota_of_their_own_so_objects_can_still_be_created():
    cluster = small_cluster("eventful", limit=100_000)
    api = APIServer(cluster)
    pod = make_pod(api, "p")
    room = 5
    with override_settings(KUBECLASS_EVENT_LIMIT=Cluster.objects.get(pk=cluster.pk).event_key_count + room):
        written = [events.record(api, pod, "Normal", "Note", f"note {n}", "tester") for n in range(room + 3)]
        assert [w is not None for w in written] == [True] * room + [False] * 3  # refused, and dropped
        with pytest.raises(StatusError) as full:
            api.create("events", "default", {**written[0], "metadata": {"name": "by-hand"}})
        assert full.value.code == 500 and full.value.message == "etcdserver: mvcc: database space exceeded"
        # A Pod, a ConfigMap: the objects' quota is untouched.
        assert make_pod(api, "q")["metadata"]["name"] == "q"
        assert kubectl(cluster, "create", "configmap", "still-room")[0] == 0
        # An Event that expires makes room for the next one.
        first = written[0]["metadata"]["name"]
        api.delete("events", "default", first)
        assert events.record(api, pod, "Normal", "Note", "after the expiry", "tester") is not None


@pytest.mark.django_db
def test_a_cluster_without_an_object_limit_has_none_for_events_either():
    cluster = small_cluster("unbounded", limit=0)
    api = APIServer(cluster)
    pod = make_pod(api, "p")
    with override_settings(KUBECLASS_EVENT_LIMIT=Cluster.objects.get(pk=cluster.pk).event_key_count):
        assert events.record(api, pod, "Normal", "Note", "one more", "tester") is not None


@pytest.mark.django_db
def test_a_full_object_quota_still_lets_the_components_record_events():
    cluster = small_cluster("objects-full")
    api = APIServer(cluster)
    pod = make_pod(api, "p")
    for n in range(LIMIT - Cluster.objects.get(pk=cluster.pk).key_count):
        api.create("configmaps", "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{n}"}})
    assert kubectl(cluster, "create", "configmap", "one-more")[0] == 1
    assert events.record(api, pod, "Warning", "FailedCreate", "database space exceeded", "replicaset-controller")


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
