"""`kubectl exec (POD | TYPE/NAME) [-c CONTAINER] [-i] -- COMMAND [ARGS...]`, run in the simulated container.

The command runs beside the container's process, as containerd's exec does: in the
container's filesystem (its writable layer and its volumes, as the process has them at
this moment), with its environment, in its working directory, under the image's
userland (cluster/container/commands.py) — `cat /tmp/healthy`, `sh -c 'echo hi >
/usr/share/nginx/html/index.html'`, `ls /data`, `printenv`, `env`. What it writes stays
(a `touch` makes a liveness probe pass again). `nslookup NAME` answers through the
cluster DNS (cluster/dns.py); `wget -qO- URL` and `curl URL` connect through kube-proxy's
rules (cluster/proxy.py) to a pod whose process listens on the port and get that
server's answer (nginx's welcome page, agnhost's hostname, php-apache's `OK!`).

A command the image does not have fails as runc fails it (`exec: "bash": executable file
not found in $PATH`); a failing command ends with kubectl's `command terminated with
exit code N`. `-i` feeds the command what kubectl reads on its stdin.

`kill 1` signals the container's main process (cluster/container/signals.py): redis or nginx
exits on SIGTERM and the kubelet restarts the container by the pod's policy.

Simplified: the command takes no virtual time (`sleep 5` returns at once).
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Callable

from cluster.apiserver.server import APIServer
from cluster import dns
from cluster.container import commands, pid1, pods, shell, signals
from cluster.container.context import Names, environment, make_host
from cluster.container.sources import ConfigError
from cluster.container.fs import ContainerFS
from cluster.container.net import Net
from cluster.kubectl.cli import Context, verb
from cluster.registry import image_config

INTERNAL = (
    "error: Internal error occurred: error executing command in container: failed to exec in container: "
    'failed to start exec "{id}": OCI runtime exec failed: exec failed: unable to start container process: '
    'exec: "{name}": executable file not found in $PATH: unknown\n'
)


class ExecError(Exception):
    """The runtime could not start the command (containerd's exec error, as kubectl prints it)."""


@verb("exec")
def exec_(ctx: Context, args: list[str]) -> int:
    if "--" not in args:
        ctx.stderr.write("error: you must specify at least one command for the container\n")
        return 1
    split = args.index("--")
    flags, command = args[:split], args[split + 1 :]
    positional, container, interactive, tty = _parse_flags(flags)
    if len(positional) != 1 or not command:
        ctx.stderr.write(
            "error: expected 'exec POD_NAME COMMAND [ARG1] [ARG2] ... [ARGN]'.\n"
            "POD_NAME and COMMAND are required arguments for the exec command\n"
        )
        return 1
    pod = _pod(ctx, positional[0])
    problem = _cannot_exec(pod, container)
    if problem:
        ctx.stderr.write(problem)
        return 1
    container = container or _default_container(ctx, pod)
    if interactive and tty and not ctx.stdin.isatty():
        ctx.stderr.write("Unable to use a TTY - input is not a terminal or the right kind of file\n")
    stdin = ctx.stdin.read() if interactive else None
    try:
        code, out, err = run_in_container(ctx.api, pod, container, command, stdin)
    except ExecError as error:
        ctx.stderr.write(str(error))
        return 1
    ctx.stdout.write(out)
    ctx.stderr.write(err)
    if code:
        ctx.stderr.write(f"command terminated with exit code {code}\n")
    return code


def _parse_flags(flags: list[str]) -> tuple[list[str], str, bool, bool]:
    """(positional, container, -i, -t)."""
    positional, container, interactive, tty, i = [], "", False, False, 0
    while i < len(flags):
        flag = flags[i]
        if flag in ("-c", "--container") and i + 1 < len(flags):
            container, i = flags[i + 1], i + 2
            continue
        if flag.startswith("--container="):
            container = flag.partition("=")[2]
        elif flag in ("-i", "--stdin", "-it", "-ti") or flag.startswith("--stdin="):
            interactive = not flag.endswith("=false")
            tty = tty or flag in ("-it", "-ti")
        elif flag in ("-t", "--tty") or flag.startswith("--tty="):
            tty = not flag.endswith("=false")
        elif not flag.startswith("-"):
            positional.append(flag)
        i += 1
    return positional, container, interactive, tty


def _pod(ctx: Context, target: str) -> dict:
    kind, _, name = target.rpartition("/")
    if not kind or kind in ("pod", "pods", "po"):
        return ctx.api.get("pods", ctx.namespace, name)
    from cluster.kubectl.logs import _by_logging
    from cluster.kubectl.targets import resource_type

    rt = resource_type(kind)
    obj = ctx.api.get(rt, ctx.namespace, name)
    labels = (obj.get("spec") or {}).get("selector") or {}
    labels = labels.get("matchLabels", labels) if rt.kind != "Service" else labels
    selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    found = ctx.api.list("pods", ctx.namespace, label_selector=selector)["items"] if selector else []
    if not found:
        from cluster.apiserver.errors import StatusError

        raise StatusError(404, "NotFound", f"no pods found for {rt.kind.lower()} {name}")
    return sorted(found, key=_by_logging)[0]


def _default_container(ctx: Context, pod: dict) -> str:
    names = [c["name"] for c in pod["spec"].get("containers") or []]
    chosen = (pod["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
    chosen = chosen if isinstance(chosen, str) and chosen in names else names[0]
    if len(names) > 1:
        ctx.stderr.write(f'Defaulted container "{chosen}" out of: {all_container_names(pod)}\n')
    return chosen


def all_container_names(pod: dict) -> str:
    """podcmd.AllContainerNames: the containers, then the ephemeral and the init ones, each marked."""
    spec = pod.get("spec") or {}
    names = [c["name"] for c in spec.get("containers") or []]
    names += [f"{c['name']} (ephem)" for c in spec.get("ephemeralContainers") or []]
    names += [f"{c['name']} (init)" for c in spec.get("initContainers") or []]
    return ", ".join(names)


def _cannot_exec(pod: dict, container: str) -> str:
    names = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
    name = pod["metadata"]["name"]
    if container and container not in [c["name"] for c in pods.pod_containers(pod)]:
        return f"Error from server (BadRequest): container {container} is not valid for pod {name}\n"
    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed"):
        return f"error: cannot exec into a container in a completed pod; current phase is {phase}\n"
    if phase != "Running":
        return f'error: unable to upgrade connection: container not found ("{container or names[0]}")\n'
    statuses = [
        s
        for key in ("initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses")
        for s in (pod.get("status") or {}).get(key) or []
    ]
    status = next((s for s in statuses if s["name"] == (container or names[0])), None)
    if status is not None and "running" not in (status.get("state") or {}):
        return f'error: unable to upgrade connection: container not found ("{container or names[0]}")\n'
    return ""


# -- running the command --------------------------------------------------------------------------------
@dataclasses.dataclass
class ExecTarget:
    """Where an exec'd command runs: the container's view as of `now`, its environment and directory.
    `persist()` writes what commands run on `host` changed back to the container's files."""

    host: shell.Host
    env: dict[str, str]
    cwd: str
    now: float
    persist: Callable[[], bool]  # True: a signal the command sent ended PID 1 (and so the exec's processes)


def run_in_container(
    api: APIServer, pod: dict, container: str, command: list[str], stdin: str | None = None
) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `command` run in the container now."""
    target = prepare_exec(api, pod, container, command)
    code, out, err = shell.run_instant(target.host, command, target.env, target.now, stdin or "", cwd=target.cwd)
    target.persist()
    return code, out, err


def prepare_exec(api: APIServer, pod: dict, container: str, command: list[str]) -> ExecTarget:
    """The container as an exec of `command` sees it now; ExecError when the runtime cannot start it."""
    spec = next(c for c in pods.pod_containers(pod) if c["name"] == container)
    record, view = _container_now(api, pod, container)
    now = api.now().timestamp()
    names = Names(pod["metadata"]["uid"], container, int((record or {}).get("attempt", 0)))
    host = view.host if view is not None else make_host(api, pod, spec, names, None)
    files = _journaled(host.fs)
    me = f"{host.namespace}/{pod['metadata']['name']}"
    host = dataclasses.replace(
        host,
        exec_mode=True,
        out=[],
        budget=[shell.BUDGET],
        stdin_open=False,
        fs=files,
        net=Net(
            api,
            host.namespace,
            me,
            host.pod_ip,
            steps=True,
            record=True,
            own_files=(container, files),
            resolver=dns.pod_dns(pod),
        ),
    )
    runner = shell.Shell(shell.new_state(command, {}, now), host)
    if commands.missing_executable(runner, command[0]):
        raise ExecError(INTERNAL.format(id=_exec_id(record, command), name=command[0]))
    env = _environment(api, pod, spec, record, view)
    image = image_config(spec["image"])
    cwd = spec.get("workingDir") or image.workdir  # an exec starts in the container's working directory
    return ExecTarget(host, env, cwd, now, lambda: _persist(api, pod, spec, names, host))


def _container_now(api: APIServer, pod: dict, container: str) -> tuple[dict | None, pods.Running | None]:
    """The container's runtime record and its process as of now (run forward on a copy)."""
    node = (pod.get("spec") or {}).get("nodeName", "")
    data = pods.node_data(api.cluster, node) if node else {}
    uid = pod["metadata"]["uid"]
    records = {
        c["name"]: data["containers"][f"{uid}/{c['name']}"]
        for c in pods.pod_containers(pod)
        if f"{uid}/{c['name']}" in (data.get("containers") or {})
    }
    record = records.get(container)
    if record is None or record.get("state") != "running":
        return record, None
    runs = pods.run_pod(api, pod, records, api.now().timestamp(), dry=True, node=None)
    if container in runs:
        return record, runs[container]
    spec = next(c for c in pods.pod_containers(pod) if c["name"] == container)
    host = make_host(api, pod, spec, pods.names_of(uid, container, record), None, dry=True)
    return record, pods.Running(spec, record, copy.deepcopy(record.get("proc") or {}), host)


def _journaled(fs: ContainerFS) -> ContainerFS:
    """The container's files as of now, with every change the command makes written down."""
    from cluster.container.shell import _scratch

    view = _scratch(fs)
    view.journal = []
    return view


def _persist(api: APIServer, pod: dict, spec: dict, names: Names, host: shell.Host) -> bool:
    """What the command left behind: its changes to the container's files, and the signals it sent PID 1.
    True when one of them ends PID 1: the kernel then kills every other process of its namespace, the exec's
    shell among them."""
    journal = host.fs.journal or []
    if journal:
        real = make_host(api, pod, spec, names, None).fs
        real.replay(journal)
        real.save()
    ended = [_signal_pid1(api, pod, spec.get("targetContainerName") or spec["name"], name) for name in host.signals]
    host.signals.clear()
    return any(ended)


def _signal_pid1(api: APIServer, pod: dict, container: str, name: str) -> bool:
    """Send signal `name` to the main process of `container` (PID 1 in the namespace the exec shares); whether
    it ends that process."""
    node = (pod.get("spec") or {}).get("nodeName", "")
    record = (pods.node_data(api.cluster, node).get("containers") or {}).get(f"{pod['metadata']['uid']}/{container}")
    if record is None or record.get("state") != "running" or name in signals.UNCATCHABLE:
        return False  # SIGKILL and SIGSTOP from inside a PID namespace never reach its init
    signals.send(api.cluster, signals.Signal(record["key"], node, api.now().timestamp(), name))
    return pid1.signal_handled(record.get("proc") or {}, name)[0]


def _environment(
    api: APIServer, pod: dict, spec: dict, record: dict | None, view: pods.Running | None
) -> dict[str, str]:
    """The container's own environment, as runc gives every process exec'd into it: the image's, the spec's
    and the Service links of the Services that existed when the container started — not what its main
    process set since (that stays in the process). A reference that no longer resolves (a ConfigMap deleted
    since) keeps what the container was started with, and so does a value from a ConfigMap or Secret changed
    since (the kubelet kept the container's environment in its record)."""
    if record is not None and "env" in record:
        return dict(record["env"])
    image = image_config(spec["image"])
    try:
        return environment(api, pod, spec, image, None, (record or {}).get("startedAt"))
    except ConfigError:
        return dict(view.state.get("vars") or {}) if view is not None else dict(image.env)


def _exec_id(record: dict | None, command: list[str]) -> str:
    import hashlib

    return hashlib.sha256(f"{(record or {}).get('id', '')}:{' '.join(command)}".encode()).hexdigest()
