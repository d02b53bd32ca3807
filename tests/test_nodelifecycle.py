"""The node lifecycle controller: heartbeats, Unknown after 50 s, taints, eviction after 300 s."""

from __future__ import annotations

import datetime as dt

import pytest

from cluster import clock, faults
from cluster.apiserver.server import APIServer
from cluster.controllers.nodelifecycle import UNREACHABLE, eviction_time
from cluster.reconciler.driver import ClusterDriver

NODE = "worker-2"


@pytest.fixture
def driver(cluster) -> ClusterDriver:
    clock.set_speed(cluster, 0.0)
    return ClusterDriver(cluster)


@pytest.fixture
def api(driver: ClusterDriver) -> APIServer:
    """A client on the driver's clock (the driver moves it forward)."""
    return APIServer(driver.cluster, client="kubectl")


def ready_condition(api: APIServer, node: str = NODE) -> dict:
    return next(c for c in api.get("nodes", None, node)["status"]["conditions"] if c["type"] == "Ready")


def taints(api: APIServer, node: str = NODE) -> set[tuple[str, str]]:
    return {(t["key"], t["effect"]) for t in api.get("nodes", None, node)["spec"].get("taints") or []}


def pod_on(api: APIServer, name: str, node: str = NODE, **spec: object) -> None:
    api.create(
        "pods",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec},
        },
    )
    api.bind("default", name, {"target": {"name": node}})


def test_node_turns_unknown_fifty_seconds_after_its_last_heartbeat(api, driver):
    driver.fast_forward(seconds=15)
    assert ready_condition(api)["status"] == "True"
    faults.set_node_fault(api, NODE, "down")
    last_renew = clock.parse_rfc3339(api.get("leases", "kube-node-lease", NODE)["spec"]["renewTime"])
    seconds_to_40 = 40 - (clock.now(api.cluster) - last_renew).total_seconds()
    driver.fast_forward(seconds=seconds_to_40)
    assert ready_condition(api)["status"] == "True"
    assert taints(api) == set()
    driver.fast_forward(seconds=12)
    ready = ready_condition(api)
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "Unknown",
        "NodeStatusUnknown",
        "Kubelet stopped posting node status.",
    )
    assert taints(api) == {(UNREACHABLE, "NoSchedule"), (UNREACHABLE, "NoExecute")}
    assert ready_condition(api, "worker-1")["status"] == "True"
    reasons = {(e["reason"], e["involvedObject"]["name"]) for e in api.list("events", "default")["items"]}
    assert ("NodeNotReady", NODE) in reasons


def test_pods_on_an_unreachable_node_are_evicted_after_their_300_second_toleration(api, driver):
    pod_on(api, "stranded")
    driver.fast_forward(seconds=20)
    assert api.get("pods", "default", "stranded")["status"]["phase"] == "Running"
    faults.set_node_fault(api, NODE, "down")
    driver.fast_forward(seconds=60)
    pod = api.get("pods", "default", "stranded")
    assert not pod["metadata"].get("deletionTimestamp")
    assert next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")["status"] == "False"
    added = next(t for t in api.get("nodes", None, NODE)["spec"]["taints"] if t["effect"] == "NoExecute")["timeAdded"]
    driver.fast_forward(seconds=(clock.parse_rfc3339(added) - driver.now()).total_seconds() + 299)
    assert not api.get("pods", "default", "stranded")["metadata"].get("deletionTimestamp")
    driver.fast_forward(seconds=2)
    pod = api.get("pods", "default", "stranded")
    assert pod["metadata"]["deletionTimestamp"]  # Terminating: its kubelet is not there to finish
    assert any(c["type"] == "DisruptionTarget" for c in pod["status"]["conditions"])
    messages = {(e["reason"], e["message"]) for e in api.list("events", "default")["items"]}
    assert ("TaintManagerEviction", "Marking for deletion Pod default/stranded") in messages


