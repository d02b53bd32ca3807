"""kubeclass's verbs against the real kubectl v1.32 on a live server: `run`, `create`, `set`, `debug`, `describe`, …

The same commands run through the real /usr/bin/kubectl (over HTTPS to a live Daphne server) and through
kubeclass's kubectl (in a subprocess on the server's own SQLite file); both must print the same bytes.
Commands that change things run in two namespaces, `real` and `ours`, so each side changes its own objects.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from tests import livesrv
from tests.test_kubectl_describe import POD_STATUS

KUBECTL = "/usr/bin/kubectl"
ROOT = Path(__file__).resolve().parents[1]
LIVE_MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: app1, labels: {app: app1}, annotations: {team: blue}}
spec:
  replicas: 2
  selector: {matchLabels: {app: app1}}
  template:
    metadata: {labels: {app: app1}}
    spec:
      containers:
      - {name: nginx, image: "nginx:1.26", ports: [{containerPort: 80}],
         env: [{name: A, value: "1"}, {name: B, value: "2"}]}
      - {name: side, image: busybox}
---
apiVersion: v1
kind: Service
metadata: {name: app1}
spec:
  selector: {app: app1}
  ports: [{port: 80, targetPort: 80}]
"""
_OURS = """
import io, json, sys
import django
django.setup()
from cluster.apiserver.server import APIServer
from cluster.kubectl import cli
results = []
for argv in json.loads(sys.stdin.read()):
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(APIServer("verbs"), argv, stdin=io.StringIO(), stdout=out, stderr=err)
    results.append([code, out.getvalue(), err.getvalue()])
print(json.dumps(results))
"""


class Live:
    def __init__(self, server: livesrv.LiveServer, env: dict, workdir: Path) -> None:
        self.env, self.workdir = env, workdir
        self.flags = [
            f"--server={server.url}",
            f"--token={server.token}",
            f"--certificate-authority={server.ca_file}",
            f"--cache-dir={workdir / 'cache'}",
        ]

    def real(self, *argv: str) -> tuple[int, str, str]:
        done = subprocess.run(
            [KUBECTL, *self.flags, *argv],
            capture_output=True,
            text=True,
            timeout=30,
            cwd=self.workdir,
            env={**os.environ, "KUBECONFIG": "/dev/null"},
        )
        return done.returncode, done.stdout, done.stderr

    def ours(self, cases: list[list[str]]) -> list[tuple[int, str, str]]:
        done = subprocess.run(
            [sys.executable, "-c", _OURS],
            cwd=self.workdir,
            env={**self.env, "PYTHONPATH": str(ROOT)},
            input=json.dumps(cases),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return [tuple(r) for r in json.loads(done.stdout.strip().splitlines()[-1])]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Live]:
    if not Path(KUBECTL).exists():
        pytest.skip("the real kubectl is not installed")
    workdir = tmp_path_factory.mktemp("verbs")
    (workdir / "app1.yaml").write_text(LIVE_MANIFEST)
    (workdir / "app1-v2.yaml").write_text(
        LIVE_MANIFEST.replace("nginx:1.26", "nginx:1.27")
        .replace(', {name: B, value: "2"}', "")
        .replace("      - {name: side, image: busybox}\n", "")
        .replace("annotations: {team: blue}", "annotations: {}")
    )
    (workdir / "app1-v3.yaml").write_text(
        (workdir / "app1-v2.yaml")
        .read_text()
        .replace("  replicas: 2\n", "  replicas: 2\n  strategy: {type: Recreate}\n")
    )
    # Both sides must see the same state, so no control loop moves it between the two runs: the cluster's
    # clock stands still.
    daphne: livesrv.Daphne = request.getfixturevalue("live_daphne")
    for server in livesrv.shared_cluster(daphne, "verbs", nodes=2, frozen=True):
        session = Live(server, daphne.env, workdir)
        for namespace in ("real", "ours"):
            assert session.real("create", "namespace", namespace)[0] == 0
        yield session


