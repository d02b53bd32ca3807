"""kube-scheduler: upstream's score formulas, FailedScheduling messages, and binding through the API server."""

from __future__ import annotations

import io
import json
import random

import pytest

from cluster.apiserver.server import APIServer, WatchEvent
from cluster.bootstrap import create_cluster
from cluster.kubectl import cli
from cluster.scheduler.diagnosis import fit_error
from cluster.scheduler.framework import Status, default_normalize_score, pod_requests
from cluster.scheduler.plugins.balanced_allocation import balanced_resource_score
from cluster.scheduler.plugins.node_resources_fit import least_allocated_score
from cluster.scheduler import records
from cluster.scheduler.plugins.volume_binding import ANN_SELECTED_NODE
from cluster.scheduler.scheduler import RECORDED_NODES, Scheduler, num_feasible_nodes_to_find, select_host

NODE_CPU, NODE_MEMORY = 2000, 8010948 * 1024  # bootstrap's worker allocatable


@pytest.fixture
def cluster(db):
    """Three workers and nothing else (no control-plane node, no kube-system pods): the scores and the
    FailedScheduling counts below are about them. tests/test_kind_cluster.py has the kind layout's."""
    return create_cluster("workers", nodes=3, seed=1, addons=False)


GI, MI = 1024**3, 1024**2


def decision_about(api: APIServer, name: str) -> dict:
    """The scheduler's last record about the pod `name` (the dashboard's scheduler tab reads the same)."""
    pod = api.get("pods", "default", name)
    entry = records.latest(api.cluster, {("default", name): pod["metadata"]["uid"]}, name)
    assert entry is not None, name
    return entry["decision"]


# -- formulas -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "requested, allocatable, expected",
    [
        # (2000-100)*100//2000 = 95; (8203210752-209715200)*100//8203210752 = 97; (95+97)//2
        ({"cpu": 100, "memory": 200 * MI}, {"cpu": NODE_CPU, "memory": NODE_MEMORY}, 96),
        # 50 and 3908243456*100//8203210752 = 47 -> 97//2
        ({"cpu": 1000, "memory": 4 * GI}, {"cpu": NODE_CPU, "memory": NODE_MEMORY}, 48),
        # more cpu requested than the node has scores 0 for cpu; memory untouched scores 100
        ({"cpu": 2500, "memory": 0}, {"cpu": NODE_CPU, "memory": NODE_MEMORY}, 50),
        ({"cpu": 3000, "memory": 5000}, {"cpu": 4000, "memory": 10000}, 37),
        ({"cpu": 0, "memory": 0}, {"cpu": 4000, "memory": 10000}, 100),
    ],
)
def test_least_allocated_scores_free_capacity_as_upstream(requested: dict, allocatable: dict, expected: int) -> None:
    assert least_allocated_score(requested, allocatable) == expected


@pytest.mark.parametrize(
    "requested, allocatable, expected",
    [
        ({"cpu": 0, "memory": 0}, {"cpu": NODE_CPU, "memory": NODE_MEMORY}, 100),
        # fractions 0.5 and 0.52357: std 0.01178 -> 98.82 truncated
        ({"cpu": 1000, "memory": 4 * GI}, {"cpu": NODE_CPU, "memory": NODE_MEMORY}, 98),
        # fractions 1 and 0: std 0.5
        ({"cpu": 2000, "memory": 0}, {"cpu": NODE_CPU, "memory": NODE_MEMORY}, 50),
        # fraction capped at 1: 1 and 0.5 -> std 0.25
        ({"cpu": 9000, "memory": 5000}, {"cpu": 4000, "memory": 10000}, 75),
        ({"cpu": 3000, "memory": 5000}, {"cpu": 4000, "memory": 10000}, 87),
    ],
)
def test_balanced_allocation_scores_one_minus_std_dev(requested: dict, allocatable: dict, expected: int) -> None:
    assert balanced_resource_score(requested, allocatable) == expected


@pytest.mark.parametrize(
    "raw, reverse, expected",
    [
        ([0, 1, 2], True, [100, 50, 0]),  # TaintToleration: fewest taints wins
        ([1, 3, 2], True, [67, 0, 34]),
        ([0, 0], True, [100, 100]),
        ([0, 5, 10], False, [0, 50, 100]),  # NodeAffinity preferred weights
        ([0, 0], False, [0, 0]),
        ([], True, []),
    ],
)
def test_default_normalize_score_scales_to_the_highest(raw: list, reverse: bool, expected: list) -> None:
    default_normalize_score(raw, reverse)
    assert raw == expected


