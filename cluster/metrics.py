"""metrics-server, simulated: per-pod CPU usage for the resource metrics API (metrics.k8s.io).

On a real cluster the kubelets measure each container's CPU time and
metrics-server turns two scrapes into a rate, the `usage` the HorizontalPodAutoscaler
reads. kubeclass has no processes to measure, so usage is derived from load a
learner sets, stored where every component reads it through the API server:

- a load generator aimed at a Service (the annotation `kubeclass.io/load-generator-qps`
  on the Service), as in upstream's php-apache walkthrough: its requests are spread
  evenly over the Service's ready pods and each request costs `CPU_PER_REQUEST`
  millicores of CPU for a second;
- a pinned usage on one pod (the annotation `kubeclass.io/cpu-usage: "250m"`),
  which wins over the Service share, to make one pod hot or idle.

Every running container idles at `IDLE_MILLICORES`, and a pod never uses more than
its CPU limit (the kernel throttles it), when every container has one. Memory is
not driven by load: each running container holds `IDLE_MEMORY_BYTES` of working set,
or its memory limit if that is lower (what `kubectl top` shows; the HPA reads CPU only).

Simplified: one sample per pod (not per container); a pod reports metrics once it
has run for one metric resolution (metrics-server needs two scrapes for a rate),
and the sample is taken at the moment it is read, with a window of one resolution.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cluster import clock, quantity
from cluster.apiserver.errors import StatusError
from cluster.apiserver.selectors import LabelSelector, selector_from_label_selector
from cluster.apiserver.server import APIServer

CPU_USAGE_ANNOTATION = "kubeclass.io/cpu-usage"
LOAD_QPS_ANNOTATION = "kubeclass.io/load-generator-qps"
CPU_PER_REQUEST = 50  # millicores a request keeps busy for a second (php-apache's busy loop)
IDLE_MILLICORES = 1
IDLE_MEMORY_BYTES = 4 * 1024 * 1024  # an idle web server's working set is a few MiB
METRIC_RESOLUTION = dt.timedelta(seconds=15)  # metrics-server's --metric-resolution


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
    metrics = {p["metadata"]["name"]: PodMetric(usage[p["metadata"]["name"]], now, METRIC_RESOLUTION)
               for p in pods if reports_metrics(p, now)}
    if not metrics:
        raise MetricsUnavailable("no metrics returned from resource metrics API")
    return metrics


def reports_metrics(pod: dict, now: dt.datetime) -> bool:
    """Running for at least one resolution: metrics-server has two samples to compute a rate from."""
    status = pod.get("status") or {}
    if status.get("phase") != "Running" or not status.get("startTime"):
        return False
    return clock.parse_rfc3339(status["startTime"]) + METRIC_RESOLUTION <= now


def cpu_usage(api: APIServer, namespace: str, pods: list[dict]) -> dict[str, int]:
    """Millicores each pod burns right now: pinned usage, or idle plus its share of the Service load."""
    shares = service_load(api, namespace)
    usage = {}
    for pod in pods:
        name = pod["metadata"]["name"]
        pinned = (pod["metadata"].get("annotations") or {}).get(CPU_USAGE_ANNOTATION)
        if pinned is not None:
            value = _millicores_or_zero(pinned)
        else:
            containers = len((pod.get("spec") or {}).get("containers") or [])
            value = IDLE_MILLICORES * containers + shares.get(name, 0)
        limit = cpu_limit(pod)
        usage[name] = min(value, limit) if limit is not None else value
    return usage


def service_load(api: APIServer, namespace: str) -> dict[str, int]:
    """Each ready pod's share of the load generators' requests, summed over the Services."""
    shares: dict[str, int] = {}
    services = [s for s in api.list("services", namespace)["items"] if load_qps(s) > 0]
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
        total = load_qps(service) * CPU_PER_REQUEST
        for pod in ready:
            name = pod["metadata"]["name"]
            shares[name] = shares.get(name, 0) + total // len(ready)
    return shares


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


def container_memory(container: dict) -> int:
    """Working-set bytes of one running container: its idle footprint, never above its memory limit."""
    limit = ((container.get("resources") or {}).get("limits") or {}).get("memory")
    try:
        return min(IDLE_MEMORY_BYTES, quantity.units(limit)) if limit is not None else IDLE_MEMORY_BYTES
    except ValueError:
        return IDLE_MEMORY_BYTES


def _serving(pod: dict) -> bool:
    """Behind a Service's endpoints: running, ready and not terminating."""
    if pod["metadata"].get("deletionTimestamp"):
        return False
    status = pod.get("status") or {}
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
    return status.get("phase") == "Running" and ready


def _millicores_or_zero(value: object) -> int:
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
