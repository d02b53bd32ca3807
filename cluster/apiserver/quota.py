"""ResourceQuota: what a namespace holds, and the admission plugin that refuses what would exceed it.

Mirrors plugin/pkg/admission/resourcequota and pkg/quota/v1/evaluator/core:
each quota's `spec.hard` names resources — object counts (`pods`, `services`,
`configmaps`, `secrets`, `persistentvolumeclaims`, `services.loadbalancers`,
`services.nodeports`, `count/<resource>.<group>`) and compute sums over the
namespace's non-terminal pods (`requests.cpu`, `requests.memory`,
`limits.cpu`, `limits.memory`, and `cpu`/`memory` as requests) or claims
(`requests.storage`). A create that would take a resource past its hard limit
is 403 Forbidden with upstream's "exceeded quota" sentence; the resourcequota
controller (cluster/controllers/resourcequota.py) keeps `status.used` current.

Before any usage is counted, every quota's constraints are checked
(podEvaluator.Constraints): when a quota tracks `cpu`, `memory`,
`requests.cpu`, `requests.memory`, `limits.cpu` or `limits.memory`, each
container and init container must say it, or the pod is refused with
"failed quota: <quota>: must specify limits.cpu for: a,b; requests.cpu for: b"
(resources sorted, each with the sorted names of the containers missing it).
This plugin runs after the LimitRanger, so a LimitRange's defaults satisfy it.

Simplified: usage is counted from the store on each admission instead of from
status.used (so two writers can never both take the last unit — every write to
a cluster is serialised anyway), and the quota's spec.hard stands for its
status.hard; no scopes or scopeSelector.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Callable, Iterable

from cluster import quantity
from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import ResourceType

if TYPE_CHECKING:
    from cluster.apiserver.server import APIServer

COUNTED = {
    "Pod": "pods",
    "Service": "services",
    "ConfigMap": "configmaps",
    "Secret": "secrets",
    "PersistentVolumeClaim": "persistentvolumeclaims",
    "ReplicationController": "replicationcontrollers",
    "ResourceQuota": "resourcequotas",
}
COMPUTE = {
    "requests.cpu": ("requests", "cpu"),
    "cpu": ("requests", "cpu"),
    "requests.memory": ("requests", "memory"),
    "memory": ("requests", "memory"),
    "limits.cpu": ("limits", "cpu"),
    "limits.memory": ("limits", "memory"),
}


def object_usage(rt: ResourceType, obj: dict) -> dict[str, Decimal]:
    """What one object counts against each quota'able resource (pkg/quota/v1/evaluator/core)."""
    used: dict[str, Decimal] = {f"count/{rt.group_resource}": Decimal(1)}
    if rt.kind in COUNTED:
        used[COUNTED[rt.kind]] = Decimal(1)
    if rt.kind == "Pod":
        used.update(_pod_compute(obj))
    if rt.kind == "Service":
        kind = (obj.get("spec") or {}).get("type", "ClusterIP")
        used["services.loadbalancers"] = Decimal(kind == "LoadBalancer")
        ports = (obj.get("spec") or {}).get("ports") or []
        used["services.nodeports"] = Decimal(len(ports) if kind in ("NodePort", "LoadBalancer") else 0)
    if rt.kind == "PersistentVolumeClaim":
        storage = (((obj.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")
        used["requests.storage"] = quantity.parse(storage) if storage is not None else Decimal(0)
    return used


def _pod_compute(pod: dict) -> dict[str, Decimal]:
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):  # terminal pods free their quota
        return {"pods": Decimal(0)}
    spec = pod.get("spec") or {}
    totals: dict[str, Decimal] = {}
    for name, (kind, resource) in COMPUTE.items():
        regular = sum((_amount(c, kind, resource) for c in spec.get("containers") or []), Decimal(0))
        init = max((_amount(c, kind, resource) for c in spec.get("initContainers") or []), default=Decimal(0))
        totals[name] = max(regular, init)  # the effective request, as the scheduler counts it
    return totals


def _amount(container: dict, kind: str, resource: str) -> Decimal:
    value = ((container.get("resources") or {}).get(kind) or {}).get(resource)
    return quantity.parse(value) if value is not None else Decimal(0)


# "it was a mistake, but if a quota tracks cpu or memory related resources, the incoming pod is required to
# have those values set" (pkg/quota/v1/evaluator/core/pods.go's validationSet)
VALIDATION_SET = frozenset(COMPUTE)


def pod_constraints(tracked: Iterable[str], pod: dict) -> str:
    """podEvaluator.Constraints: "" when every container states each tracked cpu/memory resource, else the
    "must specify …" sentence naming, for each missing resource, the containers that leave it out."""
    required = VALIDATION_SET.intersection(tracked)
    if not required:
        return ""
    spec = pod.get("spec") or {}
    missing: dict[str, set[str]] = {}
    for ctr in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        if not isinstance(ctr, dict):
            continue
        stated = _container_usage_names(ctr)
        for name in required - stated:
            missing.setdefault(name, set()).add(str(ctr.get("name", "")))
    if not missing:
        return ""
    return "must specify " + "; ".join(f"{name} for: {','.join(sorted(missing[name]))}" for name in sorted(missing))


def container_resources(ctr: dict) -> tuple[dict, dict]:
    """A container's requests and limits ({} for what it leaves out, or gives as something else)."""
    resources = ctr.get("resources")
    if not isinstance(resources, dict):
        resources = {}
    requests, limits = resources.get("requests"), resources.get("limits")
    return (requests if isinstance(requests, dict) else {}), (limits if isinstance(limits, dict) else {})


def _container_usage_names(ctr: dict) -> set[str]:
    """podComputeUsageHelper's keys among the compute resources: what the container states."""
    requests, limits = container_resources(ctr)
    names = set()
    for resource in ("cpu", "memory"):
        if resource in requests:
            names |= {resource, f"requests.{resource}"}
        if resource in limits:
            names.add(f"limits.{resource}")
    return names


ListItems = Callable[[ResourceType, str], list[dict]]


def namespace_usage(list_items: ListItems, namespace: str, resources: Iterable[str]) -> dict[str, Decimal]:
    """The namespace's current usage of each named resource, counted from what `list_items` returns
    (the store for admission, the informer cache for the resourcequota controller)."""
    from cluster.apiserver.resources import lookup

    wanted = set(resources)
    used = {name: Decimal(0) for name in wanted}
    for rt in _counted_types(wanted, lookup):
        for item in list_items(rt, namespace):
            for name, amount in object_usage(rt, item).items():
                if name in wanted:
                    used[name] += amount
    return used


def _counted_types(wanted: set[str], lookup: object) -> list[ResourceType]:
    plurals = {plural for plural in COUNTED.values() if plural in wanted}
    if wanted & set(COMPUTE):
        plurals.add("pods")
    if wanted & {"services.loadbalancers", "services.nodeports"}:
        plurals.add("services")
    if "requests.storage" in wanted:
        plurals.add("persistentvolumeclaims")
    for name in wanted:
        if name.startswith("count/"):
            plurals.add(name.removeprefix("count/"))
    types = []
    for plural in sorted(plurals):
        try:
            types.append(lookup(plural))  # type: ignore[operator]
        except StatusError:
            continue  # a count/ of something this server does not serve: nothing to count
    return types


def admit(api: APIServer, rt: ResourceType, obj: dict) -> None:
    """Refuse a create that would take any quota of the namespace past its hard limit."""
    namespace = obj["metadata"].get("namespace")
    if not rt.namespaced or not namespace or rt.kind == "Event":
        return
    quotas = api.store.range("/registry/resourcequotas/", namespace)
    if not quotas:
        return
    if rt.kind == "Pod":  # every quota's constraints first, as checkRequest does before counting any usage
        for kv in quotas:
            hard = (kv.value.get("spec") or {}).get("hard") or {}
            reason = pod_constraints(hard, obj)
            if reason:
                raise forbidden(
                    rt, obj["metadata"].get("name", ""), f"failed quota: {kv.value['metadata']['name']}: {reason}"
                )
    requested = object_usage(rt, obj)
    for kv in quotas:
        quota = kv.value
        hard = {k: quantity.parse(v) for k, v in ((quota.get("spec") or {}).get("hard") or {}).items()}
        touched = {k: v for k, v in requested.items() if k in hard and v}
        if not touched:
            continue
        used = namespace_usage(lambda kind, ns: api.list(kind, ns)["items"], namespace, touched)
        over = [k for k in touched if used[k] + touched[k] > hard[k]]
        if over:
            raise forbidden(
                rt,
                obj["metadata"].get("name", ""),
                f"exceeded quota: {quota['metadata']['name']}, requested: {_pretty(touched, over)}, "
                f"used: {_pretty(used, over)}, limited: {_pretty(hard, over)}",
            )


def forbidden(rt: ResourceType, name: str, reason: str) -> StatusError:
    """apierrors.NewForbidden, as an admission plugin's refusal reads."""
    message = (
        f'{rt.group_resource} "{name}" is forbidden: {reason}'
        if name
        else f"{rt.group_resource} is forbidden: {reason}"
    )
    details = {"name": name, "group": rt.group, "kind": rt.plural} if rt.group else {"name": name, "kind": rt.plural}
    return StatusError(403, "Forbidden", message, details)


def _pretty(values: dict[str, Decimal], names: list[str]) -> str:
    return ",".join(f"{name}={format_amount(name, values[name])}" for name in sorted(names))


def format_amount(resource: str, amount: Decimal) -> str:
    """A used or hard amount as resource.Quantity prints it, in its canonical form."""
    if resource.endswith("cpu") and amount != amount.to_integral_value():
        return f"{int(amount * 1000)}m"
    if resource.endswith(("memory", "storage")) and amount:
        for suffix, factor in (
            ("Ei", 2**60),
            ("Pi", 2**50),
            ("Ti", 2**40),
            ("Gi", 2**30),
            ("Mi", 2**20),
            ("Ki", 2**10),
        ):
            if amount % factor == 0:
                return f"{int(amount // factor)}{suffix}"
    return str(int(amount)) if amount == amount.to_integral_value() else str(amount)
