"""Preemption (DefaultPreemption): a pod that fits nowhere evicts pods of lower priority, as kube-scheduler does.

Three workers of 2 CPUs each. One scheduling cycle of the pod under test (Scheduler.reconcile), then what a
learner would look at: which pods were evicted and told why, the node the pod is nominated to, and the
FailedScheduling message; the last test runs every component, from the preemption to the pod running.
"""

from __future__ import annotations

import pytest

from cluster.apiserver.server import APIServer
from cluster.scheduler.scheduler import Scheduler
from tests import scheduler_common
from tests.container_sim import Sim, frozen
from tests.scheduler_common import decision_about, failed_scheduling, make_pod

cluster = scheduler_common.cluster  # the fixture

FULL = "0/3 nodes are available: 3 Insufficient cpu."


def priority_class(api: APIServer, name: str, value: int, **extra: object) -> None:
    body = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name}, "value": value}
    api.create("priorityclasses", None, {**body, **extra})


def evicted(api: APIServer) -> list[str]:
    """The pods a preemption deleted (terminating, with the scheduler's DisruptionTarget condition)."""
    found = []
    for pod in api.list("pods", "default")["items"]:
        conditions = {c["type"]: c for c in (pod.get("status") or {}).get("conditions") or []}
        target = conditions.get("DisruptionTarget")
        if pod["metadata"].get("deletionTimestamp") and target:
            assert (target["reason"], target["message"]) == (
                "PreemptionByScheduler",
                "default-scheduler: preempting to accommodate a higher priority pod",
            )
            found.append(pod["metadata"]["name"])
    return sorted(found)


def preempted_events(api: APIServer) -> list[tuple[str, str]]:
    return sorted(
        (e["involvedObject"]["name"], e["message"])
        for e in api.list("events", "default")["items"]
        if e["reason"] == "Preempted"
    )


@pytest.fixture
def api(cluster) -> APIServer:
    api = APIServer(cluster, client="test")
    priority_class(api, "low", 10)
    priority_class(api, "lower", 5)
    priority_class(api, "high", 1000)
    return api


def schedule(api: APIServer, name: str) -> dict:
    Scheduler(api).reconcile(f"default/{name}")
    return api.get("pods", "default", name)


def test_the_pod_evicts_the_fewest_lowest_priority_pods_and_is_nominated(api: APIServer) -> None:
    make_pod(api, "a1", cpu="1", node="worker-1", priorityClassName="low")
    make_pod(api, "a2", cpu="1", node="worker-1", priorityClassName="lower")
    make_pod(api, "b", cpu="2", node="worker-2", priorityClassName="low")
    make_pod(api, "c", cpu="2", node="worker-3", priorityClassName="high")  # not lower: never a victim
    vip = make_pod(api, "vip", cpu="1", priorityClassName="high")
    pod = schedule(api, "vip")
    # worker-1: a1 (10) is given back, a2 (5) alone makes room; worker-2's victim would be b (10): a2 is lower
    assert evicted(api) == ["a2"]
    assert preempted_events(api) == [("a2", f"Preempted by pod {vip['metadata']['uid']} on node worker-1")]
    assert pod["status"]["nominatedNodeName"] == "worker-1" and not pod["spec"].get("nodeName")
    assert failed_scheduling(api, "vip") == [FULL]  # preemption found room: no "preemption:" part


@pytest.mark.parametrize(
    ("setup", "chosen", "why"),
    [
        ({"worker-1": ["low"], "worker-2": ["low", "low"]}, "worker-1", "fewer victims"),
        ({"worker-1": ["low"], "worker-2": ["lower"]}, "worker-2", "a lower highest victim"),
        ({"worker-1": ["lower", "lower"], "worker-2": ["low"]}, "worker-1", "a lower highest victim, more of them"),
    ],
)
def test_the_node_is_picked_by_upstreams_criteria(api: APIServer, setup: dict, chosen: str, why: str) -> None:
    make_pod(api, "full", cpu="2", node="worker-3", priorityClassName="high")
    for node, classes in setup.items():
        for index, name in enumerate(classes):
            make_pod(api, f"{node}-{index}", cpu=f"{2000 // len(classes)}m", node=node, priorityClassName=name)
    make_pod(api, "vip", cpu="2", priorityClassName="high")
    assert schedule(api, "vip")["status"]["nominatedNodeName"] == chosen, why


