"""The manifests a kind v0.26 cluster (node image kindest/node:v1.32.0) starts with, as objects.

- The control plane's static pods, as kubeadm init writes them to
  /etc/kubernetes/manifests on the control-plane node (cmd/kubeadm/app/phases/
  controlplane and phases/etcd, with kind's kubeadm config: cluster name
  `kind`, pod subnet 10.244.0.0/16, service subnet 10.96.0.0/16). The kubelet
  runs them from the files and shows each as a mirror pod (`mirror_pod`).
- kubeadm's addons (cmd/kubeadm/app/phases/addons): the kube-proxy ConfigMap,
  ServiceAccount and DaemonSet, and CoreDNS's ConfigMap, ServiceAccount and
  Deployment of 2 replicas (the kube-dns Service is cluster/bootstrap.py's).
- kind's CNI, kindnet (pkg/build/nodeimage/const_cni.go): its ServiceAccount and DaemonSet.

Simplified: no RBAC objects (ClusterRoles and bindings are not served), and of
the ConfigMaps kubeadm uploads only the ones the pods mount (coredns,
kube-proxy); the static pods' certificates and kubeconfigs are host paths
the simulated nodes do not have, so their files are empty.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import json
from typing import Any

import yaml

KUBERNETES_VERSION = "v1.32.0"
ETCD_IMAGE = "registry.k8s.io/etcd:3.5.16-0"
COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.11.3"
KINDNETD_IMAGE = "docker.io/kindest/kindnetd:v20241212-9f82dd49"
POD_SUBNET = "10.244.0.0/16"
SERVICE_SUBNET = "10.96.0.0/16"
# What kind's node image has in containerd before anything is pulled (`crictl images` on a fresh node).
NODE_IMAGES = (KINDNETD_IMAGE, "docker.io/kindest/local-path-helper:v20241212-8ac705d0",
               "docker.io/kindest/local-path-provisioner:v20241212-8ac705d0", COREDNS_IMAGE, ETCD_IMAGE,
               f"registry.k8s.io/kube-apiserver:{KUBERNETES_VERSION}",
               f"registry.k8s.io/kube-controller-manager:{KUBERNETES_VERSION}",
               f"registry.k8s.io/kube-proxy:{KUBERNETES_VERSION}",
               f"registry.k8s.io/kube-scheduler:{KUBERNETES_VERSION}", "registry.k8s.io/pause:3.10")
CONTROL_PLANE_NODE = "kind-control-plane"
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
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
    probe: dict = {"failureThreshold": failure,
                   "httpGet": {"host": host, "path": path, "port": port, "scheme": scheme}}
    if delay:
        probe["initialDelaySeconds"] = delay
    probe.update({"periodSeconds": period, "timeoutSeconds": 15})
    return probe


def _static_pod(component: str, container: dict, volumes: list[dict], annotations: dict | None = None) -> dict:
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": component, "namespace": "kube-system", "annotations": dict(annotations or {}),
                     "labels": {"component": component, "tier": "control-plane"}},
        "spec": {"containers": [container], "hostNetwork": True, "priority": 2000001000,
                 "priorityClassName": "system-node-critical",
                 "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}, "volumes": volumes},
        "status": {},
    }


def static_pods(node_ip: str) -> list[dict]:
    """The four manifests kubeadm init writes for the control-plane node at `node_ip`."""
    etcd = {
        "command": ["etcd", f"--advertise-client-urls=https://{node_ip}:2379",
                    "--cert-file=/etc/kubernetes/pki/etcd/server.crt", "--client-cert-auth=true",
                    "--data-dir=/var/lib/etcd", "--experimental-initial-corrupt-check=true",
                    "--experimental-watch-progress-notify-interval=5s",
                    f"--initial-advertise-peer-urls=https://{node_ip}:2380",
                    f"--initial-cluster={CONTROL_PLANE_NODE}=https://{node_ip}:2380",
                    "--key-file=/etc/kubernetes/pki/etcd/server.key",
                    f"--listen-client-urls=https://127.0.0.1:2379,https://{node_ip}:2379",
                    "--listen-metrics-urls=http://127.0.0.1:2381", f"--listen-peer-urls=https://{node_ip}:2380",
                    f"--name={CONTROL_PLANE_NODE}", "--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt",
                    "--peer-client-cert-auth=true", "--peer-key-file=/etc/kubernetes/pki/etcd/peer.key",
                    "--peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt", "--snapshot-count=10000",
                    "--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt"],
        "image": ETCD_IMAGE, "imagePullPolicy": "IfNotPresent",
        "livenessProbe": _probe("127.0.0.1", "/livez", 2381, "HTTP", 8, 10, 10),
        "name": "etcd",
        "readinessProbe": _probe("127.0.0.1", "/readyz", 2381, "HTTP", 3, 1),
        "resources": {"requests": {"cpu": "100m", "memory": "100Mi"}},
        "startupProbe": _probe("127.0.0.1", "/readyz", 2381, "HTTP", 24, 10, 10),
        "volumeMounts": [{"mountPath": "/var/lib/etcd", "name": "etcd-data"},
                         {"mountPath": "/etc/kubernetes/pki/etcd", "name": "etcd-certs"}],
    }
    etcd_volumes = [{"hostPath": {"path": "/etc/kubernetes/pki/etcd", "type": "DirectoryOrCreate"},
                     "name": "etcd-certs"},
                    {"hostPath": {"path": "/var/lib/etcd", "type": "DirectoryOrCreate"}, "name": "etcd-data"}]
    apiserver = {
        "command": ["kube-apiserver", f"--advertise-address={node_ip}", "--allow-privileged=true",
                    "--authorization-mode=Node,RBAC", "--client-ca-file=/etc/kubernetes/pki/ca.crt",
                    "--enable-admission-plugins=NodeRestriction", "--enable-bootstrap-token-auth=true",
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
                    "--requestheader-username-headers=X-Remote-User", "--runtime-config=", "--secure-port=6443",
                    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                    "--service-account-key-file=/etc/kubernetes/pki/sa.pub",
                    "--service-account-signing-key-file=/etc/kubernetes/pki/sa.key",
                    f"--service-cluster-ip-range={SERVICE_SUBNET}",
                    "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
                    "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key"],
        "image": f"registry.k8s.io/kube-apiserver:{KUBERNETES_VERSION}", "imagePullPolicy": "IfNotPresent",
        "livenessProbe": _probe(node_ip, "/livez", 6443, "HTTPS", 8, 10, 10),
        "name": "kube-apiserver",
        "readinessProbe": _probe(node_ip, "/readyz", 6443, "HTTPS", 3, 1),
        "resources": {"requests": {"cpu": "250m"}},
        "startupProbe": _probe(node_ip, "/livez", 6443, "HTTPS", 24, 10, 10),
        "volumeMounts": (_load(_MOUNT_CERTS)
                         + [{"mountPath": "/etc/kubernetes/pki", "name": "k8s-certs", "readOnly": True}]
                         + _load(_MOUNT_SHARE)),
    }
    apiserver_volumes = (_load(_HOSTPATH_CERTS)
                         + [{"hostPath": {"path": "/etc/kubernetes/pki", "type": "DirectoryOrCreate"},
                             "name": "k8s-certs"}]
                         + _load(_HOSTPATH_SHARE))
    controller_manager = {
        "command": ["kube-controller-manager", "--allocate-node-cidrs=true",
                    "--authentication-kubeconfig=/etc/kubernetes/controller-manager.conf",
                    "--authorization-kubeconfig=/etc/kubernetes/controller-manager.conf",
                    "--bind-address=127.0.0.1", "--client-ca-file=/etc/kubernetes/pki/ca.crt",
                    f"--cluster-cidr={POD_SUBNET}", "--cluster-name=kind",
                    "--cluster-signing-cert-file=/etc/kubernetes/pki/ca.crt",
                    "--cluster-signing-key-file=/etc/kubernetes/pki/ca.key",
                    "--controllers=*,bootstrapsigner,tokencleaner", "--enable-hostpath-provisioner=true",
                    "--kubeconfig=/etc/kubernetes/controller-manager.conf", "--leader-elect=true",
                    "--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt",
                    "--root-ca-file=/etc/kubernetes/pki/ca.crt",
                    "--service-account-private-key-file=/etc/kubernetes/pki/sa.key",
                    f"--service-cluster-ip-range={SERVICE_SUBNET}", "--use-service-account-credentials=true"],
        "image": f"registry.k8s.io/kube-controller-manager:{KUBERNETES_VERSION}", "imagePullPolicy": "IfNotPresent",
        "livenessProbe": _probe("127.0.0.1", "/healthz", 10257, "HTTPS", 8, 10, 10),
        "name": "kube-controller-manager",
        "resources": {"requests": {"cpu": "200m"}},
        "startupProbe": _probe("127.0.0.1", "/healthz", 10257, "HTTPS", 24, 10, 10),
        "volumeMounts": (_load(_MOUNT_CERTS)
                         + [{"mountPath": "/usr/libexec/kubernetes/kubelet-plugins/volume/exec",
                             "name": "flexvolume-dir"},
                            {"mountPath": "/etc/kubernetes/pki", "name": "k8s-certs", "readOnly": True},
                            {"mountPath": "/etc/kubernetes/controller-manager.conf", "name": "kubeconfig",
                             "readOnly": True}]
                         + _load(_MOUNT_SHARE)),
    }
    controller_manager_volumes = (_load(_HOSTPATH_CERTS)
                                  + [{"hostPath": {"path": "/usr/libexec/kubernetes/kubelet-plugins/volume/exec",
                                                   "type": "DirectoryOrCreate"}, "name": "flexvolume-dir"},
                                     {"hostPath": {"path": "/etc/kubernetes/pki", "type": "DirectoryOrCreate"},
                                      "name": "k8s-certs"},
                                     {"hostPath": {"path": "/etc/kubernetes/controller-manager.conf",
                                                   "type": "FileOrCreate"}, "name": "kubeconfig"}]
                                  + _load(_HOSTPATH_SHARE))
    scheduler = {
        "command": ["kube-scheduler", "--authentication-kubeconfig=/etc/kubernetes/scheduler.conf",
                    "--authorization-kubeconfig=/etc/kubernetes/scheduler.conf", "--bind-address=127.0.0.1",
                    "--kubeconfig=/etc/kubernetes/scheduler.conf", "--leader-elect=true"],
        "image": f"registry.k8s.io/kube-scheduler:{KUBERNETES_VERSION}", "imagePullPolicy": "IfNotPresent",
        "livenessProbe": _probe("127.0.0.1", "/healthz", 10259, "HTTPS", 8, 10, 10),
        "name": "kube-scheduler",
        "resources": {"requests": {"cpu": "100m"}},
        "startupProbe": _probe("127.0.0.1", "/healthz", 10259, "HTTPS", 24, 10, 10),
        "volumeMounts": [{"mountPath": "/etc/kubernetes/scheduler.conf", "name": "kubeconfig", "readOnly": True}],
    }
    scheduler_volumes = [{"hostPath": {"path": "/etc/kubernetes/scheduler.conf", "type": "FileOrCreate"},
                          "name": "kubeconfig"}]
    return [
        _static_pod("etcd", etcd, etcd_volumes,
                    {"kubeadm.kubernetes.io/etcd.advertise-client-urls": f"https://{node_ip}:2379"}),
        _static_pod("kube-apiserver", apiserver, apiserver_volumes,
                    {"kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": f"{node_ip}:6443"}),
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
    meta["annotations"].update({"kubernetes.io/config.hash": digest, MIRROR_ANNOTATION: digest,
                                "kubernetes.io/config.seen": seen, "kubernetes.io/config.source": "file"})
    meta["annotations"] = dict(sorted(meta["annotations"].items()))
    meta["ownerReferences"] = [{"apiVersion": "v1", "controller": True, "kind": "Node", "name": node_name,
                                "uid": node["metadata"]["uid"]}]
    pod["spec"]["nodeName"] = node_name
    pod["spec"]["tolerations"] = [{"effect": "NoExecute", "operator": "Exists"}]  # a static pod tolerates all
    return pod


KUBE_PROXY_CONFIG = """apiVersion: kubeproxy.config.k8s.io/v1alpha1
bindAddress: 0.0.0.0
bindAddressHardFail: false
clientConnection:
  acceptContentTypes: ""
  burst: 0
  contentType: ""
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
  qps: 0