@pytest.mark.parametrize(
    "spec, non_zero, expected",
    [
        ({"containers": [{"name": "a"}]}, False, {}),
        ({"containers": [{"name": "a"}]}, True, {"cpu": 100, "memory": 200 * MI}),
        (
            {"containers": [{"name": "a", "resources": {"requests": {"cpu": "250m"}}}]},
            True,
            {"cpu": 250, "memory": 200 * MI},
        ),
        # a regular init container needs max(sum of containers, itself)
        (
            {
                "containers": [
                    {"name": "a", "resources": {"requests": {"cpu": "200m"}}},
                    {"name": "b", "resources": {"requests": {"cpu": "300m"}}},
                ],
                "initContainers": [{"name": "i", "resources": {"requests": {"cpu": "800m"}}}],
            },
            False,
            {"cpu": 800},
        ),
        # a sidecar (restartPolicy Always) adds to the containers and to later init containers
        (
            {
                "containers": [{"name": "a", "resources": {"requests": {"cpu": "200m"}}}],
                "initContainers": [
                    {"name": "s", "restartPolicy": "Always", "resources": {"requests": {"cpu": "100m"}}},
                    {"name": "i", "resources": {"requests": {"cpu": "500m"}}},
                ],
            },
            False,
            {"cpu": 600},
        ),
    ],
)
def test_pod_requests_follow_the_init_container_rules(spec: dict, non_zero: bool, expected: dict) -> None:
    assert pod_requests({"spec": spec}, non_zero) == expected


def test_fit_error_sorts_reason_counts_as_strings() -> None:
    statuses = {f"n{i}": Status("Unschedulable", ["Insufficient cpu"]) for i in range(10)}
    statuses.update(
        {"m1": Status("Unschedulable", ["Too many pods"]), "m2": Status("Unschedulable", ["Too many pods"])}
    )
    assert fit_error(12, statuses) == "0/12 nodes are available: 10 Insufficient cpu, 2 Too many pods."


def test_tied_nodes_are_chosen_uniformly_and_reproducibly() -> None:
    places, totals = [2, 3, 0, 1], [300, 10, 300, 300]  # as a cycle that began at place 2 scored them
    rng = random.Random("seed")
    picks = [select_host(places, totals, rng) for _ in range(3000)]
    counts = {place: picks.count(place) for place in range(4)}
    assert counts[3] == 0
    assert all(900 <= counts[p] <= 1100 for p in (0, 1, 2)), counts
    again = random.Random("seed")
    assert picks[:50] == [select_host(places, totals, again) for _ in range(50)]
    # the tied nodes are sampled in the order of their places (their names), not in the order found
    in_place_order = random.Random("seed")
    assert picks[:50] == [select_host([0, 1, 2, 3], [300, 300, 300, 10], in_place_order) for _ in range(50)]


# -- against the API server ---------------------------------------------------------------
def make_pod(
    api: APIServer,
    name: str,
    cpu: str | None = None,
    memory: str | None = None,
    node: str | None = None,
    **spec: object,
) -> dict:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    container = {"name": "app", "image": "nginx"}
    if requests:
        container["resources"] = {"requests": requests}
    body_spec = {"containers": [container], **spec}
    if node:
        body_spec["nodeName"] = node
    return api.create(
        "pods",
        "default",
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}}, "spec": body_spec},
    )


def set_node(api: APIServer, name: str, **spec: object) -> dict:
    def change(node: dict) -> dict:
        node["spec"].update(spec)
        return node

    return api.update_with("nodes", None, name, change)


def failed_scheduling(api: APIServer, pod: str) -> list[str]:
    return [
        e["message"]
        for e in api.list("events", "default")["items"]
        if e["reason"] == "FailedScheduling" and e["involvedObject"]["name"] == pod
    ]


def pod_scheduled(api: APIServer, name: str) -> dict:
    pod = api.get("pods", "default", name)
    return next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")


CONTROL_PLANE = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}


def _taint_and_fill(api: APIServer) -> None:
    set_node(api, "worker-1", taints=[CONTROL_PLANE])
    make_pod(api, "busy-2", cpu="1500m", node="worker-2")
    make_pod(api, "busy-3", cpu="1500m", node="worker-3")


