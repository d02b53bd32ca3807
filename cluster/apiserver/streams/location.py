"""Which container a streaming request reaches, checked as kube-apiserver and the kubelet check it.

kube-apiserver's `pods/exec`, `pods/attach` and `pods/portforward` handlers
(pkg/registry/core/pod/strategy.go: streamLocation, PortForwardLocation) read the
pod, pick the container (the only one, or the one named; with several and none
named it is a 400 that lists them), insist that the pod is bound to a node, and
then proxy the upgrade to that node's kubelet — so those errors come back before
any upgrade, as a metav1.Status. Whether the container is running is the
kubelet's question (`container not found ("NAME")`), asked after the upgrade.

The query is PodExecOptions / PodAttachOptions / PodPortForwardOptions
(`command` repeated in order, `container`, `stdin`, `stdout`, `stderr`, `tty`,
`ports`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer
from cluster.container import pods

SUBRESOURCES = ("exec", "attach", "portforward")
TRUE = ("1", "true", "True", "TRUE", "t", "T")


@dataclass(frozen=True)
class StreamRequest:
    """One streaming request: what it is for and the options of its query string."""

    subresource: str
    namespace: str
    name: str
    container: str = ""
    command: tuple[str, ...] = ()
    stdin: bool = False
    stdout: bool = False
    stderr: bool = False
    tty: bool = False
    ports: tuple[int, ...] = field(default=())


def parse(subresource: str, namespace: str, name: str, query: str) -> StreamRequest:
    """The request's options; a 400 Status for values that are not booleans or ports."""
    pairs = parse_qsl(query, keep_blank_values=True)
    values: dict[str, str] = {}
    command, ports = [], []
    for key, value in pairs:
        if key == "command":
            command.append(value)
        elif key == "ports":
            for piece in value.split(","):
                if not piece.strip().isdigit() or not 0 < int(piece) < 65536:
                    raise StatusError.bad_request(f'unable to parse "{piece}" as a port: invalid port')
                ports.append(int(piece))
        else:
            values.setdefault(key, value)

    def flag(key: str, default: bool = False) -> bool:
        if key not in values:
            return default
        if values[key] not in TRUE + ("0", "false", "False", "FALSE", "f", "F", ""):
            raise StatusError.bad_request(f'strconv.ParseBool: parsing "{values[key]}": invalid syntax')
        return values[key] in TRUE

    return StreamRequest(
        subresource,
        namespace,
        name,
        values.get("container", ""),
        tuple(command),
        flag("stdin"),
        flag("stdout", subresource == "attach"),
        flag("stderr"),
        flag("tty"),
        tuple(ports),
    )


def locate(api: APIServer, request: StreamRequest) -> tuple[dict, str]:
    """(pod, container) the request reaches, or the StatusError kube-apiserver answers before the upgrade."""
    pod = api.get("pods", request.namespace, request.name)
    name = request.name
    container = request.container
    if request.subresource != "portforward":
        containers = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
        if not container:
            if len(containers) == 1:
                container = containers[0]
            elif not containers:
                raise StatusError.bad_request(f"a container name must be specified for pod {name}")
            else:
                message = f"a container name must be specified for pod {name}, choose one of: [{' '.join(containers)}]"
                inits = [c["name"] for c in (pod.get("spec") or {}).get("initContainers") or []]
                if inits:
                    message += f" or one of the init containers: [{' '.join(inits)}]"
                raise StatusError.bad_request(message)
        elif container not in [c["name"] for c in pods.pod_containers(pod)]:  # podHasContainerWithName: any kind
            raise StatusError.bad_request(f"container {container} is not valid for pod {name}")
        if request.subresource == "exec" and not request.command:
            raise StatusError.bad_request("you must specify at least one command for the container")
        if not (request.stdin or request.stdout or request.stderr):
            raise StatusError.bad_request("you must specify at least 1 of stdin, stdout, stderr")
    if not (pod.get("spec") or {}).get("nodeName"):
        raise StatusError.bad_request(f"pod {name} does not have a host assigned")
    return pod, container


def running(api: APIServer, pod: dict, container: str) -> bool:
    """Whether the node's container runtime has the container running (what the kubelet asks it)."""
    node = (pod.get("spec") or {}).get("nodeName", "")
    record = (pods.node_data(api.cluster, node).get("containers") or {}).get(f"{pod['metadata']['uid']}/{container}")
    return isinstance(record, dict) and record.get("state") == "running"


def sandbox_id(api: APIServer, pod: dict) -> str:
    """The pod's sandbox id in the node's runtime (containerd names port-forward errors after it)."""
    node = (pod.get("spec") or {}).get("nodeName", "")
    sandbox = (pods.node_data(api.cluster, node).get("sandboxes") or {}).get(pod["metadata"]["uid"]) or {}
    return str(sandbox.get("id") or pod["metadata"]["uid"].replace("-", ""))
