"""LimitRanger: the admission plugin that applies a namespace's LimitRanges (plugin/pkg/admission/limitranger).

It is both a mutating and a validating plugin, as upstream's:

- `admit` (mutating, PodMutateLimitFunc) runs once per LimitRange of the namespace on a Pod create: every
  container, then every init container, gets the range's Container-type `default` limits and
  `defaultRequest` requests for the resources it leaves out, and the pod is annotated
  `kubernetes.io/limit-ranger: "LimitRanger plugin set: cpu, memory request for container web; …"`
  naming what was set (requests before limits, resources sorted). The range's own `default` and
  `defaultRequest` were filled in when it was stored (SetDefaults_LimitRangeItem, `defaults.py`), and a
  container with only a limit already requests it (SetDefaults_Pod, before any admission plugin).
- `validate` (validating, PodValidateLimitFunc and PersistentVolumeClaimValidateLimitFunc) runs after the
  object's own validation, before ResourceQuota: each container against a Container item's `min`, `max` and
  `maxLimitRequestRatio`, the pod's effective requests and limits against a Pod item's, a claim's storage
  request against a PersistentVolumeClaim item's. A violation is 403 Forbidden with upstream's sentences
  ("maximum memory usage per Container is 1Gi, but limit is 1536Mi"), quantities in canonical form; several
  are listed as one aggregate, "[…, …]".

Pod updates are left alone (containers' resources cannot change), as upstream's SupportsAttributes says.
Go walks a ResourceList in random order; here a range's resources are checked in name order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from cluster import quantity
from cluster.apiserver.quota import container_resources, forbidden
from cluster.apiserver.resources import ResourceType
from cluster.apiserver.validation.gotypes import quantity as go_quantity
from cluster.kubectl import quantities

if TYPE_CHECKING:
    from cluster.apiserver.server import APIServer

ANNOTATION = "kubernetes.io/limit-ranger"


def canonical(value: object) -> str:
    """Quantity.String(): the canonical form (`1.5Gi` → `1536Mi`, `0.5` → `500m`); text that is no quantity as is."""
    try:
        return quantities.canonical(str(value).strip())
    except ValueError:
        return str(value)


def _limit_ranges(api: APIServer, obj: dict) -> list[dict]:
    namespace = obj["metadata"].get("namespace")
    return [kv.value for kv in api.store.range("/registry/limitranges/", namespace)] if namespace else []


def _items(limit_range: dict) -> list[dict]:
    limits = (limit_range.get("spec") or {}).get("limits")
    return [item for item in limits if isinstance(item, dict)] if isinstance(limits, list) else []


def _containers(spec: dict, key: str) -> list[dict]:
    found = spec.get(key)
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


# -- mutating ------------------------------------------------------------------------------------
def admit(api: APIServer, rt: ResourceType, obj: dict) -> None:
    """PodMutateLimitFunc, once for each of the namespace's LimitRanges."""
    if rt.kind != "Pod" or not isinstance(obj.get("spec"), dict):
        return
    for limit_range in _limit_ranges(api, obj):
        requests, limits = _default_requirements(limit_range)
        _merge_pod(obj, requests, limits)


def _default_requirements(limit_range: dict) -> tuple[dict, dict]:
    """defaultContainerResourceRequirements: the Container items' defaultRequest and default, a later item winning."""
    requests: dict = {}
    limits: dict = {}
    for item in _items(limit_range):
        if item.get("type") == "Container":
            requests.update(item.get("defaultRequest") or {})
            limits.update(item.get("default") or {})
    return requests, limits


