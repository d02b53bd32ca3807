"""The etcd-like store: revisions, history reads, watch from a revision, compaction, isolation."""

from __future__ import annotations

import pytest

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer
from cluster.bootstrap import create_cluster


def configmap(name: str, value: str = "1") -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"v": value}}


def test_every_write_takes_the_next_revision_and_resource_version_is_the_mod_revision(api):
    start = api.current_revision()
    created = api.create("configmaps", "default", configmap("a"))
    assert created["metadata"]["resourceVersion"] == str(start + 1)
    updated = api.patch("configmaps", "default", "a", {"data": {"v": "2"}}, "application/merge-patch+json")
    assert updated["metadata"]["resourceVersion"] == str(start + 2)
    kv = api.store.get("/registry/configmaps/default/a")
    assert (kv.create_revision, kv.mod_revision, kv.version) == (start + 1, start + 2, 2)


def test_state_at_a_past_revision_can_be_read_back(api):
    api.create("configmaps", "default", configmap("a", "old"))
    before = api.current_revision()
    api.patch("configmaps", "default", "a", {"data": {"v": "new"}}, "application/merge-patch+json")
    api.delete("configmaps", "default", "a")
    then = {kv.key: kv.value for kv in api.store.range_at(before, "/registry/configmaps/")}
    assert then["/registry/configmaps/default/a"]["data"] == {"v": "old"}
    now = api.store.range_at(api.current_revision(), "/registry/configmaps/")
    assert "/registry/configmaps/default/a" not in {kv.key for kv in now}


