"""What `kind create cluster` leaves behind: kubeadm init, kind's CNI and storage, the workers joining.

In the order kind does it, all through the API server as those clients would:
1. `kubeadm init` on the control-plane node `kind-control-plane`: the four
   system namespaces, the `kubernetes` Service, the Node as its kubelet
   registers it (labelled node-role.kubernetes.io/control-plane and
   node.kubernetes.io/exclude-from-external-load-balancers, tainted
   node-role.kubernetes.io/control-plane:NoSchedule), the mirror pods of its
   static pods (etcd, kube-apiserver, kube-controller-manager, kube-scheduler:
   cluster/staticpods.py), and kubeadm's addons (cluster/addons.py): CoreDNS (a Deployment of 2 and the
   kube-dns Service) and kube-proxy (a DaemonSet).
2. kind installs kindnet (a DaemonSet) and the `standard` StorageClass.
3. The control plane, up on its node, rolls CoreDNS out before any worker has
   joined: the deployment controller, the replicaset controller and the
   scheduler each run once here, so both CoreDNS pods are bound to the
   control-plane node — the only node, and one whose taint CoreDNS tolerates —
   as on every kubeadm cluster (kubernetes/kubeadm#1931: "Having both pods on
   the first cp node is expected").
4. `kubeadm join` on each worker: its Node, as its kubelet registers it.
kube-controller-manager is up from the start, so the serviceaccount controller's
`default` accounts and the root CA publisher's `kube-root-ca.crt` are there in
the system namespaces first (one pass of each, as for CoreDNS). The rest — the
DaemonSets' pods on every node, the pods starting — the control loops do once
the reconciler runs.

Why a control-plane node, as kind has one: `kubectl get nodes` and `kubectl get
pods -n kube-system` show learners what a real kind cluster shows, and the
control plane is visible as pods on a node of its own. Lessons keep their
arithmetic: the node is tainted, so their pods never land there, and what it
adds to every worker is only the DaemonSets' pods (kindnet requests 100m CPU
and 50Mi; kube-proxy requests nothing), the same on each node, so the
scheduler's choices among the workers stay the same. Lessons that count nodes
or name them say so (lessons/*/).

`addons=False` (benchmarks, tests of one mechanism) makes the cluster of old:
workers only, with the kube-dns Service but no control-plane node, static pods,
CoreDNS, kube-proxy or kindnet.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import random

from django.db import transaction

from cluster import addons, clock, staticpods
from cluster.apiserver import priorityclasses
from cluster.apiserver.server import APIServer
from cluster.models import Cluster, ReconcilerLease, default_object_limit

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
KUBELET_VERSION = "v1.32.0"
NODE_CAPACITY = {
    "cpu": "2",
    "memory": "8010948Ki",
    "pods": "110",
    "ephemeral-storage": "102625208Ki",
    "hugepages-1Gi": "0",
    "hugepages-2Mi": "0",
}
NODE_ALLOCATABLE = {
    "cpu": "2",
    "memory": "8010948Ki",
    "pods": "110",
    "ephemeral-storage": "102625208Ki",
    "hugepages-1Gi": "0",
    "hugepages-2Mi": "0",
}


FIRST_POD_CIDR = ipaddress.IPv4Address("10.244.0.0")  # kind's podSubnet; one /24 per node, in order
FIRST_NODE_IP = ipaddress.IPv4Address("172.18.0.2")  # the first address kind's docker network gives out


def pod_cidr(index: int) -> str:
    """The node IPAM controller's /24 for the index-th node (past 10.244.255.0 it goes on in 10.245…)."""
    return f"{FIRST_POD_CIDR + 256 * index}/24"


CONTROL_PLANE_NODE = addons.CONTROL_PLANE_NODE
CONTROL_PLANE_TAINT = {"key": addons.CONTROL_PLANE_LABEL, "effect": "NoSchedule"}
CRI_SOCKET_ANNOTATION = "kubeadm.alpha.kubernetes.io/cri-socket"


