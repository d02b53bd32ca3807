"""kubectl version, cluster-info, set resources, top and taint, in-process: what a learner sees and what changes.

The last tests run the same commands through the real kubectl v1.32 against a
live kubeclass server and expect the same bytes back.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from pytest_django.fixtures import Settings

from cluster import clock
from cluster.apiserver.patch import MERGE_PATCH
from cluster.apiserver.server import APIServer
from cluster.kubectl import cli
from cluster.kubectl.quantities import canonical
from cluster.kubectl.top import go_duration
from cluster.models import Cluster
from tests.livesrv import Daphne, LiveServer, shared_cluster

ROOT = Path(__file__).resolve().parent.parent
KUBECTL = "/usr/bin/kubectl"
needs_kubectl = pytest.mark.skipif(not Path(KUBECTL).exists(), reason="the real kubectl is not installed")


def kubectl(api: APIServer, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(api, list(argv), stdin=io.StringIO(), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def ok(api: APIServer, *argv: str) -> str:
    code, out, err = kubectl(api, *argv)
    assert (code, err) == (0, ""), err
    return out


def fails(api: APIServer, *argv: str) -> str:
    code, out, err = kubectl(api, *argv)
    assert (code, out) == (1, ""), out
    return err


@pytest.fixture(autouse=True)
def frozen_clock(cluster: Cluster) -> None:
    """Virtual time stands still unless a test advances it."""
    clock.set_speed(cluster, 0)


def ago(api: APIServer, seconds: float) -> str:
    return clock.rfc3339(api.now() - dt.timedelta(seconds=seconds))


def workload(api: APIServer, name: str = "web", init: bool = False) -> dict:
    spec: dict = {"containers": [{"name": "nginx", "image": "nginx"}, {"name": "side", "image": "busybox"}]}
    if init:
        spec["initContainers"] = [{"name": "setup", "image": "busybox"}]
    return api.create(
        "deployments",
        "default",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": {"app": name}}, "spec": spec},
            },
        },
    )


def containers(api: APIServer, name: str = "web") -> dict[str, dict]:
    spec = api.get("deployments", "default", name)["spec"]["template"]["spec"]
    return {c["name"]: c.get("resources", {}) for c in spec.get("initContainers", []) + spec["containers"]}


def running_pod(
    api: APIServer,
    name: str,
    node: str = "worker-1",
    started: float = 60,
    usage: str | None = None,
    names: tuple[str, ...] = ("nginx",),
    labels: dict | None = None,
    memory_limit: str = "",
    namespace: str = "default",
) -> dict:
    """A pod the kubelet runs on `node`, started `started` seconds ago; `usage` pins its CPU."""
    meta: dict = {"name": name, "labels": labels or {"app": "web"}}
    if usage is not None:
        meta["annotations"] = {"kubeclass.io/cpu-usage": usage}
    limits = {"resources": {"limits": {"memory": memory_limit}}} if memory_limit else {}
    api.create(
        "pods",
        namespace,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta,
            "spec": {"containers": [{"name": n, "image": "nginx", **limits} for n in names]},
        },
    )
    api.bind(namespace, name, {"target": {"name": node}})

    def report(pod: dict) -> dict:
        pod["status"] = {
            "phase": "Running",
            "startTime": ago(api, started),
            "conditions": [
                {"type": "Ready", "status": "True", "lastProbeTime": None, "lastTransitionTime": ago(api, started)}
            ],
        }
        return pod

    return api.update_with("pods", namespace, name, report, subresource="status")


def taints(api: APIServer, node: str = "worker-1") -> list[dict]:
    return api.get("nodes", "", node)["spec"].get("taints", [])


# -- kubectl version ----------------------------------------------------------------------------
def test_version_prints_the_client_kustomize_and_server_versions(api: APIServer) -> None:
    assert (
        ok(api, "version") == "Client Version: v1.32.4-dispatcher\nKustomize Version: v5.5.0\nServer Version: v1.32.0\n"
    )
    assert ok(api, "version", "--client") == "Client Version: v1.32.4-dispatcher\nKustomize Version: v5.5.0\n"


def test_version_json_keeps_the_struct_order_and_yaml_sorts(api: APIServer) -> None:
    out = ok(api, "version", "-o", "json")
    assert out.startswith('{\n  "clientVersion": {\n    "major": "1",\n    "minor": "32+",\n')
    assert out.endswith('    "platform": "linux/amd64"\n  }\n}\n')
    assert list(json.loads(out)) == ["clientVersion", "kustomizeVersion", "serverVersion"]
    assert ok(api, "version", "--client", "-o", "yaml") == (
        'clientVersion:\n  buildDate: "2025-05-15T20:09:34Z"\n  compiler: gc\n'
        "  gitCommit: 4cb5f0764b8d5f425645c6f433394fede34a8a26\n  gitTreeState: clean\n"
        '  gitVersion: v1.32.4-dispatcher\n  goVersion: go1.23.8\n  major: "1"\n  minor: 32+\n'
        "  platform: linux/amd64\nkustomizeVersion: v5.5.0\n\n"
    )


@pytest.mark.parametrize(
    "argv, stderr",
    [
        (["-o", "wide"], "error: --output must be 'yaml' or 'json'\n"),
        (["extra"], "error: extra arguments: [extra]\n"),
        (["--short"], "Error: unknown flag: --short\nSee 'kubectl version --help' for usage.\n"),
    ],
)
def test_version_rejects_what_kubectl_rejects(api: APIServer, argv: list[str], stderr: str) -> None:
    assert fails(api, "version", *argv) == stderr


def test_version_client_extras_are_ignored_as_kubectl_ignores_them(api: APIServer) -> None:
    assert ok(api, "version", "--client", "extra").startswith("Client Version: ")


@needs_kubectl
def test_version_client_is_the_real_kubectl_build(api: APIServer) -> None:
    real = subprocess.run(
        [KUBECTL, "version", "--client", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "KUBECONFIG": "/dev/null"},
    )
    assert ok(api, "version", "--client", "-o", "json") == real.stdout


# -- kubectl cluster-info -----------------------------------------------------------------------
HINT = "\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n"


def test_cluster_info_names_the_api_url_the_dashboard_shows(api: APIServer, settings: Settings) -> None:
    settings.KUBECLASS_API_URL = "https://kubeclass.example:6443/"
    assert ok(api, "cluster-info") == (
        "Kubernetes control plane is running at https://kubeclass.example:6443\n"
        "CoreDNS is running at https://kubeclass.example:6443/api/v1/namespaces/kube-system/services/"
        "kube-dns:dns/proxy\n" + HINT
    )
    assert (
        ok(api, "cluster-info", "-n", "default")
        == "Kubernetes control plane is running at https://kubeclass.example:6443\n" + HINT
    )


PROXY = "API/api/v1/namespaces/kube-system/services/"


@pytest.mark.parametrize(
    "ports, ingress, link",
    [
        ([{"name": "https", "port": 8443}], None, PROXY + "https:dash:https/proxy"),
        ([{"port": 443}], None, PROXY + "https:dash:/proxy"),
        ([{"name": "web", "port": 80}, {"name": "alt", "port": 81}], None, PROXY + "dash:web/proxy"),
        (
            [{"name": "a", "port": 80}, {"name": "b", "port": 81}],
            [{"ip": "203.0.113.7"}],
            "http://203.0.113.7:80 http://203.0.113.7:81 ",
        ),
        ([{"port": 80}], [{"hostname": "lb.example"}], "http://lb.example:80 "),
    ],
)
def test_cluster_info_links_each_cluster_service_as_kubectl_does(
    api: APIServer, settings: Settings, ports: list[dict], ingress: list[dict] | None, link: str
) -> None:
    settings.KUBECLASS_API_URL = "API"
    api.create(
        "services",
        "kube-system",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "dash", "labels": {"kubernetes.io/cluster-service": "true"}},
            "spec": {"type": "LoadBalancer" if ingress else "ClusterIP", "selector": {"app": "dash"}, "ports": ports},
        },
    )
    if ingress:

        def put(svc: dict) -> dict:
            svc["status"] = {"loadBalancer": {"ingress": ingress}}
            return svc

        api.update_with("services", "kube-system", "dash", put, subresource="status")
    assert f"dash is running at {link}\n" in ok(api, "cluster-info")


# -- kubectl set resources ----------------------------------------------------------------------
def test_set_resources_updates_every_container_of_the_template(api: APIServer) -> None:
    workload(api)
    assert (
        ok(api, "set", "resources", "deployment", "web", "--limits=cpu=200m,memory=512Mi", "--requests=cpu=100m")
        == "deployment.apps/web resource requirements updated\n"
    )
    wanted = {"limits": {"cpu": "200m", "memory": "512Mi"}, "requests": {"cpu": "100m"}}
    assert containers(api) == {"nginx": wanted, "side": wanted}


def test_set_resources_sends_nothing_when_nothing_changes(api: APIServer) -> None:
    workload(api)
    ok(api, "set", "resources", "deploy/web", "--limits=cpu=500m")
    revision = api.current_revision()
    assert ok(api, "set", "resources", "deploy/web", "--limits=cpu=0.5") == ""  # 0.5 is 500m
    assert api.current_revision() == revision


@pytest.mark.parametrize(
    "given, sent",
    [
        ("0.5", "500m"),
        ("2000m", "2"),
        ("1000", "1k"),
        ("1500", "1500"),
        ("1.5Gi", "1536Mi"),
        ("1024Ki", "1Mi"),
        ("0.5Ki", "512"),
        ("1e3", "1e3"),
        ("1E3", "1e3"),
        ("0.1n", "1n"),
        ("0", "0"),
        ("0Mi", "0"),
        ("+1", "1"),
        (".5", "500m"),
        ("1025Ki", "1025Ki"),
        ("8Ei", "9223372036854775807"),
    ],
)
def test_quantities_are_sent_in_canonical_form(given: str, sent: str) -> None:
    assert canonical(given) == sent


@pytest.mark.parametrize(
    "pattern, changed",
    [
        ("*", {"setup", "nginx", "side"}),
        ("nginx", {"nginx"}),
        ("s*", {"side", "setup"}),
        ("*e", {"side"}),
        ("s*p", {"setup"}),
        ("setup", {"setup"}),
    ],
)
def test_set_resources_selects_containers_as_kubectl_does(api: APIServer, pattern: str, changed: set[str]) -> None:
    workload(api, init=True)
    ok(api, "set", "resources", "deployment", "web", "-c", pattern, "--requests=memory=64Mi")
    assert {name for name, res in containers(api).items() if res} == changed


@pytest.mark.parametrize(
    "argv, stderr",
    [
        (
            ["deployment", "web"],
            "error: you must specify an update to requests or limits (in the form of --requests/--limits)\n",
        ),
        (
            ["deployment", "web", "--limits=cpu=abc"],
            "error: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'\n",
        ),
        (["deployment", "web", "--limits=cpu=1K"], "error: unable to parse quantity's suffix\n"),
        (["deployment", "web", "--limits=cpu"], "error: Invalid argument syntax cpu, expected <resource>=<value>\n"),
        (["deployment", "web", "-c", "nope", "--limits=cpu=1"], "error: unable to find container named nope\n"),
        (
            ["deployment", "web", "nope", "--limits=cpu=1"],
            'Error from server (NotFound): deployments.apps "nope" not found\n',
        ),
        (
            ["deployment", "web", "-l", "app=web", "--limits=cpu=1"],
            "error: name cannot be provided when a selector is specified\n",
        ),
        (
            ["deployment", "-l", "app=web", "--all", "--limits=cpu=1"],
            "error: cannot set --all and --selector at the same time\n",
        ),
        (["deployment", "--limits=cpu=1"], "error: resource(s) were provided, but no name was specified\n"),
        (["-l", "app=web", "--limits=cpu=1"], "error: at least one resource must be specified to use a selector\n"),
        (["foo", "web", "--limits=cpu=1"], 'error: the server doesn\'t have a resource type "foo"\n'),
        (
            ["svc/kubernetes", "--limits=cpu=1"],
            "error: services/kubernetes the object is not a pod or does not have a pod template: *v1.Service\n",
        ),
        (
            ["deployment", "web", "--limits=cpu=1", "--dry-run=maybe"],
            'error: Invalid dry-run value (maybe). Must be "none", "server", or "client".\n',
        ),
        (
            ["deployment", "web", "-c", "nginx", "--limits=memory=1Mi", "--requests=memory=2Mi"],
            'error: failed to patch resources update to pod template Deployment.apps "web" is invalid: '
            'spec.template.spec.containers[0].resources.requests: Invalid value: "2Mi": must be less than or equal to '
            "memory limit of 1Mi\n",
        ),
        (
            ["deployment", "web", "--bogus"],
            "Error: unknown flag: --bogus\nSee 'kubectl set resources --help' for usage.\n",
        ),
    ],
)
def test_set_resources_errors_change_nothing(api: APIServer, argv: list[str], stderr: str) -> None:
    workload(api)
    before = api.current_revision()
    assert fails(api, "set", "resources", *argv) == stderr
    assert api.current_revision() == before


def test_set_resources_reports_each_problem_after_the_updates(api: APIServer) -> None:
    workload(api)
    workload(api, "api")
    code, out, err = kubectl(
        api, "set", "resources", "deploy/web", "svc/kubernetes", "deploy/api", "-c", "side", "--limits=cpu=1"
    )
    assert (code, out) == (
        1,
        "deployment.apps/web resource requirements updated\ndeployment.apps/api resource requirements updated\n",
    )
    assert err == "error: services/kubernetes the object is not a pod or does not have a pod template: *v1.Service\n"
    code, out, err = kubectl(api, "set", "resources", "deploy/web", "deploy/api", "-c", "nope", "--limits=cpu=1")
    assert (code, out, err) == (1, "", "error: unable to find container named nope\n" * 2)


@pytest.mark.parametrize(
    "argv, stdout",
    [
        (["--dry-run=client"], "deployment.apps/web resource requirements updated (dry run)\n"),
        (["--dry-run=server"], "deployment.apps/web resource requirements updated (server dry run)\n"),
        (["--dry-run=server", "-o", "name"], "deployment.apps/web\n"),
        (
            ["--dry-run=client", "-o", "jsonpath={.spec.template.spec.containers[0].resources}"],
            '{"limits":{"cpu":"250m"}}',
        ),
    ],
)
def test_set_resources_dry_runs_print_but_change_nothing(api: APIServer, argv: list[str], stdout: str) -> None:
    workload(api)
    before = api.current_revision()
    assert ok(api, "set", "resources", "deployment", "web", "--limits=cpu=0.25", *argv) == stdout
    assert api.current_revision() == before


def test_set_offers_image_and_resources(api: APIServer) -> None:
    assert fails(api, "set", "env") == "error: kubeclass offers `kubectl set image` and `kubectl set resources` only\n"
    assert (
        fails(api, "set", "bogus") == "error: unknown command \"bogus\"\nSee 'kubectl set -h' for help and examples\n"
    )


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


# -- against the real kubectl -------------------------------------------------------------------
@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, live_daphne: Daphne) -> Iterator[tuple[dict, LiveServer]]:
    workdir = tmp_path_factory.mktemp("moreverbs")
    env = live_daphne.env
    for server in shared_cluster(live_daphne, "moreverbs", nodes=3):
        created = _real(server, workdir, "create", "deployment", "web", "--image=nginx", "--replicas=1")
        assert created.returncode == 0, created.stderr
        yield {**env, "KUBECLASS_API_URL": server.url.rsplit("/k8s/", 1)[0]}, server


def _real(server: LiveServer, workdir: Path, *args: str) -> subprocess.CompletedProcess:
    flags = [
        f"--server={server.url}",
        f"--token={server.token}",
        f"--certificate-authority={server.ca_file}",
        f"--cache-dir={workdir / 'cache'}",
    ]
    return subprocess.run(
        [KUBECTL, *flags, *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "KUBECONFIG": "/dev/null"},
    )


_OURS = """
import io, json, sys
import django; django.setup()
from cluster.apiserver.patch import MERGE_PATCH
from cluster.apiserver.server import APIServer
from cluster.kubectl import cli
results = []
for argv in json.loads(sys.stdin.read()):
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(APIServer("moreverbs"), argv, stdin=io.StringIO(), stdout=out, stderr=err)
    results.append([code, out.getvalue(), err.getvalue()])
