"""metrics-server, simulated: per-pod CPU usage for the resource metrics API (metrics.k8s.io).

On a real cluster the kubelets measure each container's CPU time and
metrics-server turns two scrapes into a rate, the `usage` the HorizontalPodAutoscaler
reads. kubeclass has no processes to measure, so usage is derived from load a
learner sets, stored where every component reads it through the API server:

- a load generator aimed at a Service (the annotation `kubeclass.io/load-generator-qps`
  on the Service), as in upstream's php-apache walkthrough: its requests are spread
  evenly over the Service's ready pods and each request costs `CPU_PER_REQUEST`
  millicores of CPU for a second;
- requests the cluster's own processes send to a server that burns CPU for each (php-apache:
  the walkthrough's busybox `wget` loop), which each client counts
  (cluster/container/requestload.py): a Service's spread evenly over its ready pods, like the
  load generator's;
- a pinned usage on one pod (the annotation `kubeclass.io/cpu-usage: "250m"`),
  which wins over the Service share, to make one pod hot or idle.

Every running container idles at `IDLE_MILLICORES`, unless its process says it burns
more (a `stress` hog: `--cpu 2`, vish/stress's `-cpus 2`), throttled at the container's
CPU limit; a pod never uses more than its CPU limit when every container has one. Each
running container holds `IDLE_MEMORY_BYTES` of working set plus what its process holds
(stress's `--vm-bytes`, `-mem-total`), never above its memory limit (past it the kernel
OOM-kills the process, cluster/container/programs_tools.py). That is what `kubectl top`
shows; the HPA reads CPU only.

`pod_metrics` and `node_metrics` are the samples metrics-server would hold, per
container and per node: what the page's `kubectl top` prints and what the
metrics.k8s.io API (cluster/apiserver/http/metrics_api.py) serves.

Simplified: one CPU sample per pod, split evenly over its running containers; a
pod reports metrics once it has run for one metric resolution (metrics-server
needs two scrapes for a rate), and the sample is taken at the moment it is read,
with a window of one resolution; a node's usage is its pods' (no system daemons);
a pod on an unreachable node has no PodMetrics, though the HPA's view
(`pod_cpu_metrics`) still counts it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cluster import clock, podutil, quantity
from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import ResourceType
from cluster.apiserver.selectors import LabelSelector, selector_from_label_selector
from cluster.apiserver.server import APIServer
from cluster.container import programs_http, requestload
from cluster.faults import kubelet_reachable

CPU_USAGE_ANNOTATION = "kubeclass.io/cpu-usage"
LOAD_QPS_ANNOTATION = "kubeclass.io/load-generator-qps"
CPU_PER_REQUEST = programs_http.HPA_EXAMPLE_REQUEST_CPU  # millicore-seconds per request (php-apache's loop)
IDLE_MILLICORES = 1
IDLE_MEMORY_BYTES = 4 * 1024 * 1024  # an idle web server's working set is a few MiB
METRIC_RESOLUTION = dt.timedelta(seconds=15)  # metrics-server's --metric-resolution
# The resource metrics API metrics-server serves (read-only, never stored): its APIResourceList's entries.
METRICS_GROUP, METRICS_VERSION = "metrics.k8s.io", "v1beta1"
METRICS_RESOURCES = (
    ResourceType(METRICS_GROUP, METRICS_VERSION, "NodeMetrics", "nodes", "", False, "", verbs=("get", "list")),
    ResourceType(METRICS_GROUP, METRICS_VERSION, "PodMetrics", "pods", "", True, "", verbs=("get", "list")),
)


class MetricsUnavailable(Exception):
    """The resource metrics API had nothing for the selector (metrics client's error text)."""


@dataclass(frozen=True)
class PodMetric:
    value: int  # millicores
    timestamp: dt.datetime
    window: dt.timedelta


def pod_cpu_metrics(api: APIServer, namespace: str, selector: LabelSelector) -> dict[str, PodMetric]:
    """GetResourceMetric(cpu): the usage of each pod matching `selector` that metrics-server reports."""
    now = api.now()
    pods = [p for p in api.list("pods", namespace)["items"] if selector.matches(p["metadata"].get("labels"))]
    usage = cpu_usage(api, namespace, pods)
    metrics = {
        p["metadata"]["name"]: PodMetric(usage[p["metadata"]["name"]], now, METRIC_RESOLUTION)
        for p in pods
        if reports_metrics(p, now)
    }
    if not metrics:
        raise MetricsUnavailable("no metrics returned from resource metrics API")
    return metrics


def reports_metrics(pod: dict, now: dt.datetime) -> bool:
    """Running for at least one resolution: metrics-server has two samples to compute a rate from."""
    status = pod.get("status") or {}
    if status.get("phase") != "Running" or not status.get("startTime"):
        return False
    return clock.parse_rfc3339(status["startTime"]) + METRIC_RESOLUTION <= now


Load = dict[tuple[str, str], dict[str, int]]  # (pod uid, container) -> {"cpu": millicores, "memory": bytes}


def process_load(api: APIServer, pods: list[dict]) -> Load:
    """What running processes say they burn and hold (a `stress` process's hogs), read from the nodes'
    container runtimes as metrics-server reads the kubelets' cgroup statistics."""
    from cluster.runtime import NodeRuntime

    by_node: dict[str, list[dict]] = {}
    for pod in pods:
        node = (pod.get("spec") or {}).get("nodeName")
        if node:
            by_node.setdefault(node, []).append(pod)
    found: Load = {}
    for node, members in by_node.items():
        runtime = NodeRuntime(api.cluster, node)
        for pod in members:
            uid = pod["metadata"].get("uid", "")
            for container in (pod.get("spec") or {}).get("containers") or []:
                record = runtime.container(uid, container.get("name", ""))
                if record is None or record.get("state") != "running":
                    continue
                args = ((record.get("proc") or {}).get("block") or {}).get("args") or {}
                load = {k: v for k, v in args.items() if k in ("cpu", "memory") and isinstance(v, int)}
                if load:
                    found[(uid, container.get("name", ""))] = load
    return found


def cpu_usage(api: APIServer, namespace: str, pods: list[dict], load: Load | None = None) -> dict[str, int]:
    """Millicores each pod burns right now: pinned usage, or what its processes burn (idle, or a stress hog's
    cores up to the container's limit) plus its share of the Service load."""
    shares = service_load(api, namespace)
    load = process_load(api, pods) if load is None else load
    usage = {}
    for pod in pods:
        name = pod["metadata"]["name"]
        pinned = (pod["metadata"].get("annotations") or {}).get(CPU_USAGE_ANNOTATION)
        if pinned is not None:
            value = _millicores_or_zero(pinned)
        else:
            uid = pod["metadata"].get("uid", "")
            containers = (pod.get("spec") or {}).get("containers") or []
            value = sum(_container_cpu(c, load.get((uid, c.get("name", "")), {})) for c in containers)
            value += shares.get(name, 0)
        limit = cpu_limit(pod)
        usage[name] = min(value, limit) if limit is not None else value
    return usage


def _container_cpu(container: dict, load: dict[str, int]) -> int:
    """Idle, or what the container's process burns, throttled at its own CPU limit (its cgroup's quota)."""
    burning = load.get("cpu", 0)
    if not burning:
        return IDLE_MILLICORES
    limit = ((container.get("resources") or {}).get("limits") or {}).get("cpu")
    return min(burning, _millicores_or_zero(limit)) if limit is not None else burning


def service_load(api: APIServer, namespace: str) -> dict[str, int]:
    """Each pod's CPU spent answering requests: the load generators' and the cluster's own clients' (a busybox
    `wget` loop), a Service's spread evenly over its ready pods as kube-proxy's random pick spreads them."""
    requested = request_load(api)
    services = [
        s
        for s in api.list("services", namespace)["items"]
        if load_qps(s) > 0 or f"service/{namespace}/{s['metadata']['name']}" in requested
    ]
    shares: dict[str, int] = {}
    for carrier, millicores in requested.items():  # requests sent to one pod's address
        kind, _, name = carrier.partition("/")
        if kind == "pod" and name.startswith(f"{namespace}/"):
            pod = name.split("/", 1)[1]
            shares[pod] = shares.get(pod, 0) + millicores
    if not services:
        return shares
    pods = api.list("pods", namespace)["items"]
    for service in services:
        wanted = (service.get("spec") or {}).get("selector")
        if not wanted:
            continue  # a Service without a selector has no endpoints kube-proxy balances to
        selector = selector_from_label_selector({"matchLabels": wanted})
        ready = [p for p in pods if selector.matches(p["metadata"].get("labels")) and _serving(p)]
        if not ready:
            continue
        total = load_qps(service) * CPU_PER_REQUEST + requested.get(
            f"service/{namespace}/{service['metadata']['name']}", 0
        )
        for pod in ready:
            name = pod["metadata"]["name"]
            shares[name] = shares.get(name, 0) + total // len(ready)
    return shares


def request_load(api: APIServer) -> dict[str, int]:
    """Millicores of server work that the processes running in the cluster keep causing with their requests,
    per Service or pod they send them to (cluster/container/requestload.py)."""
    from cluster.models import RuntimeState

    now = api.now().timestamp()
    load: dict[str, int] = {}
    for data in RuntimeState.objects.filter(cluster=api.cluster, scope="node").values_list("data", flat=True):
        for record in ((data or {}).get("containers") or {}).values():
            proc = record.get("proc") or {}  # an exited client's last requests still count, until the window passes
            if not proc.get("load"):
                continue
            for carrier, millicores in requestload.millicores(proc, now).items():
                load[carrier] = load.get(carrier, 0) + millicores
    return load


def load_qps(service: dict) -> int:
    text = (service["metadata"].get("annotations") or {}).get(LOAD_QPS_ANNOTATION, "0")
    try:
        return max(0, int(text))
    except ValueError:
        return 0


def cpu_limit(pod: dict) -> int | None:
    """The pod's CPU limit in millicores, when every container sets one."""
    containers = (pod.get("spec") or {}).get("containers") or []
    limits = [((c.get("resources") or {}).get("limits") or {}).get("cpu") for c in containers]
    if not limits or any(limit is None for limit in limits):
        return None
    return sum(_millicores_or_zero(limit) for limit in limits)


def container_memory(container: dict, held: int = 0) -> int:
    """Working-set bytes of one running container: its idle footprint plus what its process holds (a stress
    hog's bytes), never above its memory limit."""
    limit = ((container.get("resources") or {}).get("limits") or {}).get("memory")
    used = IDLE_MEMORY_BYTES + held
    try:
        return min(used, quantity.units(limit)) if limit is not None else used
    except ValueError:
        return used


def _serving(pod: dict) -> bool:
    """Behind a Service's endpoints: running, ready and not terminating."""
    if pod["metadata"].get("deletionTimestamp"):
        return False
    return (pod.get("status") or {}).get("phase") == "Running" and podutil.is_ready(pod)


def _millicores_or_zero(value: str | int | float | None) -> int:
    try:
        return quantity.millicores(value)
    except ValueError:
        return 0


# -- the load generator ------------------------------------------------------------
def start_load(api: APIServer, namespace: str, service: str, qps: int) -> dict:
    """Aim a load generator at a Service: `qps` requests per second, until stopped."""
    if qps < 1:
        raise StatusError.bad_request(f"--qps must be at least 1, got {qps}")
    return _annotate(api, namespace, service, str(qps))


def stop_load(api: APIServer, namespace: str, service: str) -> dict:
    return _annotate(api, namespace, service, None)


def _annotate(api: APIServer, namespace: str, service: str, value: str | None) -> dict:
    def put(svc: dict) -> dict:
        annotations = svc["metadata"].setdefault("annotations", {})
        if value is None:
            annotations.pop(LOAD_QPS_ANNOTATION, None)
        else:
            annotations[LOAD_QPS_ANNOTATION] = value
        if not annotations:
            svc["metadata"].pop("annotations")
        return svc

    return api.update_with("services", namespace, service, put)


# -- resource metrics per pod and node: what metrics.k8s.io serves and `kubectl top` prints ------
@dataclass(frozen=True)
class Usage:
    cpu: int  # millicores
    memory: int  # bytes

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.cpu + other.cpu, self.memory + other.memory)