def node_manifest(name: str, index: int, seed: int) -> dict:
    rng = random.Random(f"{seed}:{name}")
    cidr = pod_cidr(index)
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "beta.kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
            },
            "annotations": {
                CRI_SOCKET_ANNOTATION: "unix:///run/containerd/containerd.sock",
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": {"podCIDR": cidr, "podCIDRs": [cidr]},
        "status": {
            "capacity": dict(NODE_CAPACITY),
            "allocatable": dict(NODE_ALLOCATABLE),
            "addresses": [
                {"type": "InternalIP", "address": str(FIRST_NODE_IP + index)},
                {"type": "Hostname", "address": name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": "%032x" % rng.getrandbits(128),
                "containerRuntimeVersion": "containerd://1.7.24",
                "kernelVersion": "6.1.0-kubeclass",
                "kubeProxyVersion": KUBELET_VERSION,
                "kubeletVersion": KUBELET_VERSION,
                "machineID": "%032x" % rng.getrandbits(128),
                "operatingSystem": "linux",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "systemUUID": "%032x" % rng.getrandbits(128),
            },
            "conditions": [],
        },
    }


def control_plane_manifest(seed: int) -> dict:
    """kind-control-plane as `kubeadm init` leaves it: labelled and tainted as a control-plane node, the first /24."""
    node = node_manifest(CONTROL_PLANE_NODE, 0, seed)
    node["metadata"]["labels"].update(
        {addons.CONTROL_PLANE_LABEL: "", "node.kubernetes.io/exclude-from-external-load-balancers": ""}
    )
    node["spec"]["taints"] = [dict(CONTROL_PLANE_TAINT)]
    return node


def is_control_plane(node: dict) -> bool:
    return addons.CONTROL_PLANE_LABEL in ((node.get("metadata") or {}).get("labels") or {})


def preload_images(cluster: Cluster, node: str) -> None:
    """kind's node image comes with the control plane's and the addons' images in containerd, so their
    pods start with `Container image "…" already present on machine` instead of a pull."""
    from cluster.registry import image_size
    from cluster.runtime import NodeRuntime, parse_image

    runtime = NodeRuntime(cluster, node)
    now = clock.now(cluster)
    for image in addons.NODE_IMAGES:
        ref = parse_image(image)
        if runtime.image(ref) is None:
            runtime.start_pull(ref, image_size(ref.repository), now, cached=False)
            runtime.finish_pull(ref)
    runtime.save()


def join_node(api: APIServer, node: dict, kind_image: bool = True) -> dict:
    """`kubeadm join` on a kind node: the kubelet registers its Node; the node image's images are there."""
    created = api.create("nodes", None, node)
    if kind_image:
        preload_images(api.cluster, created["metadata"]["name"])
    return created


def kubernetes_service() -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"component": "apiserver", "provider": "kubernetes"},
        },
        "spec": {
            "clusterIP": "10.96.0.1",
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
            "sessionAffinity": "None",
            "type": "ClusterIP",
        },
    }


def kubernetes_endpoints(ip: str) -> dict:
    """The API server's own address behind the `kubernetes` Service: kube-apiserver's endpoint reconciler
    (pkg/controlplane/reconcilers) writes it, not the endpoints controller, as the Service has no selector;
    the label keeps the EndpointSlice mirroring controller away, for the reconciler writes the slice too."""
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
        },
        "subsets": [{"addresses": [{"ip": ip}], "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}],
    }


def kubernetes_endpoint_slice(ip: str) -> dict:
    """The same address as an EndpointSlice, as the reconciler's EndpointsAdapter writes it beside the Endpoints."""
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"kubernetes.io/service-name": "kubernetes"},
        },
        "addressType": "IPv4",
        "endpoints": [{"addresses": [ip], "conditions": {"ready": True}}],
        "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
    }