def _merge_pod(pod: dict, requests: dict, limits: dict) -> None:
    """mergePodResourceRequirements: containers, then init containers; the annotation says what was set."""
    spec = pod["spec"]
    notes: list[str] = []
    for ctr in _containers(spec, "containers"):
        notes += _merge_container(ctr, requests, limits, "container")
    for ctr in _containers(spec, "initContainers"):
        notes += _merge_container(ctr, requests, limits, "init container")
    if notes:
        meta = pod["metadata"]
        if not isinstance(meta.get("annotations"), dict):
            meta["annotations"] = {}
        meta["annotations"][ANNOTATION] = "LimitRanger plugin set: " + "; ".join(notes)


def _merge_container(ctr: dict, requests: dict, limits: dict, prefix: str) -> list[str]:
    """mergeContainerResources."""
    resources = ctr.get("resources")
    if not isinstance(resources, dict):
        resources = ctr["resources"] = {}
    notes = []
    for key, defaults in (("requests", requests), ("limits", limits)):
        current = resources.get(key)
        if not isinstance(current, dict):
            current = {}
        added = sorted(name for name in defaults if name not in current)
        for name in added:
            current[name] = canonical(defaults[name])
        if current:  # an empty ResourceList is left out of the JSON
            resources[key] = current
        if added:
            noun = "request" if key == "requests" else "limit"
            notes.append(f"{', '.join(added)} {noun} for {prefix} {ctr.get('name', '')}")
    return notes


# -- validating ----------------------------------------------------------------------------------
def validate(api: APIServer, rt: ResourceType, obj: dict) -> None:
    """PodValidateLimitFunc / PersistentVolumeClaimValidateLimitFunc for each LimitRange: the first that fails
    refuses the object."""
    if rt.kind not in ("Pod", "PersistentVolumeClaim") or not isinstance(obj.get("spec"), dict):
        return
    for limit_range in _limit_ranges(api, obj):
        if rt.kind == "Pod":
            errors = _validate_pod(limit_range, obj["spec"])
        else:
            requests = (obj["spec"].get("resources") or {}).get("requests") or {}
            errors = _validate_claim(limit_range, requests)
        if errors:
            raise forbidden(rt, obj["metadata"].get("name", ""), _aggregate(errors))


def _aggregate(errors: list[str]) -> str:
    """utilerrors.NewAggregate(errs).Error(): one message as it is, several deduplicated within brackets."""
    unique = list(dict.fromkeys(errors))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


def _validate_pod(limit_range: dict, spec: dict) -> list[str]:
    errors: list[str] = []
    for item in _items(limit_range):
        kind = item.get("type")
        if kind == "Container":
            for ctr in _containers(spec, "containers") + _containers(spec, "initContainers"):
                errors += _check(kind, item, *container_resources(ctr))
        elif kind == "Pod":
            errors += _check(kind, item, _pod_total(spec, "requests"), _pod_total(spec, "limits"))
    return errors


def _check(kind: str, item: dict, requests: dict, limits: dict) -> list[str]:
    errors = []
    for name, bound in sorted((item.get("min") or {}).items()):
        errors.append(_min_constraint(kind, name, bound, requests, limits))
    for name, bound in sorted((item.get("max") or {}).items()):
        errors.append(_max_constraint(kind, name, bound, requests, limits))
    for name, bound in sorted((item.get("maxLimitRequestRatio") or {}).items()):
        errors.append(_ratio_constraint(kind, name, bound, requests, limits))
    return [e for e in errors if e]


def _milli(value: object) -> int:
    """requestLimitEnforcedValues: compared at milli precision, rounded up as MilliValue does."""
    try:
        return quantity.millicores(str(value))
    except ValueError:
        return 0


def _min_constraint(kind: str, name: str, bound: object, requests: dict, limits: dict) -> str:
    enforced = canonical(bound)
    if name not in requests:
        return f"minimum {name} usage per {kind} is {enforced}.  No request is specified"
    if _milli(requests[name]) < _milli(bound):
        return f"minimum {name} usage per {kind} is {enforced}, but request is {canonical(requests[name])}"
    if name in limits and _milli(limits[name]) < _milli(bound):
        return f"minimum {name} usage per {kind} is {enforced}, but limit is {canonical(limits[name])}"
    return ""