print(json.dumps(results))
"""

LIVE_CASES = [
    ["version"],
    ["version", "-o", "json"],
    ["version", "-o", "yaml"],
    ["version", "extra"],
    ["cluster-info"],
    ["cluster-info", "-n", "default"],
    ["set", "resources", "deployment", "web", "--limits=cpu=0.5,memory=1.5Gi", "--dry-run=server"],
    ["set", "resources", "deployment", "web", "--limits=memory=1Mi", "--requests=memory=2Mi"],
    ["set", "resources", "deployment/web", "svc/kubernetes", "-c", "nope", "--limits=cpu=1"],
    ["set", "resources", "deployment", "web", "--limits=cpu=1K"],
    ["taint", "nodes", "--all", "a=b:NoSchedule", "--dry-run=server"],
    ["taint", "nodes", "worker-1", "gone-", "lost:NoExecute-"],
    ["taint", "nodes", "nope", "a=b:NoSchedule"],
    ["taint", "nodes", "worker-1", "a=b:Nope"],
    ["taint", "worker-1", "a=b:NoSchedule"],
]


@needs_kubectl
def test_the_real_kubectl_prints_the_same(live: tuple[dict, LiveServer], tmp_path: Path) -> None:
    env, server = live
    done = subprocess.run(
        [sys.executable, "-c", _OURS],
        cwd=ROOT,
        env=env,
        input=json.dumps(LIVE_CASES),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    ours = [tuple(r) for r in json.loads(done.stdout.strip().splitlines()[-1])]
    mismatches = []
    for argv, mine in zip(LIVE_CASES, ours):
        theirs = _real(server, tmp_path, *argv)
        if mine != (theirs.returncode, theirs.stdout, theirs.stderr):
            mismatches.append((argv, mine, (theirs.returncode, theirs.stdout, theirs.stderr)))
    assert mismatches == []


@needs_kubectl
def test_the_real_kubectl_finds_the_metrics_api_on_kubeclass(live: tuple[dict, LiveServer], tmp_path: Path) -> None:
    """kubeclass serves metrics.k8s.io (tests/test_metrics_api.py compares the figures with the in-page kubectl's)."""
    theirs = _real(live[1], tmp_path, "top", "node")
    assert (theirs.returncode, theirs.stderr) == (0, "")
    assert theirs.stdout.startswith("NAME ")
