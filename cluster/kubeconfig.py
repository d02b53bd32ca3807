"""A kubeconfig that points a real kubectl at a simulated cluster."""
from __future__ import annotations

import yaml

from cluster.models import Cluster


def kubeconfig(cluster: Cluster, server: str) -> dict:
    name = f"kubeclass-{cluster.name}"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": f"{server.rstrip('/')}/k8s/{cluster.name}"}}],
        "users": [{"name": name, "user": {"token": cluster.token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name, "namespace": "default"}}],
        "current-context": name,
        "preferences": {},
    }


def kubeconfig_yaml(cluster: Cluster, server: str) -> str:
    return yaml.safe_dump(kubeconfig(cluster, server), sort_keys=False)