clusterCIDR: 10.244.0.0/16
configSyncPeriod: 0s
conntrack:
  maxPerCore: 0
  min: null
  tcpBeLiberal: false
  tcpCloseWaitTimeout: null
  tcpEstablishedTimeout: null
  udpStreamTimeout: 0s
  udpTimeout: 0s
detectLocal:
  bridgeInterface: ""
  interfaceNamePrefix: ""
detectLocalMode: ""
enableProfiling: false
healthzBindAddress: ""
hostnameOverride: ""
iptables:
  localhostNodePorts: null
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 1s
  syncPeriod: 0s
ipvs:
  excludeCIDRs: null
  minSyncPeriod: 0s
  scheduler: ""
  strictARP: false
  syncPeriod: 0s
  tcpFinTimeout: 0s
  tcpTimeout: 0s
  udpTimeout: 0s
kind: KubeProxyConfiguration
logging:
  flushFrequency: 0
  options:
    json:
      infoBufferSize: "0"
    text:
      infoBufferSize: "0"
  verbosity: 0
metricsBindAddress: ""
mode: iptables
nftables:
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 0s
  syncPeriod: 0s
nodePortAddresses: null
oomScoreAdj: null
portRange: ""
showHiddenMetricsForVersion: ""
winkernel:
  enableDSR: false
  forwardHealthCheckVip: false
  networkName: ""
  rootHnsEndpointName: ""
  sourceVip: \"\""""

