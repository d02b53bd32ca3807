"""The control plane's static pods on kind's control-plane node, and the mirror pods the kubelet posts for them.

- kubeadm init writes four manifests to /etc/kubernetes/manifests on the control-plane node
  (cmd/kubeadm/app/phases/controlplane and phases/etcd, with kind's kubeadm config: cluster name
  `kind`, pod subnet 10.244.0.0/16, service subnet 10.96.0.0/16): etcd, kube-apiserver,
  kube-controller-manager and kube-scheduler, with their flags, probes, requests and host paths
  (`static_pods`).
- The kubelet runs them from the files and shows each as a mirror pod (`mirror_pod`,
  pkg/kubelet/pod/mirror_client.go): named `<component>-<node>`, annotated with where it came from,
  owned by the Node.

Simplified: the static pods' certificates and kubeconfigs are host paths the simulated nodes do not
have, so their files are empty.
"""

from __future__ import annotations

import copy
import hashlib
import json

from cluster.addons import CONTROL_PLANE_NODE, ETCD_IMAGE, KUBERNETES_VERSION, POD_SUBNET, SERVICE_SUBNET, manifest

MIRROR_ANNOTATION = "kubernetes.io/config.mirror"

_HOSTPATH_CERTS = """
- hostPath: {path: /etc/ssl/certs, type: DirectoryOrCreate}
  name: ca-certs
- hostPath: {path: /etc/ca-certificates, type: DirectoryOrCreate}
  name: etc-ca-certificates
"""
_MOUNT_CERTS = """
- {mountPath: /etc/ssl/certs, name: ca-certs, readOnly: true}
- {mountPath: /etc/ca-certificates, name: etc-ca-certificates, readOnly: true}
"""
_HOSTPATH_SHARE = """
- hostPath: {path: /usr/local/share/ca-certificates, type: DirectoryOrCreate}
  name: usr-local-share-ca-certificates
- hostPath: {path: /usr/share/ca-certificates, type: DirectoryOrCreate}
  name: usr-share-ca-certificates
"""
_MOUNT_SHARE = """
- {mountPath: /usr/local/share/ca-certificates, name: usr-local-share-ca-certificates, readOnly: true}
- {mountPath: /usr/share/ca-certificates, name: usr-share-ca-certificates, readOnly: true}
"""


def _probe(host: str, path: str, port: int, scheme: str, failure: int, period: int, delay: int = 0) -> dict:
    probe: dict = {"failureThreshold": failure, "httpGet": {"host": host, "path": path, "port": port, "scheme": scheme}}
    if delay:
        probe["initialDelaySeconds"] = delay
    probe.update({"periodSeconds": period, "timeoutSeconds": 15})
    return probe


def _static_pod(component: str, container: dict, volumes: list[dict], annotations: dict | None = None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": component,
            "namespace": "kube-system",
            "annotations": dict(annotations or {}),
            "labels": {"component": component, "tier": "control-plane"},
        },
        "spec": {
            "containers": [container],
            "hostNetwork": True,
            "priority": 2000001000,
            "priorityClassName": "system-node-critical",
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "volumes": volumes,
        },
        "status": {},
    }


