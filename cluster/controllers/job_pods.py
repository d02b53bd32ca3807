"""The Job controller's view of its pods (pkg/controller/job: utils.go, indexed_job_utils.go,
backoff_utils.go, pod_failure_policy.go).

- which pods count: active (not finished, not being deleted), finished ones
  still carrying the `batch.kubernetes.io/job-tracking` finalizer (not yet
  counted), and isPodFailed's rule that a pod being deleted is a failure
  unless podReplacementPolicy is Failed;
- the pod template a Job creates from: the tracking finalizer, and for an
  Indexed Job the completion index as annotation, label, hostname and the
  JOB_COMPLETION_INDEX environment variable;
- completed indexes as the `1-3,5` intervals status.completedIndexes holds;
- podFailurePolicy: the first rule whose exit codes or pod conditions match
  decides FailJob, Ignore or Count, with upstream's FailJob message;
- the pod failure back-off: 10 s doubling per failure since the last success,
  at most 6 minutes. Upstream keeps the failure count and time in memory;
  kubeclass reads them from the failed pods themselves (which the Job keeps),
  so a restart forgets nothing.
"""

from __future__ import annotations

import copy
import datetime as dt

from cluster import clock
from cluster.controllers.controller_utils import is_being_deleted, new_controller_ref, parse_time

TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"
COMPLETION_INDEX_ENV = "JOB_COMPLETION_INDEX"
DEFAULT_BACKOFF = 10.0  # DefaultJobPodFailureBackOff
MAX_BACKOFF = 360.0  # MaxJobPodFailureBackOff
MAX_GENERATED_NAME = 58  # names.MaxGeneratedNameLength


def phase(pod: dict) -> str:
    return (pod.get("status") or {}).get("phase", "")


def is_finished(pod: dict) -> bool:
    return phase(pod) in ("Succeeded", "Failed")


def is_active(pod: dict) -> bool:
    """controller.IsPodActive."""
    return not is_finished(pod) and not is_being_deleted(pod)


def is_terminating(pod: dict) -> bool:
    return is_being_deleted(pod) and not is_finished(pod)


def has_tracking_finalizer(pod: dict) -> bool:
    return TRACKING_FINALIZER in (pod["metadata"].get("finalizers") or [])


def only_replace_failed(job: dict) -> bool:
    spec = job.get("spec") or {}
    return spec.get("podReplacementPolicy") == "Failed" or spec.get("podFailurePolicy") is not None


def is_pod_failed(pod: dict, job: dict) -> bool:
    """isPodFailed: Failed, or (unless only failed pods are replaced) deleted before it succeeded."""
    if phase(pod) == "Failed":
        return True
    if only_replace_failed(job):
        return False
    return is_being_deleted(pod) and phase(pod) != "Succeeded"


def is_indexed(job: dict) -> bool:
    return (job.get("spec") or {}).get("completionMode") == "Indexed"


def completion_index(pod: dict) -> int | None:
    text = (pod["metadata"].get("annotations") or {}).get(COMPLETION_INDEX)
    if text is None:
        text = (pod["metadata"].get("labels") or {}).get(COMPLETION_INDEX)
    return int(text) if text is not None and text.isdigit() else None


# -- the pods a Job creates ---------------------------------------------------------
def pod_from_template(job: dict, index: int | None) -> dict:
    """GetPodFromTemplate with the tracking finalizer and, for an Indexed Job, its index."""
    template = copy.deepcopy((job.get("spec") or {}).get("template") or {})
    meta, spec = template.get("metadata") or {}, template.get("spec") or {}
    name = job["metadata"]["name"]
    pod_meta: dict = {
        "generateName": f"{name}-" if index is None else generate_name_with_index(name, index),
        "namespace": job["metadata"]["namespace"],
    }
    labels, annotations = dict(meta.get("labels") or {}), dict(meta.get("annotations") or {})
    if index is not None:
        annotations[COMPLETION_INDEX] = str(index)
        labels[COMPLETION_INDEX] = str(index)
        if not spec.get("hostname"):
            spec["hostname"] = f"{name}-{index}"
        for container in (spec.get("initContainers") or []) + (spec.get("containers") or []):
            add_index_env(container)
    if labels:
        pod_meta["labels"] = labels
    if annotations:
        pod_meta["annotations"] = annotations
    finalizers = list(meta.get("finalizers") or [])
    if TRACKING_FINALIZER not in finalizers:
        finalizers.append(TRACKING_FINALIZER)
    pod_meta["finalizers"] = finalizers
    pod_meta["ownerReferences"] = [new_controller_ref(job)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": spec}


def generate_name_with_index(job_name: str, index: int) -> str:
    """podGenerateNameWithIndex: `<job>-<index>-`, the job name cut to fit."""
    suffix = f"-{index}-"
    prefix = job_name + suffix
    if len(prefix) > MAX_GENERATED_NAME:
        prefix = prefix[: MAX_GENERATED_NAME - len(suffix)] + suffix
    return prefix


def add_index_env(container: dict) -> None:
    """addCompletionIndexEnvVariable: JOB_COMPLETION_INDEX from the pod's index label (PodIndexLabel is on)."""
    env = container.setdefault("env", [])
    if any(var.get("name") == COMPLETION_INDEX_ENV for var in env):
        return
    env.append(
        {
            "name": COMPLETION_INDEX_ENV,
            "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": f"metadata.labels['{COMPLETION_INDEX}']"}},
        }
    )


