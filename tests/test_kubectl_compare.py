"""kubeclass's `kubectl get` against the real kubectl v1.32, byte for byte.

The session's live Daphne server (temp SQLite file; this module's cluster `cmp`)
answers the real /usr/bin/kubectl; `manage.py kubectl --cluster cmp` runs against
the same file. The cluster clock is frozen so AGE cannot tick between the two runs.
The YAML check needs no server: kubectl's client-side dry run prints through
the same YAML printer kubectl uses for `get -o yaml`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from tests.livesrv import Daphne, LiveServer, shared_cluster

ROOT = Path(__file__).resolve().parent.parent
KUBECTL = "/usr/bin/kubectl"

pytestmark = pytest.mark.skipif(not Path(KUBECTL).exists(), reason="the real kubectl is not installed")

MANIFESTS = """
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: nginx, image: "nginx:1.27"}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: default}
data: {mode: "fast", retries: "3"}
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: default}
stringData: {password: "s3cret"}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: default}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: solo, namespace: shop, labels: {tier: cache}}
spec: {containers: [{name: redis, image: "redis:7"}]}
"""

CASES = [
    ["get", "pods"],
    ["get", "deploy"],
    ["get", "rs"],
    ["get", "svc"],
    ["get", "ep"],
    ["get", "nodes"],
    ["get", "ns"],
    ["get", "cm"],
    ["get", "secret"],
    ["get", "pv"],
    ["get", "pvc"],
    ["get", "sc"],
    ["get", "pc"],
    ["describe", "pc", "system-cluster-critical"],
    # run --overrides, each override type, and kubectl's words for bad ones
    [
        "run",
        "o1",
        "--image=nginx",
        "--dry-run=client",
        "-o",
        "yaml",
        '--overrides={"spec":{"containers":[{"name":"o1","image":"busybox"}]}}',
    ],
    [
        "run",
        "o2",
        "--image=nginx",
        "--dry-run=client",
        "-o",
        "yaml",
        "--override-type=strategic",
        '--overrides={"spec":{"containers":[{"name":"o2","stdin":true}]}}',
    ],
    [
        "run",
        "o3",
        "--image=nginx",
        "--dry-run=client",
        "-o",
        "yaml",
        "--override-type=json",
        '--overrides=[{"op":"add","path":"/spec/nodeName","value":"w"}]',
    ],
    ["run", "o4", "--image=nginx", "--dry-run=client", "--overrides={bad"],
    ["run", "o5", "--image=nginx", "--dry-run=client", "--override-type=json", "--overrides=[1"],
    ["run", "o6", "--image=nginx", "--dry-run=client", "--override-type=bogus", "--overrides={}"],
    ["get", "hpa"],
    ["get", "events"],
    ["get", "all"],
    ["get", "pods", "-o", "wide"],
    ["get", "nodes", "-o", "wide"],
    ["get", "deploy,svc", "-o", "wide"],
    ["get", "all", "-o", "name"],
    ["get", "pods", "-o", "jsonpath={.items[*].metadata.name}"],
    ["get", "pods", "-A"],
    ["get", "pods", "-A", "-l", "tier=cache"],
    ["get", "pods", "-n", "shop", "--show-labels"],
    ["get", "pod", "nope"],
    ["get", "svc", "web", "-o", "yaml"],
    ["get", "cm", "-o", "json"],
    # --sort-by: more than 12 rows with equal keys, where Go's unstable sort decides the order
    ["get", "pods", "-A", "--sort-by=.spec.nodeName"],
    ["get", "pods", "-A", "-o", "name", "--sort-by=.metadata.name"],
    ["get", "events", "-A", "--sort-by=.metadata.creationTimestamp", "-o", "custom-columns=NAME:.metadata.name"],
    ["get", "cm", "-A", "--sort-by=.metadata.namespace"],
    ["get", "pods", "--sort-by=.metadata.nothing"],
    ["get", "pods", "-o", "name", "--sort-by=.metadata.nothing"],
    ["get", "pods,svc", "--sort-by=.metadata.name"],
    ["get", "pods,svc", "--sort-by=.kind"],
    ["get", "pods", "-A", "-o", "name", "--sort-by=.metadata.uid"],  # hex strings: byte order, not natural
    # kubectl auth, answered for the cluster's admin (system:masters)
    ["auth", "can-i", "create", "pods"],
    ["auth", "can-i", "get", "foo"],
    ["auth", "can-i", "get", "pods/log", "-q"],
    ["auth", "can-i", "get", "/healthz"],
    ["auth", "can-i"],
    ["auth", "whoami"],
    ["auth", "whoami", "-o", "yaml"],
    ["auth", "whoami", "-o", "json"],
]


def _manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, live_daphne: Daphne) -> Iterator[tuple[dict, "_RealKubectl"]]:
    workdir = tmp_path_factory.mktemp("compare")
    env = live_daphne.env
    for server in shared_cluster(live_daphne, "cmp", nodes=3):
        real = _RealKubectl(server, workdir / "cache")
        applied = real.run("apply", "-f", "-", stdin=MANIFESTS)
        assert applied.returncode == 0, applied.stderr
        freeze = (
            "from cluster import clock; from cluster.models import Cluster; "
            "clock.set_speed(Cluster.objects.get(name='cmp'), 0)"
        )
        assert _manage(env, "shell", "-c", freeze).returncode == 0
        yield env, real


class _RealKubectl:
    def __init__(self, server: LiveServer, cache: Path) -> None:
        self.flags = [
            f"--server={server.url}",
            f"--token={server.token}",
            f"--certificate-authority={server.ca_file}",
            f"--cache-dir={cache}",
        ]

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [KUBECTL, *self.flags, *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "KUBECONFIG": "/dev/null"},
        )


_OURS = """
import io, json, sys
from cluster.apiserver.server import APIServer
from cluster.kubectl import cli
results = []
for argv in json.loads(sys.stdin.read()):
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(APIServer("cmp"), argv, stdin=io.StringIO(), stdout=out, stderr=err)
    results.append([code, out.getvalue(), err.getvalue()])
