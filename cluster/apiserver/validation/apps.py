"""Deployment and ReplicaSet validation (pkg/apis/apps/validation).

Replicas and minReadySeconds non-negative, a selector that is required, not
empty and matches the template's labels, a template whose pods restart
Always, the rollout strategy, revisionHistoryLimit and progressDeadlineSeconds,
and an immutable selector on update.
"""

from __future__ import annotations

from cluster.apiserver.errors import GoValue
from cluster.apiserver.validation import names
from cluster.apiserver.validation.fields import (
    IMMUTABLE,
    as_dict,
    as_list,
    forbidden,
    go_int_or_string,
    go_label_selector,
    invalid,
    labels,
    nonnegative,
    not_supported,
    required,
)
from cluster.apiserver.validation.pod import validate_pod_template

SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def validate_deployment(obj: dict, old: dict | None) -> list[dict]:
    spec = as_dict(obj.get("spec"))
    errs = nonnegative("spec.replicas", spec.get("replicas"))
    errs += _selector_and_template(spec)
    errs += _strategy(as_dict(spec.get("strategy")))
    errs += nonnegative("spec.minReadySeconds", spec.get("minReadySeconds"))
    errs += nonnegative("spec.revisionHistoryLimit", spec.get("revisionHistoryLimit"))
    deadline = spec.get("progressDeadlineSeconds")
    if isinstance(deadline, int):
        errs += nonnegative("spec.progressDeadlineSeconds", deadline)
        if deadline <= (spec.get("minReadySeconds") or 0):
            errs.append(invalid("spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds"))
    return errs + _selector_immutable(spec, old)


def validate_replica_set(obj: dict, old: dict | None) -> list[dict]:
    spec = as_dict(obj.get("spec"))
    errs = nonnegative("spec.replicas", spec.get("replicas"))
    errs += nonnegative("spec.minReadySeconds", spec.get("minReadySeconds"))
    return errs + _selector_and_template(spec) + _selector_immutable(spec, old)


def _selector_immutable(spec: dict, old: dict | None) -> list[dict]:
    if old is None:
        return []
    before = as_dict(old.get("spec")).get("selector")
    if spec.get("selector") == before:
        return []
    return [invalid("spec.selector", go_label_selector(spec.get("selector")), IMMUTABLE)]


def _selector_and_template(spec: dict) -> list[dict]:
    errs: list[dict] = []
    selector = spec.get("selector")
    if selector is None:
        errs.append(required("spec.selector"))
    else:
        errs += validate_label_selector(as_dict(selector), "spec.selector")
        if not as_dict(selector).get("matchLabels") and not as_dict(selector).get("matchExpressions"):
            errs.append(
                invalid("spec.selector", go_label_selector(selector), "empty selector is invalid for deployment")
            )
    if not _selector_convertible(selector):
        errs.append(invalid("spec.selector", go_label_selector(selector), "invalid label selector"))
        return errs
    template = as_dict(spec.get("template"))
    template_labels = as_dict(template.get("metadata")).get("labels") or {}
    sel = as_dict(selector)
    empty = selector is not None and not sel.get("matchLabels") and not sel.get("matchExpressions")
    if not empty and not selector_matches(selector, template_labels):
        errs.append(
            invalid("spec.template.metadata.labels", template_labels, "`selector` does not match template `labels`")
        )
    errs += validate_pod_template(template, "spec.template")
    policy = as_dict(template.get("spec")).get("restartPolicy")
    if policy and policy != "Always":
        errs.append(not_supported("spec.template.spec.restartPolicy", policy, ("Always",)))
    if as_dict(template.get("spec")).get("activeDeadlineSeconds") is not None:
        errs.append(
            forbidden(
                "spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in ReplicaSet is not Supported"
            )
        )
    return errs


