"""The HPA's replica calculator (pkg/controller/podautoscaler/replica_calculator.go and
metrics/utilization.go): from per-pod usage and requests to a recommended replica count.

desired = ceil(readyPods × currentUtilization / targetUtilization), unchanged while
the ratio stays within the tolerance (±10 %). Pods without metrics and pods not yet
ready are set aside first and then filled in on the cautious side, as upstream does:
on a scale-up, missing and unready pods count as using nothing; on a scale-down,
missing pods count as using 100 % of their request (or the target, when it is
higher), so neither case makes the autoscaler overshoot.

Pure functions of the pods, the metrics and the virtual `now`; the controller
(hpa.py) reads those through the API server.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from cluster import clock, podutil, quantity
from cluster.metrics import PodMetric

TOLERANCE = 0.1  # --horizontal-pod-autoscaler-tolerance
CPU_INITIALIZATION_PERIOD = dt.timedelta(minutes=5)  # --horizontal-pod-autoscaler-cpu-initialization-period
INITIAL_READINESS_DELAY = dt.timedelta(seconds=30)  # --horizontal-pod-autoscaler-initial-readiness-delay


class ReplicaCalculationError(Exception):
    """Why no replica count could be computed, in upstream's words."""


@dataclass(frozen=True)
class Recommendation:
    replicas: int
    utilization: int  # percent of request (Utilization targets) or millicores (AverageValue targets)
    raw_average: int  # millicores per pod


@dataclass(frozen=True)
class PodGroups:
    ready_count: int
    unready: frozenset[str]
    missing: frozenset[str]
    ignored: frozenset[str]


def group_pods(pods: list[dict], metrics: dict[str, PodMetric], now: dt.datetime, cpu: bool = True) -> PodGroups:
    """groupPods: which samples count, which pods are unready, missing or ignored."""
    ready, unready, missing, ignored = 0, set(), set(), set()
    for pod in pods:
        name, status = pod["metadata"]["name"], pod.get("status") or {}
        if pod["metadata"].get("deletionTimestamp") or status.get("phase") == "Failed":
            ignored.add(name)
            continue
        if status.get("phase") == "Pending":
            unready.add(name)
            continue
        metric = metrics.get(name)
        if metric is None:
            missing.add(name)
            continue
        if cpu and _unready_sample(pod, metric, now):
            unready.add(name)
            continue
        ready += 1
    return PodGroups(ready, frozenset(unready), frozenset(missing), frozenset(ignored))


def _unready_sample(pod: dict, metric: PodMetric, now: dt.datetime) -> bool:
    """CPU samples taken while a pod starts up say nothing about its steady load."""
    status = pod.get("status") or {}
    condition = podutil.ready_condition(pod)
    if condition is None or not status.get("startTime"):
        return True
    started = clock.parse_rfc3339(status["startTime"])
    transition = clock.parse_rfc3339(condition.get("lastTransitionTime") or status["startTime"])
    if started + CPU_INITIALIZATION_PERIOD > now:
        # Still initialising: ignore unready pods and samples from before readiness settled.
        return condition.get("status") == "False" or metric.timestamp < transition + metric.window
    # Later on, ignore only pods that never became ready since they started.
    return condition.get("status") == "False" and started + INITIAL_READINESS_DELAY > transition


