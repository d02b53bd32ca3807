"""The seams ARCHITECTURE.md names, checked: the component contract, the driver's back-off, the hooks
an API server is given, the shared pod questions and the page's kubectl verbs."""

from __future__ import annotations

import ast
import datetime as dt
import pathlib

from django.test import Client

from cluster import podutil
from cluster.apiserver.hooks import ClientHooks
from cluster.apiserver.server import APIServer
from cluster.component import Component, Controller
from cluster.components import CONTROL_PLANE, NODE_AGENTS
from cluster.kubectl import cli
from cluster.reconciler.workqueue import ItemExponentialBackoff, WorkQueue

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}


def test_every_component_keeps_the_declared_contract(api: APIServer) -> None:
    for cls in (*CONTROL_PLANE, *NODE_AGENTS):
        assert issubclass(cls, Controller) and cls.name and cls.watches, cls
    component: Component = CONTROL_PLANE[0](api)  # the protocol is what the driver types against
    assert component.paused is False and component.wants_relist is False
    assert component.is_housekeeping("default/x") is False


def test_the_scheduler_kubelet_proxy_and_dns_do_not_import_controllers() -> None:
    for name in (
        "scheduler/scheduler.py",
        "kubelet.py",
        "kubelet_pods.py",
        "kubelet_images.py",
        "kubelet_terminate.py",
        "kubelet_backoff.py",
        "proxy.py",
        "dns.py",
    ):
        found = {m for m in _imports(ROOT / "cluster" / name) if m.startswith("cluster.controllers")}
        assert not found, (name, found)


def test_a_failing_key_backs_off_exponentially_and_success_forgets_it() -> None:
    backoff = ItemExponentialBackoff(base=1.0, cap=5.0)
    assert [backoff.when("a") for _ in range(4)] == [1.0, 2.0, 4.0, 5.0]
    assert backoff.when("b") == 1.0  # per key
    backoff.forget("a")
    assert backoff.when("a") == 1.0
    queue, now = WorkQueue(), dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    assert queue.add_rate_limited("k", now) == 1.0 and queue.add_rate_limited("k", now) == 2.0
    queue.forget("k")
    assert queue.backoff.retries("k") == 0


def test_an_api_server_is_given_its_hooks_and_reports_traffic_to_its_observers(cluster) -> None:
    journal: list = []
    api = APIServer(cluster, client="kubelet", hooks=ClientHooks(host="worker-1", journal=journal))
    assert api.store.journal is journal
    heard: list = []
    api.add_observer(lambda kind, detail: heard.append(kind))
    api.report("traffic", {})
    assert heard == ["traffic"]
    api.create("configmaps", "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    assert journal and "write" in heard


def test_pod_readiness_and_availability_are_asked_one_way() -> None:
    since = "2026-01-01T00:00:00Z"
    pod = {
        "metadata": {},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": since}],
        },
    }
    later = dt.datetime(2026, 1, 1, 0, 0, 10, tzinfo=dt.timezone.utc)
    assert podutil.is_ready(pod) and podutil.is_active(pod) and not podutil.is_terminal(pod)
    assert podutil.is_available(pod, 5, later) and not podutil.is_available(pod, 10, later)
    assert not podutil.is_ready({"metadata": {}, "status": {"phase": "Pending"}})


def test_the_page_completes_every_verb_kubectl_knows(cluster) -> None:
    page = Client().get(f"/c/{cluster.name}/?token={cluster.token}").content.decode()
    verbs = cli.verb_names()
    assert {"autoscale", "load-generator", "get", "rollout"} <= set(verbs)
    assert f'data-kubectl-verbs="{" ".join(verbs)}"' in page
