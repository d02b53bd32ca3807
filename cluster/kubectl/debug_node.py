"""`kubectl debug node/NAME --image=I`: a Pod on the node, in its host namespaces (generateNodeDebugPod).

The Pod is named `node-debugger-<node>-` and five random letters, with one container (`debugger` unless `-c`
names it) running the image and the words after `--`; it is bound to the node (`nodeName`), never restarted,
and tolerates every taint. The profile then sets it up (pkg/cmd/debug/profiles.go): legacy and sysadmin
mount the node's root at /host and use the host's network, PID and IPC namespaces (sysadmin also makes the
container privileged); general does the same with the container's securityContext cleared; netadmin adds
NET_ADMIN and NET_RAW in the host namespaces; baseline and restricted stay in the pod's own namespaces.
"""

from __future__ import annotations

from cluster.kubectl.cli import Context
from cluster.kubectl.flags import Parsed

HOST_ROOT = "host-root"


def node_debug_pod(ctx: Context, parsed: Parsed, node: dict, words: list[str], env: list[dict]) -> dict:
    name = node["metadata"]["name"]
    container_name = parsed.text("container") or "debugger"
    suffix = ctx.api.random_suffix("debug-node", node["metadata"].get("uid", name), ctx.api.current_revision())
    pod_name = f"node-debugger-{name}-{suffix}"
    if not parsed["quiet"]:
        ctx.stdout.write(f"Creating debugging pod {pod_name} with container {container_name} on node {name}.\n")
    container = debug_container(parsed, container_name, words, env)
    pod: dict = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": pod_name},
        "spec": {
            "containers": [container],
            "nodeName": name,
            "restartPolicy": "Never",
            "tolerations": [{"operator": "Exists"}],
        },
    }
    _apply_profile(parsed.text("profile"), pod["spec"], container)
    return pod


def debug_container(parsed: Parsed, name: str, words: list[str], env: list[dict]) -> dict:
    """The container kubectl's generators write for a new debug container (an ephemeral one, a node's): the image,
    the words after `--` as its command (`--arguments-only`: its args), env, pull policy, stdin and tty."""
    container: dict = {"name": name, "image": parsed.text("image")}
    if words:
        container["args" if parsed["arguments-only"] else "command"] = words
    if env:
        container["env"] = env
    if parsed.text("image-pull-policy"):
        container["imagePullPolicy"] = parsed.text("image-pull-policy")
    if parsed["stdin"]:
        container["stdin"] = True
    if parsed["tty"]:
        container["tty"] = True
    container["terminationMessagePolicy"] = "File"
    return container


def _apply_profile(profile: str, spec: dict, container: dict) -> None:
    if profile in ("legacy", "general", "sysadmin"):
        spec["volumes"] = [{"name": HOST_ROOT, "hostPath": {"path": "/"}}]
        container["volumeMounts"] = [{"name": HOST_ROOT, "mountPath": "/host"}]
    if profile in ("legacy", "general", "netadmin", "sysadmin"):
        spec.update(hostNetwork=True, hostPID=True, hostIPC=True)
    if profile == "netadmin":
        container["securityContext"] = {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}}
    elif profile == "sysadmin":
        container["securityContext"] = {"privileged": True}
    elif profile == "restricted":
        container["securityContext"] = {
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
            "allowPrivilegeEscalation": False,
            "seccompProfile": {"type": "RuntimeDefault"},
        }