def pod_requests(pods: list[dict], resource: str = "cpu") -> dict[str, int]:
    """calculatePodRequests: the summed requests (millicores) of containers and sidecars per pod."""
    requests = {}
    for pod in pods:
        spec = pod.get("spec") or {}
        containers = list(spec.get("containers") or [])
        containers += [c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"]
        total = 0
        for container in containers:
            value = ((container.get("resources") or {}).get("requests") or {}).get(resource)
            if value is None:
                raise ReplicaCalculationError(
                    f"missing request for {resource} in container "
                    f"{container.get('name')} of Pod {pod['metadata']['name']}"
                )
            total += quantity.millicores(value)
        requests[pod["metadata"]["name"]] = total
    return requests


def utilization_ratio(values: dict[str, int], requests: dict[str, int], target: int) -> tuple[float, int, int]:
    """GetResourceUtilizationRatio: (usage ratio, utilization %, average millicores)."""
    matched = [(value, requests[name]) for name, value in values.items() if name in requests]
    metrics_total = sum(value for value, _ in matched)
    requests_total = sum(request for _, request in matched)
    if requests_total == 0:
        raise ReplicaCalculationError("no metrics returned matched known pods")
    utilization = metrics_total * 100 // requests_total
    return utilization / target, utilization, metrics_total // len(matched)


def resource_replicas(
    current: int, target_utilization: int, pods: list[dict], metrics: dict[str, PodMetric], now: dt.datetime
) -> Recommendation:
    """GetResourceReplicas: the recommendation for an averageUtilization target."""
    if not pods:
        raise ReplicaCalculationError("no pods returned by selector while calculating replica count")
    groups = group_pods(pods, metrics, now)
    values = {name: m.value for name, m in metrics.items() if name not in groups.ignored | groups.unready}
    if not values:
        raise ReplicaCalculationError("did not receive metrics for targeted pods (pods might be unready)")
    requests = pod_requests(pods)
    ratio, utilization, raw = utilization_ratio(values, requests, target_utilization)

    scale_up_with_unready = bool(groups.unready) and ratio > 1.0
    if not scale_up_with_unready and not groups.missing:
        if abs(1.0 - ratio) <= TOLERANCE:
            return Recommendation(current, utilization, raw)
        return Recommendation(math.ceil(ratio * groups.ready_count), utilization, raw)

    if groups.missing:
        if ratio < 1.0:
            fallback = max(100, target_utilization)
            values.update({name: requests[name] * fallback // 100 for name in groups.missing})
        elif ratio > 1.0:
            values.update({name: 0 for name in groups.missing})
    if scale_up_with_unready:
        values.update({name: 0 for name in groups.unready})

    new_ratio, _, _ = utilization_ratio(values, requests, target_utilization)
    return Recommendation(_rebalanced(current, ratio, new_ratio, len(values)), utilization, raw)


def raw_resource_replicas(
    current: int, target_millicores: int, pods: list[dict], metrics: dict[str, PodMetric], now: dt.datetime
) -> Recommendation:
    """GetRawResourceReplicas (calcPlainMetricReplicas): the recommendation for an averageValue target."""
    if not pods:
        raise ReplicaCalculationError("no pods returned by selector while calculating replica count")
    groups = group_pods(pods, metrics, now)
    values = {name: m.value for name, m in metrics.items() if name not in groups.ignored | groups.unready}
    if not values:
        raise ReplicaCalculationError("did not receive metrics for targeted pods (pods might be unready)")
    usage = sum(values.values()) // len(values)
    ratio = usage / target_millicores

    scale_up_with_unready = bool(groups.unready) and ratio > 1.0
    if not scale_up_with_unready and not groups.missing:
        if abs(1.0 - ratio) <= TOLERANCE:
            return Recommendation(current, usage, usage)
        return Recommendation(math.ceil(ratio * groups.ready_count), usage, usage)

    if groups.missing:
        if ratio < 1.0:
            values.update({name: target_millicores for name in groups.missing})
        elif ratio > 1.0:
            values.update({name: 0 for name in groups.missing})
    if scale_up_with_unready:
        values.update({name: 0 for name in groups.unready})

    new_ratio = (sum(values.values()) // len(values)) / target_millicores
    return Recommendation(_rebalanced(current, ratio, new_ratio, len(values)), usage, usage)


def _rebalanced(current: int, ratio: float, new_ratio: float, counted: int) -> int:
    """After filling in missing and unready pods: never flip the direction of the scale."""
    if abs(1.0 - new_ratio) <= TOLERANCE or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return current
    replicas = math.ceil(new_ratio * counted)
    if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
        return current
    return replicas
