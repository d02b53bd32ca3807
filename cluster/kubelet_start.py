"""The kubelet starting a container (kuberuntime_container.go startContainer) and running what is in it.

CreateContainer resolves the container's environment (a missing ConfigMap, Secret or
key stops it here: CreateContainerConfigError) and its command line; StartContainer
starts the process — or fails, as runc does, when the command is not an executable of
the image (`exec: "foo": executable file not found in $PATH`: reason StartError, exit
code 128). The process then runs on the virtual clock (cluster/container/shell.py);
each sync of the pod advances every process to the moment of the sync, saving its
state in the record, what it wrote in its filesystem, and what it printed in its log.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, cast

from cluster import dns
from cluster.container import commands, logs, shell
from cluster.container.context import Names, command_line, environment, make_host
from cluster.container.net import Net
from cluster.registry import image_config

if TYPE_CHECKING:
    from cluster.apiserver.server import APIServer
    from cluster.kubelet_pods import PodSync

HORIZON = 86_400.0  # how far ahead a process's exit is predicted
CONFIG_RETRY = 10.0  # a container whose config cannot be resolved is tried again
RESYNC = 10.0  # how often a scripted process still running its commands is saved


def start_error(name: str) -> str:
    return (
        f"failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create "
        f'failed: unable to start container process: exec: "{name}": executable file not found in $PATH: '
        f"unknown"
    )


def container_env(sync: PodSync, container: dict, full: bool) -> dict[str, str]:
    """The environment the container starts with; the Service links only for a shell, which can print them."""
    image = image_config(container["image"])
    if full:
        return environment(sync.api, sync.pod, container, image, sync.node)
    return environment(cast("APIServer", _NoServices(sync.api)), sync.pod, container, image, sync.node)  # duck-typed


class _NoServices:
    """An API reader without Service links (a server's environment is not printed)."""

    def __init__(self, api: object) -> None:
        self._api = api

    def list(self, resource: str, namespace: str | None = None) -> dict:
        if resource == "services":
            return {"items": []}
        return self._api.list(resource, namespace)  # type: ignore[attr-defined]

    def get(self, *args: object) -> dict:
        return self._api.get(*args)  # type: ignore[attr-defined]


# Programs that can show their environment: they get the Service links (a server's are never printed, and
# listing the namespace's Services for every nginx that starts costs a scale test dearly).
ENV_READERS = shell.SHELLS | {"printenv", "env"}


def create_config(sync: PodSync, container: dict) -> tuple[list[str], dict[str, str]]:
    """(argv, env) for CreateContainer; ConfigError when the environment cannot be resolved. `$(VAR)` in the
    command and args expands with the whole environment, Service links included, as the kubelet expands it."""
    image = image_config(container["image"])
    words = list(container.get("command") or []) + list(container.get("args") or [])
    links = any("$(" in str(word) for word in words)
    env = container_env(sync, container, full=links)
    argv = command_line(container, image, env)
    if not links and argv and argv[0].rsplit("/", 1)[-1] in ENV_READERS:
        env = container_env(sync, container, full=True)
    return argv, env


def takes_from_objects(container: dict) -> bool:
    """Whether the container's environment has values from ConfigMaps or Secrets (envFrom, configMapKeyRef,
    secretKeyRef): fixed when it is created, however the objects change later."""
    refs = ("configMapKeyRef", "secretKeyRef")
    return bool(container.get("envFrom")) or any(
        k in (var.get("valueFrom") or {}) for var in container.get("env") or [] for k in refs
    )


def start_process(sync: PodSync, container: dict, record: dict, argv: list[str], env: dict[str, str], ip: str) -> str:
    """Start the container's process in `record`; the StartError message if it cannot start."""
    image = image_config(container["image"])
    names = Names(sync.uid, container["name"], record["attempt"])
    if takes_from_objects(container):  # an exec into it gets these values, not what the objects hold later
        record["env"] = container_env(sync, container, full=True)
    host = make_host(sync.api, sync.pod, container, names, sync.node, ip=ip, fresh=True)
    host.command = argv
    if not argv and not image.known:  # the registry cannot tell what it runs: a server, as documented
        sync.runtime.start_container(
            record, sync.now, shell.serving_state(image.name, list(image.ports), sync.now.timestamp(), image.workdir)
        )
        return ""
    probe = shell.Shell(shell.new_state(argv or ["sh"], env, 0.0), host)
    if not argv:
        return (
            "failed to create containerd task: failed to create shim task: OCI runtime create failed: "
            "no command specified: unknown"
        )
    if commands.missing_executable(probe, argv[0]):
        return start_error(argv[0])
    now = sync.now.timestamp()
    proc = shell.new_state(argv, env, now, container.get("workingDir") or image.workdir)
    host.net = Net(sync.api, host.namespace, sync.key, ip, steps=False, record=True, resolver=dns.pod_dns(sync.pod))
    shell.advance(proc, host, now)
    _settle(proc, host, sync, names)
    sync.runtime.start_container(record, sync.now, proc)
    return ""


def _settle(proc: dict, host: shell.Host, sync: PodSync, names: Names) -> None:
    """Save what the process wrote and printed, and look ahead for its exit."""
    host.fs.save()
    logs.append(sync.api.cluster, names.key, host.out)
    host.out = []
    if proc.get("block") is not None and len(proc["frames"]) == 1 and "argv" in proc["frames"][0]["code"]:
        proc["vars"] = {}  # a server as PID 1: its environment is recomputed when someone asks (exec)
    predict(proc, host, sync.now.timestamp())


def predict(proc: dict, host: shell.Host, now: float) -> None:
    """Where the process will exit, if nothing outside changes it (kept in proc['predicted'])."""
    proc.pop("predicted", None)
    if shell.next_time(proc) == shell.FOREVER:
        return
    ends = shell.predict_exit(proc, host, now + HORIZON)
    if ends is not None:
        proc["predicted"] = ends


def wake_for(record: dict, now: dt.datetime) -> dt.datetime | None:
    """When a scripted process that is still running its commands should be looked at again."""
    proc = record.get("proc") or {}
    upcoming = shell.next_time(proc)
    if upcoming == shell.FOREVER or record.get("state") != "running":
        return None
    return now + dt.timedelta(seconds=max(RESYNC, upcoming - now.timestamp()))