def static_pods(node_ip: str) -> list[dict]:
    """The four manifests kubeadm init writes for the control-plane node at `node_ip`."""
    etcd = {
        "command": [
            "etcd",
            f"--advertise-client-urls=https://{node_ip}:2379",
            "--cert-file=/etc/kubernetes/pki/etcd/server.crt",
            "--client-cert-auth=true",
            "--data-dir=/var/lib/etcd",
            "--experimental-initial-corrupt-check=true",
            "--experimental-watch-progress-notify-interval=5s",
            f"--initial-advertise-peer-urls=https://{node_ip}:2380",
            f"--initial-cluster={CONTROL_PLANE_NODE}=https://{node_ip}:2380",
            "--key-file=/etc/kubernetes/pki/etcd/server.key",
            f"--listen-client-urls=https://127.0.0.1:2379,https://{node_ip}:2379",
            "--listen-metrics-urls=http://127.0.0.1:2381",
            f"--listen-peer-urls=https://{node_ip}:2380",
            f"--name={CONTROL_PLANE_NODE}",
            "--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt",
            "--peer-client-cert-auth=true",
            "--peer-key-file=/etc/kubernetes/pki/etcd/peer.key",
            "--peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt",
            "--snapshot-count=10000",
            "--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt",
        ],
        "image": ETCD_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "livenessProbe": _probe("127.0.0.1", "/livez", 2381, "HTTP", 8, 10, 10),
        "name": "etcd",
        "readinessProbe": _probe("127.0.0.1", "/readyz", 2381, "HTTP", 3, 1),
        "resources": {"requests": {"cpu": "100m", "memory": "100Mi"}},
        "startupProbe": _probe("127.0.0.1", "/readyz", 2381, "HTTP", 24, 10, 10),
        "volumeMounts": [
            {"mountPath": "/var/lib/etcd", "name": "etcd-data"},
            {"mountPath": "/etc/kubernetes/pki/etcd", "name": "etcd-certs"},
        ],
    }
    etcd_volumes = [
        {"hostPath": {"path": "/etc/kubernetes/pki/etcd", "type": "DirectoryOrCreate"}, "name": "etcd-certs"},
        {"hostPath": {"path": "/var/lib/etcd", "type": "DirectoryOrCreate"}, "name": "etcd-data"},
    ]
    apiserver = {
        "command": [
            "kube-apiserver",
            f"--advertise-address={node_ip}",
            "--allow-privileged=true",
            "--authorization-mode=Node,RBAC",
            "--client-ca-file=/etc/kubernetes/pki/ca.crt",
            "--enable-admission-plugins=NodeRestriction",
            "--enable-bootstrap-token-auth=true",
            "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
            "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
            "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
            "--etcd-servers=https://127.0.0.1:2379",
            "--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
            "--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key",
            "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
            "--proxy-client-cert-file=/etc/kubernetes/pki/front-proxy-client.crt",
            "--proxy-client-key-file=/etc/kubernetes/pki/front-proxy-client.key",
            "--requestheader-allowed-names=front-proxy-client",
            "--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-",
            "--requestheader-group-headers=X-Remote-Group",
            "--requestheader-username-headers=X-Remote-User",
            "--runtime-config=",
            "--secure-port=6443",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--service-account-key-file=/etc/kubernetes/pki/sa.pub",
            "--service-account-signing-key-file=/etc/kubernetes/pki/sa.key",
            f"--service-cluster-ip-range={SERVICE_SUBNET}",
            "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
            "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
        ],
        "image": f"registry.k8s.io/kube-apiserver:{KUBERNETES_VERSION}",
        "imagePullPolicy": "IfNotPresent",
        "livenessProbe": _probe(node_ip, "/livez", 6443, "HTTPS", 8, 10, 10),
        "name": "kube-apiserver",
        "readinessProbe": _probe(node_ip, "/readyz", 6443, "HTTPS", 3, 1),
        "resources": {"requests": {"cpu": "250m"}},
        "startupProbe": _probe(node_ip, "/livez", 6443, "HTTPS", 24, 10, 10),
        "volumeMounts": (
            manifest(_MOUNT_CERTS)
            + [{"mountPath": "/etc/kubernetes/pki", "name": "k8s-certs", "readOnly": True}]
            + manifest(_MOUNT_SHARE)
        ),
    }
    apiserver_volumes = (
        manifest(_HOSTPATH_CERTS)
        + [{"hostPath": {"path": "/etc/kubernetes/pki", "type": "DirectoryOrCreate"}, "name": "k8s-certs"}]
        + manifest(_HOSTPATH_SHARE)
    )
    controller_manager = {
        "command": [
            "kube-controller-manager",
            "--allocate-node-cidrs=true",
            "--authentication-kubeconfig=/etc/kubernetes/controller-manager.conf",
            "--authorization-kubeconfig=/etc/kubernetes/controller-manager.conf",
            "--bind-address=127.0.0.1",
            "--client-ca-file=/etc/kubernetes/pki/ca.crt",
            f"--cluster-cidr={POD_SUBNET}",
            "--cluster-name=kind",
            "--cluster-signing-cert-file=/etc/kubernetes/pki/ca.crt",
            "--cluster-signing-key-file=/etc/kubernetes/pki/ca.key",
            "--controllers=*,bootstrapsigner,tokencleaner",
            "--enable-hostpath-provisioner=true",
            "--kubeconfig=/etc/kubernetes/controller-manager.conf",
            "--leader-elect=true",
            "--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt",
            "--root-ca-file=/etc/kubernetes/pki/ca.crt",
            "--service-account-private-key-file=/etc/kubernetes/pki/sa.key",
            f"--service-cluster-ip-range={SERVICE_SUBNET}",
            "--use-service-account-credentials=true",
        ],
        "image": f"registry.k8s.io/kube-controller-manager:{KUBERNETES_VERSION}",
        "imagePullPolicy": "IfNotPresent",
        "livenessProbe": _probe("127.0.0.1", "/healthz", 10257, "HTTPS", 8, 10, 10),
        "name": "kube-controller-manager",
        "resources": {"requests": {"cpu": "200m"}},
        "startupProbe": _probe("127.0.0.1", "/healthz", 10257, "HTTPS", 24, 10, 10),
        "volumeMounts": (
            manifest(_MOUNT_CERTS)
            + [
                {"mountPath": "/usr/libexec/kubernetes/kubelet-plugins/volume/exec", "name": "flexvolume-dir"},
                {"mountPath": "/etc/kubernetes/pki", "name": "k8s-certs", "readOnly": True},
                {"mountPath": "/etc/kubernetes/controller-manager.conf", "name": "kubeconfig", "readOnly": True},
            ]
            + manifest(_MOUNT_SHARE)
        ),
    }
    controller_manager_volumes = (
        manifest(_HOSTPATH_CERTS)
        + [
            {
                "hostPath": {
                    "path": "/usr/libexec/kubernetes/kubelet-plugins/volume/exec",
                    "type": "DirectoryOrCreate",
                },
                "name": "flexvolume-dir",
            },
            {"hostPath": {"path": "/etc/kubernetes/pki", "type": "DirectoryOrCreate"}, "name": "k8s-certs"},
            {
                "hostPath": {"path": "/etc/kubernetes/controller-manager.conf", "type": "FileOrCreate"},
                "name": "kubeconfig",
            },
        ]
        + manifest(_HOSTPATH_SHARE)
    )
    scheduler = {
        "command": [
            "kube-scheduler",
            "--authentication-kubeconfig=/etc/kubernetes/scheduler.conf",
            "--authorization-kubeconfig=/etc/kubernetes/scheduler.conf",
            "--bind-address=127.0.0.1",
            "--kubeconfig=/etc/kubernetes/scheduler.conf",
            "--leader-elect=true",
        ],
        "image": f"registry.k8s.io/kube-scheduler:{KUBERNETES_VERSION}",
        "imagePullPolicy": "IfNotPresent",
        "livenessProbe": _probe("127.0.0.1", "/healthz", 10259, "HTTPS", 8, 10, 10),
        "name": "kube-scheduler",
        "resources": {"requests": {"cpu": "100m"}},
        "startupProbe": _probe("127.0.0.1", "/healthz", 10259, "HTTPS", 24, 10, 10),
        "volumeMounts": [{"mountPath": "/etc/kubernetes/scheduler.conf", "name": "kubeconfig", "readOnly": True}],
    }
    scheduler_volumes = [
        {"hostPath": {"path": "/etc/kubernetes/scheduler.conf", "type": "FileOrCreate"}, "name": "kubeconfig"}
    ]
    return [
        _static_pod(
            "etcd", etcd, etcd_volumes, {"kubeadm.kubernetes.io/etcd.advertise-client-urls": f"https://{node_ip}:2379"}
        ),
        _static_pod(
            "kube-apiserver",
            apiserver,
            apiserver_volumes,
            {"kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": f"{node_ip}:6443"},
        ),
        _static_pod("kube-controller-manager", controller_manager, controller_manager_volumes),
        _static_pod("kube-scheduler", scheduler, scheduler_volumes),
    ]