KUBE_PROXY_KUBECONFIG = f"""apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
    server: https://{CONTROL_PLANE_NODE}:6443
  name: default
contexts:
- context:
    cluster: default
    namespace: default
    user: default
  name: default
current-context: default
users:
- name: default
  user:
    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token"""

COREFILE = """.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success cluster.local
       disable denial cluster.local
    }
    loop
    reload
    loadbalance
}
"""

KUBE_PROXY_DAEMONSET = f"""
apiVersion: apps/v1
kind: DaemonSet
metadata:
  labels:
    k8s-app: kube-proxy
  name: kube-proxy
  namespace: kube-system
spec:
  selector:
    matchLabels:
      k8s-app: kube-proxy
  updateStrategy:
    type: RollingUpdate
  template:
    metadata:
      labels:
        k8s-app: kube-proxy
    spec:
      priorityClassName: system-node-critical
      containers:
      - name: kube-proxy
        image: registry.k8s.io/kube-proxy:{KUBERNETES_VERSION}
        imagePullPolicy: IfNotPresent
        command:
        - /usr/local/bin/kube-proxy
        - --config=/var/lib/kube-proxy/config.conf
        - --hostname-override=$(NODE_NAME)
        securityContext:
          privileged: true
        volumeMounts:
        - mountPath: /var/lib/kube-proxy
          name: kube-proxy
        - mountPath: /run/xtables.lock
          name: xtables-lock
          readOnly: false
        - mountPath: /lib/modules
          name: lib-modules
          readOnly: true
        env:
          - name: NODE_NAME
            valueFrom:
              fieldRef:
                fieldPath: spec.nodeName
      hostNetwork: true
      serviceAccountName: kube-proxy
      volumes:
      - name: kube-proxy
        configMap:
          name: kube-proxy
      - name: xtables-lock
        hostPath:
          path: /run/xtables.lock
          type: FileOrCreate
      - name: lib-modules
        hostPath:
          path: /lib/modules
      tolerations:
      - operator: Exists
      nodeSelector:
        kubernetes.io/os: linux
"""