def _pairs(live: Live, commands: list[list[str]]) -> list[tuple[list[str], tuple, tuple]]:
    ours = live.ours([["-n", "ours", *argv] for argv in commands])
    return [(argv, live.real("-n", "real", *argv), mine) for argv, mine in zip(commands, ours)]


CHANGING_COMMANDS = [
    ["create", "deployment", "web", "--image=nginx", "--replicas=3", "--port=80"],
    ["create", "deployment", "web", "--image=nginx"],
    ["create", "configmap", "cfg", "--from-literal=a=b"],
    ["create", "secret", "generic", "sec", "--from-literal=pw=x"],
    ["create", "service", "clusterip", "websvc", "--tcp=80:8080"],
    ["run", "pod1", "--image=nginx", "--labels=app=solo"],
    ["run", "exp", "--image=nginx", "--port=80", "--expose"],
    ["run", "exp2", "--image=nginx", "--expose"],
    ["run", "exp4", "--image=nginx", "--port=80", "--expose", "--dry-run=server"],
    ["run", "exp5", "--image=nginx", "--port=8080", "--expose", "-o", "name"],
    ["get", "svc", "exp", "exp5", "-o", "jsonpath={.items[*].spec.ports}{.items[*].spec.selector}"],
    ["scale", "deploy/web", "--replicas=5"],
    ["scale", "deploy", "nope", "--replicas=2"],
    ["set", "image", "deployment/web", "nginx=nginx:1.27"],
    ["set", "image", "deployment/web", "nginx=nginx:1.27"],
    ["set", "image", "deployment/web", "foo=nginx:1.27"],
    ["label", "deploy", "web", "tier=fe"],
    ["label", "deploy", "web", "app=other"],
    ["label", "deploy", "web", "tier-"],
    ["label", "deploy", "web", "tier-"],
    ["annotate", "deploy", "web", "note=hi"],
    ["patch", "deploy", "web", "-p", '{"spec":{"replicas":2}}'],
    ["patch", "deploy", "web", "-p", '{"spec":{"replicas":2}}'],
    ["patch", "deploy", "web", "--type=merge", "-p", '{"metadata":{"labels":{"z":"1"}}}'],
    ["expose", "deployment", "web", "--port=80", "--target-port=8080"],
    ["expose", "deployment", "web", "--port=80"],
    ["rollout", "pause", "deploy/web"],
    ["rollout", "pause", "deploy/web"],
    ["rollout", "resume", "deploy/web"],
    ["rollout", "resume", "deploy/web"],
    ["rollout", "history", "deploy/web"],
    ["label", "deploy", "web", "x=y", "--dry-run=client"],
    ["annotate", "deploy", "web", "x=y", "--dry-run=server"],
    ["scale", "deploy", "web", "--replicas=7", "--dry-run=client"],
    ["patch", "deploy", "web", "-p", '{"spec":{"replicas":9}}', "--dry-run=server"],
    ["create", "deployment", "cw", "--image=a,b", "--dry-run=server"],
    ["create", "deployment", "cw", "--image=nginx", "--dry-run=client", "-o", "name"],
    ["delete", "deploy", "web", "--dry-run=client"],
    ["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}{.metadata.labels}"],
    ["apply", "-f", "app1.yaml"],
    ["apply", "-f", "app1.yaml"],
    ["apply", "-f", "app1-v2.yaml"],
    ["get", "deploy", "app1", "-o", "jsonpath={.metadata.annotations.team}{.spec.template.spec.containers}"],
    ["apply", "-f", "app1-v3.yaml"],
    ["get", "deploy", "app1", "-o", "jsonpath={.spec.strategy}"],
    ["delete", "cm", "cfg", "sec"],
    ["delete", "pod", "pod1", "--wait=false"],
    ["delete", "pods", "--all", "-l", "a=b"],
    ["delete", "-f", "app1.yaml", "--wait=false"],
]


def test_changing_commands_print_what_the_real_kubectl_prints(live: Live) -> None:
    mismatches = [(argv, real, mine) for argv, real, mine in _pairs(live, CHANGING_COMMANDS) if real != mine]
    assert mismatches == []


