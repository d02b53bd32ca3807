"""What a spec update of a Pod may change (pkg/apis/core/validation/validation.go: ValidatePodUpdate, v1.32).

A running Pod's spec is mostly immutable: only the containers' and init
containers' images, activeDeadlineSeconds (set, or lowered), tolerations
(added, or their tolerationSeconds changed), scheduling gates (removed) and a
negative terminationGracePeriodSeconds (to 1) may change. Anything else is
`spec: Forbidden: pod updates may not change fields other than ...` followed
by go-cmp's diff of the old spec against the new one with the allowed changes
undone (cluster/apiserver/validation/gocmp.py), exactly what kubectl prints for
`kubectl apply` or `kubectl edit` on a pod. The InPlacePodVerticalScaling
feature is alpha and off in 1.32, so resources are not among the exceptions
(and the message does not list them).

The status subresource (the kubelet) and pods/binding (the scheduler) never
come here: the strategy validates only their own half of the object.
"""

from __future__ import annotations

import copy

from cluster.apiserver.defaults import qos_class
from cluster.apiserver.validation import gocmp, gotypes, names
from cluster.apiserver.validation.fields import as_dict, as_list, forbidden, invalid, required

MAX_INT32 = 2**31 - 1
UPDATABLE_POD_SPEC_FIELDS = (
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
)
FORBIDDEN_PREFIX = "pod updates may not change fields other than " + ",".join(UPDATABLE_POD_SPEC_FIELDS)


def _container_updates(new: list, old: list, path: str) -> tuple[list[dict], bool]:
    """ValidateContainerUpdates: the same number of containers, each with an image and no surrounding space."""
    if len(new) != len(old):
        return [forbidden(path, "pod updates may not add or remove containers")], True
    errs = []
    for i, raw in enumerate(new):
        image = as_dict(raw).get("image")
        image = image if isinstance(image, str) else ""
        if not image:
            errs.append(required(f"{path}[{i}].image"))
        if image.strip() != image:
            errs.append(invalid(f"{path}[{i}].image", image, "must not have leading or trailing whitespace"))
    return errs, False


def _toleration_key(toleration: dict) -> tuple:
    return tuple(toleration.get(k) or "" for k in ("key", "operator", "value", "effect"))


def _only_added_tolerations(new: list, old: list) -> list[dict]:
    """validateOnlyAddedTolerations: every old toleration is still there; only its tolerationSeconds may
    change."""
    for existing in old:
        if not any(_toleration_key(as_dict(t)) == _toleration_key(as_dict(existing)) for t in new):
            return [
                forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds")
            ]
    return []


def _only_deleted_scheduling_gates(new: list, old: list) -> list[dict]:
    """validateOnlyDeletedSchedulingGates."""
    if not new:
        return []
    old_names = {as_dict(g).get("name") for g in old}
    for gate in new:
        name = as_dict(gate).get("name")
        if name not in old_names:
            return [
                forbidden("spec.schedulingGates", f"only deletion is allowed, but found new scheduling gate '{name}'")
            ]
    return []


def _semantic(value: object) -> object:
    """apiequality.Semantic, roughly: an empty list or map is a nil one (quantities are compared by value in
    the diff itself)."""
    if isinstance(value, dict):
        return {k: _semantic(v) for k, v in value.items() if v not in ([], {}, None)}
    if isinstance(value, list):
        return [_semantic(v) for v in value]
    return value


def validate_pod_update(new: dict, old: dict) -> list[dict]:
    """ValidatePodUpdate's checks of the spec (the metadata and the new spec itself are validated elsewhere)."""
    new_spec, old_spec = as_dict(new.get("spec")), as_dict(old.get("spec"))
    errs, stop = _container_updates(
        as_list(new_spec.get("containers")), as_list(old_spec.get("containers")), "spec.containers"
    )
    if stop:
        return errs
    more, stop = _container_updates(
        as_list(new_spec.get("initContainers")), as_list(old_spec.get("initContainers")), "spec.initContainers"
    )
    errs += more
    if stop or new_spec == old_spec:  # the common update (labels, finalizers) changes no spec at all
        return errs
    new_deadline, old_deadline = new_spec.get("activeDeadlineSeconds"), old_spec.get("activeDeadlineSeconds")
    if isinstance(new_deadline, int):
        if not 0 <= new_deadline <= MAX_INT32:
            return errs + [
                invalid("spec.activeDeadlineSeconds", new_deadline, names.inclusive_range_error(0, MAX_INT32))
            ]
        if isinstance(old_deadline, int) and old_deadline < new_deadline:
            return errs + [
                invalid("spec.activeDeadlineSeconds", new_deadline, "must be less than or equal to previous value")
            ]
    elif old_deadline is not None:
        errs.append(invalid("spec.activeDeadlineSeconds", None, "must not update from a positive integer to nil value"))
    errs += _only_added_tolerations(as_list(new_spec.get("tolerations")), as_list(old_spec.get("tolerations")))
    errs += _only_deleted_scheduling_gates(
        as_list(new_spec.get("schedulingGates")), as_list(old_spec.get("schedulingGates"))
    )
    if _semantic(new_spec) == _semantic(old_spec):
        return errs
    old_qos = (old.get("status") or {}).get("qosClass") or qos_class(old_spec)
    if old_qos != qos_class(new_spec):
        errs.append(invalid("metadata", (new.get("status") or {}).get("qosClass", ""), "Pod QoS is immutable"))
    munged = _munge(new_spec, old_spec)
    old_internal, munged_internal = gotypes.internal_pod_spec(old_spec), gotypes.internal_pod_spec(munged)
    if _semantic(munged_internal) != _semantic(old_internal):
        t, x, y = gotypes.pod_spec_values(old_internal, munged_internal)
        spec_diff = gocmp.diff(t, x, y)  # "" when only the text differs (1 and 1000m are one quantity)
        if spec_diff:
            errs.append(forbidden("spec", f"{FORBIDDEN_PREFIX}\n{spec_diff}"))
    return errs


def _munge(new_spec: dict, old_spec: dict) -> dict:
    """The new spec with every change it may make undone (mungedPodSpec)."""
    munged = copy.deepcopy(new_spec)
    for group in ("containers", "initContainers"):
        old_containers = as_list(old_spec.get(group))
        for i, ctr in enumerate(as_list(munged.get(group))):
            if isinstance(ctr, dict) and i < len(old_containers):
                old_image = as_dict(old_containers[i]).get("image")
                if old_image is None:
                    ctr.pop("image", None)
                else:
                    ctr["image"] = old_image
    _restore(munged, old_spec, "activeDeadlineSeconds")
    _restore(munged, old_spec, "schedulingGates")
    _restore(munged, old_spec, "tolerations")
    old_grace, new_grace = old_spec.get("terminationGracePeriodSeconds"), munged.get("terminationGracePeriodSeconds")
    if isinstance(old_grace, int) and old_grace < 0 and new_grace == 1:
        munged["terminationGracePeriodSeconds"] = old_grace
    return munged


def _restore(munged: dict, old_spec: dict, key: str) -> None:
    if key in old_spec:
        munged[key] = copy.deepcopy(old_spec[key])
    else:
        munged.pop(key, None)
