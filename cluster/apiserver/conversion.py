"""Conversion between the versions that share one etcd prefix.

kube-apiserver stores each object once, in its storage version, and converts
on the way in and out for every other served version:

- Events are stored as core/v1 and also served as events.k8s.io/v1, renaming
  fields on the way (involvedObject ↔ regarding, message ↔ note, the old
  timestamps and count under deprecated* names).
- HorizontalPodAutoscalers are stored as autoscaling/v2 and also served as
  autoscaling/v1 (pkg/apis/autoscaling/v1/conversion.go): spec
  targetCPUUtilizationPercentage ↔ a Resource cpu Utilization metric, status
  currentCPUUtilizationPercentage ↔ the cpu entry of currentMetrics; minReplicas,
  maxReplicas, scaleTargetRef, observedGeneration, lastScaleTime, currentReplicas
  and desiredReplicas carry over as they are. What v1 has no field for (other
  metrics, behavior, conditions, the full current metrics) rides along in
  upstream's autoscaling.alpha.kubernetes.io/* annotations so a v1 round trip
  loses nothing.

Simplified: those annotations hold the v2 JSON shapes (upstream writes the
metric annotations in the older v2beta1-style shape), and an annotation that
is not valid JSON is dropped instead of failing the request.
"""

from __future__ import annotations

import base64
import json
from typing import Callable

from cluster.apiserver.resources import RESOURCES, ResourceType

# core/v1 field → events.k8s.io/v1 field
_EVENT_FIELDS = (
    ("involvedObject", "regarding"),
    ("message", "note"),
    ("source", "deprecatedSource"),
    ("firstTimestamp", "deprecatedFirstTimestamp"),
    ("lastTimestamp", "deprecatedLastTimestamp"),
    ("count", "deprecatedCount"),
    ("reportingComponent", "reportingController"),
)
_SAME = ("metadata", "reason", "type", "action", "related", "series", "eventTime", "reportingInstance")

# upstream's pkg/apis/autoscaling/annotations.go
METRICS_ANNOTATION = "autoscaling.alpha.kubernetes.io/metrics"
CURRENT_METRICS_ANNOTATION = "autoscaling.alpha.kubernetes.io/current-metrics"
CONDITIONS_ANNOTATION = "autoscaling.alpha.kubernetes.io/conditions"
BEHAVIOR_ANNOTATION = "autoscaling.alpha.kubernetes.io/behavior"
_ROUND_TRIP = (METRICS_ANNOTATION, CURRENT_METRICS_ANNOTATION, CONDITIONS_ANNOTATION, BEHAVIOR_ANNOTATION)
_HPA_STATUS_SAME = ("observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas")


def is_events_v1(rt: ResourceType) -> bool:
    return rt.group == "events.k8s.io"


def _is_hpa_v1(rt: ResourceType) -> bool:
    return (rt.group, rt.version, rt.kind) == ("autoscaling", "v1", "HorizontalPodAutoscaler")


def _storage_version(rt: ResourceType) -> ResourceType:
    if is_events_v1(rt):
        return next(r for r in RESOURCES if (r.group, r.kind) == ("", "Event"))
    return next(r for r in RESOURCES if (r.group, r.plural) == (rt.group, rt.plural))


# Every request asks, several times: a table instead of a scan.
_STORAGE = {(r.group, r.version, r.plural): _storage_version(r) for r in RESOURCES}


def _same(a: ResourceType, b: ResourceType) -> bool:
    return a is b or a == b


def storage_rt(rt: ResourceType) -> ResourceType:
    """The ResourceType whose shape etcd keeps for `rt` (itself when it is the storage version)."""
    return _STORAGE.get((rt.group, rt.version, rt.plural)) or _storage_version(rt)


def from_storage(rt: ResourceType, obj: dict) -> dict:
    """The stored object in the served version of `rt`."""
    if is_events_v1(rt):
        return _event_from_core(obj)
    if _is_hpa_v1(rt):
        return _hpa_v2_to_v1(obj)
    return obj


def to_storage(rt: ResourceType, obj: dict) -> dict:
    """An object of the served version of `rt` in its stored form."""
    if is_events_v1(rt):
        return _event_to_core(obj)
    if _is_hpa_v1(rt):
        return _hpa_v1_to_v2(obj)
    return obj


def request_to_storage(served: ResourceType, obj: dict) -> dict:
    """A request body of the served version, as the storage version's object (kind and apiVersion too)."""
    rt = storage_rt(served)
    if _same(rt, served):
        return obj
    stored = to_storage(served, obj)
    stored["kind"], stored["apiVersion"] = rt.kind, rt.api_version
    return stored


def to_served(served: ResourceType, obj: dict) -> dict:
    """A storage-version result as the served version answers it."""
    if _same(storage_rt(served), served):
        return obj
    answer = from_storage(served, obj)
    answer["kind"], answer["apiVersion"] = served.kind, served.api_version
    return answer


def in_served(served: ResourceType, mutate: Callable[[dict], dict]) -> Callable[[dict], dict]:
    """`mutate` of a served-version object, applied to a stored one: convert, mutate, convert back."""
    if _same(storage_rt(served), served):
        return mutate
    return lambda old: request_to_storage(served, mutate(to_served(served, old)))


