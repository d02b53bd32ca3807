"""What `kubeadm init` and the first kubelets leave behind in a new cluster.

The four system namespaces, the `kubernetes` Service in default, the worker
Nodes as their kubelets register them, and a default StorageClass as kind
installs one. All of it is written through the API server like any other
client would.
"""
from __future__ import annotations

import ipaddress
import random

from django.db import transaction

from cluster.apiserver.server import APIServer
from cluster.models import Cluster, ReconcilerLease, default_object_limit

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
KUBELET_VERSION = "v1.32.0"
NODE_CAPACITY = {"cpu": "2", "memory": "8010948Ki", "pods": "110", "ephemeral-storage": "102625208Ki",
                 "hugepages-1Gi": "0", "hugepages-2Mi": "0"}
NODE_ALLOCATABLE = {"cpu": "2", "memory": "8010948Ki", "pods": "110", "ephemeral-storage": "102625208Ki",
                    "hugepages-1Gi": "0", "hugepages-2Mi": "0"}


FIRST_POD_CIDR = ipaddress.IPv4Address("10.244.0.0")  # kind's podSubnet; one /24 per node, in order
FIRST_NODE_IP = ipaddress.IPv4Address("172.18.0.2")  # the first address kind's docker network gives out


def pod_cidr(index: int) -> str:
    """The node IPAM controller's /24 for the index-th node (past 10.244.255.0 it goes on in 10.245…)."""
    return f"{FIRST_POD_CIDR + 256 * index}/24"


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
            "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                            "volumes.kubernetes.io/controller-managed-attach-detach": "true"},
        },
        "spec": {"podCIDR": cidr, "podCIDRs": [cidr]},
        "status": {
            "capacity": dict(NODE_CAPACITY),
            "allocatable": dict(NODE_ALLOCATABLE),
            "addresses": [{"type": "InternalIP", "address": str(FIRST_NODE_IP + index)},
                          {"type": "Hostname", "address": name}],
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


def kubernetes_service() -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"clusterIP": "10.96.0.1", "ports": [{"name": "https", "port": 443, "protocol": "TCP",
                                                       "targetPort": 6443}],
                 "sessionAffinity": "None", "type": "ClusterIP"},
    }


def kube_dns_service() -> dict:
    """CoreDNS's Service as kubeadm installs it; pods resolve names through 10.96.0.10 (cluster/dns.py)."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "kube-dns", "namespace": "kube-system",
                     "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                                "kubernetes.io/name": "CoreDNS"},
                     "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"}},
        "spec": {"clusterIP": "10.96.0.10", "selector": {"k8s-app": "kube-dns"},
                 "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                           {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                           {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}],
                 "sessionAffinity": "None", "type": "ClusterIP"},
    }


def default_storage_class() -> dict:
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "standard",
                     "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "rancher.io/local-path",
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
    }


# What every sandbox is created with, as an administrator would bound a namespace they hand out
# (the cluster-wide key limit, Cluster.object_limit, stays the backstop for other namespaces).
SANDBOX_QUOTA = {"pods": "200", "services": "50", "configmaps": "200", "secrets": "200",
                 "persistentvolumeclaims": "20", "requests.storage": "100Gi", "count/deployments.apps": "100",
                 "count/replicasets.apps": "500"}
SANDBOX_CLAIM_MAX = "10Gi"


def sandbox_limits() -> list[dict]:
    """The ResourceQuota and LimitRange a sandbox's default namespace starts with."""
    quota = {"apiVersion": "v1", "kind": "ResourceQuota",
             "metadata": {"name": "sandbox", "namespace": "default"}, "spec": {"hard": dict(SANDBOX_QUOTA)}}
    limits = {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "sandbox", "namespace": "default"},
              "spec": {"limits": [{"type": "PersistentVolumeClaim", "max": {"storage": SANDBOX_CLAIM_MAX}}]}}
    return [quota, limits]


def add_sandbox_limits(cluster: Cluster) -> None:
    api = APIServer(cluster, client="kubeadm")
    api.create("resourcequotas", "default", sandbox_limits()[0])
    api.create("limitranges", "default", sandbox_limits()[1])


def populate(cluster: Cluster, nodes: int) -> None:
    api = APIServer(cluster, client="kubeadm")
    for name in SYSTEM_NAMESPACES:
        api.create("namespaces", None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    api.create("services", "default", kubernetes_service())
    api.create("services", "kube-system", kube_dns_service())
    api.create("storageclasses", None, default_storage_class())
    for index in range(1, nodes + 1):
        api.create("nodes", None, node_manifest(f"worker-{index}", index, cluster.seed))


def create_cluster(name: str, nodes: int = 3, seed: int = 0, owner_session: str = "",
                   object_limit: int | None = None, sandbox: bool = False) -> Cluster:
    """A new cluster; `object_limit` bounds its live keys (None: KUBECLASS_OBJECT_LIMIT, 0: unbounded);
    a `sandbox` (a learner's) also gets the ResourceQuota and LimitRange of `sandbox_limits`."""
    with transaction.atomic():
        cluster = Cluster.objects.create(name=name, seed=seed, owner_session=owner_session,
                                         object_limit=default_object_limit() if object_limit is None
                                         else object_limit)
        populate(cluster, nodes)
        if sandbox:
            add_sandbox_limits(cluster)
    return cluster


def reset_cluster(cluster: Cluster, nodes: int | None = None) -> Cluster:
    """Empty the cluster and bootstrap it again, keeping its name, token and seed."""
    node_count = nodes if nodes is not None else max(1, APIServer(cluster).store.count("/registry/minions/"))
    with transaction.atomic():
        cluster.entries.all().delete()
        cluster.history.all().delete()
        cluster.steps.all().delete()
        cluster.runtime_states.all().delete()
        ReconcilerLease.objects.filter(cluster=cluster).update(revealed_seq=0, steps_wanted=0)
        Cluster.objects.filter(pk=cluster.pk).update(revision=0, compact_revision=0, key_count=0)
        cluster.revision = cluster.compact_revision = 0
        populate(cluster, node_count)
    return cluster