def _cordon_and_fill_memory(api: APIServer) -> None:
    set_node(api, "worker-1", unschedulable=True)
    make_pod(api, "busy-2", memory="4Gi", node="worker-2")
    make_pod(api, "busy-3", cpu="1800m", memory="4Gi", node="worker-3")


def _label_nowhere(api: APIServer) -> None:
    pass


def _immediate_claim(api: APIServer) -> None:
    api.create(
        "persistentvolumeclaims",
        "default",
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "",
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
    )


PREEMPT_3_NOT_HELPFUL = "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."


@pytest.mark.parametrize(
    "setup, pod_args, expected",
    [
        (
            _taint_and_fill,
            {"cpu": "1"},
            "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
            "2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
            "2 No preemption victims found for incoming pod.",
        ),
        (
            _cordon_and_fill_memory,
            {"cpu": "500m", "memory": "5Gi"},
            "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) were unschedulable, 2 Insufficient memory. "
            "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
            "2 No preemption victims found for incoming pod.",
        ),
        (
            _label_nowhere,
            {"nodeSelector": {"disktype": "ssd"}},
            "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. " + PREEMPT_3_NOT_HELPFUL,
        ),
        (
            _immediate_claim,
            {"volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]},
            "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. " + PREEMPT_3_NOT_HELPFUL,
        ),
        (
            _taint_and_fill,
            {"cpu": "1", "preemptionPolicy": "Never"},
            "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
            "2 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.",
        ),
    ],
)
def test_unschedulable_pod_gets_upstreams_failed_scheduling_message(
    api: APIServer, setup, pod_args: dict, expected: str
) -> None:
    setup(api)
    make_pod(api, "web", **pod_args)
    Scheduler(api).reconcile("default/web")
    assert failed_scheduling(api, "web") == [expected]
    condition = pod_scheduled(api, "web")
    assert (condition["status"], condition["reason"], condition["message"]) == ("False", "Unschedulable", expected)
    assert not api.get("pods", "default", "web")["spec"].get("nodeName")


def test_pod_is_bound_to_the_least_allocated_node_with_a_scheduled_event(api: APIServer) -> None:
    make_pod(api, "big", cpu="1", memory="1Gi", node="worker-1")
    make_pod(api, "small", cpu="500m", memory="1Gi", node="worker-2")
    make_pod(api, "web", cpu="100m", memory="128Mi")
    result = Scheduler(api).reconcile("default/web")
    assert result.requeue_after is None
    pod = api.get("pods", "default", "web")
    assert pod["spec"]["nodeName"] == "worker-3"
    assert pod_scheduled(api, "web")["status"] == "True" and "reason" not in pod_scheduled(api, "web")
    events = [(e["reason"], e["message"], e["source"]["component"]) for e in api.list("events", "default")["items"]]
    assert ("Scheduled", "Successfully assigned default/web to worker-3", "default-scheduler") in events
    decision = decision_about(api, "web")
    assert decision["chosen"] == "worker-3"
    worker3 = decision["nodes"]["worker-3"]
    assert set(worker3["filter"].values()) == {"ok"}
    # empty node: LeastAllocated (95+98)//2 = 96 for 100m/128Mi, Balanced 98, TaintToleration 100 (x3)
    assert worker3["score"] == {"TaintToleration": 100, "NodeResourcesFit": 96, "NodeResourcesBalancedAllocation": 98}
    assert worker3["total"] == 300 + 96 + 98
    assert all(decision["nodes"][n]["total"] < worker3["total"] for n in ("worker-1", "worker-2"))


def test_a_scheduled_pod_carries_no_trace_of_the_schedulers_reasoning(api: APIServer) -> None:
    """As on a real cluster, `kubectl describe pod` shows `Annotations: <none>`; the reasoning lives in the
    scheduler's own records (and the dashboard's tab), not in the Kubernetes API."""
    make_pod(api, "web", cpu="100m", memory="128Mi")
    Scheduler(api).reconcile("default/web")
    pod = api.get("pods", "default", "web")
    assert pod["spec"]["nodeName"] and not pod["metadata"].get("annotations")
    out, err = io.StringIO(), io.StringIO()
    assert cli.run(api, ["describe", "pod", "web"], stdout=out, stderr=err) == 0, err.getvalue()
    assert "\nAnnotations:      <none>\n" in out.getvalue()
    decision = decision_about(api, "web")
    assert decision["chosen"] == pod["spec"]["nodeName"]
    # the Filter plugins that ran; NodeResourcesBalancedAllocation only scores
    assert list(decision["nodes"][decision["chosen"]]["filter"]) == [
        "NodeUnschedulable",
        "NodeName",
        "TaintToleration",
        "NodeAffinity",
        "NodeResourcesFit",
    ]


def test_an_unschedulable_pod_is_not_annotated_and_its_unchanged_retry_is_recorded_once(api: APIServer) -> None:
    scheduler = Scheduler(api)
    make_pod(api, "web", nodeSelector={"disktype": "ssd"})
    scheduler.reconcile("default/web")
    scheduler.reconcile("default/web")
    assert not api.get("pods", "default", "web")["metadata"].get("annotations")
    assert decision_about(api, "web")["chosen"] is None
    assert [e["pod"] for e in records.recent(api.cluster)] == ["web"]


def test_a_best_effort_pod_is_still_scored_by_balanced_allocation_as_in_v1_32(api: APIServer) -> None:
    """v1.32's NodeResourcesBalancedAllocation scores a pod without requests by the node's own balance; the
    PreScore Skip for best-effort pods came in v1.33 (kubernetes#130260)."""
    make_pod(api, "hog", cpu="1", node="worker-1")  # worker-1: cpu 1/2, memory 0 in use -> std 0.25 -> 75
    make_pod(api, "web")
    Scheduler(api).reconcile("default/web")
    nodes = decision_about(api, "web")["nodes"]
    assert {n: r["score"]["NodeResourcesBalancedAllocation"] for n, r in nodes.items()} == {
        "worker-1": 75,
        "worker-2": 100,
        "worker-3": 100,
    }


def test_prefer_no_schedule_taint_steers_pods_away(api: APIServer) -> None:
    for name in ("worker-1", "worker-2"):
        set_node(api, name, taints=[{"key": "dedicated", "value": "gpu", "effect": "PreferNoSchedule"}])
    make_pod(api, "web")
    Scheduler(api).reconcile("default/web")
    assert api.get("pods", "default", "web")["spec"]["nodeName"] == "worker-3"


def test_pod_scheduled_after_a_node_is_uncordoned(api: APIServer) -> None:
    scheduler = Scheduler(api)
    for name in ("worker-1", "worker-2", "worker-3"):
        scheduler.keys_for("nodes", WatchEvent("ADDED", set_node(api, name, unschedulable=True), 0))
    make_pod(api, "web")
    result = scheduler.reconcile("default/web")
    assert result.requeue_after == 300.0
    assert failed_scheduling(api, "web") == [
        "0/3 nodes are available: 3 node(s) were unschedulable. " + PREEMPT_3_NOT_HELPFUL
    ]
    heartbeat = api.get("nodes", None, "worker-1")
    assert scheduler.keys_for("nodes", WatchEvent("MODIFIED", heartbeat, 0)) == []
    uncordoned = set_node(api, "worker-2", unschedulable=False)
    assert scheduler.keys_for("nodes", WatchEvent("MODIFIED", uncordoned, 0)) == ["default/web"]
    scheduler.reconcile("default/web")
    assert api.get("pods", "default", "web")["spec"]["nodeName"] == "worker-2"
    condition = pod_scheduled(api, "web")
    assert condition["status"] == "True" and "message" not in condition


def test_deleting_a_bound_pod_requeues_pending_pods(api: APIServer) -> None:
    scheduler = Scheduler(api)
    make_pod(api, "hog", cpu="1900m", node="worker-1")
    make_pod(api, "web", cpu="1")
    gone = api.delete("pods", "default", "hog", grace_period_seconds=0)
    assert scheduler.keys_for("pods", WatchEvent("DELETED", gone, 0)) == ["default/web"]


def test_unschedulable_retry_does_not_rewrite_an_unchanged_pod(api: APIServer) -> None:
    scheduler = Scheduler(api)
    make_pod(api, "web", nodeSelector={"disktype": "ssd"})
    scheduler.reconcile("default/web")
    first = api.get("pods", "default", "web")["metadata"]["resourceVersion"]
    scheduler.reconcile("default/web")
    assert api.get("pods", "default", "web")["metadata"]["resourceVersion"] == first
    events = [e for e in api.list("events", "default")["items"] if e["reason"] == "FailedScheduling"]
    assert [e["count"] for e in events] == [2]


def test_wait_for_first_consumer_claim_gets_the_selected_node_before_the_pod_binds(api: APIServer) -> None:
    api.create(
        "persistentvolumeclaims",
        "default",
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
                "storageClassName": "standard",
            },
        },
    )
    make_pod(api, "db", volumes=[{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}])
    scheduler = Scheduler(api)
    assert scheduler.reconcile("default/db").requeue_after == 1.0
    claim = api.get("persistentvolumeclaims", "default", "data")
    selected = claim["metadata"]["annotations"][ANN_SELECTED_NODE]
    assert selected.startswith("worker-")
    assert not api.get("pods", "default", "db")["spec"].get("nodeName")
    assert scheduler.reconcile("default/db").requeue_after == 1.0  # still waiting in PreBind
    # the provisioner and the PV controller do their part: a volume pinned to the selected node, bound
    api.create(
        "persistentvolumes",
        None,
        {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": "pv-data"},
            "spec": {
                "capacity": {"storage": "1Gi"},
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "standard",
                "hostPath": {"path": "/tmp/data"},
                "claimRef": {"namespace": "default", "name": "data"},
                "nodeAffinity": {
                    "required": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {"key": "kubernetes.io/hostname", "operator": "In", "values": [selected]}
                                ]
                            }
                        ]
                    }
                },
            },
        },
    )

    def bind_claim(c: dict) -> dict:
        c["spec"]["volumeName"] = "pv-data"
        return c

    api.update_with("persistentvolumeclaims", "default", "data", bind_claim)
    assert scheduler.reconcile("default/db").requeue_after is None
    assert api.get("pods", "default", "db")["spec"]["nodeName"] == selected


