"""DaemonSet, StatefulSet and ControllerRevision validation (pkg/apis/apps/validation).

DaemonSet: a selector matching the template's labels (not empty), a valid pod
template that restarts Always, minReadySeconds, the update strategy (exactly
one of maxUnavailable and maxSurge non-zero) and an immutable selector.
StatefulSet: a DNS-label name, podManagementPolicy, update strategy and
partition, the PVC retention policy, replicas, a selector matching the
template's labels; the template's pod spec itself is not validated (as
upstream: the controller's pod creation reports what is wrong), and on update
only replicas, ordinals, template, updateStrategy, minReadySeconds and the
retention policy may change. ControllerRevision: data is required and
immutable, revision non-negative.
"""

from __future__ import annotations

from cluster.apiserver.validation import names
from cluster.apiserver.validation.apps import (
    _int_or_percent,
    _int_or_percent_value,
    selector_matches,
    validate_label_selector,
)
from cluster.apiserver.validation.fields import (
    IMMUTABLE,
    as_dict,
    forbidden,
    go_int_or_string,
    go_label_selector,
    invalid,
    labels,
    nonnegative,
    not_supported,
    required,
)
from cluster.apiserver.validation.meta import annotations as validate_annotations
from cluster.apiserver.validation.pod import validate_pod_template

RETENTION = ("Retain", "Delete")
STS_MUTABLE = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)


def _template_labels(spec: dict) -> dict:
    return as_dict(as_dict(as_dict(spec.get("template")).get("metadata")).get("labels"))


def _selector(spec: dict, kind: str) -> list[dict]:
    selector = spec.get("selector")
    errs: list[dict] = []
    if selector is not None:
        errs += validate_label_selector(as_dict(selector), "spec.selector")
    if not selector_matches(selector, _template_labels(spec)):
        errs.append(
            invalid(
                "spec.template.metadata.labels", _template_labels(spec), "`selector` does not match template `labels`"
            )
        )
    sel = as_dict(selector)
    if selector is not None and not sel.get("matchLabels") and not sel.get("matchExpressions"):
        errs.append(invalid("spec.selector", go_label_selector(selector), f"empty selector is invalid for {kind}"))
    return errs


def _always_restarts(spec: dict, kind: str) -> list[dict]:
    template_spec = as_dict(as_dict(spec.get("template")).get("spec"))
    errs: list[dict] = []
    if template_spec.get("restartPolicy") != "Always":
        errs.append(
            not_supported("spec.template.spec.restartPolicy", template_spec.get("restartPolicy") or "", ("Always",))
        )
    if template_spec.get("activeDeadlineSeconds") is not None:
        errs.append(
            forbidden("spec.template.spec.activeDeadlineSeconds", f"activeDeadlineSeconds in {kind} is not Supported")
        )
    return errs


# -- DaemonSet -----------------------------------------------------------------
def validate_daemonset(obj: dict, old: dict | None) -> list[dict]:
    spec = as_dict(obj.get("spec"))
    errs = _selector(spec, "daemonset")
    errs += validate_pod_template(as_dict(spec.get("template")), "spec.template")
    errs += _always_restarts(spec, "DaemonSet")
    errs += nonnegative("spec.minReadySeconds", spec.get("minReadySeconds"))
    errs += _daemonset_strategy(as_dict(spec.get("updateStrategy")), "spec.updateStrategy")
    errs += nonnegative("spec.revisionHistoryLimit", spec.get("revisionHistoryLimit"))
    if old is not None and spec.get("selector") != as_dict(old.get("spec")).get("selector"):
        errs.append(invalid("spec.selector", go_label_selector(spec.get("selector")), IMMUTABLE))
    return errs


