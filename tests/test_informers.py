"""The reconciler's informer cache answers as the API server does, and routes watch events like field selectors."""

from __future__ import annotations

import pytest

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer
from cluster.bootstrap import create_cluster, pod_cidr
from cluster.controllers.replicaset_pods import current_pods
from cluster.events import NORMAL, record
from cluster.informers import CONTROLLER_UID_INDEX, NODE_NAME_INDEX, CachedLister, Lister
from cluster.reconciler.driver import ClusterDriver


def pod(name: str, labels: dict, node: str = "", owner: dict | None = None, namespace: str = "default") -> dict:
    meta: dict = {"name": name, "namespace": namespace, "labels": labels}
    if owner is not None:
        meta["ownerReferences"] = [
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": owner["metadata"]["name"],
                "uid": owner["metadata"]["uid"],
                "controller": True,
            }
        ]
    spec: dict = {"containers": [{"name": "app", "image": "nginx"}]}
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def replica_set(name: str) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": name},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": "nginx"}]},
            },
        },
    }


@pytest.fixture
def populated(api: APIServer) -> tuple[Lister, CachedLister, ClusterDriver]:
    api.create("namespaces", None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    rs = api.create("replicasets", "default", replica_set("web"))
    api.create("pods", "default", pod("web-a", {"app": "web"}, "worker-1", owner=rs))
    api.create("pods", "default", pod("web-b", {"app": "web", "tier": "front"}, "worker-2", owner=rs))
    api.create("pods", "default", pod("stray", {"app": "web"}))
    api.create("pods", "shop", pod("cart", {"app": "cart"}, "worker-1", namespace="shop"))
    driver = ClusterDriver(api.cluster)
    driver.poll()
    lister = driver.loops[0].component.lister
    assert isinstance(lister, CachedLister)
    return Lister(api), lister, driver


@pytest.mark.parametrize(
    "args",
    [
        ("pods", None, None, None),
        ("pods", "default", None, None),
        ("pods", "shop", None, None),
        ("pods", None, "app=web,tier", None),
        ("pods", "default", "app in (web,cart)", None),
        ("pods", None, None, "spec.nodeName=worker-1"),
        ("nodes", None, None, None),
        ("replicasets", "default", None, None),
    ],
)
def test_cached_lists_equal_the_api_servers(populated, args) -> None:
    direct, cached, _driver = populated
    resource, namespace, labels, fields = args
    assert cached.list(resource, namespace, labels, fields) == direct.list(resource, namespace, labels, fields)


@pytest.mark.parametrize(
    "index, value, expected",
    [
        (NODE_NAME_INDEX, "worker-1", ["cart", "web-a"]),
        (NODE_NAME_INDEX, "", ["stray"]),
        (CONTROLLER_UID_INDEX, "_ORPHAN_POD", ["cart", "stray"]),
    ],
)
def test_indexes_answer_like_a_filtered_list(populated, index: str, value: str, expected: list[str]) -> None:
    direct, cached, _driver = populated
    for lister in (direct, cached):
        assert sorted(p["metadata"]["name"] for p in lister.by_index("pods", index, value)) == expected


def test_owned_or_orphans_are_a_replica_sets_candidates(populated, api: APIServer) -> None:
    direct, cached, _driver = populated
    uid = api.get("replicasets", "default", "web")["metadata"]["uid"]
    for lister in (direct, cached):
        assert sorted(p["metadata"]["name"] for p in lister.owned_or_orphans("pods", "default", uid)) == [
            "stray",
            "web-a",
            "web-b",
        ]


def test_a_cached_get_is_a_private_copy_and_a_missing_object_is_404(populated) -> None:
    _direct, cached, _driver = populated
    mine = cached.get("pods", "default", "web-a")
    mine["metadata"]["labels"]["app"] = "changed"
    assert cached.get("pods", "default", "web-a")["metadata"]["labels"]["app"] == "web"
    with pytest.raises(StatusError) as err:
        cached.get("pods", "default", "gone")
    assert err.value.code == 404


def test_a_resource_no_informer_holds_is_read_from_the_api_server(populated, api: APIServer) -> None:
    _direct, cached, driver = populated
    held = dict(driver.informers.informers)
    driver.informers.informers.pop("namespaces", None)  # as for a component whose resource nobody else watches
    try:
        assert cached.find("namespaces", None, "shop")["metadata"]["name"] == "shop"
        assert cached.peek("namespaces", None, "shop")["metadata"]["name"] == "shop"
        assert cached.get("namespaces", None, "shop")["metadata"]["name"] == "shop"
        assert cached.find("namespaces", None, "nowhere") is None
    finally:
        driver.informers.informers.clear()
        driver.informers.informers.update(held)


def test_the_cache_follows_writes_after_the_next_poll(populated, api: APIServer) -> None:
    _direct, cached, driver = populated
    api.delete("pods", "default", "stray", grace_period_seconds=0)
    api.create("pods", "default", pod("late", {"app": "web"}, "worker-3"))
    driver.poll()
    assert [p["metadata"]["name"] for p in cached.list("pods", "default")] == ["late", "web-a", "web-b"]
    assert [p["metadata"]["name"] for p in cached.by_index("pods", NODE_NAME_INDEX, "worker-3")] == ["late"]
    assert cached.by_index("pods", NODE_NAME_INDEX, "") == []


def test_a_kubelet_hears_only_the_pods_bound_to_its_node(populated, api: APIServer) -> None:
    _direct, _cached, driver = populated
    for loops in driver.kubelets.values():
        loops[0].queue.ready.clear()
    api.create("pods", "default", pod("placed", {"app": "x"}, "worker-2"))
    driver.poll()
    heard = {node: list(loops[0].queue.ready) for node, loops in driver.kubelets.items()}
    assert heard == {"kind-control-plane": [], "worker-1": [], "worker-2": ["default/placed"], "worker-3": []}


@pytest.mark.parametrize(
    "index, cidr",
    [
        (0, "10.244.0.0/24"),
        (3, "10.244.3.0/24"),
        (255, "10.244.255.0/24"),
        (256, "10.245.0.0/24"),
        (1000, "10.247.232.0/24"),
    ],
)
def test_each_node_gets_its_own_pod_cidr_past_256_nodes(index: int, cidr: str) -> None:
    assert pod_cidr(index) == cidr


def test_an_event_repeated_by_a_restarted_recorder_starts_a_new_event_as_upstream(api: APIServer) -> None:
    """client-go's correlator cache lives in the recording process: a restarted kubelet writes a new Event."""
    target = api.create("pods", "default", pod("p", {"app": "p"}))
    record(api, target, NORMAL, "Pulled", "done", "kubelet")
    record(api, target, NORMAL, "Pulled", "done", "kubelet")
    fresh = APIServer(api.cluster, client="kubelet")  # a restarted component: its correlator cache is empty
    record(fresh, target, NORMAL, "Pulled", "done", "kubelet")
    events = [e for e in api.list("events", "default")["items"] if e["reason"] == "Pulled"]
    assert [e["count"] for e in events] == [2, 1]  # listed by name, which is the first occurrence's time


def test_nodes_past_the_256th_still_get_distinct_addresses(db) -> None:
    cluster = create_cluster("big", nodes=300, seed=1, addons=False)  # workers only: 300 of them
    nodes = APIServer(cluster).list("nodes")["items"]
    assert (
        len({n["spec"]["podCIDR"] for n in nodes})
        == len({n["status"]["addresses"][0]["address"] for n in nodes})
        == 300
    )


def test_a_replica_sets_followed_view_equals_a_fresh_listing(populated, api: APIServer) -> None:
    """replicaset_pods: the view kept from the journal counts what a listing counts, change after change."""
    _direct, cached, driver = populated
    rs = api.get("replicasets", "default", "web")
    view = current_pods(rs, cached, None)

    def ready(pod: dict) -> dict:
        pod.setdefault("status", {})["conditions"] = [{"type": "Ready", "status": "True"}]
        return pod

    changes = [
        lambda: api.update_with("pods", "default", "web-a", ready, subresource="status"),
        lambda: api.create("pods", "default", pod("stray-2", {"app": "web"})),
        lambda: api.update_with(
            "pods", "default", "web-b", lambda p: {**p, "metadata": {**p["metadata"], "labels": {"app": "other"}}}
        ),
        lambda: api.delete("pods", "default", "web-a", grace_period_seconds=0),
        lambda: api.create("pods", "shop", pod("elsewhere", {"app": "web"}, namespace="shop")),
    ]
    for change in changes:
        change()
        driver.poll()
        view = current_pods(rs, cached, view)
        fresh = current_pods(rs, Lister(api), None)
        assert (view.claimed, view.labeled, view.ready, sorted(view.others), sorted(view.entries)) == (
            fresh.claimed,
            fresh.labeled,
            fresh.ready,
            sorted(fresh.others),
            sorted(fresh.entries),
        )
    assert sorted(view.entries) == ["stray", "stray-2", "web-b"] and view.claimed == 0


def test_the_scheduler_cache_followed_from_the_journal_equals_a_fresh_snapshot(api: APIServer) -> None:
    from cluster.scheduler.framework import snapshot
    from cluster.scheduler.scheduler import Scheduler

    driver = ClusterDriver(api.cluster)
    driver.poll()
    scheduler = next(loop.component for loop in driver.loops if isinstance(loop.component, Scheduler))

    def requested() -> list[tuple[str, dict, int]]:
        return [(i.name, i.requested, len(i.pods)) for i in scheduler.cache.snapshot()]

    requested()  # the first call lists; the rest follow the journal
    for index, node in enumerate(["worker-1", "worker-2", "worker-2", "worker-3"]):
        body = pod(f"p{index}", {"app": "p"}, node)
        body["spec"]["containers"][0]["resources"] = {"requests": {"cpu": f"{100 * (index + 1)}m"}}
        api.create("pods", "default", body)
    api.delete("pods", "default", "p0", grace_period_seconds=0)
    driver.poll()
    fresh = [
        (i.name, i.requested, len(i.pods)) for i in snapshot(api.list("nodes")["items"], api.list("pods")["items"])
    ]
    assert requested() == fresh
    assert [n for n, _r, count in fresh if count] == ["kind-control-plane", "worker-2", "worker-3"]


def test_a_running_pods_status_update_leaves_its_nodes_scheduler_info_alone_until_it_finishes(api: APIServer) -> None:
    from cluster.scheduler.framework import snapshot
    from cluster.scheduler.scheduler import Scheduler

    driver = ClusterDriver(api.cluster)
    driver.poll()
    scheduler = next(loop.component for loop in driver.loops if isinstance(loop.component, Scheduler))
    body = pod("p", {"app": "p"}, "worker-1")
    body["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "250m"}}
    api.create("pods", "default", body)
    driver.poll()
    before = {i.name: i for i in scheduler.cache.snapshot()}

    def set_phase(phase: str) -> None:
        api.update_with("pods", "default", "p", lambda p: {**p, "status": {"phase": phase}}, subresource="status")
        driver.poll()

    def worker_1() -> object:
        return next(i for i in scheduler.cache.snapshot() if i.name == "worker-1")

    set_phase("Running")
    assert worker_1() is before["worker-1"]  # nothing a plugin reads has changed
    set_phase("Succeeded")  # a finished pod no longer holds its requests
    after = scheduler.cache.snapshot()
    fresh = snapshot(api.list("nodes")["items"], api.list("pods")["items"])
    assert [(i.name, i.requested, len(i.pods)) for i in after] == [(i.name, i.requested, len(i.pods)) for i in fresh]
    assert worker_1().generation != before["worker-1"].generation and worker_1().pods == []
