"""The scheduler against the API server: where pods go, what it tells about those that fit nowhere, and when it
tries again."""

from __future__ import annotations

import io

import pytest

from cluster.apiserver.server import APIServer, WatchEvent
from cluster.kubectl import cli
from cluster.scheduler import records
from cluster.scheduler.plugins.volume_binding import ANN_SELECTED_NODE
from cluster.scheduler.scheduler import Scheduler
from tests import scheduler_common
from tests.scheduler_common import decision_about, make_pod, set_node, failed_scheduling, pod_scheduled

cluster = scheduler_common.cluster  # the fixture


# -- against the API server ---------------------------------------------------------------
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


def _taint_fill_and_never_preempt(api: APIServer) -> None:
    """A pod gets its preemptionPolicy from its PriorityClass (the Priority admission plugin)."""
    _taint_and_fill(api)
    never = {"metadata": {"name": "never-preempt"}, "value": 1000, "preemptionPolicy": "Never"}
    api.create("priorityclasses", None, {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", **never})


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
            _taint_fill_and_never_preempt,
            {"cpu": "1", "priorityClassName": "never-preempt"},
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