def _daemonset_strategy(strategy: dict, path: str) -> list[dict]:
    kind = strategy.get("type")
    if kind == "OnDelete":
        return []
    if kind != "RollingUpdate":
        return [not_supported(path, strategy, ("RollingUpdate", "OnDelete"))]
    rolling = strategy.get("rollingUpdate")
    if rolling is None:
        return [required(f"{path}.rollingUpdate")]
    rolling, at = as_dict(rolling), f"{path}.rollingUpdate"
    unavailable, surge = rolling.get("maxUnavailable", 0), rolling.get("maxSurge", 0)
    errs = _int_or_percent(unavailable, f"{at}.maxUnavailable") + _int_or_percent(surge, f"{at}.maxSurge")
    for key, value in (("maxUnavailable", unavailable), ("maxSurge", surge)):
        if isinstance(value, str) and (_int_or_percent_value(value) or 0) > 100:
            errs.append(invalid(f"{at}.{key}", go_int_or_string(value), "must not be greater than 100%"))
    has_unavailable, has_surge = _int_or_percent_value(unavailable) != 0, _int_or_percent_value(surge) != 0
    if has_unavailable and has_surge:
        errs.append(
            invalid(f"{at}.maxSurge", go_int_or_string(surge), "may not be set when maxUnavailable is non-zero")
        )
    elif not has_unavailable and not has_surge:
        errs.append(required(f"{at}.maxUnavailable", "cannot be 0 when maxSurge is 0"))
    return errs


# -- StatefulSet -----------------------------------------------------------------
def validate_statefulset(obj: dict, old: dict | None) -> list[dict]:
    spec = as_dict(obj.get("spec"))
    errs = _pod_management(spec.get("podManagementPolicy"))
    errs += _statefulset_strategy(as_dict(spec.get("updateStrategy")))
    retention = spec.get("persistentVolumeClaimRetentionPolicy")
    for key in ("whenDeleted", "whenScaled"):
        value = as_dict(retention).get(key)
        if retention is not None and value not in RETENTION:
            errs.append(not_supported(f"spec.persistentVolumeClaimRetentionPolicy.{key}", value or "", RETENTION))
    errs += nonnegative("spec.replicas", spec.get("replicas"))
    errs += nonnegative("spec.minReadySeconds", spec.get("minReadySeconds"))
    errs += nonnegative("spec.ordinals.start", as_dict(spec.get("ordinals")).get("start"))
    if spec.get("selector") is None:
        errs.append(required("spec.selector"))
    errs += _selector(spec, "statefulset")
    template_meta = as_dict(as_dict(spec.get("template")).get("metadata"))
    errs += labels("spec.template.labels", template_meta.get("labels"))
    errs += validate_annotations("spec.template.annotations", template_meta.get("annotations"))
    errs += _always_restarts(spec, "StatefulSet")
    return errs + (_statefulset_update(spec, as_dict(old.get("spec"))) if old is not None else [])


def _pod_management(policy: object) -> list[dict]:
    if not policy:
        return [required("spec.podManagementPolicy")]
    if policy not in ("OrderedReady", "Parallel"):
        return [invalid("spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'")]
    return []


def _statefulset_strategy(strategy: dict) -> list[dict]:
    kind, rolling = strategy.get("type"), strategy.get("rollingUpdate")
    if not kind:
        return [required("spec.updateStrategy")]
    if kind == "OnDelete":
        return (
            [invalid("spec.updateStrategy.rollingUpdate", rolling, "only allowed for updateStrategy 'RollingUpdate'")]
            if rolling
            else []
        )
    if kind == "RollingUpdate":
        return nonnegative("spec.updateStrategy.rollingUpdate.partition", as_dict(rolling).get("partition"))
    return [invalid("spec.updateStrategy", strategy, "must be 'RollingUpdate' or 'OnDelete'")]


def _statefulset_update(spec: dict, old: dict) -> list[dict]:
    fixed = {k: v for k, v in spec.items() if k not in STS_MUTABLE}
    before = {k: v for k, v in old.items() if k not in STS_MUTABLE}
    if fixed == before:
        return []
    return [
        forbidden(
            "spec",
            "updates to statefulset spec for fields other than 'replicas', 'ordinals', "
            "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
            "'minReadySeconds' are forbidden",
        )
    ]


# -- ControllerRevision --------------------------------------------------------------
def validate_controller_revision(obj: dict, old: dict | None) -> list[dict]:
    errs: list[dict] = []
    if obj.get("data") is None:
        errs.append(required("data", "data is mandatory"))
    errs += nonnegative("revision", obj.get("revision", 0))
    if old is not None and obj.get("data") != old.get("data"):
        errs.append(invalid("data", obj.get("data"), IMMUTABLE))
    return errs


def statefulset_name(name: str, prefix: bool) -> list[str]:
    """ValidateStatefulSetName: a DNS label, since it becomes its pods' hostnames."""
    return names.name_is_dns_label(name, prefix)


VALIDATORS = {
    "DaemonSet": validate_daemonset,
    "StatefulSet": validate_statefulset,
    "ControllerRevision": validate_controller_revision,
}
