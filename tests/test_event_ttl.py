"""Events live --event-ttl after their last write, so a busy cluster's store stops growing.

kube-apiserver writes every Event with an etcd lease of --event-ttl (1h) and etcd
deletes the key when it expires; with compaction bounding the history, nothing a
busy cluster writes then accumulates. All on the virtual clock: no sleeps.
"""

from __future__ import annotations

import pytest
from django.test import override_settings

from cluster import clock, events
from cluster.apiserver.server import APIServer
from cluster.models import Cluster, Entry, Revision, StepEvent
from cluster.reconciler.service import Reconciler
from tests.test_idle import make

MINUTE = 60.0


@pytest.fixture
def frozen(api: APIServer) -> APIServer:
    clock.set_speed(api.cluster, 0)
    return api


def make_pod(api: APIServer, name: str) -> dict:
    return api.create(
        "pods",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": "nginx"}]},
        },
    )


def event_names(api: APIServer) -> set[str]:
    return {e["metadata"]["name"] for e in api.list("events", "default")["items"]}


def test_an_event_is_deleted_an_event_ttl_after_its_last_write(frozen: APIServer) -> None:
    pod = make_pod(frozen, "p1")
    pulled = events.record(frozen, pod, "Normal", "Pulled", "image pulled", "kubelet", host="worker-1")
    started = events.record(frozen, pod, "Normal", "Started", "Started container app", "kubelet", host="worker-1")
    assert pulled is not None and started is not None
    both = {pulled["metadata"]["name"], started["metadata"]["name"]}
    since = frozen.current_revision()
    clock.advance(frozen.cluster, 30 * MINUTE)
    events.record(frozen, pod, "Normal", "Pulled", "image pulled", "kubelet", host="worker-1")  # a repeat: count 2
    clock.advance(frozen.cluster, 29 * MINUTE)
    frozen.expire_leases()
    assert event_names(frozen) == both  # 59 minutes: both still live
    clock.advance(frozen.cluster, 1 * MINUTE)
    frozen.expire_leases()
    assert event_names(frozen) == {pulled["metadata"]["name"]}  # 60 minutes after its only write, Started goes
    clock.advance(frozen.cluster, 30 * MINUTE)
    frozen.expire_leases()
    assert event_names(frozen) == set()  # an hour after the repeat, Pulled goes too
    watched, _ = frozen.watch_batch("events", "default", since)
    assert [(e.type, e.object["reason"]) for e in watched] == [
        ("MODIFIED", "Pulled"),
        ("DELETED", "Started"),
        ("DELETED", "Pulled"),
    ]
    counted = Cluster.objects.get(pk=frozen.cluster.pk)
    assert (counted.key_count, counted.event_key_count) == (Entry.objects.filter(cluster=frozen.cluster).count(), 0)
    assert frozen.get("pods", "default", "p1")["metadata"]["name"] == "p1"  # only Events have a TTL
    assert frozen.expire_leases() == 0


@override_settings(KUBECLASS_EVENT_TTL_MINUTES=10)
def test_the_ttl_is_the_setting_and_other_keys_never_expire(frozen: APIServer) -> None:
    frozen.create("configmaps", "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    pod = make_pod(frozen, "p1")
    events.record(frozen, pod, "Normal", "Pulled", "image pulled", "kubelet", host="worker-1")
    clock.advance(frozen.cluster, 10 * MINUTE)
    frozen.expire_leases()
    assert event_names(frozen) == set()
    clock.advance(frozen.cluster, 365 * 24 * 60 * MINUTE)
    frozen.expire_leases()  # a year later: the bootstrap's Events are gone, nothing else
    assert not Entry.objects.filter(cluster=frozen.cluster, prefix="/registry/events/").exists()
    assert not Entry.objects.filter(cluster=frozen.cluster, lease_expiry__isnull=False).exists()
    assert frozen.get("configmaps", "default", "c")["metadata"]["name"] == "c"


def test_the_reconcilers_housekeeping_expires_leases(no_clusters: None) -> None:
    cluster = make("busy-events")
    api = APIServer(cluster, client="test")
    clock.set_speed(cluster, 0)
    pod = make_pod(api, "p1")
    events.record(api, pod, "Normal", "Pulled", "image pulled", "kubelet", host="worker-1")
    clock.advance(cluster, 61 * MINUTE)
    reconciler = Reconciler()
    reconciler.manage_leases(1e9)
    assert cluster.pk in reconciler.drivers
    reconciler.last_lease_check = -1e9
    reconciler.housekeeping(1e9)
    assert not [e for e in api.list("events", "default")["items"] if e["involvedObject"]["name"] == "p1"]


def test_a_busy_clusters_store_stays_flat_once_events_expire(frozen: APIServer) -> None:
    """The busy bench in small (bench/idle.py --busy-minutes): a pod replaced every virtual minute, each with the
    kubelet's Events, history compacted every 5 minutes. Once the first Events have expired (an hour) and the
    history window is full, every 5-minute period looks the same: the live keys, the history and the step
    events left after each compaction stop growing."""
    api, cluster = frozen, frozen.cluster
    counts = []
    for minute in range(1, 151):
        pod = make_pod(api, f"web-{minute}")
        for reason in ("Scheduled", "Pulled", "Created", "Started"):
            events.record(api, pod, "Normal", reason, f"{reason} web-{minute}", "kubelet", host="worker-1")
        if minute > 2:
            api.delete("pods", "default", f"web-{minute - 2}", grace_period_seconds=0)
        clock.advance(cluster, MINUTE)
        api.expire_leases()  # the reconciler's housekeeping: every second
        if minute % 5 == 0:
            api.compact(keep=100)  # ... and every 5 minutes
        if minute >= 90 and minute % 30 == 0:
            counts.append(
                (
                    Entry.objects.filter(cluster=cluster).count(),
                    Revision.objects.filter(cluster=cluster).count(),
                    StepEvent.objects.filter(cluster=cluster).count(),
                )
            )
    assert Entry.objects.filter(cluster=cluster, prefix="/registry/events/").count() <= 4 * 60 + 4 * 5
    assert counts[0] == counts[1] == counts[2], counts  # minutes 90, 120 and 150