@dataclass(frozen=True)
class PodMetrics:
    """One pod's sample, as metrics-server's PodMetrics: each running container's usage."""

    namespace: str
    name: str
    node: str
    containers: tuple[tuple[str, Usage], ...]

    @property
    def usage(self) -> Usage:
        return sum((u for _, u in self.containers), Usage(0, 0))


def pod_metrics(api: APIServer, pods: list[dict]) -> list[PodMetrics]:
    """The PodMetrics metrics-server would list: pods that have run for one resolution on a node it can
    scrape, sorted by namespace and name (as its List keeps the Kube API's order)."""
    now = api.now()
    unreachable = {n["metadata"]["name"] for n in api.list("nodes", None)["items"] if not kubelet_reachable(n)}
    by_namespace: dict[str, list[dict]] = {}
    for pod in pods:
        by_namespace.setdefault(pod["metadata"].get("namespace", ""), []).append(pod)
    found: list[PodMetrics] = []
    load = process_load(api, pods)
    for namespace, members in by_namespace.items():
        cpu = cpu_usage(api, namespace, members, load)
        found.extend(
            _one_pod(pod, cpu[pod["metadata"]["name"]], load)
            for pod in members
            if reports_metrics(pod, now) and (pod.get("spec") or {}).get("nodeName") not in unreachable
        )
    return sorted((m for m in found if m.containers), key=lambda m: (m.namespace, m.name))