def test_bound_volume_node_affinity_limits_the_nodes(api: APIServer) -> None:
    api.create(
        "persistentvolumes",
        None,
        {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": "pv-x"},
            "spec": {
                "capacity": {"storage": "1Gi"},
                "accessModes": ["ReadWriteOnce"],
                "hostPath": {"path": "/tmp/x"},
                "nodeAffinity": {
                    "required": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {"key": "kubernetes.io/hostname", "operator": "In", "values": ["worker-1"]}
                                ]
                            }
                        ]
                    }
                },
            },
        },
    )
    api.create(
        "persistentvolumeclaims",
        "default",
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "x"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
                "storageClassName": "",
                "volumeName": "pv-x",
            },
        },
    )
    set_node(api, "worker-1", unschedulable=True)
    make_pod(api, "db", volumes=[{"name": "d", "persistentVolumeClaim": {"claimName": "x"}}])
    Scheduler(api).reconcile("default/db")
    assert failed_scheduling(api, "db") == [
        "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) had volume node affinity conflict. "
        + PREEMPT_3_NOT_HELPFUL
    ]


def test_host_port_conflict_and_scheduling_gates(api: APIServer) -> None:
    ports = [{"containerPort": 80, "hostPort": 8080}]
    for node in ("worker-1", "worker-2", "worker-3"):
        api.create(
            "pods",
            "default",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": f"p-{node}"},
                "spec": {"nodeName": node, "containers": [{"name": "a", "image": "nginx", "ports": ports}]},
            },
        )
    api.create(
        "pods",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web"},
            "spec": {"containers": [{"name": "a", "image": "nginx", "ports": ports}]},
        },
    )
    Scheduler(api).reconcile("default/web")
    assert failed_scheduling(api, "web") == [
        "0/3 nodes are available: 3 node(s) didn't have free ports for the requested pod ports. preemption: "
        "0/3 nodes are available: 3 No preemption victims found for incoming pod."
    ]
    make_pod(api, "gated", schedulingGates=[{"name": "example.com/wait"}])
    Scheduler(api).reconcile("default/gated")
    assert pod_scheduled(api, "gated")["reason"] == "SchedulingGated"
    assert not api.get("pods", "default", "gated")["spec"].get("nodeName")