def _max_constraint(kind: str, name: str, bound: object, requests: dict, limits: dict) -> str:
    enforced = canonical(bound)
    if name not in limits:
        return f"maximum {name} usage per {kind} is {enforced}.  No limit is specified"
    if _milli(limits[name]) > _milli(bound):
        return f"maximum {name} usage per {kind} is {enforced}, but limit is {canonical(limits[name])}"
    if name in requests and _milli(requests[name]) > _milli(bound):
        return f"maximum {name} usage per {kind} is {enforced}, but request is {canonical(requests[name])}"
    return ""


def _ratio_constraint(kind: str, name: str, bound: object, requests: dict, limits: dict) -> str:
    enforced = canonical(bound)
    request = _milli(requests[name]) if name in requests else 0
    limit = _milli(limits[name]) if name in limits else 0
    if not request:
        return (
            f"{name} max limit to request ratio per {kind} is {enforced}, but no request is specified or request is 0"
        )
    if not limit:
        return f"{name} max limit to request ratio per {kind} is {enforced}, but no limit is specified or limit is 0"
    ratio = limit / request
    if ratio * 1000 > _milli(bound):
        return f"{name} max limit to request ratio per {kind} is {enforced}, but provided ratio is {ratio:f}"
    return ""


def _pod_total(spec: dict, key: str) -> dict:
    """podRequests / podLimits: the containers' sum (restartable init containers included), or the largest init
    container's (with the restartable ones started before it) when that is more; each sum keeps the format of
    its first term, as Quantity.Add does."""
    totals: dict[str, Decimal] = {}
    formats: dict[str, str] = {}

    def add(into: dict[str, Decimal], values: dict) -> None:
        for name, value in values.items():
            parsed = go_quantity(value)
            if not isinstance(parsed.get("_n"), Decimal):
                continue
            formats.setdefault(name, parsed.get("Format", "DecimalSI"))
            into[name] = into.get(name, Decimal(0)) + parsed["_n"]

    for ctr in _containers(spec, "containers"):
        add(totals, (container_resources(ctr)[0] if key == "requests" else container_resources(ctr)[1]))
    sidecars: dict[str, Decimal] = {}
    init_max: dict[str, Decimal] = {}
    for ctr in _containers(spec, "initContainers"):
        values = container_resources(ctr)[0] if key == "requests" else container_resources(ctr)[1]
        if ctr.get("restartPolicy") == "Always":
            add(totals, values)
            add(sidecars, values)
            candidate = dict(sidecars)
        else:
            candidate = {}
            add(candidate, values)
            for name, amount in sidecars.items():
                candidate[name] = candidate.get(name, Decimal(0)) + amount
        for name, amount in candidate.items():
            if name not in init_max or amount > init_max[name]:
                init_max[name] = amount
    for name, amount in init_max.items():
        if name not in totals or amount > totals[name]:
            totals[name] = amount
    return {name: quantities.format_amount(amount, formats.get(name, "DecimalSI")) for name, amount in totals.items()}


def _validate_claim(limit_range: dict, requests: dict) -> list[str]:
    kind = "PersistentVolumeClaim"
    errors: list[str] = []
    for item in _items(limit_range):
        if item.get("type") != kind:
            continue
        for name, bound in sorted((item.get("min") or {}).items()):
            errors.append(_min_constraint(kind, name, bound, requests, {}))
        for name, bound in sorted((item.get("max") or {}).items()):  # maxRequestConstraint: the request only
            if name not in requests:
                errors.append(f"maximum {name} usage per {kind} is {canonical(bound)}.  No request is specified")
            elif _milli(requests[name]) > _milli(bound):
                errors.append(
                    f"maximum {name} usage per {kind} is {canonical(bound)}, but request is {canonical(requests[name])}"
                )
    return [e for e in errors if e]
