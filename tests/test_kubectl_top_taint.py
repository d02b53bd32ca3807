"""kubectl top and taint, in-process: what a learner sees and what changes."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from cluster import clock
from cluster.apiserver.patch import MERGE_PATCH
from cluster.apiserver.server import APIServer
from cluster.kubectl.top import go_duration
from cluster.models import Cluster
from tests import kubectl_more_verbs_common
from tests.kubectl_more_verbs_common import kubectl, ok, fails, ago, running_pod, taints

frozen_clock = kubectl_more_verbs_common.frozen_clock  # the autouse fixture


# -- kubectl top --------------------------------------------------------------------------------
def test_top_pod_shows_what_metrics_server_reports(api: APIServer) -> None:
    running_pod(api, "busy", usage="250m")
    running_pod(api, "idle", names=("nginx", "sidecar"))
    running_pod(api, "fresh", started=5)  # metrics-server has one sample only: no rate yet
    assert ok(api, "top", "pod") == (
        "NAME   CPU(cores)   MEMORY(bytes)   \n"
        "busy   250m         4Mi             \n"
        "idle   2m           8Mi             \n"
    )
    assert ok(api, "top", "pods", "--containers", "--sort-by=cpu") == (
        "POD    NAME      CPU(cores)   MEMORY(bytes)   \n"
        "busy   nginx     250m         4Mi             \n"
        "idle   nginx     1m           4Mi             \n"
        "idle   sidecar   1m           4Mi             \n"
    )


def test_top_pod_leaves_out_containers_that_are_not_running(api: APIServer) -> None:
    running_pod(api, "crashy", names=("app", "side"), usage="300m")

    def statuses(pod: dict) -> dict:
        pod["status"]["containerStatuses"] = [
            {"name": "app", "ready": True, "restartCount": 0, "state": {"running": {"startedAt": ago(api, 60)}}},
            {"name": "side", "ready": False, "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}}},
        ]
        return pod

    api.update_with("pods", "default", "crashy", statuses, subresource="status")
    assert ok(api, "top", "pod", "--containers", "--no-headers") == "crashy   app   300m   4Mi   \n"


def test_top_pod_all_namespaces_with_a_sum(api: APIServer) -> None:
    api.create("namespaces", "", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    running_pod(api, "web", usage="100m")
    running_pod(api, "cart", usage="1500m", namespace="shop", memory_limit="2Mi")
    assert ok(api, "top", "po", "-A", "--sum") == (
        "NAMESPACE   NAME   CPU(cores)   MEMORY(bytes)   \n"
        "default     web    100m         4Mi             \n"
        "shop        cart   1500m        2Mi             \n"
        "                   ________     ________        \n"
        "                   1600m        6Mi             \n"
    )
    assert ok(api, "top", "pod", "-l", "app=web", "--no-headers") == "web   100m   4Mi   \n"


def test_top_node_shows_usage_against_allocatable(api: APIServer) -> None:
    running_pod(api, "a", node="worker-1", usage="500m")
    running_pod(api, "b", node="worker-1", usage="250m")
    running_pod(api, "c", node="worker-2", usage="1")
    ok(api, "fault", "node", "worker-3", "down")  # its kubelet cannot be scraped
    assert ok(api, "top", "node") == (
        "NAME                 CPU(cores)   CPU(%)      MEMORY(bytes)   MEMORY(%)   \n"
        "kind-control-plane   0m           0%          0Mi             0%          \n"
        "worker-1             750m         37%         8Mi             0%          \n"
        "worker-2             1000m        50%         4Mi             0%          \n"
        "worker-3             <unknown>    <unknown>   <unknown>       <unknown>   \n"
    )
    assert ok(
        api,
        "top",
        "node",
        "--sort-by=cpu",
        "--no-headers",
        "-l",
        "kubernetes.io/hostname!=worker-3,!node-role.kubernetes.io/control-plane",
    ) == ("worker-2   1000m   50%   4Mi   0%    \nworker-1   750m    37%   8Mi   0%    \n")  # at least 6 wide


def test_top_explains_missing_metrics_as_kubectl_does(api: APIServer, cluster: Cluster) -> None:
    code, out, err = kubectl(api, "top", "pod")
    assert (code, out, err) == (0, "", "No resources found in default namespace.\n")
    running_pod(api, "new", started=5)
    assert fails(api, "top", "pod") == "error: metrics not available yet\n"
    clock.advance(cluster, 150.5)
    api.update_with("pods", "default", "new", lambda p: {**p, "status": {"phase": "Pending"}}, subresource="status")
    # the age is the virtual clock's, to the microsecond, in Go's Duration format
    assert re.fullmatch(
        r"error: Metrics not available for pod default/new, age: 2m3[01]\.\d+s\n", fails(api, "top", "pod")
    )
    assert (
        fails(api, "top", "pod", "new")
        == 'Error from server (NotFound): podmetrics.metrics.k8s.io "default/new" not found\n'
    )


@pytest.mark.parametrize(
    "argv, stderr",
    [
        (["pod", "nope"], 'Error from server (NotFound): pods "nope" not found\n'),
        (["node", "nope"], 'Error from server (NotFound): nodes "nope" not found\n'),
        (["pod", "a", "b"], "error: pod [NAME | -l label]\nSee 'kubectl top pod -h' for help and examples\n"),
        (["node", "a", "-l", "x=y"], "error: only one of NAME or --selector can be provided\n"),
        (["pod", "a", "-l", "x=y"], "error: only one of NAME or selector can be provided\n"),
        (["node", "--sort-by=name"], "error: --sort-by accepts only cpu or memory\n"),
        (["nodes", "-l", "none=here"], "error: metrics not available yet\n"),
        (["bogus"], "error: unknown command \"bogus\"\nSee 'kubectl top -h' for help and examples\n"),
        (["pod", "--bogus"], "Error: unknown flag: --bogus\nSee 'kubectl top pod --help' for usage.\n"),
    ],
)
def test_top_errors(api: APIServer, argv: list[str], stderr: str) -> None:
    assert fails(api, "top", *argv) == stderr


@pytest.mark.parametrize(
    "seconds, text",
    [
        (1, "1s"),
        (61.5, "1m1.5s"),
        (150.000001, "2m30.000001s"),
        (3600, "1h0m0s"),
        (3725.25, "1h2m5.25s"),
    ],
)
def test_ages_are_printed_as_go_prints_a_duration(seconds: float, text: str) -> None:
    assert go_duration(dt.timedelta(seconds=seconds)) == text


def test_top_node_of_an_unreachable_node(api: APIServer) -> None:
    ok(api, "fault", "node", "worker-2", "partition")
    assert (
        fails(api, "top", "node", "worker-2")
        == 'Error from server (NotFound): nodemetrics.metrics.k8s.io "worker-2" not found\n'
    )


# -- kubectl taint ------------------------------------------------------------------------------
NO_SCHEDULE = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}


def test_taint_adds_replaces_and_removes_taints(api: APIServer) -> None:
    assert ok(api, "taint", "nodes", "worker-1", "dedicated=gpu:NoSchedule") == "node/worker-1 tainted\n"
    assert taints(api) == [NO_SCHEDULE]
    assert (
        ok(api, "taint", "node", "worker-1", "spot:NoExecute", "tier=a:PreferNoSchedule") == "node/worker-1 tainted\n"
    )
    assert [t["key"] for t in taints(api)] == ["spot", "tier", "dedicated"]  # the new ones first
    assert ok(api, "taint", "no", "worker-1", "dedicated=cpu:NoSchedule", "--overwrite") == "node/worker-1 modified\n"
    assert ok(api, "taint", "nodes", "worker-1", "dedicated:NoSchedule-") == "node/worker-1 untainted\n"
    assert ok(api, "taint", "nodes", "worker-1", "x=y:NoSchedule", "spot-") == "node/worker-1 modified\n"
    assert ok(api, "taint", "nodes", "worker-1", "tier-", "x-") == "node/worker-1 untainted\n"
    assert "taints" not in api.get("nodes", "", "worker-1")["spec"]


def test_taint_keeps_the_time_a_taint_was_added(api: APIServer) -> None:
    unreachable = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": "2025-01-01T00:00:00Z"}
    api.patch("nodes", "", "worker-1", {"spec": {"taints": [unreachable]}}, MERGE_PATCH)
    ok(api, "taint", "nodes", "worker-1", "dedicated=gpu:NoSchedule")
    assert taints(api) == [NO_SCHEDULE, unreachable]


@pytest.mark.parametrize(
    "argv, stderr",
    [
        ([], "error: one or more resources must be specified as <resource> <name>\n"),
        (["nodes"], "error: at least one taint update is required\n"),
        (
            ["nodes", "a=b:NoSchedule"],
            "error: at least one resource name must be specified since 'all' parameter is not set\n",
        ),
        (["pods", "web", "a=b:NoSchedule"], "error: invalid resource type pods, only node types are supported\n"),
        (["worker-1", "a=b:NoSchedule"], 'the server doesn\'t have a resource type "worker-1"\n'),
        (
            ["nodes", "worker-1", "a=b:NoSchedule", "worker-2"],
            "error: all resources must be specified before taint changes: worker-2\n",
        ),
        (
            ["nodes", "worker-1", "a=b:Bogus"],
            "error: invalid taint effect: Bogus, unsupported taint effect\n"
            "See 'kubectl taint -h' for help and examples\n",
        ),
        (
            ["nodes", "worker-1", "a=b:NoSchedule", "a=c:NoSchedule"],
            "error: duplicated taints with the same key and effect: {a c NoSchedule <nil>}\n"
            "See 'kubectl taint -h' for help and examples\n",
        ),
        (
            ["nodes", "worker-1", "a=b:NoSchedule", "a-"],
            "error: can not both modify and remove the following taint(s) in the same command: a=\n",
        ),
        (
            ["nodes", "--all", "-l", "x=y", "a=b:NoSchedule"],
            "error: setting 'all' parameter with a non empty selector is prohibited\n",
        ),
        (
            ["nodes", "worker-1", "dedicated=other:NoSchedule"],
            "error: node worker-1 already has dedicated taint(s) with same effect(s) and --overwrite is false\n",
        ),
        (["nodes", "worker-1", "gone:NoSchedule-"], 'error: taint "gone:NoSchedule" not found\n'),
        (["nodes", "worker-1", "gone-", "lost-"], 'taint "gone" not found\ntaint "lost" not found\n'),
        (
            ["nodes", "nope", "nope2", "a=b:NoSchedule"],
            'Error from server (NotFound): nodes "nope" not found\nError from server (NotFound): '
            'nodes "nope2" not found\n',
        ),
    ],
)
def test_taint_errors_change_nothing(api: APIServer, argv: list[str], stderr: str) -> None:
    ok(api, "taint", "nodes", "worker-1", "dedicated=gpu:NoSchedule")
    before = api.current_revision()
    assert fails(api, "taint", *argv) == stderr
    assert api.current_revision() == before


@pytest.mark.parametrize(
    "spec, problem",
    [
        ("a=b", "name part must consist of alphanumeric characters"),
        ("a b=c:NoSchedule", "name part must consist of alphanumeric characters"),
        ("a=b c:NoSchedule", "a valid label must be an empty string or consist of alphanumeric characters"),
        ("a=b=c:NoSchedule", ""),
        ("a:b:NoSchedule", ""),
    ],
)
def test_taint_specs_are_checked_before_anything_is_sent(api: APIServer, spec: str, problem: str) -> None:
    err = fails(api, "taint", "nodes", "worker-1", spec)
    assert err.startswith(f"error: invalid taint spec: {spec}")
    assert problem in err and err.endswith("See 'kubectl taint -h' for help and examples\n")


def test_taint_chooses_nodes_by_label_or_all_and_dry_runs(api: APIServer) -> None:
    assert (
        ok(api, "taint", "nodes", "--all", "a=b:NoSchedule", "--dry-run=client")
        == "node/kind-control-plane tainted\nnode/worker-1 tainted\nnode/worker-2 tainted\nnode/worker-3 tainted\n"
    )
    assert (
        ok(api, "taint", "nodes", "-l", "kubernetes.io/hostname=worker-2", "a=b:NoSchedule", "--dry-run=server")
        == "node/worker-2 tainted\n"
    )
    assert all(taints(api, n) == [] for n in ("worker-1", "worker-2", "worker-3"))
    code, out, err = kubectl(api, "taint", "nodes", "worker-1", "worker-2", "a=b:NoSchedule", "-o", "name")
    assert (code, out, err) == (0, "node/worker-1\nnode/worker-2\n", "")
    ok(api, "taint", "nodes", "worker-3", "a=c:NoSchedule")
    code, out, err = kubectl(api, "taint", "nodes", "worker-3", "worker-1", "a=d:NoSchedule")
    assert (code, out, err) == (
        1,
        "",
        "node worker-3 already has a taint(s) with same effect(s) and --overwrite is "
        "false\nnode worker-1 already has a taint(s) with same effect(s) and "
        "--overwrite is false\n",
    )
