"""`kubectl describe` in-process; tests/test_kubectl_verbs_live.py compares kubeclass's verbs with the real kubectl."""

from __future__ import annotations

import io

import pytest

from cluster import clock, events
from cluster.apiserver.server import APIServer
from cluster.kubectl import cli
from tests import workloads


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
