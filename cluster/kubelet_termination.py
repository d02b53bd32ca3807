"""The termination message: what a container leaves behind for `kubectl describe` when it ends.

A container may write to its terminationMessagePath (/dev/termination-log unless its spec says
otherwise). When the kubelet finds the container exited it reads the last 4 KiB of that file into
the container's terminated state, `message` (kubectl shows it as "Message:"). Under the
terminationMessagePolicy FallbackToLogsOnError, a container that failed and left the file empty
gets the end of its log instead: its last 80 lines, at most 2 KiB (kuberuntime_container.go:
getTerminationMessage and readLastStringFromContainerLogs).

Simplified: upstream bind-mounts the file from the pod's directory on the node; here it is a file in
the container's own writable layer (or in a volume mounted over that path), read once, when the exit
is noticed. The 12 KiB that upstream shares out between all the containers of a pod is not applied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cluster import kubelet_logs
from cluster.container import logs
from cluster.container.context import container_fs
from cluster.container.fs import FsError
from cluster.container.pods import names_of
from cluster.registry import image_config

if TYPE_CHECKING:
    from cluster.kubelet_pods import PodSync

MAX_MESSAGE_BYTES = 4 * 1024  # kubecontainer.MaxContainerTerminationMessageLength
FALLBACK_LINES = 80  # MaxContainerTerminationMessageLogLines
FALLBACK_BYTES = 2 * 1024  # MaxContainerTerminationMessageLogLength
DEFAULT_PATH = "/dev/termination-log"


def note(sync: PodSync, spec: dict, record: dict) -> None:
    """Add the container's termination message to its exited record (after what the runtime said, if anything)."""
    fallback = (
        spec.get("terminationMessagePolicy") == "FallbackToLogsOnError"
        and record.get("exitCode") != 0
        and record.get("reason") != "ContainerCannotRun"
    )
    text = written(sync, spec, record)
    if not text and fallback:
        text = log_tail(sync, spec, record)
    if text:
        record["message"] = f"{record['message']}: {text}" if record.get("message") else text


def written(sync: PodSync, spec: dict, record: dict) -> str:
    """The end of what the container wrote to its terminationMessagePath ("" when it wrote nothing there)."""
    path = spec.get("terminationMessagePath") or DEFAULT_PATH
    names = names_of(sync.uid, spec["name"], record)
    files = container_fs(sync.api, sync.pod, spec, image_config(spec["image"]), names, ip="")
    try:
        return _last_bytes(files.read(path), MAX_MESSAGE_BYTES)
    except FsError:
        return ""


def log_tail(sync: PodSync, spec: dict, record: dict) -> str:
    """The container's last 80 log lines, cut to their last 2 KiB (a circular buffer's contents)."""
    instance = kubelet_logs.current_instance(record)
    if instance is None:
        return ""
    lines = kubelet_logs.instance_lines(sync.api, sync.pod, spec, instance, sync.now.timestamp())
    return _last_bytes(logs.render(logs.select(lines, FALLBACK_LINES)), FALLBACK_BYTES)


def _last_bytes(text: str, limit: int) -> str:
    """tail.ReadAtMost: the last `limit` bytes; a character cut in two becomes U+FFFD, as the API server's
    JSON encoding makes it."""
    data = text.encode()
    return data[-limit:].decode(errors="replace") if len(data) > limit else text
