"""Per-kind REST strategies (upstream's pkg/registry/<group>/<kind>/strategy.go).

What kube-apiserver does to an object around the store write: reset status on
create, keep status out of spec updates and spec out of status updates, bump
metadata.generation when the spec changes, graceful deletion for pods, and the
scale subresource. Defaulting and validation live in their own modules.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from cluster import clock
from cluster.apiserver import conversion, defaults, strategy_workloads, validation
from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import ResourceType
from cluster.apiserver.selectors import format_label_selector
from cluster.jsoncopy import deep_copy

if TYPE_CHECKING:
    from cluster.apiserver.server import APIServer

# Kinds whose spec and status are written through separate endpoints.
_STATUS_SUBRESOURCE = {
    "Pod",
    "Node",
    "Namespace",
    "Service",
    "Deployment",
    "ReplicaSet",
    "HorizontalPodAutoscaler",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "DaemonSet",
    "StatefulSet",
    "Job",
    "CronJob",
    "PodDisruptionBudget",
}
# Kinds whose strategy tracks metadata.generation.
_GENERATION = {
    "Deployment",
    "ReplicaSet",
    "HorizontalPodAutoscaler",
    "DaemonSet",
    "StatefulSet",
    "Job",
    "CronJob",
    "PodDisruptionBudget",
}
# Spec fields besides `spec` that count as spec for the generation bump.
_IMMUTABLE_META = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation")


def present(rt: ResourceType, obj: dict) -> dict:
    """The object as the API serves it (kind and apiVersion of the served version). A Service always shows
    `status: {loadBalancer: {}}`: v1.ServiceStatus's LoadBalancer is a struct, which omitempty never drops."""
    obj = conversion.from_storage(rt, obj)
    obj["kind"], obj["apiVersion"] = rt.kind, rt.api_version
    if rt.kind == "Service":
        status = obj.get("status")
        if not isinstance(status, dict):
            obj["status"] = {"loadBalancer": {}}
        elif "loadBalancer" not in status:
            status["loadBalancer"] = {}
    return obj


def check_unknown_fields(rt: ResourceType, obj: dict, field_validation: str, subresource: str = "") -> None:
    validation.check_schema(rt, obj, field_validation)


def prepare_for_create(api: APIServer, rt: ResourceType, obj: dict) -> None:
    if rt.kind in _STATUS_SUBRESOURCE and rt.kind not in ("Node", "PersistentVolume", "Namespace"):
        obj.pop("status", None)
    if rt.kind in _GENERATION:
        obj["metadata"]["generation"] = 1
    if rt.kind == "Service":  # the Service strategy's PrepareForCreate: service.Status = api.ServiceStatus{}
        obj["status"] = {"loadBalancer": {}}
    defaults.apply(api, rt, obj)
    strategy_workloads.prepare_for_create(rt.kind, obj)


def prepare_named(rt: ResourceType, obj: dict) -> None:
    """What PrepareForCreate does with the name and uid, once the store has assigned them."""
    strategy_workloads.prepare_named(rt.kind, obj)


def validate_create(rt: ResourceType, obj: dict) -> None:
    causes = validation.validate(rt, obj, None)
    if causes:
        raise StatusError.invalid(rt.kind, rt.group, obj["metadata"].get("name", ""), causes)


def view_for_subresource(rt: ResourceType, old: dict, subresource: str) -> dict:
    return old


def merge_subresource(rt: ResourceType, old: dict, incoming: dict, subresource: str) -> dict:
    """Keep each endpoint to its own half of the object, as upstream's strategies do."""
    if subresource == "status":
        # the old object but its status, which the incoming one replaces (not copied only to be thrown away)
        new: dict = {key: None if key == "status" else deep_copy(value) for key, value in old.items()}
        new["status"] = incoming.get("status", {})
        meta_in = incoming.get("metadata") or {}
        if "resourceVersion" in meta_in:
            new["metadata"]["resourceVersion"] = meta_in["resourceVersion"]
        return new
    if subresource == "ephemeralcontainers":
        # dropNonEphemeralContainerUpdates: the stored pod, with only the incoming ephemeral containers
        new = deep_copy(old)
        new["spec"]["ephemeralContainers"] = (incoming.get("spec") or {}).get("ephemeralContainers") or []
        if not new["spec"]["ephemeralContainers"]:
            del new["spec"]["ephemeralContainers"]
        meta_in = incoming.get("metadata") or {}
        if "resourceVersion" in meta_in:
            new["metadata"]["resourceVersion"] = meta_in["resourceVersion"]
        return new
    new = incoming
    if rt.kind in _STATUS_SUBRESOURCE and subresource not in ("binding", "internal"):
        if "status" in old:
            new["status"] = copy.deepcopy(old["status"])
        else:
            new.pop("status", None)
    return new