# -- completed indexes ------------------------------------------------------------------
def parse_indexes(text: str, completions: int) -> set[int]:
    """parseIndexesFromString: `1,3-5` (indexes beyond completions are dropped)."""
    found: set[int] = set()
    for part in (text or "").split(","):
        if not part:
            continue
        low, _, high = part.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            continue
        found.update(i for i in range(int(low), int(high or low) + 1) if i < completions)
    return found


def format_indexes(indexes: set[int]) -> str:
    """orderedIntervals.String(): sorted intervals, `0-2,5`; two in a row are listed, `0,1`."""
    ranges: list[list[int]] = []
    for index in sorted(indexes):
        if ranges and ranges[-1][1] == index - 1:
            ranges[-1][1] = index
        else:
            ranges.append([index, index])
    return ",".join(str(a) if a == b else f"{a},{b}" if b == a + 1 else f"{a}-{b}" for a, b in ranges)


# -- pod failure policy -------------------------------------------------------------------
def match_failure_policy(job: dict, pod: dict) -> tuple[str | None, bool, str | None]:
    """matchPodFailurePolicy: (FailJob message or None, whether the failure counts, the action)."""
    policy = (job.get("spec") or {}).get("podFailurePolicy")
    if policy is None:
        return None, True, None
    status = pod.get("status") or {}
    for index, rule in enumerate(policy.get("rules") or []):
        action = rule.get("action")
        if rule.get("onExitCodes") is not None:
            matched = _matching_container(status, rule["onExitCodes"])
            if matched is None:
                continue
            what = (
                f"Container {matched['name']} for pod {_pod_ref(pod)} failed with exit code "
                f"{matched['state']['terminated']['exitCode']} matching {action} rule at index {index}"
            )
        else:
            condition = _matching_condition(status, rule.get("onPodConditions") or [])
            if condition is None:
                continue
            what = f"Pod {_pod_ref(pod)} has condition {condition['type']} matching {action} rule at index {index}"
        if action == "Ignore":
            return None, False, action
        if action == "FailJob":
            return what, True, action
        if action == "Count":
            return None, True, action
    return None, True, None


def _pod_ref(pod: dict) -> str:
    return f"{pod['metadata'].get('namespace')}/{pod['metadata']['name']}"


def _matching_container(status: dict, requirement: dict) -> dict | None:
    for key in ("containerStatuses", "initContainerStatuses"):
        for container in status.get(key) or []:
            terminated = (container.get("state") or {}).get("terminated")
            if terminated is None or terminated.get("exitCode", 0) == 0:
                continue
            name = requirement.get("containerName")
            if name is not None and name != container.get("name"):
                continue
            code, values = terminated["exitCode"], requirement.get("values") or []
            if (code in values) == (requirement.get("operator") == "In"):
                return container
    return None


def _matching_condition(status: dict, patterns: list[dict]) -> dict | None:
    for condition in status.get("conditions") or []:
        for pattern in patterns:
            if condition.get("type") == pattern.get("type") and condition.get("status") == pattern.get(
                "status", "True"
            ):
                return condition
    return None


# -- back-off --------------------------------------------------------------------------------
def finish_time(pod: dict) -> dt.datetime | None:
    """getFinishedTime: when the pod's last container terminated (else its deletion, else None)."""
    times = [
        parse_time(((s.get("state") or {}).get("terminated") or {}).get("finishedAt"))
        for s in (pod.get("status") or {}).get("containerStatuses") or []
    ]
    finished = [t for t in times if t is not None]
    if finished:
        return max(finished)
    return parse_time(pod["metadata"].get("deletionTimestamp"))


def backoff_remaining(job: dict, pods: list[dict], now: dt.datetime) -> float:
    """getRemainingTime: seconds until the next pod may be created after the failures since the last success."""
    succeeded = [t for p in pods if phase(p) == "Succeeded" and (t := finish_time(p)) is not None]
    last_success = max(succeeded, default=None)
    failures = [
        f
        for p in pods
        if is_pod_failed(p, job)
        and (f := finish_time(p) or now) is not None
        and (last_success is None or f > last_success)
    ]
    if not failures:
        return 0.0
    delay = DEFAULT_BACKOFF
    for _ in range(1, len(failures)):
        delay *= 2
        if delay >= MAX_BACKOFF:
            delay = MAX_BACKOFF
            break
    elapsed = (now - max(failures)).total_seconds()
    return 0.0 if delay < elapsed else delay - elapsed


def new_condition(type_: str, status: str, reason: str, message: str, now: dt.datetime) -> dict:
    stamp = clock.rfc3339(now)
    return {
        "type": type_,
        "status": status,
        "lastProbeTime": stamp,
        "lastTransitionTime": stamp,
        "reason": reason,
        "message": message,
    }