def mirror_pod(static: dict, node: dict, seen: str) -> dict:
    """The mirror pod the kubelet posts for a static pod (pkg/kubelet/pod/mirror_client.go, config/common.go).

    The name gets `-<node>`, spec.nodeName is the node, the annotations say where it came
    from (config.source file, config.seen, config.hash, and config.mirror equal to the hash),
    and the Node is its controller, so deleting the node's object deletes the mirror pods."""
    pod = copy.deepcopy(static)
    node_name = node["metadata"]["name"]
    meta = pod["metadata"]
    meta["name"] = f"{meta['name']}-{node_name}"
    digest = hashlib.md5(json.dumps(static, sort_keys=True).encode() + node_name.encode()).hexdigest()
    meta["annotations"].update(
        {
            "kubernetes.io/config.hash": digest,
            MIRROR_ANNOTATION: digest,
            "kubernetes.io/config.seen": seen,
            "kubernetes.io/config.source": "file",
        }
    )
    meta["annotations"] = dict(sorted(meta["annotations"].items()))
    meta["ownerReferences"] = [
        {"apiVersion": "v1", "controller": True, "kind": "Node", "name": node_name, "uid": node["metadata"]["uid"]}
    ]
    pod["spec"]["nodeName"] = node_name
    pod["spec"]["tolerations"] = [{"effect": "NoExecute", "operator": "Exists"}]  # a static pod tolerates all
    return pod
