"""`kubectl logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]` (staging/src/k8s.io/kubectl/pkg/cmd/logs).

As kubectl does it: `TYPE/NAME` of a workload (deployment, replicaset, job, statefulset,
daemonset, service) picks one of its pods — assigned before unassigned, running, ready,
ready longest, most restarts, oldest (podutils.ByLogging) — and says `Found N pods,
using pod/NAME` when there is a choice; `-l SELECTOR` reads every matching pod (the last
10 lines each unless --tail says otherwise); a pod with several containers uses its
`kubectl.kubernetes.io/default-container` or first one and says `Defaulted container
…`. Each log is the API server's pods/log subresource (cluster/kubelet_logs.py) with
the options as query parameters. Errors in kubectl's words.

Simplified: `-f` streams one log at a time, and stops after --request-timeout (30 s when
not given) or when the page's Stop is pressed, where kubectl would follow until the
container ends.
"""

from __future__ import annotations

import datetime as dt
import re
import time

from cluster.apiserver.errors import StatusError
from cluster.apiserver.selectors import parse_label_selector
from cluster.kubectl.exec import all_container_names
from cluster.kubectl.cli import Context, server_error, verb
from cluster.kubectl.cmdutil import parse_flags, usage_error
from cluster.kubectl.flags import Flag, UsageError
from cluster.kubectl.targets import resource_type
from cluster.kubelet_logs import LogOptions, follow_chunks, read

USAGE = (
    "expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
    "POD or TYPE/NAME is a required argument for the logs command"
)
DEFAULT_FOLLOW_SECONDS = 30.0
FLAGS = [
    Flag("container", "string", "", short="c"),
    Flag("follow", "bool", False, short="f"),
    Flag("previous", "bool", False, short="p"),
    Flag("tail", "int", -1),
    Flag("since", "string", ""),
    Flag("since-time", "string", ""),
    Flag("timestamps", "bool", False),
    Flag("selector", "string", "", short="l"),
    Flag("all-containers", "bool", False),
    Flag("prefix", "bool", False),
    Flag("max-log-requests", "int", 5),
    Flag("limit-bytes", "int", 0),
    Flag("ignore-errors", "bool", False),
    Flag("pod-running-timeout", "string", ""),
    Flag("insecure-skip-tls-verify-backend", "bool", False),
    Flag("request-timeout", "string", ""),
    Flag("all-pods", "bool", False),
]
WORKLOADS = {"Deployment", "ReplicaSet", "ReplicationController", "StatefulSet", "DaemonSet", "Job", "Service"}
DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"


@verb("logs")
def logs_(ctx: Context, args: list[str]) -> int:
    parsed = parse_flags(ctx, args, FLAGS, "logs")
    if parsed is None:
        return 1
    try:
        opts, targets = _complete(ctx, parsed)
        pods = _pods(ctx, targets, parsed.text("selector"))
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1
    except StatusError as err:
        return server_error(ctx, err)
    if pods is None:
        return 0
    return _print_logs(ctx, parsed, opts, pods)


def _complete(ctx: Context, parsed: object) -> tuple[LogOptions, list[str]]:
    positional, selector = parsed.positional, parsed.text("selector")  # type: ignore[attr-defined]
    if not positional and not selector or len(positional) > 2:
        raise usage_error(USAGE, "logs")
    if positional and selector and len(positional) == 1:
        raise usage_error("only a selector (-l) or a POD name is allowed", "logs")
    container = parsed.text("container") or (positional[1] if len(positional) == 2 else "")  # type: ignore
    values = parsed.values  # type: ignore[attr-defined]
    if values["since"] and values["since-time"]:
        raise UsageError("at most one of `sinceTime` or `sinceSeconds` may be specified")
    if container and values["all-containers"]:
        raise UsageError(f"--all-containers=true should not be specified with container name {container}")
    since = _seconds(values["since"]) if values["since"] else None
    if since is not None and since < 0:
        raise UsageError("--since must be greater than 0")
    if values["tail"] < -1:
        raise UsageError("--tail must be greater than or equal to -1")
    tail = values["tail"] if values["tail"] != -1 else (10 if selector else None)
    opts = LogOptions(
        container=container,
        follow=values["follow"],
        previous=values["previous"],
        since_seconds=since,
        since_time=_since_time(values["since-time"]),
        timestamps=values["timestamps"],
        tail_lines=tail,
        limit_bytes=values["limit-bytes"] or None,
    )
    return opts, positional[:1]


def _seconds(text: str) -> int:
    """A Go duration (`10s`, `1h30m`, `500ms`) in whole seconds, as kubectl rounds --since."""
    parts = re.findall(r"(-?\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", text)
    if not parts or "".join(a + b for a, b in parts) != text:
        raise UsageError(f'invalid argument "{text}" for "--since" flag: time: invalid duration "{text}"')
    scale = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    return int(round(sum(float(a) * scale[b] for a, b in parts)))


def _since_time(text: str) -> str | None:
    if not text:
        return None
    try:
        dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f'parsing time "{text}" as "2006-01-02T15:04:05Z07:00": cannot parse "{text}" as "2006"'
        ) from None
    return text