COPY_FIELDS = (
    "jsonpath={.metadata.labels} {.metadata.annotations} {.spec.shareProcessNamespace} {.spec.nodeName} "
    "{range .spec.containers[*]}{.name} {.image} {.command} {.args} {.stdin} {.securityContext};{end}"
)
NODE_FIELDS = (
    'jsonpath={range .items[?(@.spec.nodeName=="worker-2")]}{.metadata.labels} {.spec.restartPolicy} '
    "{.spec.tolerations} {.spec.hostNetwork} {.spec.hostPID} {.spec.hostIPC} "
    '{.spec.volumes[?(@.name=="host-root")]} {.spec.containers[0].name} {.spec.containers[0].command} '
    "{.spec.containers[0].env} {.spec.containers[0].securityContext};{end}"
)
DEBUG_COMMANDS = [
    ["run", "dbg", "--image=nginx"],
    ["debug", "dbg", "--image=busybox:1.28", "-c", "one", "--target=dbg", "--", "sleep", "3600"],
    ["debug", "dbg", "--image=busybox:1.28", "-c", "two", "--profile=general", "--env=A=1", "--arguments-only"],
    ["debug", "dbg", "--image=busybox", "-q", "-c", "three", "--profile=restricted", "--image-pull-policy=Never"],
    ["debug", "dbg", "--image=busybox:1.28", "-c", "four", "--profile=netadmin", "--", "sleep", "5"],
    ["debug", "dbg", "--image=busybox:1.28", "-c", "bad", "--target=nope"],
    ["debug", "dbg", "--image=busybox:1.28", "-c", "Bad_Name"],
    ["debug", "dbg", "-t", "--image=busybox"],
    ["debug", "dbg"],
    ["debug", "--image=busybox"],
    ["debug", "dbg", "--image=busybox", "--profile=bogus"],
    ["debug", "dbg", "--image=busybox", "--image-pull-policy=Sometimes"],
    ["debug", "nope", "--image=busybox", "-c", "x"],
    ["get", "pod", "dbg", "-o", "jsonpath={.spec.ephemeralContainers}"],
    # --copy-to: a copy of the Pod, trimmed by the profile
    ["run", "cp", "--image=busybox:1.28", "--labels=app=cp", "--annotations=note=hi", "--", "sleep", "1d"],
    ["debug", "cp", "--copy-to=cp-a", "--image=busybox:1.28", "-c", "dbg", "--", "sleep", "5"],
    ["debug", "cp", "--copy-to=cp-b", "--set-image=*=ubuntu", "--profile=general"],
    ["debug", "cp", "--copy-to=cp-c", "--container=cp", "--profile=general", "--keep-labels", "--", "sh"],
    [
        "debug",
        "cp",
        "--copy-to=cp-d",
        "--image=busybox",
        "-c",
        "dbg",
        "--profile=restricted",
        "--share-processes=false",
    ],
    ["debug", "cp", "--copy-to=cp-e", "--image=busybox", "-c", "dbg", "--profile=netadmin", "--keep-annotations"],
    ["debug", "cp", "--copy-to=cp-f", "--image=busybox:1.28", "-c", "dbg", "--profile=sysadmin", "--replace"],
    ["get", "pods", "-o", "name"],
    *(["get", "pod", f"cp-{copy}", "-o", COPY_FIELDS] for copy in "abcdef"),
    ["debug", "cp-a", "--copy-to=x"],
    ["debug", "cp-a", "--copy-to=x", "--", "sh"],
    ["debug", "cp-a", "--replace", "--image=busybox"],
    ["debug", "cp-a", "--same-node", "--image=busybox"],
    ["debug", "cp-a", "--set-image=*=ubuntu"],
    ["debug", "cp-a", "--copy-to=x", "--target=cp", "--image=busybox"],
    ["debug", "cp-a", "--copy-to=x", "--set-image=*=UP:per"],
    ["debug", "cp-a", "--copy-to=x", "--set-image=bad"],
    ["debug", "cp-a", "--attach"],
    ["debug", "cp-a", "--copy-to=x", "--image=Bad Image"],
    ["debug", "cp-a", "--copy-to=cp-b", "--image=busybox", "-c", "dbg"],
    # node/NAME: a Pod on the node in its host namespaces (-q: its name has random letters; worker-2, as the
    # describe test below describes worker-1, whose pods' ages kubectl would count by its own clock)
    ["debug", "node/worker-2", "--image=busybox:1.28", "-q", "--", "sleep", "1h"],
    ["debug", "node/worker-2", "--image=busybox:1.28", "-q", "-c", "gen", "--profile=general"],
    ["debug", "nodes/worker-2", "--image=busybox", "-q", "-c", "base", "--profile=baseline", "--", "sleep", "1"],
    ["debug", "node/worker-2", "--image=busybox", "-q", "-c", "net", "--profile=netadmin", "--env=A=1"],
    ["debug", "node/worker-2", "--image=busybox", "-q", "-c", "sys", "--profile=sysadmin"],
    ["debug", "node/worker-2", "--image=busybox", "-q", "-c", "res", "--profile=restricted", "--copy-to=ignored"],
    ["get", "pods", "--sort-by=.spec.containers[0].name", "-o", NODE_FIELDS],
    ["debug", "node/nope", "--image=busybox"],
    ["debug", "node/worker-2"],
    ["debug", "deploy/nope", "--image=busybox", "--profile=general"],
    ["debug", "svc/kubernetes", "--image=busybox", "--profile=general"],
    ["debug", "bogus/x", "--image=busybox"],
]