def test_a_node_that_comes_back_loses_its_taints_and_finishes_the_deletion(api, driver):
    pod_on(api, "stranded")
    driver.fast_forward(seconds=20)
    faults.set_node_fault(api, NODE, "down")
    driver.fast_forward(seconds=400)
    faults.set_node_fault(api, NODE, "up")
    driver.fast_forward(seconds=40)
    assert ready_condition(api)["status"] == "True"
    assert taints(api) == set()
    assert [p["metadata"]["name"] for p in api.list("pods", "default")["items"]] == []


def test_a_partitioned_node_keeps_its_containers_running(api, driver):
    pod_on(api, "web")
    driver.fast_forward(seconds=20)
    uid = api.get("pods", "default", "web")["metadata"]["uid"]
    faults.set_node_fault(api, NODE, "partition")
    driver.fast_forward(seconds=70)
    assert ready_condition(api)["status"] == "Unknown"
    kubelet = driver.kubelets[NODE][0].component
    assert kubelet.runtime.container(uid, "c")["state"] == "running"
    faults.set_node_fault(api, NODE, "heal")
    driver.fast_forward(seconds=20)
    assert ready_condition(api)["status"] == "True"
    assert api.get("pods", "default", "web")["status"]["containerStatuses"][0]["restartCount"] == 0


NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
STAMP = clock.rfc3339(NOW)
UNREACHABLE_NO_EXECUTE = [{"key": UNREACHABLE, "effect": "NoExecute", "timeAdded": STAMP}]


@pytest.mark.parametrize(
    "tolerations, evict_after",
    [
        ([{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}], 300),
        ([{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}], 30),
        ([{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute"}], None),  # tolerates forever
        ([{"operator": "Exists"}], None),  # tolerates every taint
        ([{"key": "other", "operator": "Exists", "effect": "NoExecute"}], 0),  # does not tolerate: at once
        ([], 0),
    ],
)
def test_eviction_time_follows_the_pod_tolerations(tolerations, evict_after):
    pod = {"spec": {"tolerations": tolerations}}
    when = eviction_time(pod, UNREACHABLE_NO_EXECUTE)
    if evict_after is None:
        assert when is None
    elif evict_after == 0:
        assert when <= NOW
    else:
        assert when == NOW + dt.timedelta(seconds=evict_after)


def test_memory_pressure_taints_the_node_no_schedule_until_it_clears(api, driver):
    driver.fast_forward(seconds=15)
    faults.set_node_fault(api, NODE, "fill-memory")
    driver.fast_forward(seconds=15)
    assert taints(api) == {("node.kubernetes.io/memory-pressure", "NoSchedule")}
    assert ready_condition(api)["status"] == "True"
    faults.set_node_fault(api, NODE, "heal")
    driver.fast_forward(seconds=15)  # the kubelet keeps reporting pressure for its transition period (5 min)
    assert taints(api) == {("node.kubernetes.io/memory-pressure", "NoSchedule")}
    driver.fast_forward(seconds=300)
    assert taints(api) == set()


def test_a_cordoned_node_is_tainted_unschedulable_and_its_kubelet_says_so(api, driver):
    driver.fast_forward(seconds=15)
    api.patch("nodes", None, NODE, {"spec": {"unschedulable": True}}, "application/strategic-merge-patch+json")
    driver.fast_forward(seconds=5)
    assert taints(api) == {("node.kubernetes.io/unschedulable", "NoSchedule")}
    api.patch("nodes", None, NODE, {"spec": {"unschedulable": None}}, "application/strategic-merge-patch+json")
    driver.fast_forward(seconds=5)
    assert taints(api) == set()
    events = [
        (e["reason"], e["message"], e["source"]["component"])
        for e in api.list("events", "default")["items"]
        if e["involvedObject"]["name"] == NODE and "Schedulable" in e["reason"]
    ]
    assert events == [
        ("NodeNotSchedulable", f"Node {NODE} status is now: NodeNotSchedulable", "kubelet"),
        ("NodeSchedulable", f"Node {NODE} status is now: NodeSchedulable", "kubelet"),
    ]
