"""kubectl and the virtual clock of one cluster, for the container tests (test_containers*.py): the in-process
kubectl's answers, and `manage.py simulate` to let virtual time pass."""

from __future__ import annotations

import io

from django.core.management import call_command

from cluster import clock
from cluster.apiserver.server import APIServer
from cluster.kubectl import cli
from cluster.models import Cluster


class Sim:
    """kubectl and the virtual clock of one cluster."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    @property
    def api(self) -> APIServer:
        return APIServer(Cluster.objects.get(pk=self.cluster.pk), client="kubectl")

    def run(self, *argv: str, stdin: str = "") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = cli.run(self.api, list(argv), io.StringIO(stdin), out, err)
        return code, out.getvalue(), err.getvalue()

    def ok(self, *argv: str, stdin: str = "") -> str:
        code, out, err = self.run(*argv, stdin=stdin)
        assert code == 0, err
        return out

    def apply(self, manifest: str) -> None:
        self.ok("apply", "-f", "-", stdin=manifest)

    def wait(self, seconds: float) -> None:
        call_command("simulate", "--cluster", self.cluster.name, "--seconds", str(seconds), stdout=io.StringIO())

    def pod(self, name: str) -> dict:
        return self.api.get("pods", "default", name)

    def container(self, name: str, index: int = 0) -> dict:
        return self.pod(name)["status"]["containerStatuses"][index]

    def events(self, name: str) -> list[tuple[str, str, int]]:
        found = [e for e in self.api.list("events", "default")["items"] if e["involvedObject"]["name"] == name]
        found.sort(key=lambda e: (e["firstTimestamp"], int(e["metadata"]["resourceVersion"])))
        return [(e["reason"], e["message"], e.get("count", 1)) for e in found]

    def status_column(self, name: str) -> str:
        line = self.ok("get", "pod", name).splitlines()[1]
        return line.split()[2]


def frozen(cluster: Cluster) -> Sim:
    """The cluster with its clock standing still: virtual time passes only when a test waits."""
    clock.set_speed(cluster, 0.0)
    return Sim(cluster)
