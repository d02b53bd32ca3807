"""Validation of policy/v1 PodDisruptionBudgets (pkg/apis/policy/validation: ValidatePodDisruptionBudgetSpec).

minAvailable and maxUnavailable: at most one, each a non-negative integer or a percentage of
at most 100%; the selector as metav1 validates it; unhealthyPodEvictionPolicy IfHealthyBudget
or AlwaysAllow. Simplified: where both are set upstream prints the whole Go spec struct (with
pointer addresses) as the invalid value; here it is shown without them.
"""

from __future__ import annotations

from cluster.apiserver.errors import GoValue
from cluster.apiserver.validation.apps import _int_or_percent, _int_or_percent_value, validate_label_selector
from cluster.apiserver.validation.fields import as_dict, go_int_or_string, invalid, not_supported

EVICTION_POLICIES = ("AlwaysAllow", "IfHealthyBudget")


def validate_pdb(obj: dict, old: dict | None) -> list[dict]:
    spec = as_dict(obj.get("spec"))
    errs: list[dict] = []
    minimum, maximum = spec.get("minAvailable"), spec.get("maxUnavailable")
    if minimum is not None and maximum is not None:
        shown = GoValue(
            f"policy.PodDisruptionBudgetSpec{{MinAvailable:{go_int_or_string(minimum)}, "
            f"Selector:..., MaxUnavailable:{go_int_or_string(maximum)}}}"
        )
        errs.append(invalid("spec", shown, "minAvailable and maxUnavailable cannot be both set"))
    for key, value in (("minAvailable", minimum), ("maxUnavailable", maximum)):
        if value is None:
            continue
        errs += _int_or_percent(value, f"spec.{key}")
        if isinstance(value, str) and (_int_or_percent_value(value) or 0) > 100:
            errs.append(invalid(f"spec.{key}", go_int_or_string(value), "must not be greater than 100%"))
    if spec.get("selector") is not None:
        errs += validate_label_selector(as_dict(spec.get("selector")), "spec.selector")
    policy = spec.get("unhealthyPodEvictionPolicy")
    if policy is not None and policy not in EVICTION_POLICIES:
        errs.append(not_supported("spec.unhealthyPodEvictionPolicy", policy, EVICTION_POLICIES))
    return errs