def kube_dns_service() -> dict:
    """CoreDNS's Service as kubeadm installs it; pods resolve names through 10.96.0.10 (cluster/dns.py)."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "kube-dns",
            "namespace": "kube-system",
            "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"},
            "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"},
        },
        "spec": {
            "clusterIP": "10.96.0.10",
            "selector": {"k8s-app": "kube-dns"},
            "ports": [
                {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153},
            ],
            "sessionAffinity": "None",
            "type": "ClusterIP",
        },
    }


def default_storage_class() -> dict:
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "rancher.io/local-path",
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
    }


# What every sandbox is created with, as an administrator would bound a namespace they hand out
# (the cluster-wide key limit, Cluster.object_limit, stays the backstop for other namespaces).
SANDBOX_QUOTA = {
    "pods": "200",
    "services": "50",
    "configmaps": "200",
    "secrets": "200",
    "persistentvolumeclaims": "20",
    "requests.storage": "100Gi",
    "count/deployments.apps": "100",
    "count/replicasets.apps": "500",
}
SANDBOX_CLAIM_MAX = "10Gi"


def sandbox_limits(quota_overrides: dict[str, str] | None = None) -> list[dict]:
    """The ResourceQuota and LimitRange a sandbox's default namespace starts with (an administrator may
    raise or lower any of the quota's `hard` values)."""
    hard = {**SANDBOX_QUOTA, **(quota_overrides or {})}
    quota = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "sandbox", "namespace": "default"},
        "spec": {"hard": hard},
    }
    limits = {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "sandbox", "namespace": "default"},
        "spec": {"limits": [{"type": "PersistentVolumeClaim", "max": {"storage": SANDBOX_CLAIM_MAX}}]},
    }
    return [quota, limits]


def add_sandbox_limits(cluster: Cluster, quota_overrides: dict[str, str] | None = None) -> None:
    quota, limits = sandbox_limits(quota_overrides)
    api = APIServer(cluster, client="kubeadm")
    api.create("resourcequotas", "default", quota)  # validated as any ResourceQuota: a bad quantity is a 422
    api.create("limitranges", "default", limits)


