"""A new cluster looks like `kind create cluster` with three workers: through the API server and kubectl.

kube-system as kind shows it (the control plane's mirror pods on kind-control-plane, CoreDNS behind
kube-dns, kube-proxy and kindnet on every node), a `default` ServiceAccount and a `kube-root-ca.crt`
in every namespace, the token volume the ServiceAccount admission plugin mounts into every pod,
TokenRequest (`kubectl create token`), and the refusal of a pod whose ServiceAccount does not exist.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
from pathlib import Path
from typing import Iterator

import pytest

from cluster import clock
from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer
from cluster.bootstrap import create_cluster
from cluster.controllers.rootcacertpublisher import DESCRIPTION, root_ca
from cluster.kubectl import cli
from cluster.models import Cluster
from cluster.reconciler.driver import ClusterDriver

KIND_KUBE_SYSTEM = [
    "coredns-",
    "coredns-",
    "etcd-kind-control-plane",
    "kindnet-",
    "kindnet-",
    "kindnet-",
    "kindnet-",
    "kube-apiserver-kind-control-plane",
    "kube-controller-manager-kind-control-plane",
    "kube-proxy-",
    "kube-proxy-",
    "kube-proxy-",
    "kube-proxy-",
    "kube-scheduler-kind-control-plane",
]


def kubectl(cluster: Cluster, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(
        APIServer(Cluster.objects.get(pk=cluster.pk), client="kubectl"), list(argv), io.StringIO(stdin), out, err
    )
    return code, out.getvalue(), err.getvalue()


def ok(cluster: Cluster, *argv: str, stdin: str = "") -> str:
    code, out, err = kubectl(cluster, *argv, stdin=stdin)
    assert code == 0, err
    return out


def settle(cluster: Cluster, seconds: float | None = None) -> None:
    ClusterDriver(Cluster.objects.get(pk=cluster.pk)).fast_forward(seconds=seconds)


@pytest.fixture
def kind(cluster: Cluster) -> Cluster:
    """The fixture cluster (three workers) once its control loops have settled, as a learner finds it."""
    clock.set_speed(cluster, 0.0)
    settle(cluster)
    return Cluster.objects.get(pk=cluster.pk)


def rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()[1:]]


# -- kube-system, nodes -------------------------------------------------------------------------
def test_kube_system_lists_what_a_kind_cluster_lists(kind: Cluster) -> None:
    table = rows(ok(kind, "get", "pods", "-n", "kube-system"))
    names = [row[0] for row in table]
    assert len(names) == len(KIND_KUBE_SYSTEM)
    assert all(name.startswith(prefix) for name, prefix in zip(names, KIND_KUBE_SYSTEM)), names
    assert all(row[1:3] == ["1/1", "Running"] for row in table), table
    assert re.fullmatch(r"coredns-[0-9a-f]{8,10}-[a-z0-9]{5}", names[0])
    assert re.fullmatch(r"kube-proxy-[a-z0-9]{5}", names[9])
    wide = {row[0]: row[6] for row in rows(ok(kind, "get", "pods", "-n", "kube-system", "-o", "wide"))}
    assert {n for n, node in wide.items() if node == "kind-control-plane"} >= {
        names[0],
        names[1],
        "etcd-kind-control-plane",
        "kube-apiserver-kind-control-plane",
        "kube-controller-manager-kind-control-plane",
        "kube-scheduler-kind-control-plane",
    }
    assert sorted(node for n, node in wide.items() if n.startswith("kube-proxy-")) == [
        "kind-control-plane",
        "worker-1",
        "worker-2",
        "worker-3",
    ]
    assert rows(ok(kind, "get", "deploy", "coredns", "-n", "kube-system"))[0][1:4] == ["2/2", "2", "2"]
    assert rows(ok(kind, "get", "ds", "-n", "kube-system"))[1][:6] == ["kube-proxy", "4", "4", "4", "4", "4"]


def test_nodes_are_kind_control_plane_and_the_workers(kind: Cluster) -> None:
    table = rows(ok(kind, "get", "nodes"))
    assert [(r[0], r[1], r[2]) for r in table] == [
        ("kind-control-plane", "Ready", "control-plane"),
        ("worker-1", "Ready", "<none>"),
        ("worker-2", "Ready", "<none>"),
        ("worker-3", "Ready", "<none>"),
    ]
    node = APIServer(kind).get("nodes", None, "kind-control-plane")
    assert node["spec"]["taints"] == [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    assert node["spec"]["podCIDR"] == "10.244.0.0/24"
    assert node["metadata"]["labels"]["node-role.kubernetes.io/control-plane"] == ""
    assert node["status"]["addresses"][0] == {"type": "InternalIP", "address": "172.18.0.2"}


def test_the_control_plane_runs_as_mirror_pods_owned_by_the_node(kind: Cluster) -> None:
    api = APIServer(kind)
    node = api.get("nodes", None, "kind-control-plane")
    for component, cpu in (
        ("etcd", "100m"),
        ("kube-apiserver", "250m"),
        ("kube-controller-manager", "200m"),
        ("kube-scheduler", "100m"),
    ):
        pod = api.get("pods", "kube-system", f"{component}-kind-control-plane")
        meta, spec = pod["metadata"], pod["spec"]
        assert meta["labels"] == {"component": component, "tier": "control-plane"}
        notes = meta["annotations"]
        assert notes["kubernetes.io/config.source"] == "file"
        assert notes["kubernetes.io/config.mirror"] == notes["kubernetes.io/config.hash"]
        assert re.fullmatch(r"[0-9a-f]{32}", notes["kubernetes.io/config.hash"])
        assert meta["ownerReferences"] == [
            {
                "apiVersion": "v1",
                "controller": True,
                "kind": "Node",
                "name": "kind-control-plane",
                "uid": node["metadata"]["uid"],
            }
        ]
        assert spec["nodeName"] == "kind-control-plane" and spec["hostNetwork"] is True
        assert (spec["priorityClassName"], spec["priority"]) == ("system-node-critical", 2000001000)
        assert "serviceAccountName" not in spec and "volumes" in spec  # hostPaths, no token volume
        assert not any("projected" in v for v in spec["volumes"])
        assert spec["containers"][0]["resources"]["requests"]["cpu"] == cpu
        assert spec["tolerations"] == [{"effect": "NoExecute", "operator": "Exists"}]
    described = ok(kind, "describe", "pod", "-n", "kube-system", "kube-apiserver-kind-control-plane")
    assert re.search(r"\nControlled By:\s+Node/kind-control-plane\n", described)
    assert "\nPriority Class Name:  system-node-critical\n" in described


def test_a_mirror_pod_may_not_name_a_service_account(api: APIServer) -> None:
    static = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "static-worker-1", "annotations": {"kubernetes.io/config.mirror": "abc"}},
        "spec": {
            "nodeName": "worker-1",
            "serviceAccountName": "default",
            "containers": [{"name": "c", "image": "nginx"}],
        },
    }
    with pytest.raises(StatusError) as err:
        api.create("pods", "default", static)
    assert (err.value.code, err.value.message) == (
        403,
        'pods "static-worker-1" is forbidden: mirror pods may not reference service accounts',
    )


def test_coredns_is_kubeadms_deployment_and_backs_kube_dns(kind: Cluster) -> None:
    api = APIServer(kind)
    deployment = api.get("deployments", "kube-system", "coredns")
    template = deployment["spec"]["template"]["spec"]
    container = template["containers"][0]
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["template"]["metadata"]["labels"] == {"k8s-app": "kube-dns"}
    assert container["image"] == "registry.k8s.io/coredns/coredns:v1.11.3"
    assert container["resources"] == {"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}}
    assert template["tolerations"] == [
        {"key": "CriticalAddonsOnly", "operator": "Exists"},
        {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"},
    ]
    assert (
        template["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0][
            "podAffinityTerm"
        ]["topologyKey"]
        == "kubernetes.io/hostname"
    )
    assert template["priorityClassName"] == "system-cluster-critical" and template["dnsPolicy"] == "Default"
    pods = api.list("pods", "kube-system", label_selector="k8s-app=kube-dns")["items"]
    assert [p["spec"]["nodeName"] for p in pods] == ["kind-control-plane", "kind-control-plane"]
    ips = sorted(p["status"]["podIP"] for p in pods)
    endpoints = ok(kind, "get", "endpoints", "kube-dns", "-n", "kube-system").splitlines()[1]
    assert endpoints.split(None, 1)[1].startswith(f"{ips[0]}:53,{ips[1]}:53,{ips[0]}:53 + 3 more...   ")
    subset = api.get("endpoints", "kube-system", "kube-dns")["subsets"][0]
    assert sorted(a["ip"] for a in subset["addresses"]) == ips
    assert sorted((p["name"], p["port"], p["protocol"]) for p in subset["ports"]) == [
        ("dns", 53, "UDP"),
        ("dns-tcp", 53, "TCP"),
        ("metrics", 9153, "TCP"),
    ]


def test_the_kubernetes_service_has_the_api_servers_address(kind: Cluster) -> None:
    """kube-apiserver's endpoint reconciler writes them; the endpoints controllers leave a selectorless Service be."""
    node_ip = "172.18.0.2"  # kind-control-plane
    assert ok(kind, "get", "endpoints", "kubernetes").splitlines()[1].split()[:2] == ["kubernetes", f"{node_ip}:6443"]
    assert ok(kind, "get", "endpointslices", "kubernetes").splitlines()[1].split()[:4] == [
        "kubernetes",
        "IPv4",
        "6443",
        node_ip,
    ]
    assert f"Endpoints:                {node_ip}:6443\n" in ok(kind, "describe", "service", "kubernetes")