def validate_label_selector(selector: dict, path: str) -> list[dict]:
    errs: list[dict] = []
    for i, raw in enumerate(as_list(selector.get("matchExpressions"))):
        expr, at = as_dict(raw), f"{path}.matchExpressions[{i}]"
        operator, values = expr.get("operator"), as_list(expr.get("values"))
        if operator in ("In", "NotIn") and not values:
            errs.append(required(f"{at}.values", "must be specified when `operator` is 'In' or 'NotIn'"))
        elif operator in ("Exists", "DoesNotExist") and values:
            errs.append(forbidden(f"{at}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
        elif operator not in SELECTOR_OPERATORS:
            errs.append(invalid(f"{at}.operator", operator, "not a valid selector operator"))
        errs += [
            invalid(f"{at}.key", expr.get("key", ""), m) for m in names.is_qualified_name(str(expr.get("key", "")))
        ]
    return errs + labels(f"{path}.matchLabels", selector.get("matchLabels"))


def _selector_convertible(selector: object) -> bool:
    for raw in as_list(as_dict(selector).get("matchExpressions")):
        expr = as_dict(raw)
        if expr.get("operator") not in SELECTOR_OPERATORS:
            return False
        if expr.get("operator") in ("In", "NotIn") and not as_list(expr.get("values")):
            return False
    return True


def selector_matches(selector: object, labels_: dict) -> bool:
    """metav1.LabelSelectorAsSelector(selector).Matches(labels); a nil selector matches nothing."""
    if selector is None:
        return False
    sel = as_dict(selector)
    for key, value in as_dict(sel.get("matchLabels")).items():
        if labels_.get(key) != value:
            return False
    for raw in as_list(sel.get("matchExpressions")):
        expr = as_dict(raw)
        key, values = expr.get("key"), as_list(expr.get("values"))
        present = key in labels_
        operator = expr.get("operator")
        if operator == "In" and not (present and labels_[key] in values):
            return False
        if operator == "NotIn" and present and labels_[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def _strategy(strategy: dict) -> list[dict]:
    kind = strategy.get("type")
    rolling = strategy.get("rollingUpdate")
    if kind == "Recreate":
        if rolling is not None:
            return [forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'")]
        return []
    if kind == "RollingUpdate":
        if rolling is None:
            return [required("spec.strategy.rollingUpdate", "this should be defaulted and never be nil")]
        return _rolling_update(as_dict(rolling), "spec.strategy.rollingUpdate")
    # Upstream reports the whole internal struct; Go prints a set pointer as an address.
    pointer = "nil" if rolling is None else "0xc0004d2a80"
    shown = GoValue(
        f'apps.DeploymentStrategy{{Type:"{kind or ""}", RollingUpdate:(*apps.RollingUpdateDeployment)({pointer})}}'
    )
    return [not_supported("spec.strategy", shown, ("Recreate", "RollingUpdate"))]


def _int_or_percent(value: object, path: str) -> list[dict]:
    if isinstance(value, str):
        return [invalid(path, go_int_or_string(value), m) for m in names.is_valid_percent(value)]
    return nonnegative(path, value)


def _int_or_percent_value(value: object) -> int | None:
    if isinstance(value, str):
        digits = value[:-1] if value.endswith("%") else value
        return int(digits) if digits.isdigit() else None
    return value if isinstance(value, int) else 0


def _rolling_update(rolling: dict, path: str) -> list[dict]:
    surge, unavailable = rolling.get("maxSurge", 0), rolling.get("maxUnavailable", 0)
    errs = _int_or_percent(unavailable, f"{path}.maxUnavailable")
    errs += _int_or_percent(surge, f"{path}.maxSurge")
    if _int_or_percent_value(unavailable) == 0 and _int_or_percent_value(surge) == 0:
        errs.append(
            invalid(f"{path}.maxUnavailable", go_int_or_string(unavailable), "may not be 0 when `maxSurge` is 0")
        )
    if isinstance(unavailable, str) and (_int_or_percent_value(unavailable) or 0) > 100:
        errs.append(invalid(f"{path}.maxUnavailable", go_int_or_string(unavailable), "must not be greater than 100%"))
    return errs
