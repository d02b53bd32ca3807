"""Server-side printing: the cells kube-apiserver would put in a Table, rule by rule."""

from __future__ import annotations

import datetime as dt

import pytest

from cluster.apiserver import printers
from cluster.apiserver.printers_kinds import format_endpoints, hpa_targets, service_external_ip, service_ports
from cluster.apiserver.printers_pod import node_roles, node_status, pod_status_cells
from cluster.apiserver.printing import short_human_duration
from cluster.apiserver.resources import lookup

NOW = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.timezone.utc)
FIVE_MINUTES_AGO = "2026-01-01T11:55:00Z"


def pod(
    phase: str = "Running",
    containers: list[dict] | None = None,
    init: list[dict] | None = None,
    spec_containers: int = 1,
    init_specs: int = 0,
    deleting: bool = False,
    conditions: list | None = None,
    reason: str = "",
) -> dict:
    status: dict = {"phase": phase}
    if containers is not None:
        status["containerStatuses"] = containers
    if init is not None:
        status["initContainerStatuses"] = init
    if conditions is not None:
        status["conditions"] = conditions
    if reason:
        status["reason"] = reason
    meta = {"name": "web", "namespace": "default", "creationTimestamp": FIVE_MINUTES_AGO}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T11:59:00Z"
    return {
        "metadata": meta,
        "status": status,
        "spec": {
            "containers": [{"name": f"c{i}", "image": "nginx"} for i in range(spec_containers)],
            "initContainers": [{"name": f"i{i}", "image": "busybox"} for i in range(init_specs)],
        },
    }


def running(ready: bool = True, restarts: int = 0, last_finished: str = "") -> dict:
    status = {"name": "c0", "ready": ready, "restartCount": restarts, "state": {"running": {"startedAt": "x"}}}
    if last_finished:
        status["lastState"] = {"terminated": {"exitCode": 1, "finishedAt": last_finished}}
    return status


def waiting(reason: str, restarts: int = 0) -> dict:
    return {"name": "c0", "ready": False, "restartCount": restarts, "state": {"waiting": {"reason": reason}}}


def terminated(reason: str, code: int = 0) -> dict:
    return {
        "name": "c0",
        "ready": False,
        "restartCount": 0,
        "state": {"terminated": {"reason": reason, "exitCode": code}},
    }