def test_cluster_dns_still_answers_from_a_pod(kind: Cluster) -> None:
    ok(kind, "run", "client", "--image=registry.k8s.io/e2e-test-images/agnhost:2.39", "--", "pause")
    settle(kind, 20)
    answer = ok(kind, "exec", "client", "--", "nslookup", "kubernetes")
    assert "Server:\t\t10.96.0.10" in answer and "Address: 10.96.0.1" in answer


# -- ServiceAccounts and kube-root-ca.crt -------------------------------------------------------
def test_every_namespace_gets_a_default_service_account_and_the_root_ca(kind: Cluster) -> None:
    listed = rows(ok(kind, "get", "sa", "-A"))
    assert [r[:3] for r in listed if r[1] == "default"] == [
        ["default", "default", "0"],
        ["kube-node-lease", "default", "0"],
        ["kube-public", "default", "0"],
        ["kube-system", "default", "0"],
    ]
    ok(kind, "create", "namespace", "team-a")
    settle(kind, 5)
    assert ok(kind, "get", "sa", "-n", "team-a").splitlines()[0].split() == ["NAME", "SECRETS", "AGE"]
    assert rows(ok(kind, "get", "sa", "-n", "team-a"))[0][:2] == ["default", "0"]
    assert rows(ok(kind, "get", "cm", "kube-root-ca.crt", "-n", "team-a"))[0][:2] == ["kube-root-ca.crt", "1"]
    cm = APIServer(kind).get("configmaps", "team-a", "kube-root-ca.crt")
    assert cm["metadata"]["annotations"] == {"kubernetes.io/description": DESCRIPTION}
    assert cm["data"] == {"ca.crt": root_ca()}
    assert cm["data"]["ca.crt"].startswith("-----BEGIN CERTIFICATE-----\n")
    assert ok(kind, "describe", "sa", "default", "-n", "team-a") == (
        "Name:                default\nNamespace:           team-a\nLabels:              <none>\n"
        "Annotations:         <none>\nImage pull secrets:  <none>\nMountable secrets:   <none>\n"
        "Tokens:              <none>\nEvents:              <none>\n"
    )


