"""A kubeconfig that points a real kubectl at a simulated cluster.

The server is the https endpoint of the Kubernetes API itself, at its root
(`https://127.0.0.1:6443`), as for a real cluster: the user's bearer token is
what chooses the cluster there (cluster/apiserver/http/auth.py). When the
serving certificate is known it is embedded as certificate-authority-data, so
kubectl verifies the server exactly as it does for a real cluster. Kubeconfigs
written before pointed at `<server>/k8s/<cluster>`, which keeps working.
"""

from __future__ import annotations

import base64

import yaml

from cluster.models import Cluster


def kubeconfig(cluster: Cluster, server: str, ca_pem: bytes | None = None) -> dict:
    name = f"kubeclass-{cluster.name}"
    endpoint: dict = {"server": server.rstrip("/")}
    if ca_pem:
        endpoint["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": endpoint}],
        "users": [{"name": name, "user": {"token": cluster.token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name, "namespace": "default"}}],
        "current-context": name,
        "preferences": {},
    }


def kubeconfig_yaml(cluster: Cluster, server: str, ca_pem: bytes | None = None) -> str:
    return yaml.safe_dump(kubeconfig(cluster, server, ca_pem), sort_keys=False)