@pytest.mark.parametrize(
    "obj, expected",
    [
        (pod("Pending"), ("0/1", "Pending", "0")),
        (pod("Pending", [waiting("ContainerCreating")]), ("0/1", "ContainerCreating", "0")),
        (pod("Running", [running()]), ("1/1", "Running", "0")),
        (pod("Running", [running(ready=False)]), ("0/1", "Running", "0")),
        (pod("Succeeded", [terminated("Completed")]), ("0/1", "Completed", "0")),
        (pod("Failed", [terminated("Error", 1)]), ("0/1", "Error", "0")),
        (pod("Running", [waiting("CrashLoopBackOff", restarts=4)]), ("0/1", "CrashLoopBackOff", "4")),
        (pod("Pending", [waiting("ImagePullBackOff")]), ("0/1", "ImagePullBackOff", "0")),
        (pod("Pending", [waiting("ErrImagePull")]), ("0/1", "ErrImagePull", "0")),
        (pod("Running", [running()], deleting=True), ("1/1", "Terminating", "0")),
        (pod("Succeeded", [terminated("Completed")], deleting=True), ("0/1", "Completed", "0")),
        (pod("Running", [running()], deleting=True, reason="NodeLost"), ("1/1", "Unknown", "0")),
        (
            pod(
                "Pending",
                [waiting("PodInitializing")],
                init_specs=1,
                init=[{"name": "i0", "ready": False, "restartCount": 0, "state": {"running": {}}}],
            ),
            ("0/1", "Init:0/1", "0"),
        ),
        (
            pod(
                "Pending",
                [],
                init_specs=2,
                init=[
                    {"name": "i0", "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                    {"name": "i1", "restartCount": 0, "state": {"running": {}}},
                ],
            ),
            ("0/1", "Init:1/2", "0"),
        ),
        (
            pod(
                "Pending",
                [],
                init_specs=1,
                init=[{"name": "i0", "restartCount": 2, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}],
            ),
            ("0/1", "Init:CrashLoopBackOff", "2"),
        ),
        (
            pod(
                "Pending",
                [],
                init_specs=1,
                init=[{"name": "i0", "restartCount": 0, "state": {"terminated": {"exitCode": 3}}}],
            ),
            ("0/1", "Init:ExitCode:3", "0"),
        ),
        (
            pod("Pending", conditions=[{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]),
            ("0/1", "SchedulingGated", "0"),
        ),
        (pod("Running", [running(restarts=5, last_finished="2026-01-01T11:57:00Z")]), ("1/1", "Running", "5 (3m ago)")),
        (pod("Running", [running(), {**running(), "name": "c1"}], spec_containers=2), ("2/2", "Running", "0")),
    ],
)
def test_pod_ready_status_and_restarts_follow_print_pod(obj: dict, expected: tuple) -> None:
    assert pod_status_cells(obj, NOW) == expected


def test_completed_pod_with_a_running_container_shows_running_or_not_ready() -> None:
    obj = pod(
        "Running",
        [terminated("Completed"), {**running(), "name": "c1"}],
        spec_containers=2,
        conditions=[{"type": "Ready", "status": "True"}],
    )
    # printPod walks containers last-first, so the first container's reason wins.
    assert pod_status_cells(obj, NOW)[1] == "Running"
    obj["status"]["conditions"] = []
    assert pod_status_cells(obj, NOW)[1] == "NotReady"


def test_pod_table_has_upstream_columns_and_marks_finished_pods() -> None:
    table = printers.table(lookup("pods"), [pod("Succeeded", [terminated("Completed")])], NOW)
    assert [(c["name"], c["priority"]) for c in table["columnDefinitions"]] == [
        ("Name", 0),
        ("Ready", 0),
        ("Status", 0),
        ("Restarts", 0),
        ("Age", 0),
        ("IP", 1),
        ("Node", 1),
        ("Nominated Node", 1),
        ("Readiness Gates", 1),
    ]
    row = table["rows"][0]
    assert row["cells"] == ["web", "0/1", "Completed", "0", "5m", "<none>", "<none>", "<none>", "<none>"]
    assert row["conditions"][0]["reason"] == "Succeeded"
    assert row["object"]["kind"] == "PartialObjectMetadata"


@pytest.mark.parametrize(
    "seconds, expected",
    [
        (-2, "<invalid>"),
        (-1, "0s"),
        (0, "0s"),
        (1, "1s"),
        (119, "119s"),
        (120, "2m"),
        (121, "2m1s"),
        (9 * 60 + 59, "9m59s"),
        (10 * 60, "10m"),
        (179 * 60, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 60, "3h1m"),
        (8 * 3600 - 1, "7h59m"),
        (8 * 3600, "8h"),
        (47 * 3600 + 59 * 60, "47h"),
        (48 * 3600, "2d"),
        (48 * 3600 + 3600, "2d1h"),
        (8 * 86400 - 1, "7d23h"),
        (8 * 86400, "8d"),
        (364 * 86400, "364d"),
        (2 * 365 * 86400 - 1, "729d"),
        (2 * 365 * 86400, "2y"),
        (2 * 365 * 86400 + 86400, "2y1d"),
        (8 * 365 * 86400 - 1, "7y364d"),
        (8 * 365 * 86400, "8y"),
        (10 * 365 * 86400, "10y"),
    ],
)
def test_human_duration_matches_apimachinery(seconds: int, expected: str) -> None:
    assert short_human_duration(seconds) == expected


@pytest.mark.parametrize(
    "ports, expected",
    [
        ([{"port": 80, "protocol": "TCP"}], "80/TCP"),
        ([{"port": 80, "protocol": "TCP", "nodePort": 30080}, {"port": 53, "protocol": "UDP"}], "80:30080/TCP,53/UDP"),
        ([], "<none>"),
    ],
)
def test_service_ports_column(ports: list, expected: str) -> None:
    assert service_ports(ports) == expected


@pytest.mark.parametrize(
    "spec, status, expected",
    [
        ({"type": "ClusterIP"}, {}, "<none>"),
        ({"type": "ClusterIP", "externalIPs": ["1.2.3.4"]}, {}, "1.2.3.4"),
        ({"type": "NodePort"}, {}, "<none>"),
        ({"type": "LoadBalancer"}, {}, "<pending>"),
        (
            {"type": "LoadBalancer"},
            {"loadBalancer": {"ingress": [{"ip": "5.6.7.8"}, {"hostname": "lb.example"}]}},
            "5.6.7.8,lb.example",
        ),
        ({"type": "ExternalName", "externalName": "db.example.com"}, {}, "db.example.com"),
    ],
)
def test_service_external_ip_column(spec: dict, status: dict, expected: str) -> None:
    assert service_external_ip({"spec": spec, "status": status}) == expected


@pytest.mark.parametrize(
    "conditions, unschedulable, expected",
    [
        ([{"type": "Ready", "status": "True"}], False, "Ready"),
        ([{"type": "Ready", "status": "False"}], False, "NotReady"),
        ([{"type": "Ready", "status": "Unknown"}], False, "NotReady"),
        ([], False, "Unknown"),
        ([{"type": "Ready", "status": "True"}], True, "Ready,SchedulingDisabled"),
    ],
)
def test_node_status_column(conditions: list, unschedulable: bool, expected: str) -> None:
    node = {"spec": {"unschedulable": unschedulable}, "status": {"conditions": conditions}}
    assert node_status(node) == expected


@pytest.mark.parametrize(
    "labels, expected",
    [
        ({}, "<none>"),
        ({"node-role.kubernetes.io/control-plane": ""}, "control-plane"),
        ({"node-role.kubernetes.io/worker": "", "kubernetes.io/role": "edge"}, "edge,worker"),
        ({"node-role.kubernetes.io/": "x"}, "<none>"),
    ],
)
def test_node_roles_column(labels: dict, expected: str) -> None:
    assert node_roles(labels) == expected


def test_endpoints_column_cuts_after_three_addresses() -> None:
    subsets = [{"addresses": [{"ip": f"10.244.1.{i}"} for i in range(5)], "ports": [{"port": 80}]}]
    assert format_endpoints(subsets) == "10.244.1.0:80,10.244.1.1:80,10.244.1.2:80 + 2 more..."
    assert format_endpoints([]) == "<none>"
    assert format_endpoints([{"notReadyAddresses": [{"ip": "10.244.1.9"}], "ports": [{"port": 80}]}]) == ""


def test_hpa_targets_show_unknown_until_metrics_arrive() -> None:
    hpa = {
        "spec": {
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}},
                }
            ]
        },
        "status": {},
    }
    assert hpa_targets(hpa) == "cpu: <unknown>/50%"
    hpa["status"]["currentMetrics"] = [
        {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 30}}}
    ]
    assert hpa_targets(hpa) == "cpu: 30%/50%"


def test_default_storage_class_is_marked_and_pvc_shows_volume_attributes_class() -> None:
    sc = {
        "metadata": {
            "name": "standard",
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            "creationTimestamp": FIVE_MINUTES_AGO,
        },
        "provisioner": "rancher.io/local-path",
    }
    assert printers.table(lookup("sc"), [sc], NOW)["rows"][0]["cells"] == [
        "standard (default)",
        "rancher.io/local-path",
        "Delete",
        "Immediate",
        False,
        "5m",
    ]
    pvc = {
        "metadata": {"name": "data", "creationTimestamp": FIVE_MINUTES_AGO},
        "spec": {"storageClassName": "standard", "resources": {"requests": {"storage": "1Gi"}}},
        "status": {"phase": "Pending"},
    }
    table = printers.table(lookup("pvc"), [pvc], NOW)
    assert [c["name"] for c in table["columnDefinitions"]][5:7] == ["StorageClass", "VolumeAttributesClass"]
    assert table["rows"][0]["cells"] == ["data", "Pending", "", "", "", "standard", "<unset>", "5m", "<unset>"]