def test_a_deleted_default_account_and_an_edited_root_ca_come_back(kind: Cluster) -> None:
    assert ok(kind, "delete", "sa", "default") == 'serviceaccount "default" deleted\n'
    ok(kind, "patch", "cm", "kube-root-ca.crt", "-p", '{"data":{"ca.crt":"not a certificate"}}')
    settle(kind, 5)
    api = APIServer(kind)
    assert api.get("serviceaccounts", "default", "default")["metadata"]["name"] == "default"
    assert api.get("configmaps", "default", "kube-root-ca.crt")["data"] == {"ca.crt": root_ca()}
    ok(kind, "delete", "cm", "kube-root-ca.crt")
    settle(kind, 5)
    assert api.get("configmaps", "default", "kube-root-ca.crt")["data"] == {"ca.crt": root_ca()}


def test_a_deleted_namespace_takes_its_account_and_root_ca_with_it(kind: Cluster) -> None:
    ok(kind, "create", "namespace", "gone")
    settle(kind, 5)
    ok(kind, "delete", "namespace", "gone", "--wait=false")
    settle(kind, 30)
    code, _, err = kubectl(kind, "get", "namespace", "gone")
    assert code == 1 and err == 'Error from server (NotFound): namespaces "gone" not found\n'
    assert APIServer(kind).list("serviceaccounts", "gone")["items"] == []
    assert APIServer(kind).list("configmaps", "gone")["items"] == []