# -- which pods ------------------------------------------------------------------------------------
def _pods(ctx: Context, targets: list[str], selector: str) -> list[dict] | None:
    if selector:
        parse_label_selector(selector)
        found = ctx.api.list("pods", ctx.namespace, label_selector=selector)["items"]
        if not found:
            ctx.stderr.write(f"No resources found in {ctx.namespace} namespace.\n")
            return None
        return sorted(found, key=lambda p: p["metadata"]["name"])
    kind, _, name = targets[0].rpartition("/")
    rt = resource_type(kind or "pods")
    obj = _fetch(ctx, rt, name)
    if rt.kind == "Pod":
        return [obj]
    if rt.kind not in WORKLOADS:
        raise UsageError(f"cannot get the logs from {rt.group_resource if rt.group else rt.plural}")
    return [_first_pod(ctx, obj, rt.kind)]


def _fetch(ctx: Context, rt: object, name: str) -> dict:
    """The object named on the command line; the resource builder words a failure its own way."""
    try:
        return ctx.api.get(rt, ctx.namespace, name)  # type: ignore[arg-type]
    except StatusError as err:
        raise UsageError(f'error from server ({err.reason}): {err.message} in namespace "{ctx.namespace}"') from None


def _first_pod(ctx: Context, obj: dict, kind: str) -> dict:
    spec = obj.get("spec") or {}
    labels = (
        spec.get("selector")
        if kind in ("Service", "ReplicationController")
        else (spec.get("selector") or {}).get("matchLabels")
    )
    selector = ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items()))
    pods = ctx.api.list("pods", ctx.namespace, label_selector=selector)["items"] if selector else []
    if not pods:
        raise UsageError("timed out waiting for the condition")
    pods.sort(key=_by_logging)
    if len(pods) > 1:
        ctx.stderr.write(f"Found {len(pods)} pods, using pod/{pods[0]['metadata']['name']}\n")
    return pods[0]


def _by_logging(pod: dict) -> tuple:
    """podutils.ByLogging: assigned, running, ready, ready longest, most restarts, oldest first."""
    status = pod.get("status") or {}
    ready: dict = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {})
    is_ready = ready.get("status") == "True"
    restarts = max((c.get("restartCount", 0) for c in status.get("containerStatuses") or []), default=0)
    phase = {"Running": 0, "Unknown": 1, "Pending": 2}.get(status.get("phase", ""), 3)
    return (
        not (pod.get("spec") or {}).get("nodeName"),
        phase,
        not is_ready,
        ready.get("lastTransitionTime") or "~" if is_ready else "",
        -restarts,
        pod["metadata"].get("creationTimestamp") or "~",
    )


def _containers(ctx: Context, pod: dict, opts: LogOptions, every: bool) -> list[str]:
    spec = pod.get("spec") or {}
    names = [c["name"] for c in spec.get("containers") or []]
    init = [c["name"] for c in spec.get("initContainers") or []]
    ephemeral = [c["name"] for c in spec.get("ephemeralContainers") or []]
    if opts.container:
        if opts.container not in names + init + ephemeral:
            raise UsageError(f"container {opts.container} is not valid for pod {pod['metadata']['name']}")
        return [opts.container]
    if every:
        return init + names + ephemeral
    default = (pod["metadata"].get("annotations") or {}).get(DEFAULT_CONTAINER)
    chosen = default if isinstance(default, str) and default in names else names[0]
    if len(names) + len(init) + len(ephemeral) > 1:
        ctx.stderr.write(f'Defaulted container "{chosen}" out of: {all_container_names(pod)}\n')
    return [chosen]


# -- printing ----------------------------------------------------------------------------------------
def _print_logs(ctx: Context, parsed: object, opts: LogOptions, pods: list[dict]) -> int:
    values = parsed.values  # type: ignore[attr-defined]
    try:
        streams = [(pod, name) for pod in pods for name in _containers(ctx, pod, opts, values["all-containers"])]
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1
    if opts.follow and len(streams) > values["max-log-requests"]:
        ctx.stderr.write(
            f"error: you are attempting to follow {len(streams)} log streams, but maximum allowed "
            f"concurrency is {values['max-log-requests']}, use --max-log-requests to increase the limit\n"
        )
        return 1
    code = 0
    for pod, container in streams:
        name = pod["metadata"]["name"]
        prefix = f"[pod/{name}/{container}] " if values["prefix"] else ""
        one = LogOptions(**{**opts.__dict__, "container": container})
        try:
            _write(ctx, _chunks(ctx, name, one, values["request-timeout"]), prefix)
        except StatusError as err:
            if values["ignore-errors"]:
                continue
            server_error(ctx, err)
            code = 1
    return code


def _chunks(ctx: Context, name: str, opts: LogOptions, timeout: str) -> object:
    if not opts.follow:
        return [read(ctx.api, ctx.namespace, name, opts)]
    from cluster.kubectl.get_flags import parse_duration

    seconds = parse_duration(timeout) if timeout else DEFAULT_FOLLOW_SECONDS
    return follow_chunks(ctx.api, ctx.namespace, name, opts, ctx.stop.is_set, time.monotonic() + seconds)


def _write(ctx: Context, chunks: object, prefix: str) -> None:
    for chunk in chunks:  # type: ignore[attr-defined]
        if prefix:
            chunk = "".join(prefix + line for line in chunk.splitlines(keepends=True))
        ctx.stdout.write(chunk)
        if hasattr(ctx.stdout, "flush"):
            ctx.stdout.flush()
