"""Helpers for the Job, CronJob, DaemonSet and StatefulSet tests: manifests in, the whole cluster run.

Unlike tests/workloads.py, which drives one controller's `reconcile` at a time,
these run every component (controllers, scheduler, kubelets) with the
reconciler's driver in fast-forward on the cluster's virtual clock, as
`manage.py simulate` does, and read the outcome through the API server and the
in-process kubectl.
"""
from __future__ import annotations

import io
import shlex

import yaml

from cluster import clock
from cluster.apiserver.resources import by_kind
from cluster.apiserver.server import APIServer
from cluster.kubectl import cli
from cluster.models import Cluster
from cluster.reconciler.driver import ClusterDriver


class Sim:
    """One frozen-clock cluster, its driver and a kubectl."""

    def __init__(self, cluster: Cluster) -> None:
        clock.set_speed(cluster, 0.0)
        self.cluster = Cluster.objects.get(pk=cluster.pk)
        self.driver = ClusterDriver(self.cluster)
        self.api = APIServer(self.cluster, client="test")

    def run(self, seconds: float) -> None:
        """Fast-forward the whole cluster by `seconds` of virtual time."""
        self.driver.fast_forward(seconds=seconds)

    def kubectl(self, line: str, stdin: str = "") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        api = APIServer(Cluster.objects.get(pk=self.cluster.pk), client="kubectl")
        code = cli.run(api, shlex.split(line), io.StringIO(stdin), out, err)
        return code, out.getvalue(), err.getvalue()

    def ok(self, line: str) -> str:
        code, out, err = self.kubectl(line)
        assert code == 0, err
        return out

    def apply(self, text: str) -> list[dict]:
        """Create every document of a manifest through the API server."""
        created = []
        for doc in yaml.safe_load_all(text):
            rt = by_kind(doc["apiVersion"], doc["kind"])
            namespace = doc["metadata"].get("namespace", "default") if rt.namespaced else None
            created.append(self.api.create(rt, namespace, doc))
        return created

    def get(self, resource: str, name: str, namespace: str = "default") -> dict:
        return self.api.get(resource, namespace, name)

    def pods(self, namespace: str = "default", prefix: str = "") -> list[dict]:
        items = self.api.list("pods", namespace)["items"]
        return sorted((p for p in items if p["metadata"]["name"].startswith(prefix)),
                      key=lambda p: p["metadata"]["name"])

    def events(self, kind: str, namespace: str = "default") -> list[tuple[str, str, str]]:
        """(type, reason, message) of the Events about objects of `kind`, oldest first."""
        items = self.api.list("events", namespace)["items"]
        items = [e for e in items if (e.get("involvedObject") or {}).get("kind") == kind]
        items.sort(key=lambda e: (e.get("firstTimestamp") or "", int(e["metadata"]["resourceVersion"])))
        return [(e["type"], e["reason"], e["message"]) for e in items]

    def rows(self, line: str) -> list[list[str]]:
        """`kubectl get …` output as split rows, without the header."""
        return [row.split() for row in self.ok(line).splitlines()[1:]]


def conditions(obj: dict) -> list[tuple[str, str, str]]:
    return [(c["type"], c["status"], c.get("reason", "")) for c in (obj.get("status") or {}).get("conditions") or []]


def labels(obj: dict) -> dict:
    return obj["metadata"].get("labels") or {}