COREDNS_DEPLOYMENT = f"""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
  namespace: kube-system
  labels:
    k8s-app: kube-dns
spec:
  replicas: 2
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 1
  selector:
    matchLabels:
      k8s-app: kube-dns
  template:
    metadata:
      labels:
        k8s-app: kube-dns
    spec:
      priorityClassName: system-cluster-critical
      serviceAccountName: coredns
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            podAffinityTerm:
              labelSelector:
                matchExpressions:
                - key: k8s-app
                  operator: In
                  values: ["kube-dns"]
              topologyKey: kubernetes.io/hostname
      tolerations:
      - key: CriticalAddonsOnly
        operator: Exists
      - key: {CONTROL_PLANE_LABEL}
        effect: NoSchedule
      nodeSelector:
        kubernetes.io/os: linux
      containers:
      - name: coredns
        image: {COREDNS_IMAGE}
        imagePullPolicy: IfNotPresent
        resources:
          limits:
            memory: 170Mi
          requests:
            cpu: 100m
            memory: 70Mi
        args: [ "-conf", "/etc/coredns/Corefile" ]
        volumeMounts:
        - name: config-volume
          mountPath: /etc/coredns
          readOnly: true
        ports:
        - containerPort: 53
          name: dns
          protocol: UDP
        - containerPort: 53
          name: dns-tcp
          protocol: TCP
        - containerPort: 9153
          name: metrics
          protocol: TCP
        livenessProbe:
          httpGet:
            path: /health
            port: 8080
            scheme: HTTP
          initialDelaySeconds: 60
          timeoutSeconds: 5
          successThreshold: 1
          failureThreshold: 5
        readinessProbe:
          httpGet:
            path: /ready
            port: 8181
            scheme: HTTP
        securityContext:
          allowPrivilegeEscalation: false
          capabilities:
            add:
            - NET_BIND_SERVICE
            drop:
            - ALL
          readOnlyRootFilesystem: true
      dnsPolicy: Default
      volumes:
        - name: config-volume
          configMap:
            name: coredns
            items:
            - key: Corefile
              path: Corefile
"""

