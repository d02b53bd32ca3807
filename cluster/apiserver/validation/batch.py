"""Job and CronJob validation (pkg/apis/batch/validation/validation.go).

Job: the generated selector and labels, non-negative counts, completion mode
(Indexed needs completions, parallelism at most 100000), podFailurePolicy
rules, podReplacementPolicy, the pod template (restartPolicy OnFailure or
Never; Never with a podFailurePolicy), and on update the immutable selector,
template, completions (Indexed: only together with parallelism),
completionMode and podFailurePolicy. CronJob: a schedule robfig/cron parses
(cluster/cron.py), no TZ= in it, an IANA timeZone, a concurrencyPolicy, a job
template without a selector, and a name of at most 52 characters.

Simplified: successPolicy, backoffLimitPerIndex/maxFailedIndexes beyond their
basic checks, managedBy, status validation and the scheduling directives a
suspended Job may change are not checked.
"""

from __future__ import annotations

from cluster import cron
from cluster.apiserver.errors import GoValue
from cluster.apiserver.validation import names
from cluster.apiserver.validation.apps import selector_matches, validate_label_selector
from cluster.apiserver.validation.fields import (
    IMMUTABLE,
    as_dict,
    as_list,
    duplicate,
    go_label_selector,
    invalid,
    nonnegative,
    not_supported,
    required,
)
from cluster.apiserver.validation.pod import validate_pod_template
from cluster.apiserver.strategy_workloads import CONTROLLER_UID, JOB_NAME, LEGACY_CONTROLLER_UID, LEGACY_JOB_NAME

MAX_PARALLELISM_INDEXED = 100_000
FAILURE_ACTIONS = ("Count", "FailIndex", "FailJob", "Ignore")
EXIT_CODE_OPERATORS = ("In", "NotIn")
MAX_CRONJOB_NAME = 52  # 63 minus the 11-character "-<minutes>" suffix of its Jobs


# -- Job -----------------------------------------------------------------------
def validate_job(obj: dict, old: dict | None) -> list[dict]:
    meta, spec = as_dict(obj.get("metadata")), as_dict(obj.get("spec"))
    errs = _generated_selector(meta, spec)
    errs += validate_job_spec(spec, "spec")
    if spec.get("selector") is None:
        errs.append(required("spec.selector"))
    else:
        errs += validate_label_selector(as_dict(spec["selector"]), "spec.selector")
        template_labels = as_dict(as_dict(as_dict(spec.get("template")).get("metadata")).get("labels"))
        if not selector_matches(spec["selector"], template_labels):
            errs.append(
                invalid("spec.template.metadata.labels", template_labels, "`selector` does not match template `labels`")
            )
    completions = spec.get("completions")
    if spec.get("completionMode") == "Indexed" and isinstance(completions, int) and completions > 0:
        hostname = f"{meta.get('name', '')}-{completions - 1}"
        if names.is_dns1123_label(hostname):
            errs.append(
                invalid(
                    "metadata.name",
                    meta.get("name", ""),
                    f"will not able to create pod with invalid DNS label: {hostname}",
                )
            )
    return errs + (_job_update(spec, as_dict(old.get("spec"))) if old is not None else [])


def _generated_selector(meta: dict, spec: dict) -> list[dict]:
    """validateGeneratedSelector: the labels the Job strategy generated must be there and selected."""
    if spec.get("manualSelector") is True or spec.get("selector") is None:
        return []
    errs = [] if meta.get("uid") else [required("metadata.uid")]
    template_labels = as_dict(as_dict(as_dict(spec.get("template")).get("metadata")).get("labels"))
    expected = {
        LEGACY_CONTROLLER_UID: meta.get("uid", ""),
        LEGACY_JOB_NAME: meta.get("name", ""),
        CONTROLLER_UID: meta.get("uid", ""),
        JOB_NAME: meta.get("name", ""),
    }
    for key, value in expected.items():
        if key not in template_labels:
            errs.append(required(f"spec.template.metadata.labels[{key}]", f"must be '{value}'"))
        elif template_labels[key] != value:
            errs.append(invalid(f"spec.template.metadata.labels[{key}]", template_labels, f"must be '{value}'"))
    if not selector_matches(spec["selector"], expected):
        errs.append(invalid("spec.selector", go_label_selector(spec["selector"]), "`selector` not auto-generated"))
    return errs


