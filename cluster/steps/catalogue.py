"""The message catalogue of step events: message id → (English, Korean).

A hop carries a message id and its parameters rather than a sentence, so one
step can be explained in either language (queries.py fills the template in).
The workload controllers' reasons for their requests, which `because` puts in
place of the generic request text, are in catalogue_workloads.py.

Simplified: Kubernetes keeps no such catalogue; these are kubeclass's words for
what the real components do over the network. Two languages only, filled in
with str.format; the Korean particles are chosen at run time (cluster/korean.py).
"""

from __future__ import annotations

from cluster.steps.catalogue_workloads import MESSAGES as WORKLOAD_MESSAGES

# message id → (English, Korean); parameters are filled in with str.format. In the Korean templates a
# field may carry a particle pair, "{source:이/가}", "{key:을/를}": cluster.korean picks the shape that
# fits how the filled-in name ends (kubelet/worker-1이, kube-apiserver가).
MESSAGES: dict[str, tuple[str, str]] = {
    "request.create": (
        "{source} asks kube-apiserver to create {object}; it is authenticated, defaulted, "
        "admitted and validated first.",
        "{source:이/가} kube-apiserver에 {object} 생성을 요청합니다. 요청은 먼저 인증, 기본값 적용, "
        "어드미션, 검증을 거칩니다.",
    ),
    "request.update": (
        "{source} sends kube-apiserver a new version of {object}.",
        "{source:이/가} kube-apiserver에 {object}의 새 버전을 보냅니다.",
    ),
    "request.patch": (
        "{source} asks kube-apiserver to patch {object}.",
        "{source:이/가} kube-apiserver에 {object} 패치를 요청합니다.",
    ),
    "request.delete": (
        "{source} asks kube-apiserver to delete {object}.",
        "{source:이/가} kube-apiserver에 {object} 삭제를 요청합니다.",
    ),
    "request.binding": (
        "{source} binds {object} to a node: a POST to the pod's binding subresource sets spec.nodeName.",
        "{source:이/가} {object:을/를} 노드에 바인딩합니다. 포드의 binding 하위 리소스에 POST하면 "
        "spec.nodeName이 정해집니다.",
    ),
    "request.ephemeralcontainers": (
        "{source} adds an ephemeral container to {object}: only the pod's ephemeralcontainers subresource may "
        "change a running pod's containers, and only by adding one.",
        "{source:이/가} {object}에 임시 컨테이너를 더합니다. 실행 중인 포드의 컨테이너는 포드의 "
        "ephemeralcontainers 하위 리소스로만, 그것도 더하는 방식으로만 바꿀 수 있습니다.",
    ),
    "etcd.put": (
        "kube-apiserver stores {key} in etcd; the cluster's revision becomes {revision}.",
        "kube-apiserver가 {key:을/를} etcd에 저장합니다. 클러스터의 리비전은 {revision:이/가} 됩니다.",
    ),
    "etcd.delete": (
        "kube-apiserver deletes {key} from etcd at revision {revision}.",
        "kube-apiserver가 etcd에서 {key:을/를} 삭제합니다. 이때 리비전은 {revision}입니다.",
    ),
    "watch.ADDED": (
        "kube-apiserver tells {target}, which watches {resource}, that {object} was added.",
        "{resource:을/를} 감시(watch)하는 {target}에 kube-apiserver가 {object:이/가} 추가되었다고 알립니다.",
    ),
    "watch.MODIFIED": (
        "kube-apiserver tells {target}, which watches {resource}, that {object} changed.",
        "{resource:을/를} 감시(watch)하는 {target}에 kube-apiserver가 {object:이/가} 바뀌었다고 알립니다.",
    ),
    "watch.DELETED": (
        "kube-apiserver tells {target}, which watches {resource}, that {object} was deleted.",
        "{resource:을/를} 감시(watch)하는 {target}에 kube-apiserver가 {object:이/가} 삭제되었다고 알립니다.",
    ),
    "cri.RunPodSandbox": (
        "The kubelet on {node} asks the container runtime for the pod's sandbox: its network namespace and IP {ip}.",
        "{node}의 kubelet이 컨테이너 런타임에 포드 샌드박스(네트워크 네임스페이스와 IP {ip})를 요청합니다.",
    ),
    "cri.PullImage": (
        "The kubelet on {node} asks the container runtime to pull image {image}.",
        "{node}의 kubelet이 컨테이너 런타임에 이미지 {image:을/를} 받아 오라고 요청합니다.",
    ),
    "cri.CreateContainer": (
        "The kubelet on {node} asks the container runtime to create container {container}.",
        "{node}의 kubelet이 컨테이너 런타임에 컨테이너 {container} 생성을 요청합니다.",
    ),
    "cri.StartContainer": (
        "The kubelet on {node} asks the container runtime to start container {container}.",
        "{node}의 kubelet이 컨테이너 런타임에 컨테이너 {container} 시작을 요청합니다.",
    ),
    "cri.StopContainer": (
        "The kubelet on {node} asks the container runtime to stop container {container} "
        "(SIGTERM, then SIGKILL after {grace}s).",
        "{node}의 kubelet이 컨테이너 런타임에 컨테이너 {container} 중지를 요청합니다"
        "(먼저 SIGTERM, {grace}초 뒤에 SIGKILL).",
    ),
    "cri.StopPodSandbox": (
        "The kubelet on {node} asks the container runtime to tear down the pod's sandbox.",
        "{node}의 kubelet이 컨테이너 런타임에 포드 샌드박스 정리를 요청합니다.",
    ),
    "proxy.traffic": (
        "{client} connects to {service} at {vip}; kube-proxy's rule {rule} sends the connection "
        "to {endpoint} (pod {pod} on {node}).",
        "{client:이/가} {vip}에 있는 {service}에 연결합니다. kube-proxy 규칙 {rule}에 따라 이 연결은 "
        "{endpoint:으로/로} 갑니다(노드 {node}의 포드 {pod}).",
    ),
    "proxy.refused": (
        "{client} connects to {service} at {vip}; the Service has no ready endpoint, so "
        "kube-proxy's rules reject the connection.",
        "{client:이/가} {vip}에 있는 {service}에 연결하려 하지만, 준비된 엔드포인트가 없어서 "
        "kube-proxy 규칙이 연결을 거부합니다.",
    ),
    "proxy.rules": (
        "kube-proxy on {node} rewrites its rules for {object}: {detail}",
        "{node}의 kube-proxy가 {object}에 대한 규칙을 다시 씁니다: {detail}",
    ),
    # A workload controller's reason for its request (`because`), in place of the generic request text.
    **WORKLOAD_MESSAGES,
}