# -- big clusters: upstream's percentageOfNodesToScore --------------------------------------
@pytest.mark.parametrize(
    "all_nodes, expected",
    [
        (3, 3),
        (99, 99),  # under minFeasibleNodesToFind every node is searched
        (100, 100),
        (150, 100),  # 50 % - 1 % would be 75: raised to the floor of 100
        (1000, 420),  # 50 - 1000/125 = 42 %
        (5000, 500),  # 10 %
        (6000, 300),  # 50 - 48 = 2 %, raised to 5 %
    ],
)
def test_feasible_nodes_to_find_follow_the_adaptive_percentage(all_nodes: int, expected: int) -> None:
    assert num_feasible_nodes_to_find(all_nodes) == expected


def test_a_big_cluster_stops_searching_at_enough_feasible_nodes_and_starts_the_next_cycle_after(db) -> None:
    api = APIServer(create_cluster("wide", nodes=120, seed=1, addons=False), client="test")
    scheduler = Scheduler(api)
    for name in ("first", "second"):
        make_pod(api, name, cpu="10m")
        scheduler.reconcile(f"default/{name}")
    first, second = (decision_about(api, n) for n in ("first", "second"))
    assert (first["evaluated"], first["of"]) == (second["evaluated"], second["of"]) == (100, 120)
    assert len(first["nodes"]) == RECORDED_NODES and first["omitted"] == 100 - RECORDED_NODES
    assert first["chosen"] in first["nodes"]
    # nextStartNodeIndex: the first cycle searched nodes 0..99 (name order), the second 100..119 then 0..79
    names = sorted(n["metadata"]["name"] for n in api.list("nodes")["items"])
    assert first["chosen"] in names[:100]
    assert second["chosen"] in names[100:] + names[:80]
    assert scheduler._next_start == 80