# -- the ServiceAccount admission plugin ------------------------------------------------------------
def test_a_pod_gets_upstreams_token_volume_in_every_container(api: APIServer) -> None:
    pod = api.create(
        "pods",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web"},
            "spec": {
                "initContainers": [{"name": "init", "image": "busybox", "command": ["true"]}],
                "containers": [
                    {"name": "web", "image": "nginx"},
                    {
                        "name": "side",
                        "image": "busybox",
                        "volumeMounts": [{"name": "own", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}],
                    },
                ],
                "volumes": [{"name": "own", "emptyDir": {}}],
            },
        },
    )
    spec = pod["spec"]
    name = spec["volumes"][1]["name"]
    assert re.fullmatch(r"kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}", name)
    assert spec["serviceAccountName"] == spec["serviceAccount"] == "default"
    assert spec["volumes"][1] == {
        "name": name,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {
                    "downwardAPI": {
                        "items": [
                            {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}
                        ]
                    }
                },
            ],
        },
    }
    mount = {"name": name, "readOnly": True, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}
    assert spec["initContainers"][0]["volumeMounts"] == [mount]
    assert spec["containers"][0]["volumeMounts"] == [mount]
    assert spec["containers"][1]["volumeMounts"] == [  # a mount of its own at the path keeps the token out
        {"name": "own", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}
    ]
    other = api.create(
        "pods",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "other"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
        },
    )
    assert other["spec"]["volumes"][0]["name"] != name  # each pod draws its own suffix


def test_the_yaml_of_a_pod_shows_the_volume_as_kubectl_get_does(kind: Cluster) -> None:
    ok(kind, "run", "web", "--image=nginx:1.27")
    text = ok(kind, "get", "pod", "web", "-o", "yaml")
    name = re.search(r"name: (kube-api-access-\w{5})", text).group(1)
    assert (
        f"    volumeMounts:\n    - mountPath: /var/run/secrets/kubernetes.io/serviceaccount\n"
        f"      name: {name}\n      readOnly: true\n"
    ) in text
    assert (
        f"  volumes:\n  - name: {name}\n    projected:\n      defaultMode: 420\n      sources:\n"
        "      - serviceAccountToken:\n          expirationSeconds: 3607\n          path: token\n"
        "      - configMap:\n          items:\n          - key: ca.crt\n            path: ca.crt\n"
        "          name: kube-root-ca.crt\n      - downwardAPI:\n          items:\n          - fieldRef:\n"
        "              apiVersion: v1\n              fieldPath: metadata.namespace\n"
        "            path: namespace\n"
    ) in text
    settle(kind, 20)
    described = ok(kind, "describe", "pod", "web")
    assert (f"    Mounts:\n      /var/run/secrets/kubernetes.io/serviceaccount from {name} (ro)\n") in described
    assert (
        f"Volumes:\n  {name}:\n"
        "    Type:                    Projected (a volume that contains injected data from multiple sources)\n"
        "    TokenExpirationSeconds:  3607\n    ConfigMapName:           kube-root-ca.crt\n"
        "    ConfigMapOptional:       <nil>\n    DownwardAPI:             true\n"
        "QoS Class:                   BestEffort\n"
    ) in described
    assert rows(ok(kind, "get", "pod", "web"))[0][1:3] == ["1/1", "Running"]