def prepare_for_update(api: APIServer, rt: ResourceType, new: dict, old: dict, subresource: str) -> None:
    meta, old_meta = new.setdefault("metadata", {}), old["metadata"]
    for key in _IMMUTABLE_META:
        if key == "uid" and meta.get("uid"):
            continue  # rest.BeforeUpdate: the old uid only when none is given; a changed one fails validation
        if key in old_meta:
            meta[key] = old_meta[key]
        else:
            meta.pop(key, None)
    if meta.get("deletionTimestamp") is None:
        meta.pop("deletionTimestamp", None)
    if subresource != "status":
        defaults.apply(api, rt, new)
    strategy_workloads.prepare_for_update(rt.kind, new, old, subresource)
    if rt.kind in _GENERATION and _spec_changed(new, old):
        meta["generation"] = old_meta.get("generation", 1) + 1


def _spec_changed(new: dict, old: dict) -> bool:
    return new.get("spec") != old.get("spec")


def validate_update(rt: ResourceType, new: dict, old: dict, subresource: str) -> None:
    # A status write keeps the stored spec (merge_subresource), so, as upstream's
    # status strategies (e.g. ValidatePodStatusUpdate), it validates metadata only.
    # pods/binding writes spec.nodeName straight through storage (BindingREST's
    # setPodNodeAndMetadata), never through ValidatePodUpdate.
    if subresource == "binding":
        return
    if subresource == "ephemeralcontainers":
        causes = validation.validate_ephemeral_update(rt, new, old)
    else:
        causes = validation.validate(rt, new, old, spec=subresource != "status")
    if causes:
        raise StatusError.invalid(rt.kind, rt.group, new["metadata"].get("name", ""), causes)


def begin_graceful_delete(api: APIServer, rt: ResourceType, obj: dict, grace: int | None) -> bool:
    """Whether deletion waits (pods on a node get their grace period; Namespaces terminate)."""
    meta = obj["metadata"]
    if rt.kind == "Namespace":
        if meta.get("deletionTimestamp"):
            return True
        obj.setdefault("spec", {})["finalizers"] = obj.get("spec", {}).get("finalizers") or ["kubernetes"]
        obj.setdefault("status", {})["phase"] = "Terminating"
        meta["deletionTimestamp"] = clock.rfc3339(api.now())
        return bool(obj["spec"]["finalizers"])
    if rt.kind != "Pod":
        return False
    spec, status = obj.get("spec", {}), obj.get("status", {})
    if grace is None:
        grace = spec.get("terminationGracePeriodSeconds", 30)
    # Upstream: an unscheduled or finished pod has nothing to stop, so it goes at once.
    if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed") or grace <= 0:
        return False
    if meta.get("deletionTimestamp"):
        current = meta.get("deletionGracePeriodSeconds", grace)
        grace = min(grace, current)
    import datetime as dt

    meta["deletionTimestamp"] = clock.rfc3339(api.now() + dt.timedelta(seconds=grace))
    meta["deletionGracePeriodSeconds"] = grace
    return True


def set_condition(
    obj: dict, type_: str, status: str, now: str, reason: str | None = None, message: str | None = None
) -> None:
    conditions = obj.setdefault("status", {}).setdefault("conditions", [])
    for cond in conditions:
        if cond["type"] == type_:
            if cond.get("status") != status:
                cond["lastTransitionTime"] = now
            cond["status"] = status
            break
    else:
        cond = {"type": type_, "status": status, "lastProbeTime": None, "lastTransitionTime": now}
        conditions.append(cond)
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message


def scale_of(rt: ResourceType, obj: dict) -> dict:
    """The autoscaling/v1 Scale view of a Deployment, ReplicaSet or StatefulSet."""
    if rt.kind not in ("Deployment", "ReplicaSet", "StatefulSet"):
        raise StatusError.not_found_resource(rt.group, rt.version, rt.plural)
    meta = obj["metadata"]
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta
        },
        "spec": {"replicas": obj["spec"].get("replicas", 1)},
        "status": {
            "replicas": obj.get("status", {}).get("replicas", 0),
            "selector": format_label_selector(obj["spec"].get("selector")).replace("<none>", ""),
        },
    }
