"""`kubectl describe` in-process, and kubeclass's verbs against the real kubectl v1.32 on a live server."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from cluster import clock, events
from cluster.apiserver.server import APIServer
from cluster.kubectl import cli
from tests import livesrv, workloads


def kubectl(api: APIServer, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(api, list(argv), stdin=io.StringIO(), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def describe(api: APIServer, *argv: str) -> str:
    code, out, err = kubectl(api, "describe", *argv)
    assert (code, err) == (0, ""), err
    return out


@pytest.fixture
def frozen(api: APIServer) -> APIServer:
    clock.set_speed(api.cluster, 0)
    return api


POD_STATUS = {
    "phase": "Running",
    "podIP": "10.244.1.5",
    "podIPs": [{"ip": "10.244.1.5"}],
    "hostIP": "172.18.0.3",
    "startTime": "2026-11-26T18:30:00Z",
    "qosClass": "Burstable",
    "conditions": [{"type": "Ready", "status": "True"}, {"type": "PodScheduled", "status": "True"}],
    "containerStatuses": [
        {
            "name": "nginx",
            "image": "nginx:1.27",
            "imageID": "docker.io/library/nginx@sha256:abc",
            "containerID": "containerd://123",
            "ready": True,
            "restartCount": 0,
            "state": {"running": {"startedAt": "2026-11-26T18:30:01Z"}},
        },
        {
            "name": "side",
            "image": "busybox",
            "imageID": "",
            "ready": False,
            "restartCount": 2,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {
                "terminated": {
                    "exitCode": 1,
                    "reason": "Error",
                    "startedAt": "2026-11-26T18:30:01Z",
                    "finishedAt": "2026-11-26T18:30:02Z",
                }
            },
        },
    ],
}


def make_pod(api: APIServer) -> dict:
    api.create(
        "pods",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p1", "labels": {"app": "web", "tier": "fe"}, "annotations": {"note": "hi"}},
            "spec": {
                "nodeName": "worker-1",
                "containers": [
                    {
                        "name": "nginx",
                        "image": "nginx:1.27",
                        "ports": [{"containerPort": 80}],
                        "env": [{"name": "A", "value": "b"}],
                        "resources": {"limits": {"cpu": "500m"}, "requests": {"cpu": "250m", "memory": "64Mi"}},
                    },
                    {"name": "side", "image": "busybox", "command": ["sh", "-c", "sleep 1000"]},
                ],
            },
        },
    )
    return api.update_with("pods", "default", "p1", lambda p: {**p, "status": POD_STATUS}, subresource="status")


def test_pod_describe_lists_containers_states_and_events(frozen: APIServer) -> None:
    pod = make_pod(frozen)
    events.record(
        frozen, pod, "Normal", "Scheduled", "Successfully assigned default/p1 to worker-1", "default-scheduler"
    )
    clock.advance(frozen.cluster, 90)
    for _ in range(2):
        events.record(
            frozen, pod, "Warning", "BackOff", "Back-off restarting failed container side", "kubelet", host="worker-1"
        )
    text = describe(frozen, "pod", "p1")
    token_volume = pod["spec"]["volumes"][0]["name"]  # the ServiceAccount admission plugin's kube-api-access-…
    assert text.startswith("Name:             p1\nNamespace:        default\n")
    assert (
        "Node:             worker-1/172.18.0.3\nStart Time:       Thu, 26 Nov 2026 18:30:00 +0000\n"
        "Labels:           app=web\n                  tier=fe\nAnnotations:      note: hi\n"
        "Status:           Running\nIP:               10.244.1.5\nIPs:\n  IP:  10.244.1.5\n" in text
    )
    assert (
        "  nginx:\n    Container ID:   containerd://123\n    Image:          nginx:1.27\n"
        "    Image ID:       docker.io/library/nginx@sha256:abc\n    Port:           80/TCP\n"
        "    Host Port:      0/TCP\n    State:          Running\n"
        "      Started:      Thu, 26 Nov 2026 18:30:01 +0000\n    Ready:          True\n"
        "    Restart Count:  0\n    Limits:\n      cpu:  500m\n    Requests:\n      cpu:     250m\n"
        "      memory:  64Mi\n    Environment:\n      A:  b\n    Mounts:\n"
        f"      /var/run/secrets/kubernetes.io/serviceaccount from {token_volume} (ro)\n"
    ) in text
    assert (
        f"Volumes:\n  {token_volume}:\n"
        "    Type:                    Projected (a volume that contains injected data from multiple sources)\n"
        "    TokenExpirationSeconds:  3607\n    ConfigMapName:           kube-root-ca.crt\n"
        "    ConfigMapOptional:       <nil>\n    DownwardAPI:             true\n"
    ) in text
    assert (
        "    Command:\n      sh\n      -c\n      sleep 1000\n    State:          Waiting\n"
        "      Reason:       CrashLoopBackOff\n    Last State:     Terminated\n      Reason:       Error\n"
        "      Exit Code:    1\n"
    ) in text
    assert "Conditions:\n  Type           Status\n  Ready          True \n  PodScheduled   True \n" in text
    assert text.endswith(
        "Events:\n"
        "  Type     Reason     Age              From               Message\n"
        "  ----     ------     ----             ----               -------\n"
        "  Normal   Scheduled  90s              default-scheduler  Successfully assigned default/p1 to worker-1\n"
        "  Warning  BackOff    0s (x2 over 0s)  kubelet            Back-off restarting failed container side\n"
    )


def test_objects_without_events_say_none(frozen: APIServer) -> None:
    make_pod(frozen)
    # as wide as the token volume's
    assert describe(frozen, "pod", "p1").endswith("\nEvents:                      <none>\n")


def test_deployment_describe_after_a_rollout_names_old_and_new_replicasets(frozen: APIServer) -> None:
    frozen.create("deployments", "default", workloads.deployment(replicas=2, image="nginx:1.26"))
    workloads.settle(frozen)
    workloads.ready_all(frozen)
    workloads.settle(frozen)
    workloads.set_image(frozen, "nginx:1.27")
    workloads.settle(frozen)
    text = describe(frozen, "deploy", "web")
    web = frozen.get("deployments", "default", "web")
    assert text.startswith("Name:                   web\nNamespace:              default\n")
    assert f"Replicas:               2 desired | {web['status'].get('updatedReplicas', 0)} updated | " in text
    assert (
        "StrategyType:           RollingUpdate\nMinReadySeconds:        0\n"
        "RollingUpdateStrategy:  25% max unavailable, 25% max surge\nPod Template:\n  Labels:  app=web\n" in text
    )
    assert "Conditions:\n  Type           Status  Reason\n  ----           ------  ------\n" in text
    rss = sorted(
        workloads.replica_sets(frozen), key=lambda rs: rs["spec"]["template"]["spec"]["containers"][0]["image"]
    )
    old, new = rss
    # The conditions table and these two lines share a tabwriter block, as in kubectl.
    assert (
        f"OldReplicaSets:  {old['metadata']['name']} ({old['status'].get('replicas', 0)}/"
        f"{old['spec']['replicas']} replicas created)\n" in text
    )
    assert f"NewReplicaSet:   {new['metadata']['name']} ({new['status'].get('replicas', 0)}/" in text
    assert "  Normal  ScalingReplicaSet  " in text


def test_replicaset_describe_counts_its_pods_by_phase(frozen: APIServer) -> None:
    frozen.create("deployments", "default", workloads.deployment(replicas=3))
    workloads.settle(frozen)
    pods = workloads.pods(frozen)
    workloads.make_ready(frozen, pods[0])
    rs = workloads.replica_sets(frozen)[0]
    text = describe(frozen, "rs", rs["metadata"]["name"])
    assert (
        "Controlled By:  Deployment/web\nReplicas:       3 current / 3 desired\n"
        "Pods Status:    1 Running / 2 Waiting / 0 Succeeded / 0 Failed\n" in text
    )
    assert "  Normal  SuccessfulCreate  " in text


def test_service_describe_shows_ports_and_ready_endpoints(frozen: APIServer) -> None:
    frozen.create(
        "services",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
        },
    )
    frozen.create(
        "endpointslices.discovery.k8s.io",
        "default",
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": "web-abcde", "labels": {"kubernetes.io/service-name": "web"}},
            "addressType": "IPv4",
            "ports": [{"name": "", "port": 8080, "protocol": "TCP"}],
            "endpoints": [{"addresses": [f"10.244.1.{i}"], "conditions": {"ready": i != 3}} for i in range(1, 6)],
        },
    )
    text = describe(frozen, "svc", "web")
    ip = frozen.get("services", "default", "web")["spec"]["clusterIP"]
    assert "Selector:                 app=web\nType:                     ClusterIP\n" in text
    assert f"IP:                       {ip}\nIPs:                      {ip}\n" in text
    assert "Port:                     <unset>  80/TCP\nTargetPort:               8080/TCP\n" in text
    assert "Endpoints:                10.244.1.1:8080,10.244.1.2:8080,10.244.1.4:8080 + 1 more...\n" in text


def test_node_describe_totals_the_pods_on_it(frozen: APIServer) -> None:
    make_pod(frozen)
    text = describe(frozen, "node", "worker-1")
    assert (
        "Unschedulable:      false\n"
        'Lease:              Failed to get lease: leases.coordination.k8s.io "worker-1" not found\n'
        in text
        or "Lease:\n  HolderIdentity:" in text
    )
    assert (
        "Non-terminated Pods:          (1 in total)\n"
        "  Namespace                   Name    CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age\n"
        "  ---------                   ----    ------------  ----------  ---------------  -------------  ---\n"
        "  default                     p1      250m (12%)    500m (25%)  64Mi (0%)        0 (0%)         0s\n" in text
    )
    assert "  cpu                250m (12%)  500m (25%)\n  memory             64Mi (0%)   0 (0%)\n" in text


def test_namespace_configmap_secret_and_endpoints(frozen: APIServer) -> None:
    kubectl(frozen, "create", "configmap", "cfg", "--from-literal=b=2", "--from-literal=a=1")
    kubectl(frozen, "create", "secret", "generic", "sec", "--from-literal=pw=s3cret")
    assert describe(frozen, "ns", "kube-system").startswith("Name:         kube-system\nLabels:       ")
    assert describe(frozen, "cm", "cfg") == (
        "Name:         cfg\nNamespace:    default\nLabels:       <none>\nAnnotations:  <none>\n\nData\n====\n"
        "a:\n----\n1\n\nb:\n----\n2\n\n\nBinaryData\n====\n\nEvents:  <none>\n"
    )
    assert describe(frozen, "secret", "sec").endswith("\nType:  Opaque\n\nData\n====\npw:  6 bytes\n")
    frozen.create(
        "endpoints",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": "web"},
            "subsets": [{"addresses": [{"ip": "10.244.1.5"}], "ports": [{"port": 80, "protocol": "TCP"}]}],
        },
    )
    assert describe(frozen, "ep", "web").endswith(
        "Subsets:\n  Addresses:          10.244.1.5\n  NotReadyAddresses:  <none>\n  Ports:\n"
        "    Name     Port  Protocol\n    ----     ----  --------\n    <unset>  80    TCP\n\nEvents:  <none>\n"
    )


def test_volumes_and_autoscalers(frozen: APIServer) -> None:
    frozen.create(
        "persistentvolumeclaims",
        "default",
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        },
    )
    text = describe(frozen, "pvc", "data")
    assert text.startswith("Name:          data\nNamespace:     default\nStorageClass:  ")
    assert "Used By:       <none>\n" in text
    frozen.create(
        "persistentvolumes",
        None,
        {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": "pv1"},
            "spec": {
                "capacity": {"storage": "5Gi"},
                "accessModes": ["ReadWriteOnce"],
                "hostPath": {"path": "/data"},
                "persistentVolumeReclaimPolicy": "Retain",
            },
        },
    )
    text = describe(frozen, "pv", "pv1")
    assert "Reclaim Policy:  Retain\nAccess Modes:    RWO\n" in text
    assert "Source:\n    Type:          HostPath (bare host directory volume)\n    Path:          /data\n" in text
    frozen.create(
        "horizontalpodautoscalers",
        "default",
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "minReplicas": 1,
                "maxReplicas": 5,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}},
                    }
                ],
            },
        },
    )
    text = describe(frozen, "hpa", "web")
    assert "Reference:                                             Deployment/web\n" in text
    assert "  resource cpu on pods  (as a percentage of request):  <unknown> / 50%\n" in text
    assert "Min replicas:                                          1\n" in text


def test_describe_type_describes_every_object_two_blank_lines_apart(frozen: APIServer) -> None:
    kubectl(frozen, "create", "configmap", "a")
    kubectl(frozen, "create", "configmap", "b")
    text = describe(frozen, "cm")
    assert text.count("Name:         ") == 3  # a, b and the root CA publisher's kube-root-ca.crt
    assert "Events:  <none>\n\n\nName:         b\n" in text


def test_describe_falls_back_to_a_name_prefix(frozen: APIServer) -> None:
    kubectl(frozen, "create", "configmap", "web-1")
    kubectl(frozen, "create", "configmap", "web-2")
    text = describe(frozen, "cm", "web")
    assert text.count("Name:         web-") == 2 and text.endswith("Events:  <none>\n\n")


@pytest.mark.parametrize(
    "argv, code, out, err",
    [
        (["describe", "deploy", "nope"], 1, "", 'Error from server (NotFound): deployments.apps "nope" not found\n'),
        (["describe", "foo"], 1, "", 'error: the server doesn\'t have a resource type "foo"\n'),
        (["describe", "deploy"], 0, "", "No resources found in default namespace.\n"),
        (
            ["describe"],
            1,
            "",
            'error: You must specify the type of resource to describe. Use "kubectl api-resources" '
            "for a complete list of supported resources.\n",
        ),
    ],
)
def test_describe_errors(frozen: APIServer, argv: list[str], code: int, out: str, err: str) -> None:
    assert kubectl(frozen, *argv) == (code, out, err)


# -- against the real kubectl v1.32 on a live server --------------------------
# The same commands run through the real /usr/bin/kubectl (over HTTPS to a live Daphne server) and through
# kubeclass's kubectl (in a subprocess on the server's own SQLite file); both must print the same bytes.
# Commands that change things run in two namespaces, `real` and `ours`, so each side changes its own objects.
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