@pytest.mark.parametrize(
    "pod_says, account_says, mounted",
    [(None, None, True), (False, None, False), (None, False, False), (True, False, True), (False, True, False)],
)
def test_automount_follows_the_pod_then_the_account(api: APIServer, pod_says, account_says, mounted) -> None:
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}}
    if account_says is not None:
        account["automountServiceAccountToken"] = account_says
    api.create("serviceaccounts", "default", account)
    spec: dict = {"serviceAccountName": "robot", "containers": [{"name": "c", "image": "nginx"}]}
    if pod_says is not None:
        spec["automountServiceAccountToken"] = pod_says
    pod = api.create("pods", "default", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec})
    assert bool(pod["spec"].get("volumes")) is mounted
    assert bool(pod["spec"]["containers"][0].get("volumeMounts")) is mounted


def test_a_pod_naming_a_missing_account_is_refused_as_upstream(kind: Cluster) -> None:
    manifest = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  serviceAccountName: ghost\n"
        "  containers:\n  - name: c\n    image: nginx\n"
    )
    code, out, err = kubectl(kind, "apply", "-f", "-", stdin=manifest)
    assert code == 1 and out == ""
    assert err == (
        'Error from server (Forbidden): error when creating "STDIN": pods "p" is forbidden: error looking '
        'up service account default/ghost: serviceaccount "ghost" not found\n'
    )
    ok(kind, "create", "sa", "ghost")
    assert ok(kind, "apply", "-f", "-", stdin=manifest) == "pod/p created\n"


def test_a_controllers_pods_wait_for_their_account(kind: Cluster) -> None:
    ok(kind, "create", "deployment", "web", "--image=nginx:1.27")
    ok(kind, "patch", "deployment", "web", "-p", '{"spec":{"template":{"spec":{"serviceAccountName":"builder"}}}}')
    settle(kind, 10)
    events = ok(kind, "get", "events", "--field-selector", "reason=FailedCreate")
    assert re.search(
        r'Error creating: pods "web-[a-z0-9]+-" is forbidden: error looking up service account '
        r'default/builder: serviceaccount "builder" not found',
        events,
    ), events
    ok(kind, "create", "serviceaccount", "builder")
    settle(kind, 30)
    pods = APIServer(kind).list("pods", "default", label_selector="app=web")["items"]
    assert {p["spec"]["serviceAccountName"] for p in pods} >= {"builder"}


# -- TokenRequest --------------------------------------------------------------------------------
def _claims(token: str) -> tuple[dict, dict, bytes]:
    header, payload, signature = token.split(".")

    def decode(part: str) -> bytes:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

    return json.loads(decode(header)), json.loads(decode(payload)), decode(signature)