def validate_job_spec(spec: dict, path: str) -> list[dict]:
    """validateJobSpec: what a Job and a CronJob's job template share."""
    errs: list[dict] = []
    for key in (
        "parallelism",
        "completions",
        "activeDeadlineSeconds",
        "backoffLimit",
        "ttlSecondsAfterFinished",
        "backoffLimitPerIndex",
        "maxFailedIndexes",
    ):
        errs += nonnegative(f"{path}.{key}", spec.get(key))
    errs += _completion_mode(spec, path)
    if spec.get("podFailurePolicy") is not None:
        errs += _pod_failure_policy(spec, f"{path}.podFailurePolicy")
    errs += _replacement_policy(spec, f"{path}.podReplacementPolicy")
    template = as_dict(spec.get("template"))
    errs += validate_pod_template(template, f"{path}.template")
    return errs + _restart_policy(spec, as_dict(template.get("spec")).get("restartPolicy"), path)


def _completion_mode(spec: dict, path: str) -> list[dict]:
    mode = spec.get("completionMode")
    if mode is None:
        return []
    if mode not in ("NonIndexed", "Indexed"):
        return [not_supported(f"{path}.completionMode", mode, ("NonIndexed", "Indexed"))]
    errs: list[dict] = []
    if mode == "Indexed":
        if spec.get("completions") is None:
            errs.append(required(f"{path}.completions", "when completion mode is Indexed"))
        parallelism = spec.get("parallelism")
        if isinstance(parallelism, int) and parallelism > MAX_PARALLELISM_INDEXED:
            errs.append(
                invalid(
                    f"{path}.parallelism",
                    parallelism,
                    f"must be less than or equal to {MAX_PARALLELISM_INDEXED} when completion mode is Indexed",
                )
            )
    else:
        for key in ("backoffLimitPerIndex", "maxFailedIndexes"):
            if spec.get(key) is not None:
                errs.append(invalid(f"{path}.{key}", spec[key], "requires indexed completion mode"))
    return errs


def _restart_policy(spec: dict, policy: object, path: str) -> list[dict]:
    at = f"{path}.template.spec.restartPolicy"
    if policy in ("Always", "", None):
        return [required(at, 'valid values: "OnFailure", "Never"')]
    if policy not in ("OnFailure", "Never"):
        return [not_supported(at, policy, ("OnFailure", "Never"))]
    if spec.get("podFailurePolicy") is not None and policy != "Never":
        return [invalid(at, policy, 'only "Never" is supported when podFailurePolicy is specified')]
    return []


def _replacement_policy(spec: dict, path: str) -> list[dict]:
    policy = spec.get("podReplacementPolicy")
    if policy is None:
        return []
    if spec.get("podFailurePolicy") is not None:
        return [] if policy == "Failed" else [not_supported(path, policy, ("Failed",))]
    return (
        []
        if policy in ("Failed", "TerminatingOrFailed")
        else [not_supported(path, policy, ("Failed", "TerminatingOrFailed"))]
    )


def _pod_failure_policy(spec: dict, path: str) -> list[dict]:
    template_spec = as_dict(as_dict(spec.get("template")).get("spec"))
    containers = {
        as_dict(c).get("name") for key in ("containers", "initContainers") for c in as_list(template_spec.get(key))
    }
    errs: list[dict] = []
    for i, raw in enumerate(as_list(as_dict(spec.get("podFailurePolicy")).get("rules"))):
        errs += _failure_rule(spec, as_dict(raw), f"{path}.rules[{i}]", containers)
    return errs


def _failure_rule(spec: dict, rule: dict, path: str, containers: set) -> list[dict]:
    action = rule.get("action")
    errs: list[dict] = []
    if not action:
        errs.append(required(f"{path}.action", 'valid values: ["Count" "FailIndex" "FailJob" "Ignore"]'))
    elif action == "FailIndex" and spec.get("backoffLimitPerIndex") is None:
        errs.append(invalid(f"{path}.action", action, "requires the backoffLimitPerIndex to be set"))
    elif action not in FAILURE_ACTIONS:
        errs.append(not_supported(f"{path}.action", action, FAILURE_ACTIONS))
    codes, conditions = rule.get("onExitCodes"), as_list(rule.get("onPodConditions"))
    if codes is not None:
        errs += _on_exit_codes(as_dict(codes), f"{path}.onExitCodes", containers)
    omitted = GoValue("<omitted>")
    if codes is not None and conditions:
        errs.append(invalid(path, omitted, "specifying both OnExitCodes and OnPodConditions is not supported"))
    if codes is None and not conditions:
        errs.append(invalid(path, omitted, "specifying one of OnExitCodes and OnPodConditions is required"))
    return errs


