"""Validation of the remaining kinds: StorageClass (storage/validation), HorizontalPodAutoscaler
(autoscaling/validation, v2), Lease (coordination), EndpointSlice (discovery) and Events.

Simplified: HPA behavior policies and EndpointSlice topology are not checked.
"""

from __future__ import annotations

from cluster.apiserver.validation import names
from cluster.apiserver.validation.fields import (
    as_dict,
    as_list,
    dns1123_label,
    forbidden,
    immutable,
    invalid,
    not_supported,
    parse_quantity,
    required,
    too_long,
)
from cluster.apiserver.validation.pod import PROTOCOLS

METRIC_TYPES = ("Object", "Pods", "Resource", "External", "ContainerResource")
METRIC_FIELDS = {
    "Object": "object",
    "Pods": "pods",
    "Resource": "resource",
    "External": "external",
    "ContainerResource": "containerResource",
}
ADDRESS_TYPES = ("IPv4", "IPv6", "FQDN")


def validate_storage_class(obj: dict, old: dict | None) -> list[dict]:
    provisioner = obj.get("provisioner") or ""
    errs = (
        [required("provisioner")]
        if not provisioner
        else [invalid("provisioner", provisioner, m) for m in names.is_qualified_name(provisioner.lower())]
    )
    params = as_dict(obj.get("parameters"))
    for key in params:
        if not key:
            errs.append(invalid("parameters", key, "field can not be empty."))
    if sum(len(k) + len(str(v)) for k, v in params.items()) > 256 * 1024:
        errs.append(too_long("parameters", 256 * 1024))
    policy = obj.get("reclaimPolicy")
    if policy is not None and policy not in ("Delete", "Retain"):
        errs.append(not_supported("reclaimPolicy", policy, ("Delete", "Retain")))
    mode = obj.get("volumeBindingMode")
    if mode is None:
        errs.append(required("volumeBindingMode"))
    elif mode not in ("Immediate", "WaitForFirstConsumer"):
        errs.append(not_supported("volumeBindingMode", mode, ("Immediate", "WaitForFirstConsumer")))
    if old is not None:
        if (obj.get("parameters") or {}) != (old.get("parameters") or {}):
            errs.append(forbidden("parameters", "updates to parameters are forbidden."))
        if provisioner != old.get("provisioner"):
            errs.append(forbidden("provisioner", "updates to provisioner are forbidden."))
        if policy != old.get("reclaimPolicy"):
            errs.append(forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."))
        errs += immutable("volumeBindingMode", mode, old.get("volumeBindingMode"))
    return errs


def validate_hpa(obj: dict, old: dict | None) -> list[dict]:
    spec = as_dict(obj.get("spec"))
    errs: list[dict] = []
    minimum, maximum = spec.get("minReplicas"), spec.get("maxReplicas") or 0
    if isinstance(minimum, int) and minimum < 1:
        errs.append(invalid("spec.minReplicas", minimum, "must be greater than or equal to 1"))
    if maximum < 1:
        errs.append(invalid("spec.maxReplicas", maximum, "must be greater than 0"))
    if isinstance(minimum, int) and maximum < minimum:
        errs.append(invalid("spec.maxReplicas", maximum, "must be greater than or equal to `minReplicas`"))
    ref_errs = _cross_version_ref(as_dict(spec.get("scaleTargetRef")), "spec.scaleTargetRef")
    if ref_errs:
        return errs + ref_errs
    for i, metric in enumerate(as_list(spec.get("metrics"))):
        errs += _metric(as_dict(metric), f"spec.metrics[{i}]")
    return errs


def _cross_version_ref(ref: dict, path: str) -> list[dict]:
    errs = []
    for key in ("kind", "name"):
        value = ref.get(key) or ""
        if not value:
            errs.append(required(f"{path}.{key}"))
        else:
            errs += [invalid(f"{path}.{key}", value, m) for m in names.validate_path_segment_name(value, False)]
    return errs


def _metric(metric: dict, path: str) -> list[dict]:
    kind = metric.get("type") or ""
    errs: list[dict] = []
    if not kind:
        errs.append(required(f"{path}.type", "must specify a metric source type"))
    if kind not in METRIC_TYPES:
        errs.append(not_supported(f"{path}.type", kind, METRIC_TYPES))
        return errs
    source_field = METRIC_FIELDS[kind]
    source = metric.get(source_field)
    if source is None:
        return errs + [required(f"{path}.{source_field}", "must populate information for the given metric source")]
    if kind in ("Resource", "ContainerResource"):
        if not as_dict(source).get("name"):
            errs.append(required(f"{path}.{source_field}.name", "must specify a resource name"))
    return errs + _metric_target(as_dict(as_dict(source).get("target")), f"{path}.{source_field}.target")


def _metric_target(target: dict, path: str) -> list[dict]:
    errs: list[dict] = []
    kind = target.get("type") or ""
    if not kind:
        errs.append(required(f"{path}.type", "must specify a metric target type"))
    if kind not in ("Utilization", "Value", "AverageValue"):
        errs.append(invalid(f"{path}.type", kind, "must be either Utilization, Value, or AverageValue"))
    for key in ("value", "averageValue"):
        if target.get(key) is not None:
            parsed = parse_quantity(target[key])
            if parsed is not None and parsed <= 0:
                errs.append(invalid(f"{path}.{key}", str(target[key]), "must be positive"))
    utilization = target.get("averageUtilization")
    if isinstance(utilization, int) and utilization < 1:
        errs.append(invalid(f"{path}.averageUtilization", utilization, "must be greater than 0"))
    return errs


def validate_lease(obj: dict, old: dict | None) -> list[dict]:
    spec = as_dict(obj.get("spec"))
    errs = []
    duration = spec.get("leaseDurationSeconds")
    if isinstance(duration, int) and duration <= 0:
        errs.append(invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"))
    transitions = spec.get("leaseTransitions")
    if isinstance(transitions, int) and transitions < 0:
        errs.append(invalid("spec.leaseTransitions", transitions, "must be greater than or equal to 0"))
    return errs


def validate_endpoint_slice(obj: dict, old: dict | None) -> list[dict]:
    kind = obj.get("addressType") or ""
    errs: list[dict] = []
    if not kind:
        errs.append(required("addressType"))
    elif kind not in ADDRESS_TYPES:
        errs.append(not_supported("addressType", kind, ADDRESS_TYPES))
    for i, endpoint in enumerate(as_list(obj.get("endpoints"))):
        addresses = as_list(as_dict(endpoint).get("addresses"))
        if not addresses:
            errs.append(required(f"endpoints[{i}].addresses", "must contain at least 1 address"))
    for i, raw in enumerate(as_list(obj.get("ports"))):
        port = as_dict(raw)
        if port.get("name"):
            errs += dns1123_label(f"ports[{i}].name", port["name"])
        protocol = port.get("protocol")
        if protocol is not None and protocol not in PROTOCOLS:
            errs.append(not_supported(f"ports[{i}].protocol", protocol, PROTOCOLS))
        if port.get("port") is not None:
            errs += [invalid(f"ports[{i}].port", port["port"], m) for m in names.is_valid_port_num(port["port"])]
    if old is not None:
        errs += immutable("addressType", kind, old.get("addressType") or "")
    return errs


def validate_event(obj: dict, old: dict | None) -> list[dict]:
    namespace = as_dict(obj.get("metadata")).get("namespace") or ""
    involved = as_dict(obj.get("involvedObject") or obj.get("regarding"))
    field = "involvedObject" if "involvedObject" in obj else "regarding"
    other = involved.get("namespace") or ""
    if other and other != namespace:
        return [invalid(f"{field}.namespace", other, "does not match event.namespace")]
    return []