def test_reused_answers_match_a_fresh_evaluation(db) -> None:
    """Replicas of one shape reuse per-node answers; the choice equals what a fresh scheduler computes."""
    api = APIServer(create_cluster("shape", nodes=4, seed=3, addons=False), client="test")
    warm = Scheduler(api)
    for index in range(6):
        make_pod(api, f"p{index}", cpu="300m", memory="256Mi")
        chosen_fresh = Scheduler(api).schedule_one(api.get("pods", "default", f"p{index}")).node
        warm.reconcile(f"default/p{index}")
        assert api.get("pods", "default", f"p{index}")["spec"]["nodeName"] == chosen_fresh


# -- reused answers against a fresh scheduler, at a size where a cycle stops early -------------
def _vary(index: int):
    """Node `worker-<index>`'s own mix of labels, taints and cordon."""

    def change(node: dict) -> dict:
        spec, labels = node["spec"], node["metadata"]["labels"]
        if index % 7 == 0:
            spec["taints"] = [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]
        if index % 5 == 0:
            spec.setdefault("taints", []).append({"key": "soft", "effect": "PreferNoSchedule"})
        if index % 11 == 0:
            spec["unschedulable"] = True
        labels["zone"] = f"z{index % 3}"
        if index % 4 == 0:
            labels["disk"] = "ssd"
        return node

    return change


def _resize(index: int):
    """Node `worker-<index>`'s allocatable cpu, 1 to 3.5 cores (a status change, as the kubelet reports it)."""

    def change(node: dict) -> dict:
        node["status"]["allocatable"]["cpu"] = f"{1000 + (index % 6) * 500}m"
        return node

    return change


def _toggle_cordon(node: dict) -> dict:
    node["spec"]["unschedulable"] = not node["spec"].get("unschedulable")
    node["metadata"]["labels"]["disk"] = "ssd"
    return node


PREFERRED = {
    "nodeAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 10, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["z1"]}]}},
            {"weight": 3, "preference": {"matchExpressions": [{"key": "disk", "operator": "Exists"}]}},
        ]
    }
}
SHAPES: list[dict] = [
    {"cpu": "300m", "memory": "64Mi"},
    {"cpu": "700m", "nodeSelector": {"disk": "ssd"}},
    {"cpu": "10m", "tolerations": [{"key": "dedicated", "operator": "Exists"}]},
    {"cpu": "300m", "affinity": PREFERRED},
    {"nodeSelector": {"zone": "nowhere"}},  # fits nowhere
    {"cpu": "3600m"},  # more than any node has
    {
        "cpu": "200m",
        "tolerations": [{"key": "soft", "operator": "Exists", "effect": "PreferNoSchedule"}],
        "nodeSelector": {"zone": "z2"},
    },
    {"cpu": "300m", "nodeSelector": {"kubernetes.io/hostname": "worker-30"}},  # one node: taken unscored, until full
    {
        "cpu": "900m",
        "nodeSelector": {"kubernetes.io/hostname": "worker-30"},  # room there only by preemption
        "priorityClassName": "system-cluster-critical",
    },
    {"cpu": "2600m"},  # only the biggest nodes
]