def to_internal(rt: ResourceType, obj: dict) -> None:
    """What decoding into the internal version changes, before admission and validation see the object.

    A Secret's stringData is write-only (Convert_v1_Secret_To_core_Secret): each entry is written
    over data as its base64, and stringData is never stored or answered.
    """
    if rt.kind == "Secret" and "stringData" in obj:
        strings = obj.pop("stringData") or {}
        if strings:
            current = obj.get("data")
            data: dict = current if isinstance(current, dict) else {}
            for key, value in strings.items():
                data[key] = base64.b64encode(str(value).encode()).decode()
            obj["data"] = data


# -- Events -----------------------------------------------------------------------
def _event_from_core(obj: dict) -> dict:
    served = {key: obj[key] for key in _SAME if key in obj}
    for core, new in _EVENT_FIELDS:
        if obj.get(core) not in (None, ""):
            served[new] = obj[core]
    return served


def _event_to_core(obj: dict) -> dict:
    stored = {key: obj[key] for key in _SAME if key in obj}
    for core, new in _EVENT_FIELDS:
        if obj.get(new) not in (None, ""):
            stored[core] = obj[new]
    return stored


# -- HorizontalPodAutoscalers ------------------------------------------------------
def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _is_cpu_utilization(metric: object, side: str) -> bool:
    metric = _dict(metric)
    resource = _dict(metric.get("resource"))
    return (
        metric.get("type") == "Resource"
        and resource.get("name") == "cpu"
        and _dict(resource.get(side)).get("averageUtilization") is not None
    )


def _hpa_v2_to_v1(obj: dict) -> dict:
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    metrics = spec.get("metrics")
    if not isinstance(metrics, list):
        metrics = []
    meta = dict(_dict(obj.get("metadata")))
    annotations = {k: v for k, v in _dict(meta.get("annotations")).items() if k not in _ROUND_TRIP}
    out_spec = {k: spec[k] for k in ("scaleTargetRef", "minReplicas", "maxReplicas") if k in spec}
    cpu = next((m for m in metrics if _is_cpu_utilization(m, "target")), None)
    if cpu is not None:
        out_spec["targetCPUUtilizationPercentage"] = cpu["resource"]["target"]["averageUtilization"]
    carried = {
        METRICS_ANNOTATION: [m for m in metrics if m is not cpu],
        BEHAVIOR_ANNOTATION: spec.get("behavior"),
        CONDITIONS_ANNOTATION: status.get("conditions"),
        CURRENT_METRICS_ANNOTATION: status.get("currentMetrics"),
    }
    annotations.update({k: json.dumps(v, separators=(",", ":")) for k, v in carried.items() if v})
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    out_status = {"currentReplicas": 0, "desiredReplicas": 0}  # not omitempty in autoscaling/v1
    out_status.update({k: status[k] for k in _HPA_STATUS_SAME if k in status})
    current = next((m for m in status.get("currentMetrics") or [] if _is_cpu_utilization(m, "current")), None)
    if current is not None:
        out_status["currentCPUUtilizationPercentage"] = current["resource"]["current"]["averageUtilization"]
    return {"metadata": meta, "spec": out_spec, "status": out_status}


def _carried(annotations: dict, key: str) -> object:
    try:
        return json.loads(annotations[key]) if isinstance(annotations.get(key), str) else None
    except ValueError:
        return None


def _hpa_v1_to_v2(obj: dict) -> dict:
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    meta = dict(_dict(obj.get("metadata")))
    given = _dict(meta.get("annotations"))
    annotations = {k: v for k, v in given.items() if k not in _ROUND_TRIP}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    out_spec = {k: spec[k] for k in ("scaleTargetRef", "minReplicas", "maxReplicas") if k in spec}
    metrics = []
    if spec.get("targetCPUUtilizationPercentage") is not None:
        metrics.append(
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": spec["targetCPUUtilizationPercentage"]},
                },
            }
        )
    others = _carried(given, METRICS_ANNOTATION)
    metrics += others if isinstance(others, list) else []
    if metrics:
        out_spec["metrics"] = metrics
    if isinstance(behavior := _carried(given, BEHAVIOR_ANNOTATION), dict):
        out_spec["behavior"] = behavior
    out = {"metadata": meta, "spec": out_spec}
    if status:
        out["status"] = _hpa_status_v1_to_v2(status, given)
    return out


def _hpa_status_v1_to_v2(status: dict, annotations: dict) -> dict:
    out = {k: status[k] for k in _HPA_STATUS_SAME if k in status}
    current = _carried(annotations, CURRENT_METRICS_ANNOTATION)
    if isinstance(current, list):
        out["currentMetrics"] = current
    elif status.get("currentCPUUtilizationPercentage") is not None:
        out["currentMetrics"] = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "current": {"averageUtilization": status["currentCPUUtilizationPercentage"]},
                },
            }
        ]
    if isinstance(conditions := _carried(annotations, CONDITIONS_ANNOTATION), list):
        out["conditions"] = conditions
    return out
