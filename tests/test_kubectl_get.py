"""`manage.py kubectl get` in-process: what a learner sees for each form of the command."""

from __future__ import annotations

import datetime as dt
import io
import threading

import pytest
import yaml

from cluster import clock
from cluster.apiserver.server import APIServer
from cluster.kubectl import cli
from cluster.kubectl.tabwriter import TabWriter
from cluster.models import Cluster


def kubectl(api: APIServer, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(api, list(argv), stdin=io.StringIO(), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def frozen(api: APIServer) -> APIServer:
    clock.set_speed(api.cluster, 0)
    return api


def add_pod(api: APIServer, name: str, namespace: str = "default", labels: dict | None = None) -> dict:
    return api.create(
        "pods",
        namespace,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": labels or {}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
        },
    )


def test_tabwriter_pads_columns_three_spaces_past_the_widest_cell() -> None:
    out = io.StringIO()
    w = TabWriter(out)
    w.write("NAME\tREADY\tAGE\nweb-abcdef\t1/1\t5m\n")
    w.flush()
    assert out.getvalue() == "NAME         READY   AGE\nweb-abcdef   1/1     5m\n"


def test_get_nodes_prints_the_server_table(frozen: APIServer) -> None:
    code, out, err = kubectl(frozen, "get", "nodes")
    lines = out.splitlines()
    assert code == 0 and err == ""
    assert lines[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert lines[0].startswith("NAME                 STATUS")
    assert [(line.split()[0], line.split()[2]) for line in lines[1:]] == [
        ("kind-control-plane", "control-plane"),
        ("worker-1", "<none>"),
        ("worker-2", "<none>"),
        ("worker-3", "<none>"),
    ]


def test_wide_output_adds_priority_one_columns(frozen: APIServer) -> None:
    add_pod(frozen, "web")
    _, out, _ = kubectl(frozen, "get", "pods", "-o", "wide")
    assert out.splitlines()[0].split() == [
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
        "NOMINATED",
        "NODE",
        "READINESS",
        "GATES",
    ]


def test_empty_namespace_says_no_resources_found_on_stderr(frozen: APIServer) -> None:
    assert kubectl(frozen, "get", "pods") == (0, "", "No resources found in default namespace.\n")
    assert kubectl(frozen, "get", "pods", "-n", "kube-public") == (
        0,
        "",
        "No resources found in kube-public namespace.\n",
    )
    assert kubectl(frozen, "get", "jobs", "-A") == (0, "", "No resources found\n")


def test_missing_object_is_a_not_found_error_with_exit_code_1(frozen: APIServer) -> None:
    assert kubectl(frozen, "get", "pod", "nope") == (1, "", 'Error from server (NotFound): pods "nope" not found\n')
    assert kubectl(frozen, "get", "deploy/nope") == (
        1,
        "",
        'Error from server (NotFound): deployments.apps "nope" not found\n',
    )


def test_unknown_type_and_unknown_output_are_client_errors(frozen: APIServer) -> None:
    assert kubectl(frozen, "get", "widgets") == (1, "", 'error: the server doesn\'t have a resource type "widgets"\n')
    code, _, err = kubectl(frozen, "get", "pods", "-o", "table")
    assert code == 1 and err.startswith('error: unable to match a printer suitable for the output format "table"')


def test_all_namespaces_adds_a_namespace_column(frozen: APIServer) -> None:
    add_pod(frozen, "a")
    add_pod(frozen, "b", namespace="kube-system")
    _, out, _ = kubectl(frozen, "get", "pods", "-A")
    rows = [line.split()[:2] for line in out.splitlines()]
    assert rows[:3] == [["NAMESPACE", "NAME"], ["default", "a"], ["kube-system", "b"]]  # then coredns-…, etcd-…
    assert ["kube-system", "kube-apiserver-kind-control-plane"] in rows


def test_label_selector_and_show_labels(frozen: APIServer) -> None:
    add_pod(frozen, "front", labels={"app": "web"})
    add_pod(frozen, "back", labels={"app": "db"})
    _, out, _ = kubectl(frozen, "get", "pods", "-l", "app=web", "--show-labels")
    assert [line.split()[0] for line in out.splitlines()] == ["NAME", "front"]
    assert out.splitlines()[1].endswith("app=web")


def test_get_all_prefixes_kinds_and_separates_groups_with_a_blank_line(frozen: APIServer) -> None:
    add_pod(frozen, "web")
    _, out, _ = kubectl(frozen, "get", "all")
    blocks = out.split("\n\n")
    assert len(blocks) == 2
    assert blocks[0].splitlines()[1].startswith("pod/web ")
    assert blocks[1].splitlines()[1].startswith("service/kubernetes ")


def test_comma_list_prints_each_type_in_order(frozen: APIServer) -> None:
    _, out, _ = kubectl(frozen, "get", "svc,sc", "-o", "name")
    assert out == "service/kubernetes\nstorageclass.storage.k8s.io/standard\n"


def test_yaml_of_a_list_is_a_kind_list_with_empty_resource_version(frozen: APIServer) -> None:
    add_pod(frozen, "web")
    _, out, _ = kubectl(frozen, "get", "pods", "-o", "yaml")
    doc = yaml.safe_load(out)
    assert doc["kind"] == "List" and doc["metadata"] == {"resourceVersion": ""}
    assert [i["metadata"]["name"] for i in doc["items"]] == ["web"]
    assert 'resourceVersion: ""' in out and 'creationTimestamp: "' in out


def test_single_object_json_is_the_object_with_sorted_keys(frozen: APIServer) -> None:
    _, out, _ = kubectl(frozen, "get", "svc", "kubernetes", "-o", "json")
    assert out.startswith('{\n    "apiVersion": "v1",\n    "kind": "Service",\n    "metadata": {')


@pytest.mark.parametrize(
    "template, expected",
    [
        ("{.items[*].metadata.name}", "kind-control-plane worker-1 worker-2 worker-3"),
        ('{.items[0].status.addresses[?(@.type=="InternalIP")].address}', "172.18.0.2"),
        ('{range .items[*]}{.metadata.name}{"\\n"}{end}', "kind-control-plane\nworker-1\nworker-2\nworker-3\n"),
        ("{.items[-1].metadata.labels.kubernetes\\.io/hostname}", "worker-3"),
        ("{.kind}", "List"),
    ],
)
def test_jsonpath_output(frozen: APIServer, template: str, expected: str) -> None:
    code, out, _ = kubectl(frozen, "get", "nodes", "-o", f"jsonpath={template}")
    assert (code, out) == (0, expected)


def test_a_jsonpath_that_would_keep_the_server_busy_is_refused(frozen: APIServer) -> None:
    """The dashboard's kubectl runs on the class server: ranges nested eleven deep over four nodes are 4**11 steps."""
    nested = "{range $.items[*]}" * 11 + "x" + "{end}" * 11
    code, out, err = kubectl(frozen, "get", "nodes", "-o", f"jsonpath={nested}")
    assert (code, out) == (1, "")
    assert (
        err
        == "error: error executing jsonpath: the template does more than the simulated kubectl does for one command\n"
    )


def test_custom_columns_print_none_for_missing_fields(frozen: APIServer) -> None:
    _, out, _ = kubectl(frozen, "get", "svc", "-o", "custom-columns=NAME:.metadata.name,SEL:.spec.selector")
    assert out == "NAME         SEL\nkubernetes   <none>\n"


def test_no_headers_drops_the_header_line(frozen: APIServer) -> None:
    _, out, _ = kubectl(frozen, "get", "ns", "--no-headers")
    assert [line.split()[0] for line in out.splitlines()] == [
        "default",
        "kube-node-lease",
        "kube-public",
        "kube-system",
    ]


def test_watch_prints_the_table_then_stops_after_its_timeout(frozen: APIServer) -> None:
    code, out, _ = kubectl(frozen, "get", "svc", "-w", "--request-timeout=0.01s")
    assert code == 0 and out.splitlines()[1].startswith("kubernetes ")


class _ClockMovesWhileWatching(io.StringIO):
    """The page's stream of a watch: after the first table, the cluster is fast-forwarded ten minutes (by the
    reconciler, through another Cluster object) and the pod changes; after the second, the learner stops."""

    def __init__(self, api: APIServer, stop: threading.Event) -> None:
        super().__init__()
        self.api, self.stop, self.flushes = api, stop, 0

    def flush(self) -> None:
        self.flushes += 1
        if self.flushes == 1:
            moved = Cluster.objects.get(pk=self.api.cluster.pk)
            Cluster.objects.filter(pk=moved.pk).update(virtual_anchor=moved.virtual_anchor + dt.timedelta(minutes=10))
            pod = APIServer(Cluster.objects.get(pk=moved.pk)).get("pods", "default", "web")
            pod["metadata"]["labels"] = {"seen": "later"}
            APIServer(Cluster.objects.get(pk=moved.pk)).update("pods", "default", "web", pod)
        elif "later" in self.getvalue() or self.flushes > 50:
            self.stop.set()


def test_a_watch_prints_ages_from_the_clock_as_it_is_when_the_change_comes(frozen: APIServer) -> None:
    add_pod(frozen, "web")
    stop = threading.Event()
    out = _ClockMovesWhileWatching(frozen, stop)
    code = cli.run(frozen, ["get", "pod", "web", "-w", "--show-labels"], io.StringIO(), out, io.StringIO(), stop=stop)
    rows = [line.split() for line in out.getvalue().splitlines()[1:]]
    assert code == 0 and [(row[4], row[5]) for row in rows] == [("0s", "<none>"), ("10m", "seen=later")]