def test_kubectl_create_token_prints_a_service_account_jwt(kind: Cluster) -> None:
    out = ok(kind, "create", "token", "default")
    assert out.count(".") == 2 and not out.endswith("\n")  # kubectl prints the token alone, no newline
    header, claims, signature = _claims(out.strip())
    account = APIServer(kind).get("serviceaccounts", "default", "default")
    assert header["alg"] == "RS256" and header["kid"]
    assert claims["aud"] == ["https://kubernetes.default.svc.cluster.local"]
    assert claims["iss"] == "https://kubernetes.default.svc.cluster.local"
    assert claims["sub"] == "system:serviceaccount:default:default"
    assert claims["kubernetes.io"] == {
        "namespace": "default",
        "serviceaccount": {"name": "default", "uid": account["metadata"]["uid"]},
    }
    assert claims["exp"] - claims["iat"] == 3600 and claims["nbf"] == claims["iat"] and len(signature) == 256
    _, longer, _ = _claims(ok(kind, "create", "token", "default", "--duration=2h", "--audience=api").strip())
    assert (longer["exp"] - longer["iat"], longer["aud"]) == (7200, ["api"])
    request = json.loads(ok(kind, "create", "token", "default", "-o", "json"))
    assert (request["kind"], request["apiVersion"]) == ("TokenRequest", "authentication.k8s.io/v1")
    assert request["spec"] == {
        "audiences": ["https://kubernetes.default.svc.cluster.local"],
        "expirationSeconds": 3600,
        "boundObjectRef": None,
    }
    assert request["metadata"]["name"] == "default" and request["status"]["expirationTimestamp"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["create", "token", "nope"], 'error: failed to create token: serviceaccounts "nope" not found\n'),
        (
            ["create", "token", "default", "--duration=1m"],
            'error: failed to create token: TokenRequest.authentication.k8s.io "default" is invalid: '
            "spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes\n",
        ),
        (
            ["create", "token"],
            "error: exactly one NAME is required, got 0\nSee 'kubectl create token -h' for help and examples\n",
        ),
    ],
)
def test_kubectl_create_token_errors(api: APIServer, argv: list[str], message: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert cli.run(api, argv, io.StringIO(), out, err) == 1
    assert (out.getvalue(), err.getvalue()) == ("", message)


def test_discovery_lists_serviceaccounts_and_their_token_subresource(api: APIServer) -> None:
    from cluster.apiserver.http import discovery

    entries = {e["name"]: e for e in discovery.api_resource_list("", "v1")["resources"]}
    assert entries["serviceaccounts"]["shortNames"] == ["sa"]
    assert entries["serviceaccounts/token"] == {
        "name": "serviceaccounts/token",
        "singularName": "",
        "namespaced": True,
        "group": "authentication.k8s.io",
        "version": "v1",
        "kind": "TokenRequest",
        "verbs": ["create"],
    }


# -- the kind layout as the scheduler sees it --------------------------------------------------------
def test_failed_scheduling_counts_the_control_plane_node(kind: Cluster) -> None:
    ok(
        kind,
        "apply",
        "-f",
        "-",
        stdin="apiVersion: v1\nkind: Pod\nmetadata: {name: huge}\nspec:\n  containers:\n"
        "  - {name: huge, image: nginx, resources: {requests: {cpu: '3'}}}\n",
    )
    settle(kind, 5)
    assert (
        "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "3 Insufficient cpu. preemption: 0/4 nodes are available: 1 Preemption is not helpful for "
        "scheduling, 3 No preemption victims found for incoming pod."
    ) in ok(kind, "describe", "pod", "huge")
    # tried once: the scheduler's own status write (PodScheduled False) does not send it round again
    failed = [e for e in APIServer(kind).list("events", "default")["items"] if e["reason"] == "FailedScheduling"]
    assert [e.get("count", 1) for e in failed] == [1]


def test_a_cluster_without_addons_is_workers_only(db) -> None:
    bare = create_cluster("bare", nodes=2, seed=1, addons=False)
    api = APIServer(bare)
    assert [n["metadata"]["name"] for n in api.list("nodes")["items"]] == ["worker-1", "worker-2"]
    assert api.list("pods", "kube-system")["items"] == []
    assert api.get("services", "kube-system", "kube-dns")["spec"]["clusterIP"] == "10.96.0.10"
    assert [s["metadata"]["name"] for s in api.list("serviceaccounts")["items"]] == ["default"] * 4


# -- the real kubectl ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_kubectl(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[object]:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not on PATH")
    from tests.livesrv import LiveKubectl, shared_cluster

    workdir: Path = tmp_path_factory.mktemp("kind-live")
    for server in shared_cluster(request.getfixturevalue("live_daphne"), "kind"):
        yield LiveKubectl(server, workdir, quiet=True)


def test_the_real_kubectl_creates_tokens_and_lists_accounts(real_kubectl) -> None:
    token = real_kubectl.run("create", "token", "default").stdout
    assert "\n" not in token
    _header, claims, _signature = _claims(token)
    assert claims["sub"] == "system:serviceaccount:default:default"
    assert real_kubectl.run("create", "sa", "robot").stdout == "serviceaccount/robot created\n"
    assert [line.split()[0] for line in real_kubectl.run("get", "sa").stdout.splitlines()] == [
        "NAME",
        "default",
        "robot",
    ]
    missing = real_kubectl.run("create", "token", "ghost", check=False)
    assert missing.returncode == 1
    assert missing.stderr == 'error: failed to create token: serviceaccounts "ghost" not found\n'
    assert "kube-apiserver-kind-control-plane" in real_kubectl.run("get", "pods", "-n", "kube-system").stdout
