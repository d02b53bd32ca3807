"""The real kubectl (v1.32) against a live server: PDBs, evictions and drain print what the in-process kubectl prints.

Each command is run twice — by /usr/bin/kubectl over HTTPS, and by `manage.py kubectl` against the
same cluster (which then waits on the wall clock, since the server drives the cluster) — and the
outputs are compared byte for byte where kubectl's own output is deterministic.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from tests.livesrv import ROOT, Daphne, LiveKubectl, LiveServer, shared_cluster

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

PDB = """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web-pdb
spec:
  minAvailable: 1
  selector:
    matchLabels:
      app: web
"""


class Both:
    """The real kubectl and the in-process one, on one live cluster."""

    def __init__(self, server: LiveServer, home: Path) -> None:
        self.server = server
        self.kubectl = LiveKubectl(server, home)

    def real(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return self.kubectl.run(*args, stdin=stdin, check=False, timeout=60)

    def ours(self, *args: str) -> subprocess.CompletedProcess:
        argv = [sys.executable, str(ROOT / "manage.py"), "kubectl", "--cluster", self.server.cluster, *args]
        return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60, env=self.server.env)

    def wait_for(self, check: object, seconds: float = 30.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if check():  # type: ignore[operator]
                return
            time.sleep(0.5)
        raise AssertionError("timed out")


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, live_daphne: Daphne) -> Iterator[Both]:
    workdir = tmp_path_factory.mktemp("disruption-live")
    for server in shared_cluster(live_daphne, "disruption", nodes=2):
        b = Both(server, workdir)
        assert b.real("create", "deployment", "web", "--image=nginx:1.27", "--replicas=2").returncode == 0
        assert b.real("apply", "-f", "-", stdin=PDB).returncode == 0
        pdb = ("get", "pdb", "web-pdb", "-o", "jsonpath={.status.currentHealthy}/{.status.disruptionsAllowed}")
        b.wait_for(lambda both=b, args=pdb: both.real(*args).stdout == "2/1")
        yield b


def test_get_and_describe_pdb_print_the_same(both: Both) -> None:
    def aged(text: str) -> str:  # an event's age may tick over between the two commands
        return re.sub(r"(?m)^(  (?:Normal|Warning)\s+\S+\s+)\S+( \(x\d+ over \S+\))?", r"\1AGE", text)

    for _ in range(3):  # a status write between the two commands would change the counts: look again
        real, ours = both.real("describe", "pdb", "web-pdb"), both.ours("describe", "pdb", "web-pdb")
        if aged(real.stdout) == aged(ours.stdout):
            break
    assert (real.returncode, aged(real.stdout), real.stderr) == (ours.returncode, aged(ours.stdout), ours.stderr)
    for args in (["get", "pdb"], ["get", "pdb", "web-pdb", "-o", "wide"]):
        real, ours = both.real(*args), both.ours(*args)
        without_age = [line.rsplit(None, 1)[0] for line in real.stdout.splitlines()]
        assert without_age == [line.rsplit(None, 1)[0] for line in ours.stdout.splitlines()]
        assert real.stdout.splitlines()[0].split() == ours.stdout.splitlines()[0].split()
    assert both.real("get", "pdb", "--no-headers").stdout.split()[:4] == ["web-pdb", "1", "N/A", "1"]


def test_drain_without_ignore_daemonsets_fails_alike(both: Both) -> None:
    real = both.real("drain", "worker-1")
    assert both.real("uncordon", "worker-1").returncode == 0
    ours = both.ours("drain", "worker-1")
    assert both.real("uncordon", "worker-1").returncode == 0
    assert real.returncode == ours.returncode == 1
    assert (real.stdout, real.stderr) == (ours.stdout, ours.stderr)
    assert "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): kube-system/" in real.stderr


def test_a_client_dry_run_drain_lists_the_same_evictions(both: Both) -> None:
    args = ["drain", "worker-1", "--ignore-daemonsets", "--dry-run=client"]
    real, ours = both.real(*args), both.ours(*args)
    assert (real.returncode, real.stdout, real.stderr) == (ours.returncode, ours.stdout, ours.stderr)
    assert real.stdout.startswith("node/worker-1 cordoned (dry run)\n") and "(dry run)\n" in real.stdout


def test_an_eviction_the_budget_forbids_is_a_429_for_the_real_kubectl(both: Both) -> None:
    assert both.real("patch", "pdb", "web-pdb", "--type=merge", "-p", '{"spec":{"minAvailable":2}}').returncode == 0
    both.wait_for(
        lambda: both.real("get", "pdb", "web-pdb", "-o", "jsonpath={.status.disruptionsAllowed}").stdout == "0"
    )
    pod = both.real("get", "pods", "-l", "app=web", "-o", "jsonpath={.items[0].metadata.name}").stdout
    body = f'{{"apiVersion":"policy/v1","kind":"Eviction","metadata":{{"name":"{pod}","namespace":"default"}}}}'
    result = both.real("create", "--raw", f"/api/v1/namespaces/default/pods/{pod}/eviction", "-f", "-", stdin=body)
    assert result.returncode == 1
    assert result.stderr == (
        "Error from server (TooManyRequests): Cannot evict pod as it would violate the pod's disruption budget.\n"
    )
    assert both.real("patch", "pdb", "web-pdb", "--type=merge", "-p", '{"spec":{"minAvailable":1}}').returncode == 0


def test_the_real_kubectl_drains_a_node_through_the_eviction_api(both: Both) -> None:
    both.wait_for(
        lambda: both.real("get", "pdb", "web-pdb", "-o", "jsonpath={.status.disruptionsAllowed}").stdout == "1"
    )
    on_node = both.real(
        "get",
        "pods",
        "-l",
        "app=web",
        "--field-selector",
        "spec.nodeName=worker-2",
        "-o",
        "jsonpath={.items[*].metadata.name}",
    ).stdout.split()
    result = both.real("drain", "worker-2", "--ignore-daemonsets", "--timeout=50s")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "node/worker-2 cordoned" and lines[-1] == "node/worker-2 drained"
    assert sorted(line for line in lines if line.startswith("evicting pod ")) == sorted(
        f"evicting pod default/{name}" for name in on_node
    )
    assert sorted(line for line in lines if line.endswith(" evicted")) == sorted(
        f"pod/{name} evicted" for name in on_node
    )
    assert result.stderr.startswith("Warning: ignoring DaemonSet-managed Pods: kube-system/")
    taints = both.real("get", "node", "worker-2", "-o", "jsonpath={.spec.taints[*].key}").stdout
    assert "node.kubernetes.io/unschedulable" in taints
    assert both.real("uncordon", "worker-2").stdout == "node/worker-2 uncordoned\n"
