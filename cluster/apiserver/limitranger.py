"""LimitRanger: the admission plugin that applies a namespace's LimitRanges (plugin/pkg/admission/limitranger).

On a Pod create, each container gets the LimitRange's `default` limits and
`defaultRequest` requests for the resources it leaves out (a request defaults
to the limit when only a limit is known), then every container is checked
against `min` and `max`; a PersistentVolumeClaim's storage request is checked
against the claim type's `min` and `max`. A violation is 403 Forbidden with
upstream's sentence ("maximum cpu usage per Container is 2, but limit is 4").

Simplified: the Pod type (sums over containers) and maxLimitRequestRatio are
not enforced; they are stored and described.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cluster import quantity
from cluster.apiserver.quota import forbidden
from cluster.apiserver.resources import ResourceType

if TYPE_CHECKING:
    from cluster.apiserver.server import APIServer


def admit(api: APIServer, rt: ResourceType, obj: dict) -> None:
    if rt.kind not in ("Pod", "PersistentVolumeClaim") or not isinstance(obj.get("spec"), dict):
        return
    namespace = obj["metadata"].get("namespace")
    ranges = [kv.value for kv in api.store.range("/registry/limitranges/", namespace)] if namespace else []
    items = [item for r in ranges for item in (r.get("spec") or {}).get("limits") or []]
    if not items:
        return
    errors: list[str] = []
    if rt.kind == "Pod":
        for container in [*(obj["spec"].get("initContainers") or []), *(obj["spec"].get("containers") or [])]:
            for item in (i for i in items if i.get("type") == "Container"):
                _default_container(container, item)
                errors += _check_container(container, item)
    else:
        requests = (obj["spec"].get("resources") or {}).get("requests") or {}
        for item in (i for i in items if i.get("type") == "PersistentVolumeClaim"):
            errors += _check_claim(requests, item)
    if errors:
        reason = errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
        raise forbidden(rt, obj["metadata"].get("name", ""), reason)


def _default_container(container: dict, item: dict) -> None:
    resources = container.setdefault("resources", {})
    limits, requests = resources.get("limits") or {}, resources.get("requests") or {}
    for name, value in (item.get("default") or {}).items():
        limits.setdefault(name, value)
    for name, value in (item.get("defaultRequest") or {}).items():
        requests.setdefault(name, value)
    for name, value in limits.items():  # a request left out defaults to the limit
        requests.setdefault(name, value)
    if limits:
        resources["limits"] = limits
    if requests:
        resources["requests"] = requests


def _check_container(container: dict, item: dict) -> list[str]:
    resources = container.get("resources") or {}
    limits, requests = resources.get("limits") or {}, resources.get("requests") or {}
    errors = []
    for name, bound in (item.get("min") or {}).items():
        if name not in requests:
            errors.append(f"minimum {name} usage per Container is {bound}.  No request is specified")
        elif quantity.parse(requests[name]) < quantity.parse(bound):
            errors.append(f"minimum {name} usage per Container is {bound}, but request is {requests[name]}")
    for name, bound in (item.get("max") or {}).items():
        if name not in limits:
            errors.append(f"maximum {name} usage per Container is {bound}.  No limit is specified")
        elif quantity.parse(limits[name]) > quantity.parse(bound):
            errors.append(f"maximum {name} usage per Container is {bound}, but limit is {limits[name]}")
    return errors


def _check_claim(requests: dict, item: dict) -> list[str]:
    errors = []
    for name, bound in (item.get("min") or {}).items():
        if name in requests and quantity.parse(requests[name]) < quantity.parse(bound):
            errors.append(f"minimum {name} usage per PersistentVolumeClaim is {bound}, but request is {requests[name]}")
    for name, bound in (item.get("max") or {}).items():
        if name in requests and quantity.parse(requests[name]) > quantity.parse(bound):
            errors.append(f"maximum {name} usage per PersistentVolumeClaim is {bound}, but request is {requests[name]}")
    return errors