def populate(cluster: Cluster, nodes: int, with_addons: bool = True) -> None:
    api = APIServer(cluster, client="kubeadm")
    for name in SYSTEM_NAMESPACES:
        api.create("namespaces", None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    api.create("services", "default", kubernetes_service())
    for priority_class in priorityclasses.system_objects():  # kube-apiserver's own, at its start
        api.create("priorityclasses", None, priority_class)
    first_controller_passes(cluster)
    if with_addons:
        kubeadm_init(cluster)
    else:
        api.create("services", "kube-system", kube_dns_service())
    api.create("storageclasses", None, default_storage_class())
    if with_addons:
        settle_control_plane(cluster)
    for index in range(1, nodes + 1):  # kubeadm join, one worker after the other
        join_node(api, node_manifest(f"worker-{index}", index, cluster.seed), kind_image=with_addons)


def kubeadm_init(cluster: Cluster) -> None:
    """The control-plane node, its static pods' mirror pods, kubeadm's addons and kind's CNI."""
    kubelet = APIServer(cluster, client=f"kubelet/{CONTROL_PLANE_NODE}")
    node = join_node(kubelet, control_plane_manifest(cluster.seed))
    seen = clock.now(cluster).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")
    ip = node["status"]["addresses"][0]["address"]
    for static in staticpods.static_pods(ip):
        kubelet.create("pods", "kube-system", staticpods.mirror_pod(static, node, seen))
    apiserver = APIServer(cluster, client="kube-apiserver")
    apiserver.create("endpoints", "default", kubernetes_endpoints(ip))
    apiserver.create("endpointslices", "default", kubernetes_endpoint_slice(ip))
    kubeadm = APIServer(cluster, client="kubeadm")
    for obj in addons.kubeadm_addons()[:3]:  # CoreDNS: ServiceAccount, ConfigMap, Deployment, then its Service
        kubeadm.create(obj["kind"].lower() + "s", "kube-system", obj)
    kubeadm.create("services", "kube-system", kube_dns_service())
    for obj in addons.kubeadm_addons()[3:]:  # kube-proxy: ConfigMap, ServiceAccount, DaemonSet
        kubeadm.create(obj["kind"].lower() + "s", "kube-system", obj)
    kind = APIServer(cluster, client="kubectl")  # kind applies its CNI manifest with kubectl
    for obj in addons.kindnet():
        kind.create(obj["kind"].lower() + "s", "kube-system", obj)


def first_controller_passes(cluster: Cluster) -> None:
    """kube-controller-manager starts with the API server: every namespace gets its `default` ServiceAccount
    and its `kube-root-ca.crt` before anything else runs (one pass of each of those two controllers)."""
    from cluster.controllers.rootcacertpublisher import RootCACertPublisher
    from cluster.controllers.serviceaccount import ServiceAccountsController

    for cls in (ServiceAccountsController, RootCACertPublisher):
        controller = cls(APIServer(cluster, client=cls.name))
        for namespace in controller.lister.list("namespaces"):
            controller.reconcile(namespace["metadata"]["name"])


def settle_control_plane(cluster: Cluster) -> None:
    """CoreDNS rolled out while the control-plane node is the only node: one pass of each loop it needs."""
    from cluster.controllers.deployment import DeploymentController
    from cluster.controllers.replicaset import ReplicaSetController
    from cluster.scheduler.scheduler import Scheduler

    key = "kube-system/coredns"
    DeploymentController(APIServer(cluster, client=DeploymentController.name)).reconcile(key)
    replicasets = ReplicaSetController(APIServer(cluster, client=ReplicaSetController.name))
    for rs in replicasets.lister.list("replicasets", "kube-system", label_selector="k8s-app=kube-dns"):
        replicasets.reconcile(f"kube-system/{rs['metadata']['name']}")
    scheduler = Scheduler(APIServer(cluster, client=Scheduler.name))
    for pod in scheduler.lister.list("pods", "kube-system", label_selector="k8s-app=kube-dns"):
        if not pod["spec"].get("nodeName"):
            scheduler.reconcile(f"kube-system/{pod['metadata']['name']}")


def create_cluster(
    name: str,
    nodes: int = 3,
    seed: int = 0,
    owner_session: str = "",
    object_limit: int | None = None,
    sandbox: bool = False,
    addons: bool = True,
    frozen_at: dt.datetime | None = None,
    quota: dict[str, str] | None = None,
) -> Cluster:
    """A new cluster with `nodes` workers; `object_limit` bounds its live keys (None: KUBECLASS_OBJECT_LIMIT,
    0: unbounded); a `sandbox` (a learner's) also gets the ResourceQuota and LimitRange of `sandbox_limits`;
    `addons=False` leaves out the control-plane node and kube-system's workloads (see the module's docstring);
    `frozen_at` starts its virtual clock stopped at that moment, so that even the bootstrap's Events (named
    after the time) replay identically. `quota` gives any cluster the sandbox's limits, with these `hard`
    values instead of the sandbox's (`manage.py cluster create --quota pods=500`)."""
    clock_fields: dict = {}
    if frozen_at is not None:
        clock_fields = {"virtual_anchor": frozen_at, "wall_anchor": frozen_at, "speed": 0.0}
    with transaction.atomic():
        cluster = Cluster.objects.create(
            name=name,
            seed=seed,
            owner_session=owner_session,
            object_limit=default_object_limit() if object_limit is None else object_limit,
            **clock_fields,
        )
        populate(cluster, nodes, with_addons=addons)
        if sandbox or quota is not None:
            add_sandbox_limits(cluster, quota)
    return cluster


def reset_cluster(cluster: Cluster, nodes: int | None = None) -> Cluster:
    """Empty the cluster and bootstrap it again, keeping its name, token and seed (and whether it had addons)."""
    api = APIServer(cluster)
    node_list = api.list("nodes")["items"]
    with_addons = any(is_control_plane(n) for n in node_list) or not node_list
    workers = sum(1 for n in node_list if not is_control_plane(n))
    node_count = nodes if nodes is not None else max(1, workers)
    with transaction.atomic():
        cluster.entries.all().delete()
        cluster.history.all().delete()
        cluster.steps.all().delete()
        cluster.runtime_states.all().delete()
        ReconcilerLease.objects.filter(cluster=cluster).update(revealed_seq=0, steps_wanted=0)
        Cluster.objects.filter(pk=cluster.pk).update(revision=0, compact_revision=0, key_count=0, event_key_count=0)
        cluster.revision = cluster.compact_revision = 0
        populate(cluster, node_count, with_addons=with_addons)
    return cluster