def test_watch_from_a_revision_sees_every_later_change_in_order(api):
    since = api.current_revision()
    api.create("configmaps", "default", configmap("a"))
    api.patch("configmaps", "default", "a", {"data": {"v": "2"}}, "application/merge-patch+json")
    api.delete("configmaps", "default", "a")
    events, resume = api.watch_batch("configmaps", "default", since)
    assert [e.type for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    assert resume == api.current_revision()


def test_watch_from_a_compacted_revision_is_gone(api):
    since = api.current_revision()
    api.create("configmaps", "default", configmap("a"))
    api.patch("configmaps", "default", "a", {"data": {"v": "2"}}, "application/merge-patch+json")
    api.store.compact(api.current_revision())
    with pytest.raises(StatusError) as err:
        api.watch_batch("configmaps", "default", since)
    assert err.value.code == 410
    assert err.value.message.startswith("too old resource version")


def test_compaction_keeps_the_current_value_readable_at_the_compacted_revision(api):
    api.create("configmaps", "default", configmap("a", "1"))
    api.patch("configmaps", "default", "a", {"data": {"v": "2"}}, "application/merge-patch+json")
    api.create("configmaps", "default", configmap("b"))
    at = api.current_revision()
    removed = api.store.compact(at)
    assert removed >= 1
    values = {
        kv.key: kv.value["data"]["v"]
        for kv in api.store.range_at(at, "/registry/configmaps/")
        if "v" in kv.value.get("data", {})
    }  # not kube-root-ca.crt and kube-system's own
    assert values == {"/registry/configmaps/default/a": "2", "/registry/configmaps/default/b": "1"}


def test_clusters_never_see_each_others_objects(cluster, api):
    other = APIServer(create_cluster("other", nodes=1, seed=2))
    api.create("configmaps", "default", configmap("mine"))
    assert [o["metadata"]["name"] for o in other.list("configmaps", "default")["items"]] == ["kube-root-ca.crt"]
    with pytest.raises(StatusError) as err:
        other.get("configmaps", "default", "mine")
    assert err.value.code == 404


def test_a_stale_resource_version_is_a_conflict_with_kube_apiservers_message(api):
    created = api.create("configmaps", "default", configmap("a"))
    api.patch("configmaps", "default", "a", {"data": {"v": "2"}}, "application/merge-patch+json")
    with pytest.raises(StatusError) as err:
        api.update("configmaps", "default", "a", created)
    assert err.value.code == 409
    assert err.value.message == (
        'Operation cannot be fulfilled on configmaps "a": the object has been '
        "modified; please apply your changes to the latest version and try again"
    )


def test_a_failed_request_writes_nothing(api):
    api.create("configmaps", "default", configmap("a"))
    before = api.current_revision()
    with pytest.raises(StatusError):
        api.create("configmaps", "default", configmap("a"))
    assert api.current_revision() == before


def test_reset_empties_the_cluster_and_its_step_history(cluster, api):
    from cluster.bootstrap import reset_cluster
    from cluster.models import StepEvent

    api.create("configmaps", "default", configmap("a"))
    reset_cluster(cluster)
    fresh = APIServer(cluster)
    assert [c["metadata"]["name"] for c in fresh.list("configmaps", "default")["items"]] == ["kube-root-ca.crt"]
    assert [n["metadata"]["name"] for n in fresh.list("nodes")["items"]] == [
        "kind-control-plane",
        "worker-1",
        "worker-2",
        "worker-3",
    ]
    assert not StepEvent.objects.filter(cluster=cluster, object__contains="configmaps/a").exists()


@pytest.mark.parametrize(
    "refused",
    [
        lambda api: api.create("configmaps", "default", configmap("Bad_Name")),  # invalid: 422
        lambda api: api.create("configmaps", "default", configmap("kept")),  # exists: 409
        lambda api: api.update(
            "configmaps",
            "default",
            "kept",
            {**configmap("kept", "x"), "metadata": {"name": "kept", "resourceVersion": "1"}},
        ),  # stale
        lambda api: api.delete("configmaps", "default", "kept", preconditions={"uid": "not-its-uid"}),
    ],
)
def test_a_refused_request_inside_a_unit_of_work_leaves_no_trace_and_the_unit_goes_on(api, refused):
    from django.db import transaction

    api.create("configmaps", "default", configmap("kept"))
    with transaction.atomic():  # as the reconciler runs a unit: the requests share its transaction
        before = api.current_revision()
        with pytest.raises(StatusError) as refusal:
            refused(api)
        assert refusal.value.code in (409, 422)
        assert api.current_revision() == before
        created = api.create("configmaps", "default", configmap("after"))
    assert created["metadata"]["resourceVersion"] == str(before + 1)
    assert [ev.kv.mod_revision for ev in api.store.events_since(before - 1)] == [before, before + 1]
    assert api.get("configmaps", "default", "kept")["data"] == {"v": "1"}


@pytest.mark.parametrize("value", [{"a": [1, "x", None, True, 1.5]}, {"a": [2**70, {"n": -(2**65)}]}])
def test_a_deep_copy_of_an_api_object_is_equal_and_shares_nothing(value):
    from cluster.jsoncopy import deep_copy

    copied = deep_copy(value)
    assert copied == value
    copied["a"].append("changed")
    assert value["a"][-1] != "changed"


def generated(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": name}, "data": {"v": "1"}}


def test_a_generated_name_that_is_taken_is_drawn_again(api):
    # The names the next create would draw, in order: the first is taken by a ConfigMap made now.
    revision = api.current_revision() + 2
    api.create("configmaps", "default", configmap("web-" + api.random_suffix(revision)))
    created = api.create("configmaps", "default", generated("web-"))
    assert created["metadata"]["name"] == "web-" + api.random_suffix(revision, 1)
    assert created["metadata"]["resourceVersion"] == str(revision)


def test_a_generated_name_gives_up_after_eight_taken_draws(api):
    revision = api.current_revision() + 9
    taken = ["web-" + api.random_suffix(revision, *([attempt] if attempt else [])) for attempt in range(8)]
    for name in taken:
        api.create("configmaps", "default", configmap(name))
    with pytest.raises(StatusError) as err:
        api.create("configmaps", "default", generated("web-"))
    assert (err.value.code, err.value.reason) == (409, "AlreadyExists")
    assert err.value.message == f'configmaps "{taken[-1]}" already exists'
    assert api.current_revision() == revision - 1  # nothing was written


def test_uids_are_random_version_4_uuids_fixed_by_the_seed(api):
    import uuid

    uids = [api.create("configmaps", "default", configmap(f"c{i}"))["metadata"]["uid"] for i in range(20)]
    assert len(set(uids)) == 20
    assert all(uuid.UUID(uid).version == 4 and str(uuid.UUID(uid)) == uid for uid in uids)
    assert uids[0] == str(
        uuid.UUID(
            bytes=api._seeded("uid", int(api.get("configmaps", "default", "c0")["metadata"]["resourceVersion"]))[:16],
            version=4,
        )
    )


def test_lists_come_back_in_etcd_key_order_whatever_the_write_order(api):
    for name in ("web1", "web-b", "web.a", "web-10"):
        api.create("configmaps", "default", configmap(name))
    api.create("configmaps", "kube-public", configmap("aaa"))
    names = [c["metadata"]["name"] for c in api.list("configmaps", "default")["items"]]
    assert names == ["kube-root-ca.crt", "web-10", "web-b", "web.a", "web1"]  # bytes, as etcd sorts keys
    everywhere = [
        (c["metadata"]["namespace"], c["metadata"]["name"])
        for c in api.list("configmaps")["items"]
        if c["metadata"]["name"] != "kube-root-ca.crt"
    ]
    assert everywhere == [
        ("default", "web-10"),
        ("default", "web-b"),
        ("default", "web.a"),
        ("default", "web1"),
        ("kube-public", "aaa"),
        ("kube-system", "coredns"),
        ("kube-system", "kube-proxy"),
    ]