print(json.dumps(results))
"""


def _ours(env: dict, cases: list[list[str]]) -> list[tuple[int, str, str]]:
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + _OURS],
        cwd=ROOT,
        env=env,
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return [tuple(r) for r in json.loads(done.stdout.strip().splitlines()[-1])]


def test_kubeclass_get_prints_what_the_real_kubectl_prints(live) -> None:
    env, real = live
    ours = _ours(env, CASES)
    mismatches = []
    for argv, mine in zip(CASES, ours):
        theirs = real.run(*argv)
        if mine != (theirs.returncode, theirs.stdout, theirs.stderr):
            mismatches.append((argv, mine, (theirs.returncode, theirs.stdout, theirs.stderr)))
    assert mismatches == []


YAML_CASE = [
    "--from-literal=n=123",
    "--from-literal=b=true",
    "--from-literal=t=2024-01-01T00:00:00Z",
    "--from-literal=s=*",
    "--from-literal=c=a: b",
    "--from-literal=m=line1\nline2\n",
    "--from-literal=e=",
    "--from-literal=long=" + " ".join(["word"] * 40),
    "--from-literal=y=yes",
    "--from-literal=o=0755",
    "--from-literal=lead= x",
    "--from-literal=uni=한국어",
    "--from-literal=q=it's",
    "--from-literal=html=<a>&",
]


def test_yaml_output_quotes_and_folds_strings_as_kubectl_does() -> None:
    from cluster.kubectl.output import to_yaml

    def dry_run(fmt: str) -> str:
        done = subprocess.run(
            [KUBECTL, "create", "configmap", "t", *YAML_CASE, "--dry-run=client", "-o", fmt],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "KUBECONFIG": "/dev/null"},
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert to_yaml(json.loads(dry_run("json"))) == dry_run("yaml")