def _varied_cluster(name: str, nodes: int) -> APIServer:
    api = APIServer(create_cluster(name, nodes=nodes, seed=5, addons=False), client="test")
    for index in range(1, nodes + 1):
        api.update_with("nodes", None, f"worker-{index}", _vary(index))
        api.update_with("nodes", None, f"worker-{index}", _resize(index), subresource="status")
    return api


def _warm_against_fresh(api: APIServer, pods: int) -> dict[str, int]:
    """Schedule `pods` pods of SHAPES in turn with a warm scheduler, as the reconciler runs it (informer
    cache, answers reused per shape), and check each decision against a fresh scheduler's on the same state:
    chosen node, annotation, FailedScheduling message and where the next cycle starts. Nodes change and
    bound pods go away on the way. Returns how often each ran the Filter plugins."""
    from cluster.informers import CachedLister, SharedInformers

    informers = SharedInformers(api, Scheduler.watches)
    informers.sync()
    since = api.current_revision()
    warm = Scheduler(api)
    warm.lister = CachedLister(api, informers)
    filter_runs = {"warm": 0, "fresh": 0}

    def counted(scheduler: Scheduler, who: str) -> Scheduler:
        plugin = scheduler.plugins[0]
        original = plugin.filter

        def filter_(*args: object) -> Status:
            filter_runs[who] += 1
            return original(*args)

        plugin.filter = filter_
        return scheduler

    counted(warm, "warm")
    nodes = len(api.list("nodes")["items"])
    for index in range(pods):
        name = f"p{index}"
        if index % 10 == 9:
            api.update_with("nodes", None, f"worker-{index * 13 % nodes + 1}", _toggle_cordon)
        if index % 16 == 15:
            bound = api.get("pods", "default", f"p{index // 2}")
            if bound["spec"].get("nodeName"):
                api.delete("pods", "default", bound["metadata"]["name"], grace_period_seconds=0)
        shape = dict(SHAPES[index % len(SHAPES)])
        make_pod(api, name, cpu=shape.pop("cpu", None), memory=shape.pop("memory", None), **shape)
        while True:
            batch, resume = api.watch_many(list(Scheduler.watches), since)
            for resource, event in batch:
                informers.apply(resource, event)
            if resume == since:
                break
            since = resume

        fresh = counted(Scheduler(api), "fresh")
        fresh._next_start = warm._next_start
        expected = fresh.schedule_one(api.get("pods", "default", name))
        warm.reconcile(f"default/{name}")
        pod = api.get("pods", "default", name)
        assert pod["spec"].get("nodeName") == expected.node, name
        assert decision_about(api, name) == json.loads(expected.record(fresh.plugins)), name
        assert failed_scheduling(api, name) == ([expected.message] if expected.node is None else []), name
        assert warm._next_start == fresh._next_start, name
    return filter_runs


def test_reused_answers_decide_as_a_fresh_scheduler_in_a_big_varied_cluster(db) -> None:
    """200 nodes: each cycle stops at 100 feasible nodes, so the rotation (nextStartNodeIndex), the
    omitted nodes and the ranking of the recorded ones all come into play."""
    api = _varied_cluster("varied", 200)
    filter_runs = _warm_against_fresh(api, 50)
    scheduled = [p for p in api.list("pods", "default")["items"] if p["spec"].get("nodeName")]
    assert 20 < len(scheduled) < 50
    assert filter_runs["warm"] < filter_runs["fresh"] / 3, filter_runs  # the answers were reused


def test_answers_start_over_when_the_cache_lets_old_updates_go(db, monkeypatch) -> None:
    """The cache keeps a short list of the NodeInfos it replaced; answers that fell behind it start over."""
    monkeypatch.setattr("cluster.scheduler.cache.MAX_UPDATES", 2)
    _warm_against_fresh(_varied_cluster("forgetful", 120), 20)