def _on_exit_codes(codes: dict, path: str, containers: set) -> list[dict]:
    operator, values = codes.get("operator"), as_list(codes.get("values"))
    errs: list[dict] = []
    if not operator:
        errs.append(required(f"{path}.operator", 'valid values: ["In" "NotIn"]'))
    elif operator not in EXIT_CODE_OPERATORS:
        errs.append(not_supported(f"{path}.operator", operator, EXIT_CODE_OPERATORS))
    name = codes.get("containerName")
    if name is not None and name not in containers:
        errs.append(
            invalid(
                f"{path}.containerName", name, "must be one of the container or initContainer names in the pod template"
            )
        )
    if not values:
        errs.append(invalid(f"{path}.values", values, "at least one value is required"))
    seen: set = set()
    for j, value in enumerate(values):
        if operator == "In" and value == 0:
            errs.append(invalid(f"{path}.values[{j}]", value, "must not be 0 for the In operator"))
        if value in seen:
            errs.append(duplicate(f"{path}.values[{j}]", value))
        seen.add(value)
    if any(a > b for a, b in zip(values, values[1:]) if isinstance(a, int) and isinstance(b, int)):
        errs.append(invalid(f"{path}.values", values, "must be ordered"))
    return errs


def _job_update(spec: dict, old: dict) -> list[dict]:
    errs: list[dict] = []
    for key in (
        "selector",
        "template",
        "completionMode",
        "podFailurePolicy",
        "backoffLimitPerIndex",
        "successPolicy",
        "managedBy",
    ):
        if spec.get(key) != old.get(key):
            shown = go_label_selector(spec.get(key)) if key == "selector" else _shown(spec.get(key))
            errs.append(invalid(f"spec.{key}", shown, IMMUTABLE))
    if spec.get("completions") != old.get("completions"):
        if spec.get("completionMode") != "Indexed":
            errs.append(invalid("spec.completions", spec.get("completions"), IMMUTABLE))
        elif spec.get("completions") is not None and spec.get("completions") != spec.get("parallelism"):
            errs.append(
                invalid(
                    "spec.completions", spec.get("completions"), "can only be modified in tandem with spec.parallelism"
                )
            )
    return errs


def _shown(value: object) -> object:
    return GoValue("<omitted>") if isinstance(value, (dict, list)) else value


# -- CronJob -------------------------------------------------------------------
def validate_cronjob(obj: dict, old: dict | None) -> list[dict]:
    meta, spec = as_dict(obj.get("metadata")), as_dict(obj.get("spec"))
    old_spec = as_dict(old.get("spec")) if old is not None else None
    errs = _schedule(spec, old_spec)
    errs += nonnegative("spec.startingDeadlineSeconds", spec.get("startingDeadlineSeconds"))
    if old_spec is None or old_spec.get("timeZone") != spec.get("timeZone"):
        errs += _time_zone(spec.get("timeZone"))
    policy = spec.get("concurrencyPolicy")
    if not policy:
        errs.append(required("spec.concurrencyPolicy"))
    elif policy not in ("Allow", "Forbid", "Replace"):
        errs.append(not_supported("spec.concurrencyPolicy", policy, ("Allow", "Forbid", "Replace")))
    errs += _job_template(as_dict(spec.get("jobTemplate")), "spec.jobTemplate")
    for key in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        errs += nonnegative(f"spec.{key}", spec.get(key))
    name = meta.get("name") or ""
    if old is None and len(name) > MAX_CRONJOB_NAME:
        errs.append(invalid("metadata.name", name, f"must be no more than {MAX_CRONJOB_NAME} characters"))
    return errs


def _schedule(spec: dict, old_spec: dict | None) -> list[dict]:
    schedule = spec.get("schedule") or ""
    if not schedule:
        return [required("spec.schedule")]
    errs: list[dict] = []
    try:
        cron.parse_standard(schedule)
    except cron.CronError as err:
        errs.append(invalid("spec.schedule", schedule, str(err)))
    allow_tz = old_spec is not None and "TZ" in (old_spec.get("schedule") or "")
    if allow_tz and "TZ" in schedule and spec.get("timeZone") is not None:
        errs.append(invalid("spec.schedule", schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule"))
    elif not allow_tz and "TZ" in schedule:
        errs.append(
            invalid("spec.schedule", schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead")
        )
    return errs


def _time_zone(zone: object) -> list[dict]:
    if zone is None:
        return []
    if zone == "":
        return [invalid("spec.timeZone", zone, "timeZone must be nil or non-empty string")]
    text = str(zone)
    if text.lower() == "local":
        return [
            invalid(
                "spec.timeZone",
                zone,
                "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones",
            )
        ]
    try:
        cron.load_location(text)
    except cron.CronError as err:
        return [invalid("spec.timeZone", zone, str(err))]
    return []


def _job_template(template: dict, path: str) -> list[dict]:
    spec = as_dict(template.get("spec"))
    errs = validate_job_spec(spec, f"{path}.spec")
    if spec.get("selector") is not None:
        errs.append(
            invalid(f"{path}.spec.selector", go_label_selector(spec["selector"]), "`selector` will be auto-generated")
        )
    if spec.get("manualSelector") is True:
        errs.append(not_supported(f"{path}.spec.manualSelector", True, ("nil", "false")))
    return errs