KINDNET_DAEMONSET = f"""
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: kindnet
  namespace: kube-system
  labels:
    tier: node
    app: kindnet
    k8s-app: kindnet
spec:
  selector:
    matchLabels:
      app: kindnet
  template:
    metadata:
      labels:
        tier: node
        app: kindnet
        k8s-app: kindnet
    spec:
      hostNetwork: true
      nodeSelector:
        kubernetes.io/os: linux
      tolerations:
      - operator: Exists
      serviceAccountName: kindnet
      containers:
      - name: kindnet-cni
        image: {KINDNETD_IMAGE}
        env:
        - name: HOST_IP
          valueFrom:
            fieldRef:
              fieldPath: status.hostIP
        - name: POD_IP
          valueFrom:
            fieldRef:
              fieldPath: status.podIP
        - name: POD_SUBNET
          value: {POD_SUBNET}
        volumeMounts:
        - name: cni-cfg
          mountPath: /etc/cni/net.d
        - name: xtables-lock
          mountPath: /run/xtables.lock
          readOnly: false
        - name: lib-modules
          mountPath: /lib/modules
          readOnly: true
        resources:
          requests:
            cpu: "100m"
            memory: "50Mi"
          limits:
            cpu: "100m"
            memory: "50Mi"
        securityContext:
          privileged: false
          capabilities:
            add: ["NET_RAW", "NET_ADMIN"]
      volumes:
      - name: cni-cfg
        hostPath:
          path: /etc/cni/net.d
      - name: xtables-lock
        hostPath:
          path: /run/xtables.lock
          type: FileOrCreate
      - name: lib-modules
        hostPath:
          path: /lib/modules
"""


@functools.cache
def _parsed(text: str) -> object:
    return yaml.safe_load(text)


def _load(text: str) -> Any:
    """A manifest parsed once per process, handed out as a fresh copy (a dict or a list, as the text says)."""
    return copy.deepcopy(_parsed(text))


def _service_account(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": "kube-system"}}


def kubeadm_addons() -> list[dict]:
    """What `kubeadm init phase addon all` creates, in its order: CoreDNS, then kube-proxy."""
    coredns_cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "coredns", "namespace": "kube-system"},
                  "data": {"Corefile": COREFILE}}
    proxy_cm = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "kube-proxy", "namespace": "kube-system", "labels": {"app": "kube-proxy"},
                             "annotations": {"kubeadm.kubernetes.io/component-config.hash":
                                             "sha256:" + hashlib.sha256(KUBE_PROXY_CONFIG.encode()).hexdigest()}},
                "data": {"config.conf": KUBE_PROXY_CONFIG, "kubeconfig.conf": KUBE_PROXY_KUBECONFIG}}
    return [_service_account("coredns"), coredns_cm, _load(COREDNS_DEPLOYMENT),
            proxy_cm, _service_account("kube-proxy"), _load(KUBE_PROXY_DAEMONSET)]


def kindnet() -> list[dict]:
    """kind's default CNI manifest (the RBAC parts left out)."""
    return [_service_account("kindnet"), _load(KINDNET_DAEMONSET)]