def test_debug_prints_and_sends_what_the_real_kubectl_does(live: Live) -> None:
    mismatches = [(argv, real, mine) for argv, real, mine in _pairs(live, DEBUG_COMMANDS) if real != mine]
    assert mismatches == [], "\n".join(f"{argv}\n  real: {real}\n  ours: {mine}" for argv, real, mine in mismatches)


def test_describe_prints_what_the_real_kubectl_prints(live: Live) -> None:
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p1, labels: {app: web}, annotations: {note: hi}}\n"
        "spec:\n  nodeName: worker-2\n  containers:\n  - name: nginx\n    image: nginx:1.27\n"
        "    ports: [{containerPort: 80}]\n    resources: {limits: {cpu: 500m}, requests: {cpu: 250m}}\n"
    )
    (live.workdir / "pod.yaml").write_text(pod)
    assert live.real("apply", "-f", "pod.yaml")[0] == 0
    status = json.dumps(
        {
            "status": {k: v for k, v in POD_STATUS.items() if k != "containerStatuses"}
            | {"containerStatuses": POD_STATUS["containerStatuses"][:1]}
        }
    )
    assert live.real("patch", "pod", "p1", "--subresource=status", "--type=merge", "-p", status)[0] == 0
    assert live.real("create", "deployment", "web", "--image=nginx")[0] == 0
    # No ages in these outputs: the real kubectl measures them with its own clock, kubeclass with the
    # cluster's virtual one (the pod runs on worker-2, the node described is worker-1).
    commands = [
        ["describe", "pod", "p1"],
        ["describe", "deploy", "web"],
        ["describe", "svc", "kubernetes"],
        ["describe", "node", "worker-1"],
        ["describe", "ns", "real"],
        ["describe", "pods", "p"],
        ["describe", "deploy", "nope"],
        ["api-resources"],
        ["api-resources", "-o", "wide"],
        ["api-versions"],
        ["explain", "deploy.spec.replicas"],
        ["explain", "pods"],
        ["explain", "pods.spec.containers.ports"],
        ["explain", "svc.spec.foo"],
        ["rollout", "history", "deploy/web"],
    ]
    ours = live.ours(commands)
    mismatches = [(argv, real, mine) for argv, mine in zip(commands, ours) if (real := live.real(*argv)) != mine]
    assert mismatches == [], "\n".join(f"{argv}\n  real: {real}\n  ours: {mine}" for argv, real, mine in mismatches)
