"""kube-controller-manager's root CA certificate publisher (pkg/controller/certificates/rootcacertpublisher).

Every namespace gets a ConfigMap `kube-root-ca.crt` whose `ca.crt` is the CA
bundle that verifies kube-apiserver, with the `kubernetes.io/description`
annotation upstream writes; the ServiceAccount admission plugin's projected
token volume mounts it at /var/run/secrets/kubernetes.io/serviceaccount/ca.crt.
A namespace that is added (or updated while Active) is looked at, and so is the
namespace of a `kube-root-ca.crt` that is updated or deleted: an edited or
deleted copy is put back. A create refused because the namespace is gone or
terminating is not retried.

The CA is the one a kubeclass kubeconfig trusts: the API server's self-signed
serving certificate (web/tls.py, in KUBECLASS_TLS_DIR). Where there is none (a
test run without `make run`), a stand-in CA is made from a fixed Ed25519 key, so
it is the same certificate in every process.

Simplified: no metrics, and the reconcile key is the namespace's name.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from pathlib import Path

from django.conf import settings

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer, WatchEvent
from cluster.controllers.base import DONE, Controller, Result

COMPONENT = "root-ca-certificate-publisher-controller"
CONFIGMAP_NAME = "kube-root-ca.crt"  # RootCACertConfigMapName
DESCRIPTION_ANNOTATION = "kubernetes.io/description"
DESCRIPTION = (
    "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints "
    "such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across "
    "distributions of Kubernetes clusters."
)
CERT_NAME = "apiserver.crt"


@functools.lru_cache(maxsize=4)
def _read_ca(directory: str) -> str | None:
    path = Path(directory) / CERT_NAME
    try:
        return path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None


@functools.lru_cache(maxsize=1)
def stand_in_ca() -> str:
    """A CA certificate for runs without a serving certificate; deterministic (Ed25519 signs deterministically)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.x509.oid import NameOID

    key = ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"kubeclass stand-in cluster CA").digest())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    start = dt.datetime(2024, 12, 11, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(hashlib.sha256(b"serial").digest()[:8], "big"))
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, None)
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def root_ca() -> str:
    """The PEM the publisher writes: the API server's certificate, or the stand-in."""
    return _read_ca(str(settings.KUBECLASS_TLS_DIR)) or stand_in_ca()


def root_ca_configmap(namespace: str, ca: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": CONFIGMAP_NAME,
            "namespace": namespace,
            "annotations": {DESCRIPTION_ANNOTATION: DESCRIPTION},
        },
        "data": {"ca.crt": ca},
    }


class RootCACertPublisher(Controller):
    name = COMPONENT
    watches = ("namespaces", "configmaps")

    def __init__(self, api: APIServer) -> None:
        super().__init__(api)
        self.root_ca = root_ca()

    def keys_for(self, resource: str, event: WatchEvent) -> list[str]:
        meta = event.object.get("metadata", {})
        if resource == "configmaps":
            # configMapUpdated, configMapDeleted (an add is this controller's own create)
            if meta.get("name") != CONFIGMAP_NAME or event.type == "ADDED":
                return []
            return [meta.get("namespace", "")]
        if event.type == "DELETED":
            return []
        return [meta["name"]]  # namespaceAdded, namespaceUpdated

    def reconcile(self, key: str) -> Result:
        namespace = self.lister.peek("namespaces", None, key)
        if namespace is None or namespace["metadata"].get("deletionTimestamp"):
            return DONE
        current = self.lister.peek("configmaps", key, CONFIGMAP_NAME)
        if current is None:
            try:
                self.api.create("configmaps", key, root_ca_configmap(key, self.root_ca))
            except StatusError as err:
                if err.code not in (403, 404):
                    raise
                return DONE  # upstream: "don't retry a create if the namespace doesn't exist or is terminating"
            return DONE
        data = {"ca.crt": self.root_ca}
        annotations = current["metadata"].get("annotations") or {}
        if current.get("data") == data and annotations.get(DESCRIPTION_ANNOTATION):
            return DONE

        def publish(obj: dict) -> dict:
            obj["data"] = data
            obj["metadata"].setdefault("annotations", {})[DESCRIPTION_ANNOTATION] = DESCRIPTION
            return obj

        self.api.update_with("configmaps", key, CONFIGMAP_NAME, publish)
        return DONE
