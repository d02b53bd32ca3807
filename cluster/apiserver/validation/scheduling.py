"""Validation of scheduling.k8s.io (pkg/apis/scheduling/validation): PriorityClass."""

from __future__ import annotations

from cluster.apiserver import priorityclasses
from cluster.apiserver.validation.fields import forbidden, immutable, not_supported, required

PREEMPTION_POLICIES = ("PreemptLowerPriority", "Never")


def validate_priority_class(obj: dict, old: dict | None) -> list[dict]:
    name = (obj.get("metadata") or {}).get("name") or ""
    value = obj.get("value", 0)
    errs = []
    if name.startswith(priorityclasses.PREFIX):
        why = priorityclasses.known_system_class(name, value, bool(obj.get("globalDefault")))
        if why:
            errs.append(
                forbidden(
                    "metadata.name",
                    f"priority class names with '{priorityclasses.PREFIX}' prefix are reserved for system use only. "
                    f"error: {why}",
                )
            )
    elif isinstance(value, int) and value > priorityclasses.HIGHEST_USER_DEFINABLE:
        errs.append(
            forbidden(
                "value", f"maximum allowed value of a user defined priority is {priorityclasses.HIGHEST_USER_DEFINABLE}"
            )
        )
    policy = obj.get("preemptionPolicy")
    if policy == "":
        errs.append(required("preemptionPolicy"))
    elif policy is not None and policy not in PREEMPTION_POLICIES:
        errs.append(not_supported("preemptionPolicy", policy, PREEMPTION_POLICIES))
    if old is not None:
        if value != old.get("value", 0):
            errs.append(forbidden("value", "may not be changed in an update."))
        errs += immutable("preemptionPolicy", policy, old.get("preemptionPolicy"))
    return errs
