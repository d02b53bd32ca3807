"""One metric of an HPA, computed (horizontal.go's computeReplicasForMetric and
computeStatusForResourceMetricGeneric): a replica proposal, the metric's status and
the name the SuccessfulRescale event gives it, or the error upstream reports.

Simplified: only Resource metrics on cpu have a metrics API behind them (the
simulated metrics-server); memory and ContainerResource report that the resource
metrics API returned nothing, Pods and Object that no custom metrics API is
registered, External that no external metrics API is, as on a cluster without
those adapters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cluster.apiserver.selectors import LabelSelector
from cluster.apiserver.server import APIServer
from cluster.controllers.hpa_replicas import ReplicaCalculationError, raw_resource_replicas, resource_replicas
from cluster.metrics import MetricsUnavailable, pod_cpu_metrics
from cluster.quantity import millicores


class MetricError(Exception):
    """A metric that could not be computed.

    `reason` is the ScalingActive reason and event reason, `message` what the event
    and condition say, `wrapped` the text the aggregate FailedComputeMetricsReplicas
    error quotes.
    """

    def __init__(self, reason: str, message: str, wrapped: str) -> None:
        super().__init__(wrapped)
        self.reason, self.message, self.wrapped = reason, message, wrapped


@dataclass(frozen=True)
class MetricProposal:
    replicas: int
    name: str  # e.g. "cpu resource utilization (percentage of request)"
    status: dict  # a MetricStatus for status.currentMetrics


@dataclass(frozen=True)
class MetricContext:
    api: APIServer
    namespace: str
    selector: LabelSelector
    pods: list[dict]
    now: dt.datetime


def compute_metric(ctx: MetricContext, spec: dict, current: int) -> MetricProposal:
    kind = spec.get("type") or ""
    if kind == "Resource":
        return _resource(ctx, spec.get("resource") or {}, current)
    raise _unsupported(kind, spec)


def _resource(ctx: MetricContext, source: dict, current: int) -> MetricProposal:
    resource, target = source.get("name") or "", source.get("target") or {}
    try:
        replicas, value, name = _resource_generic(ctx, resource, target, current)
    except ReplicaCalculationError as err:
        raise MetricError(
            "FailedGetResourceMetric", str(err), f"failed to get {resource} resource metric value: {err}"
        ) from None
    return MetricProposal(replicas, name, {"type": "Resource", "resource": {"name": resource, "current": value}})


def _resource_generic(ctx: MetricContext, resource: str, target: dict, current: int) -> tuple[int, dict, str]:
    average_value = target.get("averageValue")
    if average_value is not None:
        metrics = _fetch(ctx, resource, "usage")
        try:
            rec = raw_resource_replicas(current, millicores(average_value), ctx.pods, metrics, ctx.now)
        except ReplicaCalculationError as err:
            raise ReplicaCalculationError(f"failed to get {resource} usage: {err}") from None
        return rec.replicas, {"averageValue": milli_quantity(rec.raw_average)}, f"{resource} resource"
    if target.get("averageUtilization") is None:
        raise ReplicaCalculationError(
            "invalid resource metric source: neither an average utilization target nor "
            "an average value (usage) target was set"
        )
    metrics = _fetch(ctx, resource, "utilization")
    try:
        rec = resource_replicas(current, target["averageUtilization"], ctx.pods, metrics, ctx.now)
    except ReplicaCalculationError as err:
        raise ReplicaCalculationError(f"failed to get {resource} utilization: {err}") from None
    value = {"averageUtilization": rec.utilization, "averageValue": milli_quantity(rec.raw_average)}
    return rec.replicas, value, f"{resource} resource utilization (percentage of request)"


def _fetch(ctx: MetricContext, resource: str, what: str) -> dict:
    """The resource metrics API's answer (metrics-server), as the replica calculator's first step."""
    try:
        if resource != "cpu":
            raise MetricsUnavailable("no metrics returned from resource metrics API")
        return pod_cpu_metrics(ctx.api, ctx.namespace, ctx.selector)
    except MetricsUnavailable as err:
        raise ReplicaCalculationError(
            f"failed to get {resource} {what}: unable to get metrics for resource {resource}: {err}"
        ) from None


def _unsupported(kind: str, spec: dict) -> MetricError:
    if kind == "ContainerResource":
        source = spec.get("containerResource") or {}
        resource = source.get("name") or ""
        message = (
            f"failed to get {resource} utilization: unable to get metrics for resource {resource}: "
            f"no metrics returned from resource metrics API"
        )
        return MetricError(
            "FailedGetContainerResourceMetric",
            message,
            f"failed to get {source.get('container')} container metric value: {message}",
        )
    if kind in ("Pods", "Object"):
        name = ((spec.get(kind.lower()) or {}).get("metric") or {}).get("name") or ""
        message = (
            f"unable to get metric {name}: unable to fetch metrics from custom metrics API: "
            f"no custom metrics API (custom.metrics.k8s.io) registered"
        )
        return MetricError(f"FailedGet{kind}Metric", message, f"failed to get {kind.lower()} metric value: {message}")
    if kind == "External":
        name = ((spec.get("external") or {}).get("metric") or {}).get("name") or ""
        message = (
            f"unable to get external metric {name}: unable to fetch metrics from external metrics API: "
            f"no external metrics API (external.metrics.k8s.io) registered"
        )
        return MetricError("FailedGetExternalMetric", message, f"failed to get {name} external metric value: {message}")
    message = f'unknown metric source type "{kind}"'
    return MetricError("InvalidMetricSourceType", message, message)


def milli_quantity(value: int) -> str:
    """resource.NewMilliQuantity(v, DecimalSI).String(): whole cores without a suffix, else millicores."""
    return str(value // 1000) if value % 1000 == 0 else f"{value}m"