def test_a_pod_disruption_budget_steers_the_choice(api: APIServer) -> None:
    make_pod(api, "full", cpu="2", node="worker-3", priorityClassName="high")
    make_pod(api, "guarded", cpu="2", node="worker-1", priorityClassName="lower")
    make_pod(api, "free", cpu="2", node="worker-2", priorityClassName="low")
    api.create(
        "poddisruptionbudgets",
        "default",
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "keep"},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "guarded"}}},
        },
    )
    make_pod(api, "vip", cpu="2", priorityClassName="high")
    # the lower victim would break the budget (0 disruptions allowed): the other node is chosen
    assert schedule(api, "vip")["status"]["nominatedNodeName"] == "worker-2"
    assert evicted(api) == ["free"]


@pytest.mark.parametrize(
    ("klass", "message"),
    [
        ("low", FULL + " preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."),
        ("never", FULL + " preemption: not eligible due to preemptionPolicy=Never."),
    ],
)
def test_no_eviction_without_a_lower_priority_pod_or_with_policy_never(api: APIServer, klass: str, message: str):
    priority_class(api, "never", 1000, preemptionPolicy="Never")
    for node in ("worker-1", "worker-2", "worker-3"):
        make_pod(api, f"on-{node}", cpu="2", node=node, priorityClassName="low")
    make_pod(api, "vip", cpu="1", priorityClassName=klass)
    pod = schedule(api, "vip")
    assert evicted(api) == [] and "nominatedNodeName" not in pod["status"]
    assert failed_scheduling(api, "vip") == [message]


def test_the_preempting_pod_runs_where_it_made_room_and_the_replacement_waits(cluster) -> None:
    sim: Sim = frozen(cluster)
    sim.ok("create", "priorityclass", "high-priority", "--value=1000000")
    # sleep as PID 1 ignores SIGTERM: an evicted pod takes its whole 30 s grace period to go
    sim.ok("create", "deployment", "low", "--image=busybox:1.36", "--replicas=3", "--", "sleep", "3600")
    sim.ok("set", "resources", "deployment", "low", "--requests=cpu=1500m")
    sim.wait(30)
    sim.apply(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: vip}\nspec:\n  priorityClassName: high-priority\n"
        '  containers: [{name: nginx, image: nginx, resources: {requests: {cpu: "1"}}}]\n'
    )
    sim.wait(1)
    rows = {line.split()[0]: line.split() for line in sim.ok("get", "pods", "-o", "wide").splitlines()[1:]}
    nominated = rows["vip"][7]
    assert rows["vip"][2] == "Pending" and nominated.startswith("worker-")  # NOMINATED NODE
    assert [row[2] for row in rows.values() if row[6] == nominated] == ["Terminating"]
    sim.wait(5)  # tried again meanwhile: it waits for its victim instead of evicting more
    assert sim.events("vip")[-1][1] == FULL + (
        " preemption: not eligible due to a terminating pod on the nominated node."
    )
    sim.wait(30)
    rows = {line.split()[0]: line.split() for line in sim.ok("get", "pods", "-o", "wide").splitlines()[1:]}
    assert (rows["vip"][2], rows["vip"][6]) == ("Running", nominated)
    decision = decision_about(sim.api, "vip")  # the scheduler tab: tried on its nominated node alone
    assert decision["chosen"] == nominated and set(decision["nodes"]) == {nominated}
    assert set(decision["nodes"][nominated]["filter"].values()) == {"ok"}
    waiting = [name for name, row in rows.items() if row[2] == "Pending"]
    assert len(waiting) == 1  # the ReplicaSet's replacement: lower priority, no room, no one to preempt
    assert sim.events(waiting[0])[-1][1] == (
        "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
        "3 No preemption victims found for incoming pod."
    )


def test_the_queue_takes_the_higher_priority_pod_first_so_no_one_is_preempted(cluster) -> None:
    # kube-scheduler's activeQ is sorted by priority (PrioritySort): when room appears, the urgent pod
    # queued last gets it, rather than a batch pod that it would then have to evict.
    sim: Sim = frozen(cluster)
    sim.ok("create", "priorityclass", "urgent", "--value=1000")
    for node in ("worker-1", "worker-2", "worker-3"):
        sim.ok("cordon", node)
    for name, klass in (("a-batch", ""), ("b-batch", ""), ("z-urgent", "priorityClassName: urgent\n  ")):
        sim.apply(
            f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  {klass}"
            'containers: [{name: app, image: busybox:1.36, command: [sleep, "3600"], '
            'resources: {requests: {cpu: "1500m"}}}]\n'
        )
    sim.wait(2)
    assert {sim.status_column(name) for name in ("a-batch", "b-batch", "z-urgent")} == {"Pending"}
    sim.ok("uncordon", "worker-1")  # room for one of the three, and every pending pod queued again
    sim.wait(1)
    assert sim.pod("z-urgent")["spec"].get("nodeName") == "worker-1"
    assert [sim.pod(name)["spec"].get("nodeName") for name in ("a-batch", "b-batch")] == [None, None]
    assert preempted_events(sim.api) == []
