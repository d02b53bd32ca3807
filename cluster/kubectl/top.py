"""`kubectl top node|pod` (staging/src/k8s.io/kubectl/pkg/cmd/top/top_node.go, top_pod.go and
pkg/metricsutil/metrics_printer.go, v1.32).

The figures are what kubeclass's simulated metrics-server (cluster/metrics.py)
reports, read through the API server: a pod appears once it has run for one
metric resolution, with its CPU usage (idle, its share of a load generator, or a
pinned usage) and each container's idle working set; a node reports while its
kubelet can be reached (not `down` or `partition`ed), the sum of the pods
running on it, against its allocatable (capacity with
`--show-capacity`). The printing is kubectl's: CPU in millicores, memory in whole
MiB, percentages truncated, every cell tab-terminated; a node without metrics is
a `<unknown>` row; no pod metrics is `metrics not available yet`, or
`Metrics not available for pod ns/name, age: ...` once a pod is over two minutes
old, or `No resources found` when there are no pods.

The samples come from cluster/metrics.py (`pod_metrics`, `node_metrics`), the same
code that serves metrics.k8s.io/v1beta1 to a real kubectl (cluster/apiserver/http/
metrics_api.py), so both print the same figures.

Simplified: the in-page kubectl reads those samples directly instead of through
the metrics.k8s.io API (the figures are the same); a pod's CPU is split evenly
over its running containers (a crashed container's idle millicore, which cluster/metrics.py counts, stays with
the pod); a node's usage is its pods' (no system daemons); a pod on an
unreachable node is left out as metrics-server would, though the HPA's view
(cluster/metrics.py) still counts it; no --field-selector.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, TypeVar

from cluster import clock, quantity
from cluster.apiserver.errors import StatusError
from cluster.kubectl.cli import Context, verb
from cluster.kubectl.cmdutil import check_err, parse_flags, usage_error
from cluster.kubectl.flags import COMMON, Flag, Parsed, UsageError
from cluster.kubectl.tabwriter import TabWriter
from cluster.metrics import PodMetrics, Usage, node_metrics, pod_metrics

T = TypeVar("T")
MIB = 1024 * 1024
METRICS_CREATION_DELAY = dt.timedelta(minutes=2)
NODE_ALIASES, POD_ALIASES = ("node", "nodes", "no"), ("pod", "pods", "po")
SHARED_FLAGS = [
    COMMON["selector"],
    Flag("sort-by", "string", ""),
    Flag("no-headers", "bool", False),
    Flag("use-protocol-buffers", "bool", True),
]
NODE_FLAGS = SHARED_FLAGS + [Flag("show-capacity", "bool", False)]
POD_FLAGS = SHARED_FLAGS + [COMMON["all-namespaces"], Flag("containers", "bool", False), Flag("sum", "bool", False)]
TOP_HELP = """\
Display resource (CPU/memory) usage.

 The top command allows you to see the resource consumption for nodes or pods.

 This command requires Metrics Server to be correctly configured and working on the server.

Available Commands:
  node          Display resource (CPU/memory) usage of nodes
  pod           Display resource (CPU/memory) usage of pods

Usage:
  kubectl top [flags] [options]

