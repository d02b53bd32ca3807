"""The replicaset controller: ownership, creation, upstream's scale-down order, status."""

from __future__ import annotations

import datetime as dt

import pytest

from cluster import clock
from cluster.controllers.replicaset import ReplicaSetController
from tests.workloads import bind, events, finish_terminating, make_ready, pods, replica_set


def orphan_pod(api, name: str, labels: dict | None = None, annotations: dict | None = None) -> dict:
    meta = {"name": name, "labels": labels or {"app": "web"}}
    if annotations:
        meta["annotations"] = annotations
    return api.create(
        "pods",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta,
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]},
        },
    )


def test_missing_pods_are_created_pending_without_a_node(api):
    rs = api.create("replicasets", "default", replica_set(replicas=3))
    ReplicaSetController(api).reconcile("default/web")
    created = pods(api)
    assert len(created) == 3
    for pod in created:
        assert pod["metadata"]["name"].startswith("web-") and len(pod["metadata"]["name"]) == len("web-") + 5
        assert pod["metadata"]["generateName"] == "web-"
        assert not pod["spec"].get("nodeName")
        assert pod["metadata"]["labels"] == {"app": "web"}
        assert pod["metadata"]["ownerReferences"] == [
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": "web",
                "uid": rs["metadata"]["uid"],
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    assert sorted(events(api, "SuccessfulCreate")) == sorted(f"Created pod: {p['metadata']['name']}" for p in created)


def test_orphans_matching_the_selector_are_adopted_and_non_matching_pods_released(api):
    orphan_pod(api, "stray")
    api.create("replicasets", "default", replica_set(replicas=2))
    controller = ReplicaSetController(api)
    controller.reconcile("default/web")
    assert len(pods(api)) == 2
    assert api.get("pods", "default", "stray")["metadata"]["ownerReferences"][0]["name"] == "web"

    api.update_with("pods", "default", "stray", lambda p: {**p, "metadata": {**p["metadata"], "labels": {"app": "x"}}})
    controller.reconcile("default/web")
    assert "ownerReferences" not in api.get("pods", "default", "stray")["metadata"]
    assert len([p for p in pods(api) if p["metadata"]["labels"] == {"app": "web"}]) == 2


def test_terminating_pods_do_not_count(api):
    api.create("replicasets", "default", replica_set(replicas=2))
    controller = ReplicaSetController(api)
    controller.reconcile("default/web")
    victim = pods(api)[0]
    make_ready(api, victim)
    api.delete("pods", "default", victim["metadata"]["name"])  # bound: graceful, stays Terminating
    controller.reconcile("default/web")
    assert len(pods(api)) == 2 and len(pods(api, live=False)) == 3


def _pod_with(api, name: str, traits: dict, cluster) -> None:
    orphan_pod(api, name, annotations=traits.get("annotations"))
    if traits.get("unassigned"):
        return
    bind(api, api.get("pods", "default", name), traits.get("node", "worker-1"))
    pod = api.get("pods", "default", name)
    if traits.get("ready_since"):
        since = clock.rfc3339(clock.now(cluster) - dt.timedelta(seconds=traits["ready_since"]))
        make_ready(api, pod, ready_since=since, restarts=traits.get("restarts", 0))
    elif traits.get("phase"):

        def put(p: dict) -> dict:
            p["status"]["phase"] = traits["phase"]
            return p

        api.update_with("pods", "default", name, put, subresource="status")


@pytest.mark.parametrize(
    "first, second, why",
    [
        ({"unassigned": True}, {"phase": "Pending"}, "unassigned before assigned"),
        ({"phase": "Pending"}, {"phase": "Running"}, "Pending before Running"),
        ({"phase": "Unknown"}, {"phase": "Running"}, "Unknown before Running"),
        ({"phase": "Running"}, {"ready_since": 100}, "not ready before ready"),
        (
            {"ready_since": 100, "annotations": {"controller.kubernetes.io/pod-deletion-cost": "-5"}},
            {"ready_since": 100},
            "lower pod-deletion-cost first",
        ),
        ({"ready_since": 10}, {"ready_since": 5000}, "ready for a shorter time first"),
        ({"ready_since": 100, "restarts": 4}, {"ready_since": 100, "restarts": 1}, "more restarts first"),
    ],
)
def test_scale_down_deletes_unscheduled_pods_first(api, cluster, first, second, why):
    _pod_with(api, "keep-me", second, cluster)
    _pod_with(api, "delete-me", first, cluster)
    api.create("replicasets", "default", replica_set(replicas=1))
    ReplicaSetController(api).reconcile("default/web")
    assert [p["metadata"]["name"] for p in pods(api)] == ["keep-me"], why
    assert events(api, "SuccessfulDelete") == ["Deleted pod: delete-me"]


def test_scale_down_prefers_newer_pods_across_age_buckets(api, cluster):
    orphan_pod(api, "old")
    clock.advance(cluster, 3600)
    orphan_pod(api, "new")
    api.create("replicasets", "default", replica_set(replicas=1))
    ReplicaSetController(api).reconcile("default/web")
    assert [p["metadata"]["name"] for p in pods(api)] == ["old"]


def test_scale_down_prefers_pods_doubled_up_on_a_node(api, cluster):
    for name, node in (("a", "worker-1"), ("b", "worker-1")):
        _pod_with(api, name, {"ready_since": 100, "node": node}, cluster)
    clock.advance(cluster, 3600)  # c is the youngest: only the node rank saves it
    _pod_with(api, "c", {"ready_since": 100, "node": "worker-2"}, cluster)
    owned = replica_set(replicas=2)
    owned["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "web",
            "uid": "d-uid",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    api.create("replicasets", "default", owned)
    ReplicaSetController(api).reconcile("default/web")
    nodes = sorted(p["spec"]["nodeName"] for p in pods(api))
    assert nodes == ["worker-1", "worker-2"]


def test_status_counts_ready_and_available_pods(api, cluster):
    api.create("replicasets", "default", replica_set(replicas=3, minReadySeconds=5))
    controller = ReplicaSetController(api)
    controller.reconcile("default/web")
    for pod in pods(api)[:2]:
        make_ready(api, pod)
    controller.reconcile("default/web")
    status = api.get("replicasets", "default", "web")["status"]
    assert status == {"replicas": 3, "fullyLabeledReplicas": 3, "readyReplicas": 2, "observedGeneration": 1}
    make_ready(api, pods(api)[2])
    assert controller.reconcile("default/web").requeue_after == 5
    clock.advance(cluster, 6)
    controller.reconcile("default/web")
    assert api.get("replicasets", "default", "web")["status"]["availableReplicas"] == 3


def test_scale_to_zero_deletes_every_pod(api):
    api.create("replicasets", "default", replica_set(replicas=2))
    controller = ReplicaSetController(api)
    controller.reconcile("default/web")
    api.update_scale("replicasets", "default", "web", {"spec": {"replicas": 0}})
    controller.reconcile("default/web")
    finish_terminating(api)
    controller.reconcile("default/web")
    assert pods(api, live=False) == []
    assert api.get("replicasets", "default", "web")["status"] == {"replicas": 0, "observedGeneration": 2}
