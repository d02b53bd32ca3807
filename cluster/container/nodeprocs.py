"""The processes a pod with `hostPID: true` sees: the node's own (kubectl debug node/… shares them).

A kind node is a container running systemd, with containerd and the kubelet as its services. Each pod on it is
a containerd shim holding the pod's `pause` process and the processes of its running containers. `ps` in a
pod that shares the host's PID namespace lists them all, which is how one sees that the kubelet is a program
on the node and that containers are its processes.

Simplified: the PIDs are assigned in this order rather than by the kernel, and a container shows its main
process only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cluster.apiserver.server import APIServer
from cluster.container.pods import node_data, pod_containers
from cluster.container.sources import field_value

if TYPE_CHECKING:
    from cluster.container.shell import Shell

PAUSE = "/pause"
SHIM = "/usr/local/bin/containerd-shim-runc-v2 -namespace k8s.io -id {id} -address /run/containerd/containerd.sock"
KUBELET = (
    "/usr/bin/kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf "
    "--kubeconfig=/etc/kubernetes/kubelet.conf --config=/var/lib/kubelet/config.yaml "
    "--container-runtime-endpoint=unix:///run/containerd/containerd.sock --node-ip={ip} --node-labels= "
    "--pod-infra-container-image=registry.k8s.io/pause:3.10 --provider-id=kind://docker/kind/{node} "
    "--runtime-cgroups=/system.slice/containerd.service"
)
SERVICES = ((1, "/sbin/init"), (94, "/lib/systemd/systemd-journald"), (111, "/usr/local/bin/containerd"))
KUBELET_PID, FIRST_POD_PID = 206, 300


@dataclass(frozen=True)
class NodeProcess:
    pid: int
    user: str
    command: str


def node_processes(api: APIServer, node: str, node_ip: str) -> list[NodeProcess]:
    """systemd, its services, then each pod's shim, pause and containers, in the order the pods started."""
    from cluster.container.coreutils import _pid1
    from cluster.container.procps import running_as

    found = [NodeProcess(pid, "root", command) for pid, command in SERVICES]
    found.append(NodeProcess(KUBELET_PID, "root", KUBELET.format(ip=node_ip, node=node)))
    sandboxes = node_data(api.cluster, node).get("sandboxes") or {}
    pods = api.list("pods", None, field_selector=f"spec.nodeName={node}")["items"]
    pid = FIRST_POD_PID
    for pod in sorted(pods, key=lambda p: (p.get("status") or {}).get("startTime") or ""):
        sandbox = sandboxes.get(pod["metadata"]["uid"])
        if sandbox is None:
            continue
        found += [NodeProcess(pid, "root", SHIM.format(id=sandbox["id"])), NodeProcess(pid + 1, "65535", PAUSE)]
        pid += 2
        running = {
            s["name"]
            for key in ("initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses")
            for s in (pod.get("status") or {}).get(key) or []
            if "running" in (s.get("state") or {})
        }
        for spec in pod_containers(pod):
            if spec["name"] in running:
                user, _, command = running_as(*_pid1(spec, _env(pod, spec)))
                found.append(NodeProcess(pid, user, command))
                pid += 1
        pid += 10 - (pid % 10)  # the next pod's processes start on a round number
    return found


def _env(pod: dict, spec: dict) -> dict[str, str]:
    """The values a command line's `$(VAR)` can name: the container's plain env and its fieldRefs (kube-proxy's
    `--hostname-override=$(NODE_NAME)`)."""
    env = {}
    for item in spec.get("env") or []:
        ref = ((item.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
        if "value" in item or ref:
            env[item["name"]] = str(item.get("value", "")) if ref is None else field_value(pod, ref)
    return env


def host_processes(sh: Shell) -> list[tuple[int, str, str]] | None:
    """(pid, user, command) of the node's processes when the pod shares the host's PID namespace, else None."""
    pod = sh.host.pod or {}
    if not (pod.get("spec") or {}).get("hostPID") or sh.host.net is None:
        return None
    status = pod.get("status") or {}
    found = node_processes(sh.host.net.api, pod["spec"].get("nodeName", ""), status.get("hostIP", ""))
    return [(p.pid, p.user, p.command) for p in found]