Use "kubectl top <command> --help" for more information about a given command.
Use "kubectl options" for a list of global command-line options (applies to all commands).
"""


@verb("top")
def top(ctx: Context, args: list[str]) -> int:
    if not args:
        ctx.stderr.write(TOP_HELP)
        return 1
    if args[0] in NODE_ALIASES:
        return top_node(ctx, args[1:])
    if args[0] in POD_ALIASES:
        return top_pod(ctx, args[1:])
    return check_err(ctx, [str(usage_error(f'unknown command "{args[0]}"', "top"))])


# -- kubectl top node -------------------------------------------------------------------
def top_node(ctx: Context, args: list[str]) -> int:
    parsed = parse_flags(ctx, args, NODE_FLAGS, "top node")
    if parsed is None:
        return 1
    try:
        name, selector = _check_args(parsed, "node", "--selector")
        if name:
            nodes = [ctx.api.get("nodes", "", name)]
            metrics = node_metrics(ctx.api, nodes)
            if not metrics:
                raise StatusError.not_found("nodemetrics.metrics.k8s.io", name)
        else:
            nodes = ctx.api.list("nodes", None, label_selector=selector or None)["items"]
            metrics = node_metrics(ctx.api, nodes)
        if not metrics:
            raise UsageError("metrics not available yet")
    except UsageError as err:
        return check_err(ctx, [str(err)])
    except StatusError as err:
        return check_err(ctx, [err])
    field = "capacity" if parsed["show-capacity"] else "allocatable"
    available = {n["metadata"]["name"]: (n.get("status") or {}).get(field) or {} for n in nodes}
    _print_nodes(ctx, metrics, available, bool(parsed["no-headers"]), parsed.text("sort-by"))
    return 0


def _check_args(parsed: Parsed, noun: str, selector_word: str) -> tuple[str, str]:
    if len(parsed.positional) > 1:
        raise usage_error(f"{noun} [NAME | -l label]", f"top {noun}")
    if parsed.text("sort-by") not in ("", "cpu", "memory"):
        raise UsageError("--sort-by accepts only cpu or memory")
    name, selector = (parsed.positional or [""])[0], parsed.text("selector")
    if name and selector:
        raise UsageError(f"only one of NAME or {selector_word} can be provided")
    return name, selector


def _print_nodes(
    ctx: Context, metrics: dict[str, Usage], available: dict[str, dict], no_headers: bool, sort_by: str
) -> None:
    w = TabWriter(ctx.stdout)
    if not no_headers:
        w.write("NAME\tCPU(cores)\tCPU(%)\tMEMORY(bytes)\tMEMORY(%)\t\n")
    for name in _sorted(sorted(metrics), lambda n: metrics[n], sort_by):
        w.write(f"{name}\t" + _usage_cells(metrics[name], available.get(name, {})) + "\n")
    for name in sorted(set(available) - set(metrics)):
        w.write(f"{name}\t" + "<unknown>\t" * 4 + "\n")
    w.flush()


def _usage_cells(usage: Usage, available: dict) -> str:
    """printAllResourceUsages: `250m\\t12%\\t4Mi\\t0%\\t`, the percentages only against what is available."""
    cells = f"{usage.cpu}m\t"
    if "cpu" in available:
        cells += f"{_percent(usage.cpu, quantity.millicores(available['cpu']))}%\t"
    cells += f"{usage.memory // MIB}Mi\t"
    if "memory" in available:
        cells += f"{_percent(usage.memory * 1000, quantity.millicores(available['memory']))}%\t"
    return cells


def _percent(used_milli: int, available_milli: int) -> int:
    """int64(float64(used) / float64(available) * 100), as Go truncates it (amd64's answer for ±Inf and NaN)."""
    if available_milli == 0:
        return -(2**63)
    return int(float(used_milli) / float(available_milli) * 100)


def _sorted(items: list[T], usage_of: Callable[[T], Usage], sort_by: str) -> list[T]:
    """The metrics sorters: by name (already so), or most CPU / memory first."""
    if sort_by == "cpu":
        return sorted(items, key=lambda item: -usage_of(item).cpu)
    if sort_by == "memory":
        return sorted(items, key=lambda item: -usage_of(item).memory)
    return items


# -- kubectl top pod --------------------------------------------------------------------
def top_pod(ctx: Context, args: list[str]) -> int:
    parsed = parse_flags(ctx, args, POD_FLAGS, "top pod")
    if parsed is None:
        return 1
    everywhere = bool(parsed["all-namespaces"])
    try:
        name, selector = _check_args(parsed, "pod", "selector")
        metrics = _pod_metrics_for(ctx, name, None if everywhere else ctx.namespace, selector)
        if not metrics:
            problem = _why_no_metrics(ctx, selector)
            if problem:
                raise UsageError(problem)
            ctx.stderr.write(
                "No resources found\n" if everywhere else f"No resources found in {ctx.namespace} namespace.\n"
            )
    except UsageError as err:
        return check_err(ctx, [str(err)])
    except StatusError as err:
        return check_err(ctx, [err])
    _print_pods(ctx, metrics, parsed, everywhere)
    return 0


def _pod_metrics_for(ctx: Context, name: str, namespace: str | None, selector: str) -> list[PodMetrics]:
    if name:
        pod = ctx.api.get("pods", namespace or ctx.namespace, name)
        metrics = pod_metrics(ctx.api, [pod])
        if not metrics:
            raise StatusError.not_found("podmetrics.metrics.k8s.io", f"{pod['metadata']['namespace']}/{name}")
        return metrics
    return pod_metrics(ctx.api, ctx.api.list("pods", namespace, label_selector=selector or None)["items"])


def _why_no_metrics(ctx: Context, selector: str) -> str:
    """verifyEmptyMetrics (which looks in the context's namespace, even with -A): nothing when there are no pods."""
    pods = ctx.api.list("pods", ctx.namespace, label_selector=selector or None)["items"]
    if not pods:
        return ""
    now = ctx.api.now()
    for pod in pods:
        age = now - clock.parse_rfc3339(pod["metadata"]["creationTimestamp"])
        if age > METRICS_CREATION_DELAY:
            return (
                f"Metrics not available for pod {pod['metadata']['namespace']}/{pod['metadata']['name']}, "
                f"age: {go_duration(age)}"
            )
    return "metrics not available yet"


def _print_pods(ctx: Context, metrics: list[PodMetrics], parsed: Parsed, with_namespace: bool) -> None:
    if not metrics:
        return
    containers, no_headers = bool(parsed["containers"]), bool(parsed["no-headers"])
    w, width = TabWriter(ctx.stdout), 3
    if not no_headers:
        front = ["NAMESPACE"] * with_namespace + ["POD"] * containers
        width += len(front)  # as upstream, only when headers are printed
        w.write("".join(f"{h}\t" for h in front) + "NAME\tCPU(cores)\tMEMORY(bytes)\t\n")
    sort_by = parsed.text("sort-by")
    for pod in _sorted(metrics, lambda m: m.usage, sort_by):
        prefix = f"{pod.namespace}\t" if with_namespace else ""
        if containers:
            for cname, usage in _sorted(sorted(pod.containers, key=lambda c: c[0]), lambda c: c[1], sort_by):
                w.write(f"{prefix}{pod.name}\t{cname}\t" + _usage_cells(usage, {}) + "\n")
        else:
            w.write(f"{prefix}{pod.name}\t" + _usage_cells(pod.usage, {}) + "\n")
    if parsed["sum"]:
        total = sum((m.usage for m in metrics), Usage(0, 0))
        w.write("\t" * (width - 2) + "________\t________\t\n")
        w.write("\t" * (width - 3) + "\t" + _usage_cells(total, {}) + "\n")
    w.flush()


def go_duration(delta: dt.timedelta) -> str:
    """Go's Duration.String for a duration of a second or more: `3m2.5s`, `1h0m0s`."""
    micros = delta // dt.timedelta(microseconds=1)
    seconds, fraction = divmod(micros, 1_000_000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{secs}" + (f".{fraction:06d}".rstrip("0") if fraction else "") + "s"
    if hours:
        return f"{hours}h{minutes}m{text}"
    return f"{minutes}m{text}" if minutes else text
