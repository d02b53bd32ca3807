"""The garbage collector: background, foreground and orphan cascades through ownerReferences."""

from __future__ import annotations

from cluster.controllers.garbagecollector import GarbageCollector
from tests.workloads import deployment, finish_terminating, make_ready, pods, replica_sets, settle


def drain(api, since: int) -> None:
    """Feed every watch event after `since` to the collector, as the reconciler would, until quiet."""
    gc = GarbageCollector(api)
    for _ in range(30):
        until = api.current_revision()
        keys: list[str] = []
        for resource in gc.watches:
            for event in api.watch_batch(resource, None, since, limit=100000)[0]:
                keys += [k for k in gc.keys_for(resource, event) if k not in keys]
        since = until
        if not keys:
            return
        for key in keys:
            gc.reconcile(key)
    raise AssertionError("garbage collector did not settle")


def web(api, replicas: int = 2) -> None:
    api.create("deployments", "default", deployment(replicas=replicas))
    settle(api)


def test_background_deletion_removes_replica_sets_then_their_pods(api):
    web(api)
    since = api.current_revision()
    api.delete("deployments", "default", "web")
    drain(api, since)
    assert replica_sets(api) == [] and pods(api, live=False) == []


def test_foreground_deletion_waits_for_blocking_dependents(api):
    web(api)
    make_ready(api, pods(api)[0])  # a pod on a node takes its grace period
    since = api.current_revision()
    api.delete("deployments", "default", "web", propagation_policy="Foreground")
    drain(api, since)
    d = api.get("deployments", "default", "web")
    assert d["metadata"]["finalizers"] == ["foregroundDeletion"] and d["metadata"]["deletionTimestamp"]
    [rs] = replica_sets(api)
    assert rs["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert len(pods(api, live=False)) == 1 and not pods(api)

    since = api.current_revision()
    finish_terminating(api)
    drain(api, since)
    assert api.list("deployments", "default")["items"] == [] and replica_sets(api) == []


def test_orphan_deletion_keeps_dependents_without_the_owner_reference(api):
    web(api)
    [rs] = replica_sets(api)
    since = api.current_revision()
    api.delete("replicasets", "default", rs["metadata"]["name"], propagation_policy="Orphan")
    assert api.get("replicasets", "default", rs["metadata"]["name"])["metadata"]["finalizers"] == ["orphan"]
    drain(api, since)
    assert replica_sets(api) == []
    assert len(pods(api)) == 2
    assert all("ownerReferences" not in p["metadata"] for p in pods(api))


def test_owner_recreated_with_the_same_name_does_not_keep_old_dependents(api):
    api.create("deployments", "default", deployment(replicas=1))  # same name, new uid
    stale = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "web",
        "uid": "uid-of-an-earlier-web",
        "controller": True,
        "blockOwnerDeletion": True,
    }
    since = api.current_revision()
    api.create("configmaps", "default", {"metadata": {"name": "leftover", "ownerReferences": [stale]}})
    drain(api, since)
    assert "leftover" not in [c["metadata"]["name"] for c in api.list("configmaps", "default")["items"]]


def test_a_dependent_with_another_live_owner_only_loses_the_dangling_reference(api):
    owner_a = api.create("configmaps", "default", {"metadata": {"name": "a"}})
    owner_b = api.create("configmaps", "default", {"metadata": {"name": "b"}})
    refs = [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": o["metadata"]["name"], "uid": o["metadata"]["uid"]}
        for o in (owner_a, owner_b)
    ]
    api.create("secrets", "default", {"metadata": {"name": "s", "ownerReferences": refs}})
    since = api.current_revision()
    api.delete("configmaps", "default", "a")
    drain(api, since)
    assert api.get("secrets", "default", "s")["metadata"]["ownerReferences"] == refs[1:]