def _one_pod(pod: dict, cpu: int, load: Load) -> PodMetrics:
    """The pod's CPU split evenly over its running containers, each with its working set."""
    containers = _running_containers(pod)
    count = max(len(containers), 1)
    shares = [cpu // count + (1 if i < cpu % count else 0) for i in range(len(containers))]
    uid = pod["metadata"].get("uid", "")
    usage = tuple(
        (
            str(c.get("name", "")),
            Usage(share, container_memory(c, load.get((uid, c.get("name", "")), {}).get("memory", 0))),
        )
        for c, share in zip(containers, shares)
    )
    meta = pod["metadata"]
    return PodMetrics(meta.get("namespace", ""), meta["name"], (pod.get("spec") or {}).get("nodeName") or "", usage)


def _running_containers(pod: dict) -> list[dict]:
    """The containers the kubelet has running (all of them before it reports any): a crashed one has no usage."""
    containers = (pod.get("spec") or {}).get("containers") or []
    statuses = (pod.get("status") or {}).get("containerStatuses")
    if not statuses:
        return containers
    running = {s.get("name") for s in statuses if "running" in (s.get("state") or {})}
    return [c for c in containers if c.get("name") in running]


def node_metrics(api: APIServer, nodes: list[dict]) -> dict[str, Usage]:
    """NodeMetrics of the nodes whose kubelet metrics-server can scrape: what their running pods use."""
    usage = {n["metadata"]["name"]: Usage(0, 0) for n in nodes if kubelet_reachable(n)}
    for metrics in pod_metrics(api, api.list("pods", None)["items"]):
        if metrics.node in usage:
            usage[metrics.node] += metrics.usage
    return usage
